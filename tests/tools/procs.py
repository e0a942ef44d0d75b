"""Process-table helpers for the tests that check a tool left no process behind."""

from __future__ import annotations

import time
from pathlib import Path


def live_processes(marker: str, parent: int | None = None) -> list[int]:
    """Live (not zombie) processes whose command line holds ``marker`` (and whose parent is ``parent``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if fields[0] in ("Z", "X") or marker.encode() not in cmdline:
            continue
        if parent is None or int(fields[1]) == parent:
            found.append(int(entry.name))
    return found


def alive_after_grace(marker: str, grace_s: float = 3.0) -> list[int]:
    """Processes holding ``marker`` still alive after ``grace_s`` seconds for a kill to land."""
    deadline = time.monotonic() + grace_s
    while True:
        found = live_processes(marker)
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)
