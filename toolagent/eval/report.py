"""The run report: summary.json, summary.md (tables) and PNG plots (matplotlib, Agg backend)."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from toolagent.eval.job import Bench, EvalJob


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def scalar_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metrics.items() if v is None or isinstance(v, (int, float))}


def summarize(job: EvalJob, bench: Bench, rows: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in rows if r.get("status") == "ok"]
    errors = [r for r in rows if r.get("status") != "ok"]
    steps = [int(r.get("steps") or 0) for r in ok]
    usage = Counter(t for r in ok for t in r.get("tools") or [])
    elapsed = [float(r["elapsed_s"]) for r in ok if r.get("elapsed_s") is not None]
    summary: dict[str, Any] = {
        "benchmark": job.bench, "mode": job.mode, "split": job.split if job.bench != "gta" else None,
        "model": job.model, "graph": job.graph, "max_steps": job.max_steps,
        # a react run plans one step at a time: the job's --horizon default means nothing there
        "horizon": None if job.graph == "react" else job.horizon,
        "tasks": len(rows), "ok": len(ok), "errors": len(errors),
        "timeouts": sum(1 for r in errors if "timed out" in str(r.get("error"))),
        "mean_steps": sum(steps) / len(steps) if steps else None,
        "mean_elapsed_s": sum(elapsed) / len(elapsed) if elapsed else None,
        "tool_usage": dict(usage.most_common()), "metrics": bench.metrics(rows),
        "missing_attachments": {str(r["task_id"]): str(r["attachment_missing"]) for r in rows
                                if r.get("attachment_missing")},
        "generated_at": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    if job.bench == "gta":
        from toolagent.eval.similarity import OFFICIAL_MODEL, model_name

        summary["similarity_model"] = model_name()
        summary["official_similarity_model"] = OFFICIAL_MODEL
    return summary


def tool_calls(job: EvalJob, rows: list[dict[str, Any]]) -> dict[str, list[int]]:
    """[calls, failed calls] per tool over finished tasks: from GTA rows' predicted calls, else the feedback logs
    (observation errors), else the rows' tool lists (no error information)."""
    from toolagent.errors import BadInput
    from toolagent.eval.job import feedback_path
    from toolagent.feedback import iter_feedback

    calls: dict[str, list[int]] = {}

    def add(name: Any, failed: Any) -> None:
        entry = calls.setdefault(str(name), [0, 0])
        entry[0] += 1
        entry[1] += bool(failed)

    for row in rows:
        if row.get("status") != "ok":
            continue
        if isinstance(row.get("pred_calls"), list):
            for call in row["pred_calls"]:
                add(call.get("name"), call.get("error"))
        elif isinstance(row.get("turns"), list):
            for turn in row["turns"]:
                if turn.get("pred_type") == "tool":
                    add(turn.get("pred_name"), turn.get("error") or turn.get("schema_error"))
        else:
            log = feedback_path(job, str(row.get("task_id")))
            try:
                records = [r for r in iter_feedback(log) if r.executed.tool != "answer"] if log.is_file() else None
            except BadInput:
                records = None
            if records is None:
                for name in row.get("tools") or []:
                    add(name, False)
            for record in records or []:
                add(record.executed.tool, record.observation.error)
    return dict(sorted(calls.items(), key=lambda kv: -kv[1][0]))


def _plots(bench: Bench, summary: dict[str, Any], rows: list[dict[str, Any]], calls: dict[str, list[int]],
           folder: Path) -> list[str]:
    from toolagent.eval import plots

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    title, values = bench.breakdown(summary["metrics"])
    if values:
        written.append(plots.accuracy_plot(title, values, rows, summary, folder))
    written.append(plots.steps_plot(rows, summary, folder))
    written.append(plots.tool_plot(calls, summary, folder))
    return written + plots.accuracy_vs_plots(rows, summary, folder)


def markdown(job: EvalJob, bench: Bench, summary: dict[str, Any], rows: list[dict[str, Any]],
             plots: list[str]) -> str:
    name = f"{job.bench.upper()}" + (f" {job.mode}" if job.bench == "gta" else f" {job.split}")
    lines = [f"# {name} — {job.model} ({job.graph})", "",
             "| setting | value |", "|---|---|"]
    for key in ("model", "graph", "horizon", "max_steps", "tasks", "ok", "errors", "timeouts", "mean_steps",
                "mean_elapsed_s"):
        shown = "- (react plans one step)" if key == "horizon" and summary[key] is None else _fmt(summary[key])
        lines.append(f"| {key} | {shown} |")
    missing = summary.get("missing_attachments") or {}
    if missing:
        lines += ["", "## Warnings", "", f"- attachment missing for {len(missing)} task(s); they ran without it:"]
        lines += [f"  - `{task}`: {name}" for task, name in list(missing.items())[:20]]
    for table_title, table in bench.tables(summary["metrics"]):
        lines += ["", f"## {table_title}", "", "| metric | value |", "|---|---|"]
        lines += [f"| {k} | {_fmt(v)} |" for k, v in table.items()]
    title, values = bench.breakdown(summary["metrics"])
    if values:
        lines += ["", f"## {title}", "", "| group | value |", "|---|---|"]
        lines += [f"| {k} | {_fmt(v)} |" for k, v in values.items()]
    for key, value in summary["metrics"].items():
        if isinstance(value, dict) and list(value.values()) != list(values.values()):
            lines += ["", f"### {key}", "", "| key | value |", "|---|---|"]
            lines += [f"| {k} | {_fmt(v)} |" for k, v in value.items()]
    if summary["tool_usage"]:
        failed = summary.get("tool_errors") or {}
        lines += ["", "## Tool usage", "", "| tool | calls | failed | error rate |", "|---|---|---|---|"]
        lines += [f"| {k} | {v} | {failed.get(k, '-')} | "
                  f"{_fmt(100.0 * failed[k] / v) + '%' if k in failed and v else '-'} |"
                  for k, v in summary["tool_usage"].items()]
    errors = [r for r in rows if r.get("status") != "ok"]
    if errors:
        lines += ["", f"## Errors ({len(errors)})", ""]
        lines += [f"- `{r['task_id']}`: {' '.join(str(r.get('error')).split())[:200]}" for r in errors[:20]]
    notes = bench.notes()
    if notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in notes]
    if plots:
        lines += ["", "## Plots", ""] + [f"![{p}](plots/{p})" for p in plots]
    return "\n".join(lines) + "\n"


def write_report(job: EvalJob, bench: Bench, rows: list[dict[str, Any]], plots: bool = True) -> dict[str, Any]:
    """Write summary.json, summary.md and plots/ into the run folder; return the summary."""
    folder = job.path
    summary = summarize(job, bench, rows)
    summary["artifacts"] = bench.after_run(rows)
    calls = tool_calls(job, rows)
    summary["tool_errors"] = {name: failed for name, (_, failed) in calls.items()}
    written = _plots(bench, summary, rows, calls, folder / "plots") if plots else []
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    (folder / "summary.md").write_text(markdown(job, bench, summary, rows, written), encoding="utf-8")
    return summary
