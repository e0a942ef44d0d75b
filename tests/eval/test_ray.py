"""--backend ray on a local Ray cluster: same rows, same results file and resume semantics as threads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.eval.fixtures import build_gaia
from toolagent.eval.job import EvalJob
from toolagent.eval.runner import run_eval
from toolagent.eval.store import ResultStore

pytestmark = pytest.mark.slow


def test_ray_backend_runs_the_remaining_tasks_once(tmp_path: Path) -> None:
    ray = pytest.importorskip("ray")
    data = build_gaia(tmp_path / "gaia")
    run = tmp_path / "run"
    job = EvalJob(bench="gaia", data=str(data), run_dir=str(run), model="py:tests.eval.models:gaia_model",
                  workers=1, task_timeout=60, backend="ray", tool_options={"search": "none"})
    # two tasks already finished in an earlier run (one of them with a made-up answer to prove it is kept)
    store = ResultStore(run / "results.jsonl")
    store.append({"task_id": "t-l1-calc", "status": "ok", "level": 1, "ground_truth": "42", "correct": False,
                  "model_answer": "from an earlier run"})
    store.append({"task_id": "t-l3-list", "status": "ok", "level": 3, "ground_truth": "red, green, blue",
                  "correct": True})
    try:
        summary = run_eval(job, progress=False)
    finally:
        ray.shutdown()
    rows = [json.loads(x) for x in (run / "results.jsonl").read_text().splitlines()]
    ids = [r["task_id"] for r in rows]
    assert len(ids) == len(set(ids)) == 6
    assert rows[0]["model_answer"] == "from an earlier run"
    by_id = {r["task_id"]: r for r in rows}
    assert by_id["t-l1-image"]["correct"] is True and by_id["t-l3-city"]["correct"] is False
    assert by_id["t-l1-image"]["status"] == "ok" and by_id["t-l1-image"]["run_status"] == "answered"
    assert summary["tasks"] == 6 and summary["errors"] == 0
    assert (run / "feedback" / "t-l1-image.jsonl").is_file()  # written by the Ray worker into the run folder
