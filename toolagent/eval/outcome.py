"""One rule for a task row's outcome, shared by the report plots and the run viewer.

``correct`` / ``wrong`` / ``unscored`` for finished tasks, ``timeout`` and ``error`` for the others. GAIA rows
carry ``correct``; GTA end-to-end rows a score in [0, 1] (``answer_score`` or ``imggen_score``, correct at
PASS_SCORE or more); GTA step rows per-turn matches (correct when every turn matched).
"""

from __future__ import annotations

from typing import Any

OUTCOMES = ("correct", "wrong", "error", "timeout", "unscored")
#: a GTA score at or above this counts as a correct answer
PASS_SCORE = 0.5


def number(value: Any) -> float | None:
    """``value`` as a float when it is a real number (not a bool), else None."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def score_of(row: dict[str, Any]) -> float | None:
    """A task's score in [0, 1], or None when it is not scored."""
    if isinstance(row.get("correct"), bool):
        return 1.0 if row["correct"] else 0.0
    for key in ("answer_score", "imggen_score"):
        if number(row.get(key)) is not None:
            return float(row[key])
    turns = [t for t in row.get("turns") or [] if isinstance(t, dict)]
    if turns:
        hits = [bool(t.get("tool_match")) if t.get("gold_type") == "tool" else
                (number(t.get("answer_score")) or 0.0) >= PASS_SCORE for t in turns]
        return sum(hits) / len(hits)
    return None


def outcome_of(row: dict[str, Any]) -> str:
    if "timed out" in str(row.get("error") or "") or row.get("run_status") == "timeout":
        return "timeout"
    if row.get("status") not in (None, "ok") or row.get("run_status") == "error":
        return "error"
    score = score_of(row)
    if score is None:
        return "unscored"
    return "correct" if score >= (1.0 if row.get("turns") else PASS_SCORE) else "wrong"
