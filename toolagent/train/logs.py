"""Read feedback logs (JSONL of StepRecord, one per line) written by ``toolagent.feedback.JSONLFeedbackSink``.

A torn last line (a crash mid-write) is skipped; a bad line anywhere else is a BadInput naming file and line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import ValidationError

from toolagent.errors import BadInput
from toolagent.records import StepRecord


def iter_records(path: str | Path) -> Iterator[StepRecord]:
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
            yield StepRecord.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            if number == len(lines):
                return  # torn last line
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else exc.errors()[0]["msg"]
            raise BadInput(f"{file}:{number}: not a StepRecord line ({reason})") from None


def read_records(paths: Iterable[str | Path]) -> list[StepRecord]:
    """All records of the given logs, in file order. A directory means every ``*.jsonl`` inside it."""
    records: list[StepRecord] = []
    for path in paths:
        p = Path(path).expanduser()
        files = sorted(p.glob("*.jsonl")) if p.is_dir() else [p]
        for file in files:
            records.extend(iter_records(file))
    return records
