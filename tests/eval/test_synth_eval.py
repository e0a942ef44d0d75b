"""``eval synth``: a scripted perfect planner scores 100 and a wrong one 0 with the REAL tools (calculator,
tesseract OCR, web_search over the suite's local corpus); runs resume; metrics come per task kind; the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolagent.eval.synth import answer_matches, args_match, evaluate
from toolagent.train.synth import KINDS, load_suite, write_suite

PERFECT, WRONG = "py:tests.eval.synth_models:perfect_model", "py:tests.eval.synth_models:wrong_model"


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("suite")
    write_suite(root, 4, seed=3, heldout=len(KINDS))  # one held-out task of every kind
    return root


@pytest.fixture(autouse=True)
def _suite_env(suite: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTH_SUITE", str(suite))


def rows(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]


def test_perfect_planner_scores_100_per_kind(suite: Path, tmp_path: Path) -> None:
    summary = evaluate(suite, "heldout", PERFECT, tmp_path / "run", workers=2)
    kinds = {t.kind for t in load_suite(suite, "heldout")}
    assert (summary["tasks"], summary["errors"]) == (len(kinds), 0)
    for key in ("first_step_tool_acc", "first_step_arg_acc", "answer_acc"):
        assert summary[key] == 100.0, key
        assert summary[f"{key}_by_kind"] == {kind: 100.0 for kind in sorted(kinds)}, key
    references = {t.task_id: t for t in load_suite(suite, "heldout")}
    for row in rows(tmp_path / "run"):  # every reference tool step really ran
        assert row["steps"] == len(references[row["task_id"]].reference) - 1
    assert summary["mean_steps"] == pytest.approx(
        sum(len(t.reference) - 1 for t in references.values()) / len(references))
    assert summary["seconds_per_task"] > 0 and set(summary["mean_steps_by_kind"]) == kinds
    written = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert written["metrics"]["answer_acc"] == 100.0 and written["benchmark"] == "synth"
    assert (tmp_path / "run" / "summary.md").is_file() and (tmp_path / "run" / "plots" / "accuracy.png").is_file()


def test_wrong_planner_scores_0(suite: Path, tmp_path: Path) -> None:
    summary = evaluate(suite, "heldout", WRONG, tmp_path / "run", graph="react")
    assert summary["errors"] == 0
    for key in ("first_step_tool_acc", "first_step_arg_acc", "answer_acc"):
        assert summary[key] == 0.0, key
        assert set(summary[f"{key}_by_kind"].values()) == {0.0}
    assert summary["mean_steps"] == 1.0


def test_step_mode_scores_the_first_turn_only(suite: Path, tmp_path: Path) -> None:
    perfect = evaluate(suite, "heldout", PERFECT, tmp_path / "perfect", mode="step")
    wrong = evaluate(suite, "heldout", WRONG, tmp_path / "wrong", mode="step")
    assert (perfect["first_step_tool_acc"], perfect["first_step_arg_acc"]) == (100.0, 100.0)
    assert (wrong["first_step_tool_acc"], wrong["first_step_arg_acc"]) == (0.0, 0.0)
    assert perfect["answer_acc"] is None and "answer_acc_by_kind" not in perfect
    assert all(r["tools"] == [] for r in rows(tmp_path / "perfect"))


def test_resume_runs_only_missing_tasks(suite: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    first = evaluate(suite, "heldout", PERFECT, run, limit=3)
    assert first["tasks"] == 3
    before = rows(run)
    summary = evaluate(suite, "heldout", PERFECT, run)
    after = rows(run)
    assert summary["tasks"] == len(KINDS) and summary["answer_acc"] == 100.0
    assert after[:3] == before and len(after) == len(KINDS)  # the first three rows were kept, not re-run
    with pytest.raises(Exception, match="different configuration"):
        evaluate(suite, "heldout", PERFECT, run, horizon=3)


def test_cli(suite: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from toolagent.cli.eval_cmd import app

    out = tmp_path / "cli"
    result = CliRunner().invoke(app, ["synth", "--data", str(suite), "--model", PERFECT, "--out", str(out),
                                      "--limit", "2", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "first_step_tool_acc" in result.output and len(rows(out)) == 2
    bad = CliRunner().invoke(app, ["synth", "--data", str(tmp_path / "nope"), "--model", PERFECT, "--quiet"])
    assert bad.exit_code == 2 and "not a synthetic suite" in bad.output
    bad = CliRunner().invoke(app, ["synth", "--data", str(suite), "--split", "test", "--quiet"])
    assert bad.exit_code == 2 and "--split" in bad.output


def test_answer_and_argument_matching() -> None:
    assert answer_matches("The total is $13.50.", "13.5") and answer_matches("1,250 people", "1250")
    assert not answer_matches("13.5 dollars for 3 items", "13.5") and not answer_matches(None, "3")
    assert answer_matches("Gate B12", "B12") and answer_matches("b12", "B12")
    assert not answer_matches("Gate B123", "B12") and not answer_matches("", "B12")
    assert answer_matches("The first letter is 'V'.", "V") and answer_matches("v", "V")
    assert not answer_matches("It's Senpequi", "S") and not answer_matches("The letter s", "S")
    assert args_match({"expression": "3*4+1"}, {"expression": "1 + 4*3"})
    assert not args_match({"expression": "3*4"}, {"expression": "3*5"})
    assert args_match({"image": "a.png"}, {"image": "/tmp/x/a.png"}) and not args_match({"image": "a.png"}, {})
    assert args_match({"query": "Velmor founded"}, {"query": "velmor  Founded", "k": 3})


CHECKSET = Path(__file__).resolve().parents[1] / "data" / "checkset"


def test_checkset_is_hand_written_and_solvable_with_real_tools() -> None:
    """The hand-written check set: every reference step's real tool output holds its checks, the last calculator
    result is the answer, and the generator never produces any of its questions."""
    from decimal import Decimal

    from toolagent.tools.registry import build_tools
    from toolagent.train.datasets import execute_reference, suite_tool_config, synth_reference
    from toolagent.train.synth import generate

    tasks = load_suite(CHECKSET, "heldout")
    assert 12 <= len(tasks) <= 20 and {"calc", "direct", "read", "ocr_calc"} <= {t.kind for t in tasks}
    tools = build_tools(suite_tool_config(CHECKSET), names=["calculator", "ocr", "web_search"])
    for task in tasks:
        ref = execute_reference(synth_reference(task, CHECKSET), tools)
        for step, obs, checks in zip(ref.steps, ref.observations, task.checks, strict=True):
            if not step.is_answer:
                assert obs is not None and obs.error is None, (task.task_id, obs)
                assert all(check in obs.text for check in checks), (task.task_id, checks, obs.text)
        if len(ref.steps) > 1 and ref.steps[-2].tool == "calculator":
            value = ref.observations[-2].text.split("≈")[-1].split("=")[-1]  # "= 291/20 ≈ 14.55" -> 14.55
            assert Decimal(value.strip()) == Decimal(task.answer), (task.task_id, ref.observations[-2].text)
    generated = {t.question for seed in (0, 1) for split in ("train", "heldout")
                 for t in generate(1100, seed=seed, split=split, n_total=1200)}  # type: ignore[arg-type]
    assert not generated & {t.question for t in tasks}


def test_checkset_scores_with_eval_synth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTH_SUITE", str(CHECKSET))
    perfect = evaluate(CHECKSET, "heldout", PERFECT, tmp_path / "perfect", workers=2)
    assert (perfect["tasks"], perfect["errors"], perfect["answer_acc"]) == (len(load_suite(CHECKSET)), 0, 100.0)
    assert set(perfect["answer_acc_by_kind"]) == {t.kind for t in load_suite(CHECKSET)}
    assert evaluate(CHECKSET, "heldout", WRONG, tmp_path / "wrong", mode="step")["first_step_tool_acc"] == 0.0


def test_step_mode_runs_a_real_transformers_model(tmp_path: Path) -> None:
    """A tiny random Llama (hf:PATH) through guided decoding: every first step is an offered tool or the answer."""
    from toolagent.tools.registry import available_tools, build_tools
    from toolagent.train.datasets import suite_tool_config
    from toolagent.train.tiny import build_tiny_llama

    model = build_tiny_llama(tmp_path / "tiny", [t.question for t in load_suite(CHECKSET)], vocab_size=300)
    summary = evaluate(CHECKSET, "heldout", f"hf:{model}", tmp_path / "run", mode="step", limit=1)
    assert (summary["tasks"], summary["errors"]) == (1, 0) and summary["seconds_per_task"] > 0
    offered = {t.name for t in available_tools(build_tools(suite_tool_config(CHECKSET)))} | {"answer"}
    assert all(row["first_tool"] in offered for row in rows(tmp_path / "run")), rows(tmp_path / "run")
