"""Training curves: a TrainerCallback that keeps the trainer's log history, written as CSV and PNG."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any


def make_curve_callback():
    """A callback whose ``rows`` collect every training log (step + numeric values)."""
    from transformers import TrainerCallback

    class CurveCallback(TrainerCallback):
        def __init__(self) -> None:
            self.rows: list[dict[str, float]] = []

        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
                   **kwargs: Any) -> None:
            if not logs:
                return
            row = {"step": float(state.global_step)}
            row.update({k: float(v) for k, v in logs.items()
                        if isinstance(v, (int, float)) and not isinstance(v, bool)})
            self.rows.append(row)

    return CurveCallback()


def write_csv(rows: list[dict[str, float]], path: Path) -> None:
    """All logged keys as columns (blank where a row lacks one)."""
    columns = ["step", *sorted({k for row in rows for k in row} - {"step"})]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in columns})


def write_png(rows: list[dict[str, float]], path: Path, metrics: tuple[str, ...], title: str) -> bool:
    """Plot the first of ``metrics`` present in the rows (others too when present); False when none is."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    present = [m for m in metrics if any(m in row and math.isfinite(row[m]) for row in rows)]
    if not present:
        return False
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for metric in present:
        points = [(row["step"], row[metric]) for row in rows if metric in row and math.isfinite(row[metric])]
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=metric)
    ax.set_xlabel("step")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def write_curves(rows: list[dict[str, float]], out_dir: Path, stem: str, metrics: tuple[str, ...],
                 title: str) -> dict[str, str]:
    """``<stem>.csv`` and (when a metric was logged) ``<stem>.png``; returns the written paths."""
    written = {}
    write_csv(rows, out_dir / f"{stem}.csv")
    written["csv"] = str(out_dir / f"{stem}.csv")
    if write_png(rows, out_dir / f"{stem}.png", metrics, title):
        written["png"] = str(out_dir / f"{stem}.png")
    return written
