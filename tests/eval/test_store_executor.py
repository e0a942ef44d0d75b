"""results.jsonl store (fsync per row, torn-tail repair, dedup) and the thread executor (deadlines)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from toolagent.eval.executor import run_threads
from toolagent.eval.store import ResultStore


def test_store_appends_and_repairs_torn_tail(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "results.jsonl")
    store.append({"task_id": "a", "status": "ok"})
    store.append({"task_id": "b", "status": "error"})
    with store.path.open("a") as handle:
        handle.write('{"task_id": "c", "sta')  # a SIGKILL mid-write
    rows = store.load()
    assert [r["task_id"] for r in rows] == ["a", "b"]
    assert store.path.read_text().endswith('"error"}\n')  # the torn tail was cut off
    store.append({"task_id": "c", "status": "ok"})
    assert store.done_ids() == {"a", "b", "c"}


def test_store_dedups_and_drops(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "results.jsonl")
    for row in ({"task_id": "a", "v": 1}, {"task_id": "a", "v": 2}, {"task_id": "b", "status": "error"}):
        store.append(row)
    assert [(r["task_id"], r.get("v")) for r in store.load()] == [("a", 1), ("b", None)]
    assert store.drop(lambda r: r.get("status") == "error") == 1  # the rewrite also drops the duplicate line
    assert [r["task_id"] for r in store.load()] == ["a"]
    assert len(store.path.read_text().splitlines()) == 1
    assert ResultStore(tmp_path / "none.jsonl").load() == []


def test_threads_run_concurrently_and_rows_come_back_on_the_driver(tmp_path: Path) -> None:
    driver = threading.get_ident()
    seen: list[tuple[int, int]] = []
    active, peak = [0], [0]
    lock = threading.Lock()

    def run(item: int) -> dict:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1
        return {"task_id": str(item)}

    def on_row(row: dict) -> None:
        seen.append((int(row["task_id"]), threading.get_ident()))

    start = time.perf_counter()
    run_threads(range(12), run, on_row, workers=4, deadline_s=None, timeout_row=lambda i, m: {})
    assert sorted(i for i, _ in seen) == list(range(12))
    assert all(ident == driver for _, ident in seen)
    assert peak[0] == 4
    assert time.perf_counter() - start < 12 * 0.05  # really concurrent


def test_deadline_turns_a_stuck_task_into_one_error_row() -> None:
    release = threading.Event()
    rows: list[dict] = []

    def run(item: int) -> dict:
        if item == 0:
            release.wait(5)  # stuck
        return {"task_id": str(item), "status": "ok"}

    start = time.perf_counter()
    run_threads([0, 1, 2], run, rows.append, workers=1, deadline_s=0.3,
                timeout_row=lambda i, m: {"task_id": str(i), "status": "error", "error": m})
    release.set()
    time.sleep(0.05)
    assert time.perf_counter() - start < 2
    assert sorted(r["task_id"] for r in rows) == ["0", "1", "2"]  # exactly once each, the late result ignored
    assert next(r for r in rows if r["task_id"] == "0")["error"] == "timed out after 0.3 s"
