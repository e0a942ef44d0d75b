"""GRPO (Stage 1 with LoRA, Stage 2 full fine-tune) and SFT through the CLI on a tiny random Llama, on CPU."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolagent.cli.train_cmd import app

pytestmark = pytest.mark.slow

FAST = ["--max-steps", "2", "--device", "cpu"]
GRPO = [*FAST, "--num-generations", "2", "--max-completion-length", "12", "--lr", "1e-3"]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A Stage-1 dataset (synthetic arithmetic + receipt tasks), a Stage-2 log, and a tiny model trained on them."""
    from toolagent.tools.registry import build_tools

    from toolagent.agent import run_agent
    from toolagent.feedback import JSONLFeedbackSink
    from toolagent.models.scripted import ScriptedChatModel
    from toolagent.train.datasets import execute_reference, stage1_rows, synth_reference
    from toolagent.train.export import to_dataset
    from toolagent.train.grounded import GroundedRewardHook
    from toolagent.train.synth import load_suite, write_suite
    from toolagent.train.tiny import build_tiny_llama

    root = tmp_path_factory.mktemp("train")
    write_suite(root / "suite", 4, seed=1, heldout=0)
    tools = build_tools(names=["calculator", "ocr"])
    tasks = [t for t in load_suite(root / "suite") if t.kind in ("arith", "receipt")]
    refs = [execute_reference(synth_reference(t, root / "suite"), tools) for t in tasks]
    rows = stage1_rows(refs, tools, horizon=3)
    to_dataset(rows).save_to_disk(str(root / "stage1"))

    log = root / "feedback.jsonl"
    task = next(t for t in tasks if t.kind == "arith")
    replies = [json.dumps({"plan": [s.model_dump(mode="json") for s in task.reference[i:]]}) for i in range(2)]
    run_agent(task.question, model=ScriptedChatModel(responses=replies), tools=tools,
              feedback=GroundedRewardHook(JSONLFeedbackSink(log)),
              ground_truth={"answer": task.answer, "steps": [s.model_dump() for s in task.reference]})

    texts = [m["content"] for r in rows for m in r["prompt"]] + [r["reference"] for r in rows]
    build_tiny_llama(root / "tiny", texts, vocab_size=400)
    return {"root": root, "stage1": root / "stage1", "log": log, "model": root / "tiny"}


def _curve(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def test_stage1_grpo_lora_writes_adapter_and_reward_curve(workdir: dict[str, Path]) -> None:
    out = workdir["root"] / "out-stage1"
    result = CliRunner().invoke(app, ["stage1", "--model", f"hf:{workdir['model']}", "--data", str(workdir["stage1"]),
                                      "--output", str(out), "--lora", *GRPO])
    assert result.exit_code == 0, result.output
    assert (out / "adapter_model.safetensors").is_file() and (out / "adapter_config.json").is_file()
    assert not (out / "model.safetensors").exists()
    config = json.loads((out / "train_config.json").read_text())
    assert config["stage"] == "stage1" and config["lora"] and config["num_generations"] == 2
    rewards = [float(r["reward"]) for r in _curve(out / "reward_curve.csv") if r.get("reward")]
    assert len(rewards) == 2 and all(0.0 <= r <= 1.0 for r in rewards)
    assert (out / "reward_curve.png").stat().st_size > 1000
    assert "trained 2 step(s)" in result.output


def test_stage2_grpo_full_finetune_from_feedback_log(workdir: dict[str, Path]) -> None:
    out = workdir["root"] / "out-stage2"
    result = CliRunner().invoke(app, ["stage2", "--model", f"hf:{workdir['model']}", "--data", str(workdir["log"]),
                                      "--output", str(out), *GRPO])
    assert result.exit_code == 0, result.output
    assert (out / "model.safetensors").is_file()
    assert [r["reward"] for r in _curve(out / "reward_curve.csv") if r.get("reward")]


def test_sft_warm_start_lowers_loss(workdir: dict[str, Path]) -> None:
    out = workdir["root"] / "out-sft"
    result = CliRunner().invoke(app, ["sft", "--model", f"hf:{workdir['model']}", "--data", str(workdir["stage1"]),
                                      "--output", str(out), "--max-steps", "6", "--device", "cpu", "--lr", "3e-3"])
    assert result.exit_code == 0, result.output
    losses = [float(r["loss"]) for r in _curve(out / "loss_curve.csv") if r.get("loss")]
    assert len(losses) == 6 and all(math.isfinite(x) for x in losses)
    assert min(losses[-2:]) < losses[0]


def test_bad_inputs_are_one_line_errors(workdir: dict[str, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["stage1", "--model", f"hf:{tmp_path}", "--data", str(workdir["stage1"]),
                                 "--output", str(tmp_path / "o"), *GRPO])
    assert result.exit_code == 2 and "no config.json" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["stage2", "--model", f"hf:{workdir['model']}", "--data", str(workdir["stage1"]),
                                 "--output", str(tmp_path / "o"), *GRPO])
    assert result.exit_code == 2 and "executed" in result.output
