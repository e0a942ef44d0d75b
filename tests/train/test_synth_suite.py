"""Synthetic suite: determinism (same seed, same bytes), splits that share no parameter draw, people-like wording
(many phrasings, numbers in words, no-tool and copy-exactly tasks), and answer correctness through the REAL tools
(calculator, tesseract OCR, web_search over the suite's local bm25s corpus)."""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from toolagent.train.synth import KINDS, fmt, generate, load_suite, write_suite
from toolagent.train.synth_phrasing import number_words

N_TRAIN, N_HELDOUT = 2 * len(KINDS), len(KINDS)  # two of every kind in train, one in held-out


def digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("suite")
    write_suite(root, N_TRAIN, seed=7, heldout=N_HELDOUT)
    return root


def test_same_seed_same_bytes(suite: Path, tmp_path: Path) -> None:
    write_suite(tmp_path / "again", N_TRAIN, seed=7, heldout=N_HELDOUT)
    first, second = digest(suite), digest(tmp_path / "again")
    assert first == second
    assert any(name.endswith(".png") for name in first) and any(name.startswith("corpus/") for name in first)
    write_suite(tmp_path / "other", N_TRAIN, seed=8, heldout=N_HELDOUT)
    assert digest(tmp_path / "other")["tasks.jsonl"] != first["tasks.jsonl"]


def test_splits_and_kinds(suite: Path) -> None:
    train, held = load_suite(suite, "train"), load_suite(suite, "heldout")
    assert len(train) == N_TRAIN and len(held) == N_HELDOUT
    assert {t.kind for t in train} == set(KINDS) and {t.kind for t in held} == set(KINDS)
    # held-out look-ups ask about towns the train split never mentions
    train_text = " ".join(t.question for t in train)
    for task in held:
        if task.kind.startswith("lookup"):
            town = task.reference[0].args["query"].split()[0]
            assert town in task.question and town not in train_text
    for task in train + held:
        assert task.reference[-1].is_answer and task.reference[-1].args["text"] == task.answer
        assert len(task.checks) == len(task.reference)
        assert all((suite / image).is_file() for image in task.images)
        for step in task.reference:  # short SFT targets
            assert len(step.expect.split()) <= 4 and len(step.instruction.split()) <= 4, step
    # generation without a folder draws nothing but gives the same tasks
    assert [t.model_dump() for t in generate(N_TRAIN, seed=7, n_total=N_TRAIN + N_HELDOUT)] == \
        [t.model_dump() for t in train]


def test_train_and_heldout_share_no_parameter_draw() -> None:
    train = generate(600, seed=0, split="train", n_total=800)
    held = generate(200, seed=0, split="heldout", n_total=800)

    def draw(task) -> str:  # what the parameters fix: the tool arguments and the answer (images differ by task)
        return task.kind + json.dumps([s.args for s in task.reference[:-1]]) + task.answer

    tool_tasks = [t for t in held if t.kind != "direct"]
    assert not {draw(t) for t in train} & {draw(t) for t in tool_tasks}
    text_only = lambda tasks: {t.question for t in tasks if not t.images}  # noqa: E731
    assert not text_only(train) & text_only(held)


def test_people_like_wording() -> None:
    tasks = generate(440, seed=1, split="train", n_total=500)
    for kind in KINDS:  # many phrasings: questions differ beyond their numbers and names
        shapes = {re.sub(r"\b[A-Z][a-z]+\b|[\d.:,$]+", "#", t.question[1:]) for t in tasks if t.kind == kind}
        assert len(shapes) >= 4, (kind, shapes)
    words = [number_words(n) for n in range(2, 60)]
    assert sum(any(re.search(rf"\b{w}\b", t.question) for w in words) for t in tasks) >= 20  # numbers in words
    assert any(re.search(r"\d+ ?[*×x] ?\d+ ?\+ ?\d+", t.question) for t in tasks)  # plain expressions
    assert any("percent" in t.question or "%" in t.question for t in tasks if t.kind == "arith")
    assert any("altogether" in t.question for t in tasks) and any("platform" in t.question for t in tasks)
    for task in tasks:
        if task.kind == "direct":  # no tool: the question holds the answer
            assert len(task.reference) == 1 and task.answer in task.question, task
        if task.kind == "read":  # copied exactly from the OCR output
            assert [s.tool for s in task.reference] == ["ocr", "answer"]
            assert len(task.checks[0]) == 1 and task.checks[0][0].endswith(task.answer)


def test_synth_cli(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from toolagent.cli.train_cmd import app

    result = CliRunner().invoke(app, ["synth", "--n", "3", "--heldout", "2", "--seed", "7", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "3 train + 2 held-out" in result.output
    assert len(load_suite(tmp_path, "train")) == 3 and len(load_suite(tmp_path, "heldout")) == 2
    assert (tmp_path / "suite.json").is_file() and len(list((tmp_path / "images").glob("*.png"))) == 2


def test_fmt_and_number_words() -> None:
    assert fmt(Decimal("13.50")) == "13.5" and fmt(Decimal("188.00")) == "188" and fmt(Decimal("1E+3")) == "1000"
    assert number_words(0) == "zero" and number_words(45) == "forty-five" and number_words(100) == "one hundred"
    assert number_words(345) == "three hundred forty-five" and number_words(12_007) == "twelve thousand seven"


def _number(text: str) -> Decimal:
    """The calculator's decimal result (``= 45/4 ≈ 11.25`` → 11.25)."""
    return Decimal(text.split("≈")[-1].split("=")[-1].strip())


def test_reference_trajectories_solve_tasks_with_real_tools(suite: Path) -> None:
    from toolagent.tools.registry import build_tools

    from toolagent.train.datasets import (
        execute_reference,
        suite_tool_config,
        synth_reference,
    )

    tools = build_tools(suite_tool_config(suite), names=["calculator", "ocr", "web_search"])
    tasks = load_suite(suite)
    for task in tasks:
        ref = execute_reference(synth_reference(task, suite), tools)
        for step, obs, checks in zip(ref.steps, ref.observations, task.checks, strict=True):
            if step.is_answer:
                continue
            assert obs is not None and obs.error is None, (task.task_id, step, obs)
            for check in checks:
                assert check in obs.text, (task.task_id, step.tool, check, obs.text[:400])
        tool_outputs = [o for s, o in zip(ref.steps, ref.observations) if not s.is_answer]
        if not tool_outputs:
            assert task.kind == "direct"
        elif ref.steps[-2].tool == "calculator":
            assert _number(tool_outputs[-1].text) == Decimal(task.answer), (task.task_id, tool_outputs[-1].text)
        else:  # a look-up or a copy: the answer is in the tool's text
            assert task.answer in tool_outputs[-1].text
