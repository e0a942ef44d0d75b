"""Stage-1 reward against hand-computed values (defaults: γ 0.8, λ_rep 0.1, done +0.2, length −0.15)."""

from __future__ import annotations

import json

import pytest

from toolagent.records import PlanStep
from toolagent.train.rewards import (
    Stage1Weights,
    align,
    arg_agreement,
    format_reward_func,
    make_stage1_reward_func,
    repetition_flags,
    stage1_reward,
    stage1_reward_func,
    stage1_score,
    step_similarity,
)


def calc(expr: str) -> dict:
    return {"tool": "calculator", "args": {"expression": expr}}


def ocr(image: str = "receipt.png") -> dict:
    return {"tool": "ocr", "args": {"image": image}}


def answer(text: str, status: str = "done") -> dict:
    return {"tool": "answer", "args": {"text": text}, "status": status}


def reply(*steps: dict) -> str:
    return "<think>plan it</think><answer>" + json.dumps({"thought": "t", "plan": list(steps)}) + "</answer>"


REF = [ocr(), calc("3.5+2.25"), answer("5.75")]
IDEAL = 1 + 0.8 + 0.64 + 0.2  # Σ γ^(t-1) over 3 steps + done bonus = 2.64


def test_exact_copy_scores_one() -> None:
    assert stage1_reward(reply(*REF), REF) == pytest.approx(1.0)


def test_empty_and_unparsable_forecasts_score_zero() -> None:
    assert stage1_reward("", REF) == 0.0
    assert stage1_reward("I think the answer is 5.75", REF) == 0.0
    assert stage1_reward('<answer>{"plan": []}</answer>', REF) == 0.0
    assert stage1_reward('{"plan": [{"tool": ""}, {"args": {}}]}', REF) == 0.0  # no valid step at all


def test_discount_weights_early_steps_more() -> None:
    # Same length (position-wise). Wrong tool at step 1: a_1 = 0, others 1.
    wrong_first = stage1_score(reply(calc("x"), calc("3.5+2.25"), answer("5.75")), REF)
    # Wrong tool at step 2 (ocr instead of calculator): a_2 = 0.
    wrong_second = stage1_score(reply(ocr(), ocr("other.png"), answer("5.75")), REF)
    assert wrong_first.accuracy == pytest.approx((0.8 + 0.64 + 0.2) / IDEAL)
    assert wrong_second.accuracy == pytest.approx((1 + 0.64 + 0.2) / IDEAL)
    assert wrong_first.total == pytest.approx(0.9 * (1.64 / 2.64) + 0.1)
    # γ = 1 removes the asymmetry
    flat = Stage1Weights(gamma=1.0)
    assert stage1_score(reply(calc("x"), calc("3.5+2.25"), answer("5.75")), REF, flat).accuracy == \
        pytest.approx(stage1_score(reply(ocr(), ocr("other.png"), answer("5.75")), REF, flat).accuracy)


def test_partial_argument_credit() -> None:
    # token F1 between "3.5+2.25" tokens {3.5, 2.25} and "3.5+2.5" {3.5, 2.5}: 0.5 → sim = 0.5 + 0.5·0.5
    step = PlanStep(tool="calculator", args={"expression": "3.5+2.5"})
    gold = PlanStep(tool="calculator", args={"expression": "3.5+2.25"})
    assert step_similarity(step, gold) == pytest.approx(0.75)
    # an extra key counts in the union denominator: {expression ok, precision extra} → 1/2
    assert arg_agreement({"expression": "3.5+2.25", "precision": 3}, {"expression": "3.5+2.25"}) == 0.5
    # numbers compare as numbers; paths by file name; case and spacing folded
    assert arg_agreement({"x": "1,000"}, {"x": 1000}) == 1.0
    assert arg_agreement({"image": "/tmp/run/Receipt.png"}, {"image": "receipt.png"}) == 1.0
    assert arg_agreement({"q": "  Velmora   POPULATION"}, {"q": "velmora population"}) == 1.0
    assert arg_agreement({}, {}) == 1.0  # weak reference: tool name only
    score = stage1_score(reply(ocr(), calc("3.5+2.5"), answer("5.75")), REF)
    assert score.accuracy == pytest.approx((1 + 0.8 * 0.75 + 0.64 + 0.2) / IDEAL)


def test_missing_step_uses_greedy_matching_and_length_penalty() -> None:
    # Prediction skips OCR: [calc, answer] vs [ocr, calc, answer] → lengths differ → greedy.
    # pairs: (0,1) sim 1 − 0.1 = 0.9; (1,2) sim 1 − 0.1 = 0.9 → a = [0.9, 0.9]
    pred = reply(calc("3.5+2.25"), answer("5.75"))
    raw = 0.9 + 0.8 * 0.9 + 0.2 - 0.15
    assert stage1_score(pred, REF).accuracy == pytest.approx(raw / IDEAL)


def test_greedy_threshold_drops_far_or_weak_matches() -> None:
    pred = [PlanStep(tool="calculator", args={"expression": "9*9"}), PlanStep(**answer("1"))]
    ref = [PlanStep(**ocr()), PlanStep(**calc("3.5+2.25")), PlanStep(**answer("5.75"))]
    # (0,1): 0.5 + 0 − 0.1 = 0.4 < 0.5 → dropped; (1,2): 0.5 + 0.5·0 − 0.1 = 0.4 → dropped
    assert align(pred, ref, Stage1Weights()) == [0.0, 0.0]


def test_extra_step_penalty() -> None:
    pred = reply(ocr(), calc("3.5+2.25"), calc("3.5+2.25"), answer("5.75"))
    # greedy: (0,0)=1, (1,1)=1, (3,2)=1−0.1=0.9; step 2 unmatched
    raw = 1 + 0.8 + 0 + 0.512 * 0.9 + 0.2 - 0.15
    assert stage1_score(pred, REF).accuracy == pytest.approx(raw / IDEAL)


def test_repetition_penalty_sliding_window() -> None:
    steps = [PlanStep(**calc("1+1"))] * 4 + [PlanStep(**answer("2"))]
    assert repetition_flags(steps) == [0, 0, 1, 1, 0]
    # different args are different actions
    varied = [PlanStep(**calc(f"{i}+1")) for i in range(3)]
    assert repetition_flags(varied) == [0, 0, 0]
    ref = [calc("1+1"), answer("2")]
    pred = reply(calc("1+1"), calc("1+1"), calc("1+1"), answer("2"))
    # greedy: (0,0)=1, (3,1)=1−0.2=0.8; rep at t=3 (index 2) → −0.1·0.64
    raw = 1 + 0 + 0.64 * (0 - 0.1) + 0.512 * 0.8 + 0.2 - 0.15 * 2
    ideal = 1 + 0.8 + 0.2
    assert stage1_score(pred, ref).accuracy == pytest.approx(raw / ideal)
    no_rep = Stage1Weights(lambda_rep=0.0)
    assert stage1_score(pred, ref, no_rep).accuracy > stage1_score(pred, ref).accuracy


def test_done_bonus_only_for_final_done() -> None:
    not_done = reply(ocr(), calc("3.5+2.25"), answer("5.75", status="not done"))
    assert stage1_score(not_done, REF).accuracy == pytest.approx((2.64 - 0.2) / 2.64)


def test_format_term_counts_valid_steps() -> None:
    text = json.dumps({"plan": [ocr(), {"tool": "answer", "args": {}}, calc("3.5+2.25"), {"args": {"a": 1}}]})
    score = stage1_score(text, REF)
    assert score.format == 0.5 and score.valid_steps == 2 and score.steps == 4
    assert format_reward_func([text, "nonsense"]) == [0.5, 0.0]
    assert score.total == pytest.approx(0.9 * score.accuracy + 0.05)


def test_clipped_to_unit_interval() -> None:
    pred = reply(*([calc("1+1")] * 8))
    score = stage1_score(pred, REF)
    assert score.accuracy == 0.0 and 0.0 <= score.total <= 1.0


def test_trl_wrappers_accept_strings_and_conversations() -> None:
    refs = [json.dumps(REF), REF]
    comps = [reply(*REF), [{"role": "assistant", "content": reply(*REF)}]]
    assert stage1_reward_func(comps, refs, prompts=["a", "b"], trainer_state=None) == [pytest.approx(1.0)] * 2
    func = make_stage1_reward_func(Stage1Weights(accuracy_weight=0.0, format_weight=1.0), name="fmt_only")
    assert func.__name__ == "fmt_only"
    assert func([reply(calc("7"))], [REF]) == [1.0]
