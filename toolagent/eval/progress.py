"""Run progress on stderr: a live rich bar on a terminal; plain periodic lines when output is redirected (CI,
nohup, a log file), where a live bar would print nothing until the end.

A line reads ``[gaia validation] 12/165 (7%) | acc 41.7% | errors 1 | 2m13s elapsed | ETA 27m10s | running
t-42 (45s)``; the ETA is the wall time per task finished in this session (workers included) times the tasks
left. A resumed run says first how many tasks were already done.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, TextIO

#: seconds between progress lines when stderr is not a terminal
LINE_EVERY_S = 30.0


def _clock(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else (f"{minutes}m{secs:02d}s" if minutes else f"{secs}s")


class RunProgress:
    """Progress of one run: ``started``/``finished`` per task, ``advance`` per result row."""

    def __init__(self, bench: Any, total: int, rows: list[dict[str, Any]], enabled: bool, *,
                 stream: TextIO | None = None, every_s: float | None = None,
                 tty: bool | None = None) -> None:
        self.bench, self.rows, self.total, self.enabled = bench, rows, total, enabled
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.every_s = LINE_EVERY_S if every_s is None else every_s
        job = bench.job
        self.label = f"{job.bench} {job.mode if job.bench == 'gta' else job.split}"
        self.resumed = len(rows)
        self._start = time.monotonic()
        self._running: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._bar: Any = None

    # ------------------------------------------------------------------------------------------------ events
    def started(self, task_id: str) -> None:
        with self._lock:
            self._running[task_id] = time.monotonic()

    def finished(self, task_id: str) -> None:
        with self._lock:
            self._running.pop(task_id, None)

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=1, **self._fields())

    def warn(self, message: str) -> None:
        if self.enabled:
            self.stream.write(f"warning: {message}\n")
            self.stream.flush()

    # ------------------------------------------------------------------------------------------------ text
    def _fields(self) -> dict[str, Any]:
        return {"metric": self.bench.headline(self.rows),
                "errors": sum(1 for r in self.rows if r.get("status") != "ok")}

    def line(self) -> str:
        done = len(self.rows)
        fields = self._fields()
        elapsed = time.monotonic() - self._start
        parts = [f"[{self.label}] {done}/{self.total} ({100 * done // max(1, self.total)}%)"]
        if fields["metric"]:
            parts.append(str(fields["metric"]))
        parts += [f"errors {fields['errors']}", f"{_clock(elapsed)} elapsed"]
        fresh, left = done - self.resumed, self.total - done
        if left and fresh > 0:
            parts.append(f"ETA {_clock(elapsed / fresh * left)}")
        with self._lock:
            running = sorted(self._running.items(), key=lambda kv: kv[1])
        if running:
            now = time.monotonic()
            shown = ", ".join(f"{task} ({_clock(now - since)})" for task, since in running[:3])
            parts.append(f"running {shown}" + (f" +{len(running) - 3}" if len(running) > 3 else ""))
        return " | ".join(parts)

    def _print_line(self) -> None:
        self.stream.write(self.line() + "\n")
        self.stream.flush()

    def _tick(self) -> None:
        while not self._stop.wait(self.every_s):
            self._print_line()

    # ------------------------------------------------------------------------------------------------ context
    def __enter__(self) -> RunProgress:
        if not self.enabled:
            return self
        if self.resumed:
            self.stream.write(f"resumed {self.resumed} done ({self.total - self.resumed} of {self.total} "
                              f"tasks left) in {self.bench.job.path}\n")
        if self.tty:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[metric]}"), TextColumn("errors {task.fields[errors]}"),
                TimeElapsedColumn(), console=Console(file=self.stream))
            self._task = self._bar.add_task(self.label, total=self.total, completed=len(self.rows),
                                            **self._fields())
            self._bar.__enter__()
        else:
            self._print_line()
            self._ticker = threading.Thread(target=self._tick, name="eval-progress", daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
        if self._ticker is not None:
            self._stop.set()
            self._ticker.join()
            self._print_line()
