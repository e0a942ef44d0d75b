"""Stage-1 reward: discounted alignment of a predicted trajectory with a reference trajectory.

Every weight is a parameter (``Stage1Weights``); the defaults are the prototype values in TRACER1.md.
The paper leaves several details open; this module fixes them as follows (and the tests pin them).

**Parsing and the format term.** A completion is parsed leniently: the forecast JSON is found with
``toolagent.parsing.extract_json`` (``<answer>``, fenced or bare; a bare list is a plan, a single step object a
one-step plan), then every element of ``plan`` is validated on its own as a ``PlanStep``.
``format = valid steps / all steps``. An invalid step stays in the trajectory as a placeholder that matches
nothing, so positions are kept. No JSON, no ``plan`` list, an empty plan or zero valid steps ⇒ total reward 0.

**sim(â, a*)** ∈ [0, 1]. Tool names are compared case-insensitively ignoring ``_``, ``-`` and spaces
(``web_search`` = ``WebSearch``). Different tools ⇒ 0. Same tool ⇒ ``tool_weight + (1 − tool_weight)·args``
with ``args`` the argument agreement (default ``tool_weight`` 0.5). Argument agreement: a reference with no
arguments (a weak reference: tool names only) agrees fully; otherwise it is the sum of per-key value scores over
the keys of the reference divided by ``|keys(ref) ∪ keys(pred)|`` (a hallucinated extra key costs like a missing
one). A value score is 1 for equal normalised values (numbers compare as floats; strings are stripped,
lower-cased, whitespace-collapsed; paths compare by file name), otherwise the token-F1 of the two values'
word tokens (partial credit: ``"red car"`` vs ``"red truck"`` = 0.5).

**Alignment.** Lengths equal ⇒ position-wise: predicted step i pairs with reference step i. Otherwise greedy
matching: every pair (i, j) gets ``sim − 0.1·|i − j|``; pairs are taken best first (ties: smaller i, then smaller j),
each i and j at most once, and only while the penalised score is ≥ 0.5. ``a_t`` is the (penalised) score of the
pair holding predicted step t, 0 when unmatched.

**Repetition.** Two steps are identical when tool and normalised arguments are equal (the instruction and
``expect`` text are ignored). ``rep_t = 1`` when steps t−2, t−1, t are identical (a sliding window of
``rep_window`` = 3, so a run of four identical steps is penalised twice), else 0.

**Accuracy.** ``r_t = λ_align·a_t − λ_rep·rep_t`` (λ_align 1, λ_rep 0.1);
``S = Σ_t γ^(t−1)·r_t`` over predicted steps t = 1..n (γ 0.8);
``raw = S + 0.2·1[last predicted step is "done"] − 0.15·|n − m|`` (m = reference length);
``accuracy = clip(raw / ideal, 0, 1)`` with ``ideal = λ_align·Σ_{t=1..m} γ^(t−1) + 0.2·1[last reference step is
"done"]``, so copying the reference scores exactly 1.

**Total** ``= 0.9·accuracy + 0.1·format``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel, ValidationError

from toolagent.parsing import ForecastParseError, extract_json
from toolagent.records import PlanStep

_TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
_PATH = re.compile(r"^\S*[/\\]\S*\.[a-z][a-z0-9]{1,4}$")  # a file path: has a separator and an extension


class Stage1Weights(BaseModel):
    """Every knob of the Stage-1 reward (defaults: TRACER1.md prototype values)."""

    gamma: float = 0.8
    lambda_align: float = 1.0
    lambda_rep: float = 0.1
    rep_window: int = 3
    tool_weight: float = 0.5
    position_penalty: float = 0.1
    match_threshold: float = 0.5
    done_bonus: float = 0.2
    length_penalty: float = 0.15
    accuracy_weight: float = 0.9
    format_weight: float = 0.1


class Stage1Score(BaseModel):
    total: float
    accuracy: float
    format: float
    valid_steps: int
    steps: int


# ---------------------------------------------------------------- normalisation and argument agreement

def tool_key(name: str) -> str:
    """Comparable tool name: lower case without ``_``, ``-`` or spaces."""
    return re.sub(r"[\s_\-]+", "", str(name)).lower()


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def normalize_value(value: Any) -> str:
    """Canonical text of an argument value (numbers as floats, strings folded, paths by file name)."""
    number = _as_number(value)
    if number is not None:
        return repr(number)
    if isinstance(value, str):
        text = " ".join(value.strip().lower().split())
        if _PATH.match(text):
            text = PurePath(text.replace("\\", "/")).name
        return text
    return json.dumps(value, sort_keys=True, default=str).lower()


def token_f1(a: str, b: str) -> float:
    """Word-token F1 between two texts (multiset overlap)."""
    ta, tb = _TOKEN.findall(a.lower()), _TOKEN.findall(b.lower())
    if not ta or not tb:
        return 0.0
    remaining = list(tb)
    common = 0
    for token in ta:
        if token in remaining:
            remaining.remove(token)
            common += 1
    if common == 0:
        return 0.0
    precision, recall = common / len(ta), common / len(tb)
    return 2 * precision * recall / (precision + recall)


def value_score(pred: Any, ref: Any) -> float:
    """1 for equal normalised values, else token-F1 partial credit."""
    npred, nref = normalize_value(pred), normalize_value(ref)
    if npred == nref:
        return 1.0
    if _as_number(pred) is not None and _as_number(ref) is not None:
        return 0.0
    return token_f1(npred, nref)


def arg_agreement(pred: dict[str, Any], ref: dict[str, Any]) -> float:
    """Σ value scores over the reference's keys / |keys(ref) ∪ keys(pred)|; an empty reference agrees fully."""
    if not ref:
        return 1.0
    keys = set(ref) | set(pred)
    return sum(value_score(pred[k], ref[k]) for k in ref if k in pred) / len(keys)


def step_similarity(pred: PlanStep | None, ref: PlanStep, tool_weight: float = 0.5) -> float:
    """sim(â, a*): 0 for another tool (or an invalid step), else tool credit plus argument partial credit."""
    if pred is None or tool_key(pred.tool) != tool_key(ref.tool):
        return 0.0
    return tool_weight + (1.0 - tool_weight) * arg_agreement(pred.args, ref.args)


def action_signature(step: PlanStep) -> str:
    """Identity of an action for repetition checks: tool plus normalised arguments."""
    args = {k: normalize_value(v) for k, v in sorted(step.args.items())}
    return tool_key(step.tool) + json.dumps(args, sort_keys=True)


# ---------------------------------------------------------------- parsing

def completion_text(completion: Any) -> str:
    """Text of a completion as TRL passes it: a string, or a conversational list of messages."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        content = completion.get("content", "")
        if isinstance(content, list):
            return "".join(part.get("text", "") for part in content if isinstance(part, dict))
        return str(content)
    if isinstance(completion, Sequence):
        return "".join(completion_text(message) for message in completion
                       if not isinstance(message, dict) or message.get("role", "assistant") == "assistant")
    return ""


def lenient_steps(text: str) -> list[PlanStep | None] | None:
    """Validate each plan element on its own; None when there is no plan at all."""
    try:
        value = extract_json(text) if text and text.strip() else None
    except ForecastParseError:
        return None
    if isinstance(value, list):
        value = {"plan": value}
    elif isinstance(value, dict) and "plan" not in value and "tool" in value:
        value = {"plan": [value]}
    if not isinstance(value, dict) or not isinstance(value.get("plan"), list) or not value["plan"]:
        return None
    steps: list[PlanStep | None] = []
    for item in value["plan"]:
        try:
            steps.append(PlanStep.model_validate(item) if isinstance(item, dict) else None)
        except ValidationError:
            steps.append(None)
    return steps


def as_steps(reference: Any) -> list[PlanStep]:
    """A reference trajectory from JSON text, a list of dicts/PlanSteps, or a ``{"plan": [...]}`` object."""
    if isinstance(reference, str):
        reference = json.loads(reference) if reference.strip() else []
    if isinstance(reference, dict):
        reference = reference.get("plan", reference.get("steps", []))
    return [s if isinstance(s, PlanStep) else PlanStep.model_validate(s) for s in reference or []]


# ---------------------------------------------------------------- alignment and score

def align(pred: Sequence[PlanStep | None], ref: Sequence[PlanStep], w: Stage1Weights) -> list[float]:
    """Per predicted position, the alignment score a_t (see the module docstring)."""
    scores = [0.0] * len(pred)
    if len(pred) == len(ref):
        return [step_similarity(p, r, w.tool_weight) for p, r in zip(pred, ref)]
    pairs = []
    for i, p in enumerate(pred):
        for j, r in enumerate(ref):
            score = step_similarity(p, r, w.tool_weight) - w.position_penalty * abs(i - j)
            if score >= w.match_threshold:
                pairs.append((-score, i, j))
    used_i: set[int] = set()
    used_j: set[int] = set()
    for neg, i, j in sorted(pairs):
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            scores[i] = -neg
    return scores


def repetition_flags(pred: Sequence[PlanStep | None], window: int = 3) -> list[int]:
    """rep_t: 1 when the last ``window`` steps up to t are identical valid actions."""
    sigs = [action_signature(s) if s is not None else None for s in pred]
    flags = []
    for t in range(len(sigs)):
        recent = sigs[max(0, t - window + 1): t + 1]
        flags.append(int(len(recent) == window and recent[0] is not None and len(set(recent)) == 1))
    return flags


def trajectory_accuracy(pred: Sequence[PlanStep | None], ref: Sequence[PlanStep],
                        w: Stage1Weights | None = None) -> float:
    """The normalised, clipped discounted alignment accuracy ∈ [0, 1]."""
    w = w or Stage1Weights()
    if not pred or not ref:
        return 0.0
    aligned = align(pred, ref, w)
    reps = repetition_flags(pred, w.rep_window)
    total = sum(w.gamma ** t * (w.lambda_align * a - w.lambda_rep * rep)
                for t, (a, rep) in enumerate(zip(aligned, reps)))
    last = pred[-1]
    if last is not None and last.status == "done":
        total += w.done_bonus
    total -= w.length_penalty * abs(len(pred) - len(ref))
    ideal = w.lambda_align * sum(w.gamma ** t for t in range(len(ref)))
    ideal += w.done_bonus if ref[-1].status == "done" else 0.0
    return min(1.0, max(0.0, total / ideal)) if ideal > 0 else 0.0


def stage1_score(completion: Any, reference: Any, w: Stage1Weights | None = None) -> Stage1Score:
    """Score one completion against a reference trajectory (components included)."""
    w = w or Stage1Weights()
    steps = lenient_steps(completion_text(completion))
    valid = sum(s is not None for s in steps) if steps else 0
    if not steps or valid == 0:
        return Stage1Score(total=0.0, accuracy=0.0, format=0.0, valid_steps=0, steps=len(steps or []))
    accuracy = trajectory_accuracy(steps, as_steps(reference), w)
    fmt = valid / len(steps)
    return Stage1Score(total=w.accuracy_weight * accuracy + w.format_weight * fmt, accuracy=accuracy,
                       format=fmt, valid_steps=valid, steps=len(steps))


def stage1_reward(completion: Any, reference: Any, w: Stage1Weights | None = None) -> float:
    """Total Stage-1 reward ``0.9·accuracy + 0.1·format`` (0 for an empty or unparsable forecast)."""
    return stage1_score(completion, reference, w).total


# ---------------------------------------------------------------- TRL wrappers

RewardFunc = Callable[..., list[float]]


def make_stage1_reward_func(weights: Stage1Weights | None = None, name: str = "stage1") -> RewardFunc:
    """A TRL reward function with the given weights (TRL passes dataset columns as keyword lists)."""
    w = weights or Stage1Weights()

    def reward(completions: list[Any], reference: list[Any], **kwargs: Any) -> list[float]:
        return [stage1_reward(c, r, w) for c, r in zip(completions, reference, strict=True)]

    reward.__name__ = name
    return reward


def stage1_reward_func(completions: list[Any], reference: list[Any], **kwargs: Any) -> list[float]:
    """TRL reward function with the default weights; ``reference`` is the dataset's reference column."""
    return [stage1_reward(c, r) for c, r in zip(completions, reference, strict=True)]


def format_reward_func(completions: list[Any], **kwargs: Any) -> list[float]:
    """The format term alone (valid steps / all steps), for logging or separate weighting."""
    out = []
    for completion in completions:
        steps = lenient_steps(completion_text(completion))
        out.append(sum(s is not None for s in steps) / len(steps) if steps else 0.0)
    return out
