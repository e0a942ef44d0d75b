"""GAIA end to end on the fixture with a scripted planner: real agent, real tools (calculator, read_file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.eval.fixtures import build_gaia
from toolagent.errors import BadInput
from toolagent.eval.job import EvalJob
from toolagent.eval.runner import run_eval


def gaia_job(tmp_path: Path, **kw: object) -> EvalJob:
    data = build_gaia(tmp_path / "gaia")
    args = {"bench": "gaia", "mode": "agent", "data": str(data), "run_dir": str(tmp_path / "run"),
            "model": "py:tests.eval.models:gaia_model", "workers": 3, "task_timeout": 60,
            "tool_options": {"search": "none"}, **kw}
    return EvalJob(**args)


def feedback(run: Path, task_id: str) -> list[dict]:
    return [json.loads(line) for line in (run / "feedback" / f"{task_id}.jsonl").read_text().splitlines()]


def test_gaia_run_scores_and_reports(tmp_path: Path) -> None:
    job = gaia_job(tmp_path)
    summary = run_eval(job, progress=False)
    run = job.path
    metrics = summary["metrics"]
    assert (summary["tasks"], summary["errors"]) == (6, 0)
    assert metrics["correct"] == 5 and metrics["accuracy"] == pytest.approx(100 * 5 / 6)
    assert metrics["accuracy_by_level"] == {"level_1": 100.0, "level_2": 100.0, "level_3": 50.0}
    rows = {r["task_id"]: r for r in map(json.loads, (run / "results.jsonl").read_text().splitlines())}
    assert rows["t-l1-image"]["model_answer"] == "1,234" and rows["t-l1-image"]["correct"] is True
    assert rows["t-l3-city"]["correct"] is False
    assert rows["t-l1-calc"]["tools"] == ["calculator"] and rows["t-l2-csv"]["tools"] == ["read_file"]
    # attachments reach the agent: the PNG as an image, the CSV/PDF as files read with read_file
    image_steps = feedback(run, "t-l1-image")
    assert image_steps[0]["planner_input"]["images"][0]["name"] == "t-l1-image.png"
    csv_steps = feedback(run, "t-l2-csv")
    assert "t-l2-csv.csv" in json.dumps(csv_steps[0]["planner_input"]["messages"])
    assert "pear" in csv_steps[0]["observation"]["text"]
    staged = Path(csv_steps[0]["observation"]["data"]["path"])  # a copy staged for the task, removed after it
    assert staged.name == "t-l2-csv.csv" and not staged.is_relative_to(Path(job.data).resolve())
    assert not staged.exists()
    assert "GAIA answer format" in json.dumps(csv_steps[0]["planner_input"]["messages"])
    assert csv_steps[-1]["ground_truth"] == "17"
    # artefacts
    submission = [json.loads(line) for line in (run / "submission.jsonl").read_text().splitlines()]
    assert {s["task_id"] for s in submission} == set(rows) and set(submission[0]) == {
        "task_id", "model_answer", "reasoning_trace"}
    assert "calculator" in next(s for s in submission if s["task_id"] == "t-l1-calc")["reasoning_trace"]
    config = json.loads((run / "config.json").read_text())
    assert config["job"]["model"] == job.model and config["job"]["graph"] == "tracer1"
    md = (run / "summary.md").read_text()
    assert "| accuracy | 83.33 |" in md and "| Level 3 | 50.00 |" in md
    for plot in ("accuracy.png", "steps_hist.png", "tool_usage.png"):
        assert (run / "plots" / plot).read_bytes()[:4] == b"\x89PNG"
    assert json.loads((run / "summary.json").read_text())["tool_usage"] == {"calculator": 1, "read_file": 2}


def test_gaia_task_failure_becomes_an_error_row(tmp_path: Path) -> None:
    job = gaia_job(tmp_path, model="py:tests.eval.models:failing_model", workers=2)
    summary = run_eval(job, progress=False)
    rows = {r["task_id"]: r for r in map(json.loads, (job.path / "results.jsonl").read_text().splitlines())}
    assert len(rows) == 6
    # the agent turns a model failure into a planner_error run; either way the task is scored wrong, not lost
    bird = rows["t-l2-pdf"]
    assert bird["correct"] is False or bird["status"] == "error"
    assert summary["metrics"]["correct"] == 4
    # re-running the finished run does nothing; a different model in the same folder is refused
    assert run_eval(job, progress=False)["tasks"] == 6
    with pytest.raises(BadInput, match="different configuration"):
        run_eval(job.model_copy(update={"agent": job.agent.with_(graph="react")}), progress=False)


def test_test_split_is_not_scored_but_submitted(tmp_path: Path) -> None:
    data = build_gaia(tmp_path / "gaia", split="test")
    job = EvalJob(bench="gaia", split="test", data=str(data), run_dir=str(tmp_path / "run"), limit=3,
                  model="py:tests.eval.models:gaia_model", workers=3, tool_options={"search": "none"})
    summary = run_eval(job, progress=False)
    assert summary["metrics"]["accuracy"] is None and summary["metrics"]["scored"] == 0
    rows = [json.loads(x) for x in (job.path / "results.jsonl").read_text().splitlines()]
    assert all(r["correct"] is None for r in rows)
    submission = [json.loads(x) for x in (job.path / "submission.jsonl").read_text().splitlines()]
    assert next(s for s in submission if s["task_id"] == "t-l1-calc")["model_answer"] == "42"


def test_tool_cache_record_then_replay(tmp_path: Path) -> None:
    recorded = gaia_job(tmp_path, tool_cache="record", limit=3)
    run_eval(recorded, progress=False)
    cache = recorded.path / "tool_cache"
    assert any(cache.rglob("*.json"))  # the calculator and read_file calls were stored
    replay = recorded.model_copy(update={"run_dir": str(tmp_path / "replay"), "tool_cache": "replay",
                                         "tool_cache_dir": str(cache)})
    summary = run_eval(replay, progress=False)
    assert summary["metrics"]["correct"] == 3
    steps = feedback(replay.path, "t-l1-calc")
    assert steps[0]["observation"]["cached"] is True and steps[0]["observation"]["text"].endswith("42")


def test_a_planner_cannot_read_the_answer_key(tmp_path: Path) -> None:
    job = gaia_job(tmp_path, model="py:tests.eval.models:peek_model", workers=2)
    summary = run_eval(job, progress=False)
    assert summary["metrics"]["correct"] == 0, "the answer key reached the planner"
    for task_id in ("t-l1-image", "t-l2-csv", "t-l2-pdf"):  # tasks with an attachment beside metadata.jsonl
        first = feedback(job.path, task_id)[0]["observation"]
        assert first["error"] and "metadata.jsonl" in first["error"] and not first["text"]


def test_refused_attachment_is_an_error_row_and_attachments_are_staged_copies(tmp_path: Path) -> None:
    from toolagent.eval.gaia import GaiaTask
    from toolagent.eval.gaia_run import GaiaBench, staged

    bench = GaiaBench(gaia_job(tmp_path))
    task = GaiaTask(task_id="evil", question="q", level=1, final_answer="1", file_name="../../etc/passwd",
                    attachment_error="attachment '../../etc/passwd' refused: outside the split folder")
    row = bench.safe_run(task)
    assert row["status"] == "error" and "refused" in row["error"]
    source = tmp_path / "gaia" / "2023" / "validation" / "t-l2-csv.csv"
    with staged([str(source)]) as copies:
        copy = Path(copies[0])
        assert copy.name == source.name and copy.read_bytes() == source.read_bytes()
        assert sorted(p.name for p in copy.parent.iterdir()) == ["t-l2-csv.csv"]  # nothing else of the dataset
        copy.write_text("changed by a tool")
    assert not copy.parent.exists() and source.read_text().startswith("item,price")
