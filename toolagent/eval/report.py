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
        "benchmark": job.bench, "mode": job.mode, "split": job.split if job.bench == "gaia" else None,
        "model": job.model, "graph": job.graph, "horizon": job.horizon, "max_steps": job.max_steps,
        "tasks": len(rows), "ok": len(ok), "errors": len(errors),
        "timeouts": sum(1 for r in errors if "timed out" in str(r.get("error"))),
        "mean_steps": sum(steps) / len(steps) if steps else None,
        "mean_elapsed_s": sum(elapsed) / len(elapsed) if elapsed else None,
        "tool_usage": dict(usage.most_common()), "metrics": bench.metrics(rows),
        "generated_at": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    if job.bench == "gta":
        from toolagent.eval.similarity import OFFICIAL_MODEL, model_name

        summary["similarity_model"] = model_name()
        summary["official_similarity_model"] = OFFICIAL_MODEL
    return summary


def _save(fig: Any, folder: Path, name: str) -> str:
    """Write a finished figure as a PNG, free it, and return its file name."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(folder / name, dpi=100)
    plt.close(fig)
    return name


def _plots(bench: Bench, summary: dict[str, Any], rows: list[dict[str, Any]], folder: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    title, values = bench.breakdown(summary["metrics"])
    if values:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        labels = list(values)
        bars = ax.bar(labels, [v or 0.0 for v in values.values()], color="#4C72B0")
        ax.bar_label(bars, labels=[_fmt(v) for v in values.values()])
        ax.set_ylim(0, 105)
        ax.set_title(title)
        written.append(_save(fig, folder, "accuracy.png"))
    steps = [int(r.get("steps") or 0) for r in rows if r.get("status") == "ok"]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    if steps:
        ax.hist(steps, bins=range(max(steps) + 2), color="#55A868", edgecolor="white", align="left")
    ax.set_xlabel("steps per task")
    ax.set_ylabel("tasks")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Steps per task")
    written.append(_save(fig, folder, "steps_hist.png"))
    usage = summary["tool_usage"]
    fig, ax = plt.subplots(figsize=(6, max(2.5, 0.35 * len(usage) + 1)))
    if usage:
        names = list(usage)[::-1]
        ax.barh(names, [usage[n] for n in names], color="#C44E52")
    ax.set_xlabel("calls")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Tool usage")
    written.append(_save(fig, folder, "tool_usage.png"))
    return written


def markdown(job: EvalJob, bench: Bench, summary: dict[str, Any], rows: list[dict[str, Any]],
             plots: list[str]) -> str:
    name = f"{job.bench.upper()}" + (f" {job.mode}" if job.bench == "gta" else f" {job.split}")
    lines = [f"# {name} — {job.model} ({job.graph})", "",
             "| setting | value |", "|---|---|"]
    for key in ("model", "graph", "horizon", "max_steps", "tasks", "ok", "errors", "timeouts", "mean_steps",
                "mean_elapsed_s"):
        lines.append(f"| {key} | {_fmt(summary[key])} |")
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
        lines += ["", "## Tool usage", "", "| tool | calls |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in summary["tool_usage"].items()]
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
    written = _plots(bench, summary, rows, folder / "plots") if plots else []
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    (folder / "summary.md").write_text(markdown(job, bench, summary, rows, written), encoding="utf-8")
    return summary
