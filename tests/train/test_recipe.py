"""The training recipe at its smallest setting (tiny random Llama, CPU): runs end to end, then resumes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolagent.cli.train_cmd import app
from toolagent.records import PlanStep
from toolagent.train.chat import decoder_target
from toolagent.train.recipe_table import ablation_table, write_between_markers

STAGES = ("suite", "base", "data", "sft", "stage1", "rollouts", "stage2", "eval_stage2", "eval_base", "eval_stage1",
          "eval_sft")


def test_decoder_target_is_the_guided_wire_format() -> None:
    """Raw JSON, schema key order, ", " / ": " separators, empty prose fields (what xgrammar emits)."""
    steps = [PlanStep(expect="x", tool="calculator", args={"expression": "17*23+4"}, instruction="compute"),
             PlanStep(tool="answer", args={"text": "395"}, status="done")]
    text = decoder_target(steps)
    assert text == ('{"thought": "", "plan": [{"expect": "", "tool": "calculator", "args": {"expression": '
                    '"17*23+4"}, "instruction": "", "status": "not done"}, {"expect": "", "tool": "answer", '
                    '"args": {"text": "395"}, "instruction": "", "status": "done"}]}')


def test_table_marks_unmeasured_rows_and_picks_the_best_stage(tmp_path: Path) -> None:
    row = {"first_step_tool_acc": 95.0, "answer_acc": 81.0, "mean_steps": 1.5, "seconds_per_task": 12.0,
           "tasks": 60, "answer_acc_by_kind": {"arith": 90.0}}
    record = {"settings": {"horizon": 5}, "evals": {"base/tracer1/T5": {**row, "answer_acc": 0.0},
                                                     "sft/tracer1/T5": row, "sft@int8/tracer1/T5": row,
                                                     "sft/tracer1/T5/checkset": {**row, "tasks": 18}},
              "stages": {"sft": {"done": True, "seconds": 60.0}}}
    text = ablation_table(record)
    assert "| SFT | tracer1 | 5 | 95 % | 81 % | 1.50 | 12.0 | 60 |" in text
    assert "| SFT + Stage 1 | tracer1 | 5 | not measured |" in text
    assert "Best row (SFT)" in text and "sft 1.0 min" in text
    assert "| SFT, int8 weights | tracer1 | 5 | 95 % |" in text
    assert "Hand-written check set" in text and "| SFT | tracer1 | 5 | 95 % | 81 % | 1.50 | 12.0 | 18 |" in text
    doc = tmp_path / "doc.md"
    doc.write_text("intro\n<!-- table -->\nold\n<!-- /table -->\nend\n")
    write_between_markers(doc, text)
    assert doc.read_text().startswith("intro\n<!-- table -->\n| row |") and doc.read_text().endswith("end\n")


@pytest.mark.slow
def test_smallest_recipe_runs_end_to_end_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "recipe"
    runner = CliRunner()
    first = runner.invoke(app, ["recipe", "--out", str(out), "--smallest"])
    assert first.exit_code == 0, first.output
    record = json.loads((out / "recipe.json").read_text())
    assert all(record["stages"][s]["done"] for s in STAGES), record["stages"].keys()
    for stage in ("sft", "stage1", "stage2"):
        assert (out / stage / "adapter_config.json").is_file() and (out / stage / "adapter_model.safetensors").is_file()
    assert record["stages"]["data"]["rows"] > 0 and record["stages"]["data"]["prompt_tokens_mean"] > 50
    # the smallest setting evaluates one planner turn per task (step mode): a tiny random model never finishes
    assert set(record["evals"]) == {f"{s}/tracer1/T1/step" for s in ("base", "sft", "stage1", "stage2")}
    assert all(m["tasks"] == 1 for m in record["evals"].values())
    assert (out / "rollouts" / "feedback.jsonl").is_file()

    # a re-run skips every finished stage; a stage whose record is removed runs again
    del record["stages"]["stage2"], record["stages"]["eval_stage2"]
    (out / "recipe.json").write_text(json.dumps(record))
    again = runner.invoke(app, ["recipe", "--out", str(out), "--smallest"])
    assert again.exit_code == 0, again.output
    assert again.output.count("skipped") == len(STAGES) - 2
    assert "[7/11] stage2 ..." in again.output and "[8/11] eval_stage2 ..." in again.output
    assert json.loads((out / "recipe.json").read_text())["stages"]["eval_stage2"]["done"]

    # more rows of a finished stage: int8 weights, the hand-written check set; bad values are one line
    checkset = Path(__file__).resolve().parents[1] / "data" / "checkset"
    for extra in (["--quantize", "int8"], ["--data", str(checkset)]):
        row = runner.invoke(app, ["ablate", "--runs", str(out), "--stage", "sft", "--mode", "step", "--limit", "1",
                                  *extra])
        assert row.exit_code == 0, row.output
    evals = json.loads((out / "recipe.json").read_text())["evals"]
    assert {"sft@int8/tracer1/T1/step", "sft/tracer1/T1/step/checkset"} <= set(evals)
    # --threads overrides the recipe's thread count for this process only (a row beside a running recipe)
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        row = runner.invoke(app, ["ablate", "--runs", str(out), "--stage", "sft", "--mode", "step", "--limit", "1",
                                  "--threads", "1"])
        assert row.exit_code == 0, row.output
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    bad = runner.invoke(app, ["ablate", "--runs", str(out), "--quantize", "int4"])
    assert bad.exit_code == 2 and "--quantize must be none or int8" in bad.output

    # other settings in the same folder are refused with one line
    clash = runner.invoke(app, ["recipe", "--out", str(out), "--smallest", "--seed", "7"])
    assert clash.exit_code == 2 and "other settings" in clash.output
