"""The evaluation runner: concurrent, resumable, one results row per task, a live progress bar, a report.

Run folder layout::

    RUN_DIR/config.json       the job (model, graph, args); a re-run must agree on the RESUME_KEYS
    RUN_DIR/results.jsonl     one row per finished task (status ok | error), fsynced per row, written by the driver
    RUN_DIR/feedback/ID.jsonl each task's StepRecords (the Stage-2 training log)
    RUN_DIR/summary.{md,json}, RUN_DIR/plots/*.png, RUN_DIR/submission.jsonl (GAIA)

Re-running the same command skips every task id already in results.jsonl (a torn last line from a kill is cut).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from toolagent.errors import BadInput
from toolagent.eval.job import RESUME_KEYS, EvalJob, shared_model
from toolagent.eval.progress import RunProgress
from toolagent.eval.registry import make_bench
from toolagent.eval.store import ResultStore

#: Grace added to --task-timeout before the driver gives up on a task that does not stop by itself.
DEADLINE_GRACE_S = 2.0


def _write_config(job: EvalJob) -> None:
    path = job.path / "config.json"
    current = job.model_dump(mode="json")
    created = time.strftime("%Y-%m-%d %H:%M:%S")
    if path.exists():
        try:
            previous = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            previous = {}
        old = previous.get("job", {})
        changed = [k for k in RESUME_KEYS if k in old and old[k] != current[k]]
        if changed:
            what = ", ".join(f"{k}: {old[k]!r} -> {current[k]!r}" for k in changed)
            raise BadInput(f"{job.path} holds a run with a different configuration ({what}); "
                           "use another --out to start a new run")
        created = previous.get("created", created)
    path.write_text(json.dumps({"job": current, "created": created,
                                "updated": time.strftime("%Y-%m-%d %H:%M:%S")}, indent=2), encoding="utf-8")


def _check_model(job: EvalJob) -> None:
    if job.model == "gold":
        if not (job.bench == "gta" and job.mode == "step"):
            raise BadInput("--model gold replays the gold steps and exists only for `eval gta --mode step`")
        return
    if job.backend == "thread":
        from toolagent.models.resolve import check_reachable

        check_reachable(shared_model(job.model, job.base_url))


def run_eval(job: EvalJob, *, retry_errors: bool = False, progress: bool = True,
             report: bool = True) -> dict[str, Any]:
    """Run (or resume) an evaluation job and write its report. Returns the summary dict."""
    if job.workers < 1:
        raise BadInput(f"--workers must be at least 1 (got {job.workers})")
    if job.task_timeout <= 0:
        raise BadInput(f"--task-timeout must be positive (got {job.task_timeout})")
    job.path.mkdir(parents=True, exist_ok=True)
    bench = make_bench(job)
    tasks = bench.tasks()
    _check_model(job)
    _write_config(job)
    store = ResultStore(job.path / "results.jsonl")
    if retry_errors:
        store.drop(lambda r: r.get("status") != "ok")
    wanted = {bench.task_id(t) for t in tasks}
    rows = [r for r in store.load() if str(r.get("task_id")) in wanted]
    done = {str(r["task_id"]) for r in rows}
    todo = [t for t in tasks if bench.task_id(t) not in done]
    deadline = job.task_timeout + DEADLINE_GRACE_S

    with RunProgress(bench, len(tasks), rows, progress) as bar:
        for task in todo:
            if getattr(task, "missing_file", None):
                bar.warn(f"task {bench.task_id(task)}: attachment {task.missing_file} is missing (runs without it)")

        def on_row(row: dict[str, Any]) -> None:
            store.append(row)
            rows.append(row)
            bar.finished(str(row.get("task_id")))
            bar.advance()

        def run_one(task: Any) -> dict[str, Any]:
            bar.started(bench.task_id(task))
            return bench.safe_run(task)

        if job.backend == "ray":
            from toolagent.eval.ray_backend import run_ray

            run_ray(job, bench, todo, on_row, deadline)
        else:
            from toolagent.eval.executor import run_threads

            run_threads(todo, run_one, on_row, workers=job.workers, deadline_s=deadline,
                        timeout_row=bench.error_row)
    order = {bench.task_id(t): i for i, t in enumerate(tasks)}
    rows.sort(key=lambda r: order.get(str(r["task_id"]), len(order)))
    if not report:
        return {"tasks": len(rows)}
    from toolagent.eval.report import write_report

    return write_report(job, bench, rows)


def load_run(run_dir: str | Path) -> tuple[EvalJob, list[dict[str, Any]]]:
    """A finished (or partial) run's job and rows."""
    folder = Path(run_dir).expanduser()
    config = folder / "config.json"
    if not config.is_file():
        raise BadInput(f"not a run folder (no config.json): {folder}")
    try:
        job = EvalJob.model_validate(json.loads(config.read_text(encoding="utf-8"))["job"])
    except (KeyError, ValueError) as exc:
        raise BadInput(f"unreadable {config}: {exc}") from None
    job.run_dir = str(folder)
    return job, ResultStore(folder / "results.jsonl").load(repair=False)


def run_summary(run_dir: str | Path) -> dict[str, Any]:
    """summary.json of a run, or recomputed from results.jsonl when missing."""
    folder = Path(run_dir).expanduser()
    path = folder / "summary.json"
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    from toolagent.eval.report import summarize

    job, rows = load_run(folder)
    return summarize(job, make_bench(job), rows)
