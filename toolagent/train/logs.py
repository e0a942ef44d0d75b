"""Read feedback logs (JSONL of StepRecord, one per line) written by ``toolagent.feedback.JSONLFeedbackSink``.

A torn last line (a crash mid-write) is skipped; a bad line anywhere else is a BadInput naming file and line.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from toolagent.feedback import iter_feedback as iter_records
from toolagent.records import StepRecord

__all__ = ["iter_records", "read_records"]


def read_records(paths: Iterable[str | Path]) -> list[StepRecord]:
    """All records of the given logs, in file order. A directory means every ``*.jsonl`` inside it."""
    records: list[StepRecord] = []
    for path in paths:
        p = Path(path).expanduser()
        files = sorted(p.glob("*.jsonl")) if p.is_dir() else [p]
        for file in files:
            records.extend(iter_records(file))
    return records
