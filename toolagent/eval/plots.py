"""The report's PNG plots (matplotlib, Agg backend), each titled with the run (benchmark, model, graph).

accuracy.png (per level / category, value and count per bar), steps_hist.png (steps per task, correct vs
wrong stacked), tool_usage.png (calls per tool with the failed share and error rate), accuracy_vs_steps.png,
accuracy_vs_time.png, and compare.png for ``eval compare``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from toolagent.eval.outcome import outcome_of

COLORS = {"correct": "#55A868", "wrong": "#C44E52", "other": "#9AA5B1", "bar": "#4C72B0", "errors": "#8C1C13"}
#: at most this many elapsed-time bins in accuracy_vs_time.png (equal task counts per bin)
TIME_BINS = 5


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def run_label(summary: dict[str, Any]) -> str:
    """'GAIA validation · MODEL · tracer1' for plot titles (two runs' plots must not look identical)."""
    bench = str(summary.get("benchmark") or "").upper()
    part = summary.get("mode") if summary.get("benchmark") == "gta" else summary.get("split")
    return " · ".join(str(x) for x in (f"{bench} {part or ''}".strip(), summary.get("model"), summary.get("graph"))
                      if x)


def _frame(ax: Any, title: str, summary: dict[str, Any]) -> None:
    ax.set_title(f"{title}\n{run_label(summary)}", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)


def _save(fig: Any, folder: Path, name: str) -> str:
    """Write a finished figure as a PNG, free it, and return its file name."""
    fig.tight_layout()
    fig.savefig(folder / name, dpi=100)
    _pyplot().close(fig)
    return name


def _percent_bars(ax: Any, labels: list[str], values: list[float | None], counts: list[int | None]) -> None:
    """Bars in percent with the value above each bar and n under its label; headroom keeps labels off the frame."""
    bars = ax.bar(range(len(labels)), [v or 0.0 for v in values], color=COLORS["bar"], width=0.6)
    ax.bar_label(bars, labels=["-" if v is None else f"{v:.1f}%" for v in values], padding=2, fontsize=9)
    ticks = [f"{lab}\nn={n}" if n is not None else lab for lab, n in zip(labels, counts, strict=True)]
    ax.set_xticks(range(len(labels)), ticks, fontsize=9)
    ax.set_ylim(0, 115)
    ax.set_yticks(range(0, 101, 20))
    ax.set_ylabel("%")


def _group_counts(rows: list[dict[str, Any]]) -> Counter[str]:
    """Tasks per level (GAIA) and gold calls per category (GTA), keyed like the breakdown labels."""
    counts: Counter[str] = Counter()
    for row in rows:
        if row.get("level") is not None:
            counts[f"Level {row['level']}"] += 1
        for cat in row.get("gold_categories") or []:
            counts[str(cat).title()] += 1
    return counts


def accuracy_plot(title: str, values: dict[str, float | None], rows: list[dict[str, Any]],
                  summary: dict[str, Any], folder: Path) -> str:
    plt = _pyplot()
    counts = _group_counts(rows)
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    labels = list(values)
    _percent_bars(ax, labels, list(values.values()), [counts.get(lab) for lab in labels])
    _frame(ax, title, summary)
    return _save(fig, folder, "accuracy.png")


def steps_plot(rows: list[dict[str, Any]], summary: dict[str, Any], folder: Path) -> str:
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    finished = [r for r in rows if r.get("status") == "ok"]
    top = max([int(r.get("steps") or 0) for r in finished] + [int(summary.get("max_steps") or 0) // 3, 3])
    xs = list(range(top + 1))
    groups = {"correct": Counter(), "wrong": Counter(), "other": Counter()}
    for row in finished:
        outcome = outcome_of(row)
        groups[outcome if outcome in ("correct", "wrong") else "other"][int(row.get("steps") or 0)] += 1
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    bottom = [0] * len(xs)
    for name, counter in groups.items():
        heights = [counter.get(x, 0) for x in xs]
        if any(heights):
            label = "unscored" if name == "other" else name
            ax.bar(xs, heights, bottom=bottom, width=0.8, color=COLORS[name], label=f"{label} ({sum(heights)})")
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    ax.set_xlabel("tool steps per task")
    ax.set_ylabel("tasks")
    ax.set_xticks(xs if len(xs) <= 20 else xs[:: max(1, len(xs) // 15)])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, max([*bottom, 1]) * 1.15)
    if finished:
        ax.legend(frameon=False, fontsize=9)
    _frame(ax, "Steps per task (finished tasks)", summary)
    return _save(fig, folder, "steps_hist.png")


def tool_plot(calls: dict[str, list[int]], summary: dict[str, Any], folder: Path) -> str:
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    names = sorted(calls, key=lambda n: calls[n][0])
    fig, ax = plt.subplots(figsize=(6.4, max(2.6, 0.38 * len(names) + 1.4)))
    if names:
        ok = [calls[n][0] - calls[n][1] for n in names]
        failed = [calls[n][1] for n in names]
        ax.barh(names, ok, color=COLORS["bar"], label="succeeded")
        ax.barh(names, failed, left=ok, color=COLORS["errors"], label="failed")
        for y, name in enumerate(names):
            total, errors = calls[name]
            text = f" {total} call{'s' if total != 1 else ''}, {100 * errors / total:.0f}% err" if total else ""
            ax.annotate(text, (total, y), va="center", fontsize=8)
        ax.set_xlim(0, max(c[0] for c in calls.values()) * 1.45)
        ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.set_xlabel("calls")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _frame(ax, "Tool usage and error rate", summary)
    return _save(fig, folder, "tool_usage.png")


def _accuracy_by(pairs: list[tuple[float, bool]], bins: list[tuple[float, float]]) -> tuple[list[float | None],
                                                                                           list[int]]:
    values, counts = [], []
    for low, high in bins:
        group = [ok for x, ok in pairs if low <= x <= high]
        counts.append(len(group))
        values.append(100.0 * sum(group) / len(group) if group else None)
    return values, counts


def accuracy_vs_plots(rows: list[dict[str, Any]], summary: dict[str, Any], folder: Path) -> list[str]:
    """Accuracy per number of steps and per elapsed-time bin, over scored tasks (nothing when none is scored)."""
    plt = _pyplot()
    scored = [(r, outcome_of(r) == "correct") for r in rows if outcome_of(r) in ("correct", "wrong")]
    if not scored:
        return []
    written = []
    steps = sorted({int(r.get("steps") or 0) for r, _ in scored})
    values, counts = _accuracy_by([(float(r.get("steps") or 0), ok) for r, ok in scored],
                                  [(s, s) for s in steps])
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    _percent_bars(ax, [str(s) for s in steps], values, counts)
    ax.set_xlabel("tool steps per task")
    _frame(ax, "Accuracy vs steps", summary)
    written.append(_save(fig, folder, "accuracy_vs_steps.png"))
    timed = sorted((float(r["elapsed_s"]), ok) for r, ok in scored if r.get("elapsed_s") is not None)
    if timed:
        size = max(1, -(-len(timed) // TIME_BINS))
        chunks = [timed[i:i + size] for i in range(0, len(timed), size)]
        bins = [(c[0][0], c[-1][0]) for c in chunks]
        values, counts = [], []
        for chunk in chunks:
            counts.append(len(chunk))
            values.append(100.0 * sum(ok for _, ok in chunk) / len(chunk))
        fig, ax = plt.subplots(figsize=(6.4, 3.8))
        _percent_bars(ax, [f"{lo:.1f}–{hi:.1f}" for lo, hi in bins], values, counts)
        ax.set_xlabel("seconds per task (bins of equal task count)")
        _frame(ax, "Accuracy vs time", summary)
        written.append(_save(fig, folder, "accuracy_vs_time.png"))
    return written


def compare_plot(labels: list[str], rows: list[tuple[str, Any, Any, Any]], out: Path) -> Path:
    """Grouped bars of the score metrics (A vs B) and a panel of mean steps / seconds."""
    plt = _pyplot()
    scores = [(k, a, b) for k, a, b, _ in rows if _is_score(k) and (isinstance(a, (int, float)) or
                                                                    isinstance(b, (int, float)))]
    costs = [(k, a, b) for k, a, b, _ in rows if k in ("mean_steps", "mean_elapsed_s")]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [max(3, len(scores)), 2]})
    for ax, items, unit in ((axes[0], scores, "%"), (axes[1], costs, "")):
        xs = range(len(items))
        for offset, side, color in ((-0.2, 1, COLORS["bar"]), (0.2, 2, "#DD8452")):
            heights = [float(item[side]) if isinstance(item[side], (int, float)) else 0.0 for item in items]
            bars = ax.bar([x + offset for x in xs], heights, width=0.4, color=color,
                          label=f"{'AB'[side - 1]}: {labels[side - 1]}")
            ax.bar_label(bars, labels=[f"{h:.1f}" for h in heights], padding=2, fontsize=7)
        ax.set_xticks(list(xs), [item[0].replace("accuracy_by_level.", "").replace("_", " ") for item in items],
                      rotation=30 if len(items) > 4 else 0, ha="right" if len(items) > 4 else "center", fontsize=8)
        top = max([float(v) for item in items for v in item[1:] if isinstance(v, (int, float))] + [1.0])
        ax.set_ylim(0, top * 1.2)
        ax.set_ylabel(unit)
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].set_title("Scores", fontsize=10)
    axes[1].set_title("Mean steps and seconds per task", fontsize=10)
    axes[0].legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(0, -0.18))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def _is_score(key: str) -> bool:
    name = key.lower()
    return not name.startswith("total_") and (any(w in name for w in ("acc", "f1", "exec", "score_by"))
                                              or name.endswith("score"))
