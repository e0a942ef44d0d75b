"""The feedback hook: called once per executed step with its StepRecord (the Stage-2 training data)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from toolagent.records import StepRecord

FeedbackHook = Callable[[StepRecord], None]


class JSONLFeedbackSink:
    """Appends one StepRecord JSON per line; each line is flushed and fsynced, so a crash loses at most one."""

    def __init__(self, path: str | Path, fsync: bool = True) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fsync = fsync
        self._lock = threading.Lock()

    def __call__(self, record: StepRecord) -> None:
        line = record.model_dump_json() + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            if self.fsync:
                os.fsync(handle.fileno())


def read_feedback(path: str | Path) -> list[StepRecord]:
    """Read a feedback log, tolerating a torn last line (a crash mid-write)."""
    records: list[StepRecord] = []
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                records.append(StepRecord.model_validate_json(line))
            except ValueError:
                continue
    return records


def as_hooks(feedback: FeedbackHook | Iterable[FeedbackHook] | None) -> tuple[FeedbackHook, ...]:
    if feedback is None:
        return ()
    if callable(feedback):
        return (feedback,)
    return tuple(feedback)
