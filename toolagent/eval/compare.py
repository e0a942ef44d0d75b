"""Side-by-side comparison of two runs (e.g. tracer1 vs react) with deltas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolagent.errors import BadInput
from toolagent.eval.report import scalar_metrics
from toolagent.eval.runner import run_summary

_GENERAL = ("tasks", "ok", "errors", "timeouts", "mean_steps", "mean_elapsed_s")


def _label(summary: dict[str, Any], folder: Path) -> str:
    graph = str(summary.get("graph", "?"))
    if summary.get("horizon") and graph != "react":
        graph += f" T={summary['horizon']}"
    return f"{graph} · {summary.get('model', '?')} ({folder.name})"


def _flat(summary: dict[str, Any]) -> dict[str, Any]:
    out = dict(scalar_metrics(summary.get("metrics", {})))
    for key, value in summary.get("metrics", {}).items():
        if isinstance(value, dict):
            out.update({f"{key}.{k}": v for k, v in scalar_metrics(value).items()})
    out.update({k: summary.get(k) for k in _GENERAL})
    return out


def compare_rows(run_a: str | Path, run_b: str | Path) -> tuple[list[str], list[tuple[str, Any, Any, Any]]]:
    """(column labels, [(metric, A, B, B - A)]) for two runs of the same benchmark and mode."""
    a, b = run_summary(run_a), run_summary(run_b)
    if (a.get("benchmark"), a.get("mode")) != (b.get("benchmark"), b.get("mode")):
        raise BadInput(f"cannot compare a {a.get('benchmark')} {a.get('mode')} run with a "
                       f"{b.get('benchmark')} {b.get('mode')} run")
    flat_a, flat_b = _flat(a), _flat(b)
    rows = []
    for key in [*flat_a, *[k for k in flat_b if k not in flat_a]]:
        va, vb = flat_a.get(key), flat_b.get(key)
        delta = vb - va if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else None
        rows.append((key, va, vb, delta))
    return [_label(a, Path(run_a)), _label(b, Path(run_b))], rows


def render(labels: list[str], rows: list[tuple[str, Any, Any, Any]]) -> Any:
    """The comparison as rich renderables: the two run labels on their own lines, then a narrow table (metric,
    A, B, Δ) whose metric names are never cut, so it reads at 80 columns."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    def fmt(value: Any, signed: bool = False) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:+.2f}" if signed else f"{value:.2f}"
        return f"{value:+d}" if signed and isinstance(value, int) else str(value)

    table = Table(title="run comparison (Δ = B − A)", title_justify="left")
    table.add_column("metric", no_wrap=True, min_width=max((len(r[0]) for r in rows), default=6))
    table.add_column("A", justify="right", no_wrap=True)
    table.add_column("B", justify="right", no_wrap=True)
    table.add_column("Δ", justify="right", no_wrap=True)
    for key, va, vb, delta in rows:
        style = "" if not isinstance(delta, (int, float)) or delta == 0 else ("green" if delta > 0 else "red")
        table.add_row(key, fmt(va), fmt(vb), f"[{style}]{fmt(delta, True)}[/]" if style else fmt(delta, True))
    heads = [Text.assemble((f"{side}: ", "bold"), label) for side, label in zip("AB", labels, strict=True)]
    return Group(*heads, table)


def write_plot(labels: list[str], rows: list[tuple[str, Any, Any, Any]], out: Path) -> Path:
    """compare.png: the two runs' scores side by side, and their mean steps and seconds."""
    from toolagent.eval.plots import compare_plot

    return compare_plot(labels, rows, out)
