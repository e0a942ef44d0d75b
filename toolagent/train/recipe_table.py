"""The ablation table of a recipe (Markdown), from the eval rows in its ``recipe.json``.

``toolagent train table --runs DIR --write docs/tiny_planner.md`` regenerates the table in the doc (between the
``<!-- table -->`` / ``<!-- /table -->`` markers), so the doc never holds a number that no run produced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolagent.errors import BadInput

ROWS = (("base", "base"), ("sft", "SFT"), ("stage1", "SFT + Stage 1"), ("stage2", "SFT + Stage 1 + Stage 2"))
START, END = "<!-- table -->", "<!-- /table -->"
#: the folder name of the hand-written check set (``train ablate --data tests/data/checkset``)
CHECKSET = "checkset"


def _num(value: Any, pct: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:.0f} %" if pct else f"{value:.2f}" if isinstance(value, float) and value < 10 else f"{value:.1f}"


def lookup(evals: dict[str, Any], stage: str, graph: str, horizon: int) -> tuple[str, dict[str, Any] | None]:
    """A full-run row, else a first-turn-only (step mode) row marked as such."""
    key = f"{stage}/{graph}/T{horizon}"
    if key in evals:
        return "", evals[key]
    return (" (first turn only)", evals[key + "/step"]) if key + "/step" in evals else ("", None)


def _row(label: str, graph: str, horizon: int, m: dict[str, Any] | None) -> str:
    if m is None:
        return f"| {label} | {graph} | {horizon} | not measured | | | | |"
    return (f"| {label} | {graph} | {horizon} | {_num(m.get('first_step_tool_acc'), True)} | "
            f"{_num(m.get('answer_acc'), True)} | {_num(m.get('mean_steps'))} | {_num(m.get('seconds_per_task'))} | "
            f"{m.get('tasks', '–')} |")


def best_stage(evals: dict[str, Any], horizon: int) -> str | None:
    """The trained stage with the highest tracer1 held-out answer accuracy (ties: the later stage)."""
    scored = [(m.get("answer_acc") or 0.0, i, stage) for i, (stage, _) in enumerate(ROWS)
              if (m := evals.get(f"{stage}/tracer1/T{horizon}")) is not None]
    return max(scored)[2] if scored else None


def ablation_table(record: dict[str, Any]) -> str:
    evals: dict[str, Any] = record.get("evals") or {}
    settings = record.get("settings") or {}
    horizon = int(settings.get("horizon", 5))
    head = ("| row | graph | T | first-step tool acc | answer acc | mean steps | s / task | tasks |\n"
            "|---|---|---|---|---|---|---|---|")
    lines = [head]
    for graph in ("tracer1", "react"):
        for stage, label in ROWS:
            note, m = lookup(evals, stage, graph, horizon)
            lines.append(_row(label + note, graph, horizon if graph == "tracer1" else 1, m))
    best = best_stage(evals, horizon)
    if best is not None:
        label = dict(ROWS)[best]
        lines += ["", f"Best row ({label}), tracer1 graph, other horizons and the reward ablation:", "", head]
        for t in (1, 3, 5):
            lines.append(_row(label, "tracer1", t, evals.get(f"{best}/tracer1/T{t}")))
        variant = evals.get(f"stage1-g1/tracer1/T{horizon}")
        lines.append(_row("SFT + Stage 1 with γ = 1, λ_rep = 0", "tracer1", horizon, variant))
        lines.append(_row(f"{label}, int8 weights", "tracer1", horizon, evals.get(f"{best}@int8/tracer1/T{horizon}")))
        kinds = (evals.get(f"{best}/tracer1/T{horizon}") or {}).get("answer_acc_by_kind") or {}
        if kinds:
            lines += ["", f"Answer accuracy per task kind ({label}, tracer1):", "",
                      "| " + " | ".join(kinds) + " |", "|" + "---|" * len(kinds),
                      "| " + " | ".join(_num(v, True) for v in kinds.values()) + " |"]
    checked = [(label, m) for stage, label in ROWS if (m := evals.get(f"{stage}/tracer1/T{horizon}/{CHECKSET}"))]
    if checked:
        lines += ["", f"Hand-written check set (`tests/data/{CHECKSET}`: questions the generator never produces), "
                      "tracer1 graph:", "", head]
        lines += [_row(label, "tracer1", horizon, m) for label, m in checked]
    stages = record.get("stages") or {}
    times = [f"{name} {info.get('seconds', 0) / 60:.1f} min" for name, info in stages.items() if info.get("done")]
    if times:
        lines += ["", "Stage times: " + ", ".join(times) + "."]
    return "\n".join(lines)


def write_between_markers(path: str | Path, table: str) -> None:
    file = Path(path)
    text = file.read_text(encoding="utf-8") if file.is_file() else ""
    if START not in text or END not in text:
        raise BadInput(f"{file} has no {START} ... {END} markers to hold the table")
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    file.write_text(f"{before}{START}\n{table}\n{END}{after}", encoding="utf-8")
