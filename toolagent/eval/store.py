"""``results.jsonl``: one row per finished task, appended by one writer, flushed and fsynced per row.

Reading tolerates a run killed mid-write: a torn last line is cut off (the file is truncated to the end of the
last complete row), and a task id that somehow appears twice is counted once (the first row wins).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any


class ResultStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def load(self, repair: bool = True) -> list[dict[str, Any]]:
        """All complete rows, deduplicated by ``task_id``; with ``repair`` a torn tail is truncated away."""
        if not self.path.exists():
            return []
        data = self.path.read_bytes()
        rows: list[dict[str, Any]] = []
        seen: set[str] = set()
        good_end = 0
        offset = 0
        for line in data.splitlines(keepends=True):
            end = offset + len(line)
            offset = end
            if not line.endswith(b"\n"):
                break  # torn tail: written without its newline
            text = line.strip()
            if not text:
                good_end = end
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError:
                if end == len(data):
                    break  # a torn tail that happens to end on a newline byte
                good_end = end  # a corrupt middle line cannot come from this writer; skip it
                continue
            good_end = end
            task_id = str(row.get("task_id"))
            if task_id in seen:
                continue
            seen.add(task_id)
            rows.append(row)
        if repair and good_end < len(data):
            with self.path.open("r+b") as handle:
                handle.truncate(good_end)
                handle.flush()
                os.fsync(handle.fileno())
        return rows

    def done_ids(self) -> set[str]:
        return {str(r["task_id"]) for r in self.load()}

    def append(self, row: dict[str, Any]) -> None:
        line = json.dumps(row, ensure_ascii=False, default=str) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())

    def drop(self, predicate: Any) -> int:
        """Rewrite the file without the rows matching ``predicate`` (atomic replace); returns how many went."""
        rows = self.load()
        keep = [r for r in rows if not predicate(r)]
        if len(keep) == len(rows):
            return 0
        tmp = self.path.with_suffix(".jsonl.tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            for row in keep:
                handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
        return len(rows) - len(keep)
