"""The feedback hook: called once per executed step with its StepRecord (the Stage-2 training data)."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from pydantic import ValidationError

from toolagent.errors import BadInput
from toolagent.records import StepRecord

FeedbackHook = Callable[[StepRecord], None]


class JSONLFeedbackSink:
    """Appends one StepRecord JSON per line; each line is flushed and fsynced, so a crash loses at most one."""

    def __init__(self, path: str | Path, fsync: bool = True) -> None:
        self.path = Path(path)
        try:  # refuse an unwritable log now, before a run whose records it would lose
            if self.path.is_dir():
                raise IsADirectoryError("it is a directory")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise BadInput(f"feedback log {self.path} cannot be written: {exc.strerror or exc}") from None
        self.fsync = fsync
        self._lock = threading.Lock()

    def __call__(self, record: StepRecord) -> None:
        line = record.model_dump_json() + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            if self.fsync:
                os.fsync(handle.fileno())


def iter_feedback(path: str | Path) -> Iterator[StepRecord]:
    """Records of a feedback log, in order. A torn last line (a crash mid-write) is skipped; a bad line anywhere
    else raises BadInput naming the file and line."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise BadInput(f"feedback log not found: {file}")
    lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if isinstance(data, dict):
                data.setdefault("schema_version", 1)  # a line written before the field existed
            yield StepRecord.model_validate(data)
        except (json.JSONDecodeError, ValidationError) as exc:
            if number == len(lines):
                return  # torn last line
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else exc.errors()[0]["msg"]
            raise BadInput(f"{file}:{number}: not a StepRecord line ({reason})") from None


def read_feedback(path: str | Path) -> list[StepRecord]:
    """All records of a feedback log (see iter_feedback)."""
    return list(iter_feedback(path))


def as_hooks(feedback: FeedbackHook | Iterable[FeedbackHook] | None) -> tuple[FeedbackHook, ...]:
    if feedback is None:
        return ()
    if callable(feedback):
        return (feedback,)
    return tuple(feedback)
