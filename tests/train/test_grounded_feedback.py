"""Grounded Stage-2 reward, the hook on a REAL agent run (scripted planner, real calculator, JSONL sink),
the Stage-2 dataset and the feedback export built from that log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolagent.records import Observation, PlanStep, ToolCall
from toolagent.train.grounded import (
    GroundedRewardHook,
    as_ground_truth,
    exact_match,
    grounded_step_reward,
    offline_first_step_reward,
    stage2_reward_func,
)

CALC = {"tool": "calculator", "args": {"expression": "12*24-100"}}
TRUTH = {"answer": "188", "steps": [CALC]}


def forecast(*steps: dict) -> str:
    return "<answer>" + json.dumps({"thought": "", "plan": list(steps)}) + "</answer>"


def answer(text: str) -> dict:
    return {"tool": "answer", "args": {"text": text}, "status": "done"}


def test_exact_match_normalises() -> None:
    assert exact_match("1,000.0", "1000") and exact_match(" The Seagull. ", "the seagull")
    assert exact_match("$12.50", "12.5") and not exact_match("12.5", "12.49")
    assert not exact_match("188 muffins", "188")


def test_grounded_step_reward_rules() -> None:
    ok = Observation(tool="calculator", text="= 188")
    good = ToolCall(**CALC)
    assert grounded_step_reward(good, ok, TRUTH) == 1.0
    assert grounded_step_reward(good, ok, None) is None
    assert grounded_step_reward(good, Observation(tool="calculator", error="boom"), TRUTH) == 0.0
    other = ToolCall(tool="calculator", args={"expression": "12*24"})
    assert grounded_step_reward(other, ok, TRUTH) == 0.0
    # graded: token-F1 of "12*24" vs "12*24-100" tokens {12,24} vs {12,24,100} = 0.8
    assert grounded_step_reward(other, ok, TRUTH, graded=True) == pytest.approx(0.8)
    assert grounded_step_reward(ToolCall(tool="answer", args={"text": "188"}), Observation(tool="answer"),
                                TRUTH) == 1.0
    assert grounded_step_reward(ToolCall(tool="answer", args={"text": "187"}), Observation(tool="answer"),
                                TRUTH) == 0.0
    # a tool step with only the final answer known cannot be judged
    assert grounded_step_reward(good, ok, "188") is None
    # an injected scorer (e.g. the GAIA scorer) replaces exact match
    lenient = grounded_step_reward(ToolCall(tool="answer", args={"text": "188 muffins"}), Observation(tool="answer"),
                                   TRUTH, scorer=lambda pred, gold: gold in pred)
    assert lenient == 1.0
    # a gold step is matched once per run
    used: set[int] = set()
    assert grounded_step_reward(good, ok, TRUTH, used=used) == 1.0
    assert grounded_step_reward(good, ok, TRUTH, used=used) == 0.0
    # weak gold step (no args) matches on the tool name
    assert grounded_step_reward(good, ok, [{"tool": "calculator"}]) == 1.0


def test_offline_first_step_reward() -> None:
    executed = json.dumps(CALC)
    assert offline_first_step_reward(forecast(CALC, answer("188")), executed, 1.0) == 1.0
    assert offline_first_step_reward(forecast(CALC), executed, 0.0) == 0.0
    other = {"tool": "calculator", "args": {"expression": "1+1"}}
    assert offline_first_step_reward(forecast(other), executed, 1.0) == 0.0
    assert offline_first_step_reward(forecast(other), executed, 1.0, unknown_reward=0.3) == 0.3
    assert offline_first_step_reward(forecast(other), executed, 0.0, json.dumps({"steps": [other]})) == 1.0
    assert offline_first_step_reward(forecast(answer("188")), executed, 0.0, json.dumps(TRUTH)) == 1.0
    assert offline_first_step_reward("no plan here", executed, 1.0) == 0.0
    out = stage2_reward_func([forecast(CALC), [{"role": "assistant", "content": forecast(answer("9"))}]],
                             executed=[executed, executed], reward=[1.0, 1.0],
                             ground_truth=[json.dumps(TRUTH), json.dumps(TRUTH)])
    assert out == [1.0, 0.0]


def test_ground_truth_shapes() -> None:
    assert as_ground_truth("42").answer == "42"
    assert as_ground_truth([CALC]).steps == [PlanStep(**CALC)]
    assert as_ground_truth({"reference": [CALC], "final_answer": 7}).answer == "7"


@pytest.fixture
def logged_run(tmp_path: Path) -> Path:
    """Run the real agent (scripted planner, real calculator) with the grounded hook and a JSONL sink."""
    from toolagent.tools.registry import build_tools

    from toolagent.agent import run_agent
    from toolagent.feedback import JSONLFeedbackSink
    from toolagent.models.scripted import ScriptedChatModel

    log = tmp_path / "feedback.jsonl"
    model = ScriptedChatModel(responses=[forecast(CALC, answer("188")), forecast(answer("188"))])
    hook = GroundedRewardHook(JSONLFeedbackSink(log))
    result = run_agent("A bakery packs 12 trays of 24 muffins and sells 100. How many are left?", model=model,
                       tools=build_tools(names=["calculator"]), feedback=hook, ground_truth=TRUTH, task_id="t1")
    assert result.answer == "188", result
    wrong = ScriptedChatModel(responses=[forecast({"tool": "calculator", "args": {"expression": "12*24"}}),
                                         forecast(answer("288"))])
    run_agent("same question, wrong plan", model=wrong, tools=build_tools(names=["calculator"]), feedback=hook,
              ground_truth=TRUTH, task_id="t2")
    return log


def test_hook_sets_rewards_on_real_run(logged_run: Path) -> None:
    from toolagent.train.logs import read_records

    records = read_records([logged_run])
    assert [(r.task_id, r.executed.tool, r.reward) for r in records] == [
        ("t1", "calculator", 1.0), ("t1", "answer", 1.0), ("t2", "calculator", 0.0), ("t2", "answer", 0.0)]
    assert records[0].observation.text.strip().endswith("188")
    assert records[0].ground_truth["answer"] == "188"


def test_stage2_dataset_and_references_from_log(logged_run: Path) -> None:
    from toolagent.train.datasets import stage2_rows
    from toolagent.train.export import to_dataset
    from toolagent.train.logs import read_records
    from toolagent.train.references import log_references

    records = read_records([logged_run])
    dataset = to_dataset(stage2_rows(records))
    assert len(dataset) == 4 and dataset["reward"] == [1.0, 1.0, 0.0, 0.0]
    row = dataset[0]
    assert row["prompt"][0]["role"] == "system" and row["prompt"][-1]["role"] == "user"
    assert "bakery" in row["prompt"][-1]["content"] and row["completion"][0]["role"] == "assistant"
    assert json.loads(row["executed"])["args"] == CALC["args"]
    # the offline reward over the dataset's own columns: the logged forecast earns its logged reward
    assert stage2_reward_func(dataset["forecast"], executed=dataset["executed"], reward=dataset["reward"],
                              ground_truth=dataset["ground_truth"]) == [1.0, 1.0, 0.0, 0.0]
    refs = log_references(records)
    assert len(refs) == 1 and refs[0].task_id == "t1"
    assert [s.tool for s in refs[0].steps] == ["calculator", "answer"] and refs[0].answer == "188"
    assert refs[0].observations[0] is not None and "188" in refs[0].observations[0].text


def test_export_cli_parquet_and_hf_with_torn_line(logged_run: Path, tmp_path: Path) -> None:
    from datasets import Dataset, load_from_disk
    from typer.testing import CliRunner

    from toolagent.cli.feedback_cmd import app

    with logged_run.open("a", encoding="utf-8") as handle:
        handle.write('{"run_id": "torn", "step": 1, "planner_inp')  # a crash mid-write
    runner = CliRunner()
    out = tmp_path / "fb.parquet"
    result = runner.invoke(app, [str(logged_run), "--format", "parquet", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = Dataset.from_parquet(str(out))
    assert len(table) == 4 and {"prompt", "completion", "forecast", "reward", "tool"} <= set(table.column_names)
    result = runner.invoke(app, [str(logged_run), "--format", "hf", "--out", str(tmp_path / "hf")])
    assert result.exit_code == 0, result.output
    assert load_from_disk(str(tmp_path / "hf"))["tool"] == ["calculator", "answer", "calculator", "answer"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n" + logged_run.read_text().splitlines()[0] + "\n")
    result = runner.invoke(app, [str(bad), "--out", str(tmp_path / "x.parquet")])
    assert result.exit_code == 2 and "bad.jsonl:1" in result.output and "Traceback" not in result.output
