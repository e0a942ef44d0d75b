"""Run tasks on N worker threads with a per-task deadline; results are handed to ONE callback on the driver.

Each task runs on its own daemon thread (at most ``workers`` counted at a time). A task that passes its deadline
gets an error row at once and stops counting against ``workers``; whatever it returns later is ignored, so a
stuck task can neither block the run nor write a second row.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")
Row = dict[str, Any]


def run_threads(items: Iterable[T], run: Callable[[T], Row], on_row: Callable[[Row], None], *, workers: int,
                deadline_s: float | None, timeout_row: Callable[[T, str], Row]) -> None:
    """Run ``run(item)`` for every item, ``workers`` at a time; call ``on_row`` (on this thread) per result."""
    pending = deque(items)
    done: queue.Queue[tuple[int, Row]] = queue.Queue()
    active: dict[int, tuple[T, float]] = {}
    ids = itertools.count()

    def work(index: int, item: T) -> None:
        row = run(item)  # run() never raises (Bench.safe_run); a crash here would only lose this row
        done.put((index, row))

    while pending or active:
        while pending and len(active) < max(1, workers):
            item = pending.popleft()
            index = next(ids)
            active[index] = (item, time.monotonic())
            threading.Thread(target=work, args=(index, item), name=f"eval-task-{index}", daemon=True).start()
        wait = None
        if deadline_s:
            oldest = min(start for _, start in active.values())
            wait = max(0.0, oldest + deadline_s - time.monotonic())
        try:
            index, row = done.get(timeout=wait)
        except queue.Empty:
            pass
        else:
            if active.pop(index, None) is not None:
                on_row(row)
        if deadline_s:
            now = time.monotonic()
            for index, (item, start) in list(active.items()):
                if now - start >= deadline_s:
                    del active[index]
                    on_row(timeout_row(item, f"timed out after {deadline_s:g} s"))
