"""A task's exception or timeout becomes an error row; the run goes on and the denominators stay right."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.eval.fixtures import build_gaia, build_gta
from toolagent.eval.job import EvalJob
from toolagent.eval.runner import run_eval


def test_exceptions_become_error_rows(tmp_path: Path) -> None:
    data = build_gta(tmp_path / "gta")
    job = EvalJob(bench="gta", mode="step", data=str(data), run_dir=str(tmp_path / "run"),
                  model="py:tests.eval.models:broken_model", workers=2)
    summary = run_eval(job, progress=False)
    rows = [json.loads(x) for x in (job.path / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 6 and all(r["status"] == "error" for r in rows)
    assert rows[0]["error"] == "RuntimeError: model server exploded"
    m = summary["metrics"]
    assert (m["tool_steps"], m["answer_samples"]) == (8, 4)  # failed tasks still count
    assert m["ToolAcc"] == 0.0 and m["InstAcc"] == 0.0
    assert summary["errors"] == 6 and "## Errors (6)" in (job.path / "summary.md").read_text()
    # --retry-errors re-runs exactly the failed tasks (here: all, and they fail again), still one row each
    run_eval(job, retry_errors=True, progress=False)
    assert len((job.path / "results.jsonl").read_text().splitlines()) == 6


def test_timeouts_become_error_rows(tmp_path: Path) -> None:
    data = build_gaia(tmp_path / "gaia")
    job = EvalJob(bench="gaia", data=str(data), run_dir=str(tmp_path / "run"), limit=2,
                  model="py:tests.eval.models:sluggish_model", workers=2, task_timeout=0.3,
                  tool_options={"search": "none"})
    start = time.perf_counter()
    summary = run_eval(job, progress=False)
    assert time.perf_counter() - start < 10
    rows = [json.loads(x) for x in (job.path / "results.jsonl").read_text().splitlines()]
    assert sorted(r["task_id"] for r in rows) == ["t-l1-calc", "t-l1-image"]
    assert all(r["status"] == "error" and "timed out after" in r["error"] for r in rows)
    assert summary["timeouts"] == 2 and summary["metrics"]["accuracy"] == 0.0
