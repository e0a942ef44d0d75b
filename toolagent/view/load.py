"""Read what the viewer renders: a run folder, a results.jsonl, a feedback log or a saved ``ask --json`` result.

Everything is read as plain JSON dicts (``.get`` with defaults), so files written by older and newer versions of
the records (an empty ``planner_input.messages``, a ``speculative`` flag, a ``schema_version``) all render.
A torn last line (a run killed mid-write) is skipped with a warning; a bad line elsewhere, a file with no complete
line, or a folder that is not a run is a BadInput (one line, exit 2 in the CLI).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from toolagent.errors import BadInput

SourceKind = Literal["run", "results", "feedback", "result"]


@dataclass
class Source:
    """What was loaded: rows (one per task) and each task's step records, plus run-level context."""

    kind: SourceKind
    path: Path
    rows: list[dict[str, Any]]
    steps: dict[str, list[dict[str, Any]]]
    config: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    plots: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: where the rows' ``file_name`` attachments live (a GAIA run's dataset split folder), when it still exists
    attachments: Path | None = None

    @property
    def folder(self) -> Path:
        return self.path if self.path.is_dir() else self.path.parent


def read_jsonl(path: Path, warnings: list[str]) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file. A torn last line is skipped (and noted in ``warnings``)."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            if number == len(lines) and rows:
                warnings.append(f"{path.name}: skipped a torn last line ({number}); the run was cut mid-write")
                break
            if number == len(lines):
                raise BadInput(f"{path} is truncated: no complete line") from None
            raise BadInput(f"{path}:{number}: not a JSON line ({exc.msg})") from None
        if not isinstance(row, dict):
            raise BadInput(f"{path}:{number}: not a JSON object")
        rows.append(row)
    return rows


def _is_step(row: dict[str, Any]) -> bool:
    return "forecast" in row and "executed" in row


def _is_result_row(row: dict[str, Any]) -> bool:
    return "task_id" in row and "status" in row


def _feedback_for(folder: Path, rows: list[dict[str, Any]], warnings: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each task's step records from ``folder/feedback/*.jsonl``, keyed by the records' own task_id (so the file
    naming rule stays in the eval package, whose import is heavy), or by the file name when a record has none."""
    logs = folder / "feedback"
    steps: dict[str, list[dict[str, Any]]] = {}
    if not logs.is_dir():
        return steps
    wanted = {str(row.get("task_id")) for row in rows}
    for log in sorted(logs.glob("*.jsonl")):
        try:
            records = [r for r in read_jsonl(log, warnings) if _is_step(r)]
        except BadInput as exc:  # one unreadable task log must not hide the rest of the run
            warnings.append(str(exc))
            continue
        task_id = str(records[0].get("task_id") or log.stem) if records else log.stem
        if task_id in wanted:
            steps[task_id] = records
    return steps


def _result_rows(rows: list[dict[str, Any]], results: Path) -> list[dict[str, Any]]:
    """Check that every line is a results row; drop repeated task ids (the first row wins, as in ResultStore)."""
    bad = next((i for i, r in enumerate(rows, start=1) if not _is_result_row(r)), None)
    if bad is not None:
        raise BadInput(f"{results}:{bad}: not a results row (no task_id/status)")
    seen: set[str] = set()
    unique = []
    for row in rows:
        if str(row["task_id"]) not in seen:
            seen.add(str(row["task_id"]))
            unique.append(row)
    return unique


def _load_run(folder: Path) -> Source:
    results, config = folder / "results.jsonl", folder / "config.json"
    if not results.is_file():
        what = "no results.jsonl yet" if config.is_file() else "no results.jsonl or config.json"
        raise BadInput(f"not a run folder ({what}): {folder}")
    warnings: list[str] = []
    rows = _result_rows(read_jsonl(results, warnings), results)
    source = Source("run", folder, rows, _feedback_for(folder, rows, warnings), warnings=warnings)
    for name, target in (("config.json", "config"), ("summary.json", "summary")):
        file = folder / name
        if file.is_file():
            try:
                setattr(source, target, json.loads(file.read_text(encoding="utf-8")))
            except json.JSONDecodeError:
                warnings.append(f"{name} is not valid JSON; ignored")
    source.plots = sorted((folder / "plots").glob("*.png")) if (folder / "plots").is_dir() else []
    source.attachments = _dataset_folder(source.config.get("job") or {})
    return source


def _dataset_folder(job: dict[str, Any]) -> Path | None:
    """A GAIA run's split folder: the agent saw staged copies of the attachments, gone after the run."""
    if job.get("bench") != "gaia" or not job.get("data"):
        return None
    from toolagent.eval.gaia import find_split_dir

    try:
        return find_split_dir(Path(job["data"]), str(job.get("split") or "validation"))
    except BadInput:
        return None


def _from_steps(path: Path, records: list[dict[str, Any]], warnings: list[str]) -> Source:
    """A feedback log: one task per run_id (``ask --feedback-log`` appends several runs to one file)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        key = str(record.get("task_id") or record.get("run_id") or "run")
        groups.setdefault(key, []).append(record)
    rows = []
    for key, steps in groups.items():
        last = steps[-1]
        executed = last.get("executed") or {}
        answered = executed.get("tool") == "answer"
        rows.append({"task_id": key, "status": "ok", "question": (last.get("planner_input") or {}).get("question"),
                     "ground_truth": last.get("ground_truth"),
                     "answer": (executed.get("args") or {}).get("text") if answered else None,
                     "run_status": "answered" if answered else "unfinished",
                     "steps": sum(1 for s in steps if (s.get("executed") or {}).get("tool") != "answer"),
                     "elapsed_s": round(sum(float(s.get("planner_latency_s") or 0) + float(s.get("tool_latency_s")
                                                                                         or 0) for s in steps), 3)})
    return Source("feedback", path, rows, groups, warnings=warnings)


def result_source(result: dict[str, Any], path: Path) -> Source:
    """A RunResult (``ask --json`` or ``model_dump``) as a one-task source."""
    task_id = str(result.get("task_id") or result.get("run_id") or "run")
    steps = [s for s in result.get("steps") or [] if isinstance(s, dict)]
    truth = next((s.get("ground_truth") for s in reversed(steps) if s.get("ground_truth") is not None), None)
    row = {"task_id": task_id, "status": "ok", "question": result.get("question"), "answer": result.get("answer"),
           "ground_truth": truth, "run_status": result.get("status"), "run_error": result.get("error"),
           "steps": sum(1 for s in steps if (s.get("executed") or {}).get("tool") != "answer"),
           "elapsed_s": result.get("elapsed_s"), "images": result.get("images") or []}
    config = {"job": {"model": result.get("model"), "graph": result.get("graph")}}
    return Source("result", path, [row], {task_id: steps}, config=config)


def load_source(path: str | Path) -> Source:
    """Detect what ``path`` is and read it; BadInput (one line) when it is none of the four inputs."""
    target = Path(path).expanduser()
    if not target.exists():
        raise BadInput(f"not found: {target}")
    if target.is_dir():
        return _load_run(target)
    if target.suffix == ".json":
        try:
            data = json.loads(target.read_text(encoding="utf-8", errors="replace"))
        except json.JSONDecodeError as exc:
            raise BadInput(f"{target} is not valid JSON ({exc.msg}, line {exc.lineno}); truncated?") from None
        if isinstance(data, dict) and "question" in data and "steps" in data:
            return result_source(data, target)
        raise BadInput(f"{target} is not a saved `toolagent ask --json` result (no question/steps)")
    warnings: list[str] = []
    records = read_jsonl(target, warnings)
    if not records:
        raise BadInput(f"{target} is empty")
    if _is_step(records[0]):
        return _from_steps(target, [r for r in records if _is_step(r)], warnings)
    if _is_result_row(records[0]):
        if (target.parent / "config.json").is_file() and target.name == "results.jsonl":
            return _load_run(target.parent)
        rows = _result_rows(records, target)
        return Source("results", target, rows, _feedback_for(target.parent, rows, warnings), warnings=warnings)
    raise BadInput(f"{target} is neither a results.jsonl nor a feedback log (first line has no task_id/status "
                   "or forecast/executed)")
