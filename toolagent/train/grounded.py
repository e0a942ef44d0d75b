"""Stage-2 grounded step reward, the feedback hook that attaches it, and the offline GRPO reward.

**Ground truth** (``GroundTruth``): a final ``answer`` and/or gold tool ``steps``. ``as_ground_truth`` accepts a
plain string (an answer), a list of step dicts (gold steps), a dict with ``answer``/``steps`` (also
``reference``/``plan``), or a ``GroundTruth``.

**Grounded step reward** r_G for one executed step (``grounded_step_reward``):

- the observation has an error ⇒ 0;
- an ``answer`` step ⇒ ``scorer(answer_text, truth.answer)`` (default: normalised exact match; any callable
  ``(prediction, truth) -> bool | float`` plugs in, e.g. the GAIA / GTA scorers); no known answer ⇒ None;
- a tool step ⇒ 1 when some gold step not used earlier in the run has the same tool (names compared with
  ``tool_key``) and equal normalised arguments (a weak gold step without arguments matches on the tool alone);
  ``graded=True`` gives the best argument agreement (``rewards.arg_agreement``) among same-tool gold steps
  instead; no gold steps ⇒ None (the step cannot be judged; ``datasets.stage2_rows(fill_from_outcome=True)``
  can fill it from the run's final outcome).
"""

from __future__ import annotations

import json
import re
import string
import threading
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, Field

from toolagent.records import ANSWER_TOOL, Observation, PlanStep, StepRecord, ToolCall
from toolagent.train.rewards import (
    arg_agreement,
    completion_text,
    lenient_steps,
    normalize_value,
    tool_key,
)

AnswerScorer = Callable[[str, Any], "bool | float"]
FeedbackSink = Callable[[StepRecord], None]
_PUNCT = re.compile(f"[{re.escape(string.punctuation.replace('.', '').replace('-', ''))}]")


class GroundTruth(BaseModel):
    answer: str | None = None
    steps: list[PlanStep] = Field(default_factory=list)


def as_ground_truth(value: Any) -> GroundTruth | None:
    """Coerce the accepted ground-truth shapes; None when nothing is known."""
    if value is None:
        return None
    if isinstance(value, GroundTruth):
        return value
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return GroundTruth(answer=str(value))
    if isinstance(value, list):
        return GroundTruth(steps=[PlanStep.model_validate(s) for s in value])
    if isinstance(value, dict):
        steps = value.get("steps", value.get("reference", value.get("plan", [])))
        answer = value.get("answer", value.get("final_answer"))
        return GroundTruth(answer=None if answer is None else str(answer),
                           steps=[PlanStep.model_validate(s) for s in steps or []])
    raise TypeError(f"unsupported ground truth: {type(value).__name__}")


def normalize_answer(text: Any) -> str:
    """Lower case, collapsed whitespace, punctuation dropped (``.`` and ``-`` kept inside numbers)."""
    folded = " ".join(str(text).strip().lower().split())
    folded = folded.rstrip(".").replace("$", "")
    folded = re.sub(r"(?<=\d),(?=\d{3})", "", folded)
    return " ".join(_PUNCT.sub(" ", folded).split())


def exact_match(prediction: Any, truth: Any) -> bool:
    """Normalised exact match; numbers compare as floats (``"1,000.0"`` = ``"1000"``)."""
    pred, gold = normalize_answer(prediction), normalize_answer(truth)
    try:
        return float(pred) == float(gold)
    except ValueError:
        return pred == gold


def args_equal(pred: dict[str, Any], gold: dict[str, Any]) -> bool:
    """Same keys and equal normalised values; a gold step without arguments matches any arguments."""
    if not gold:
        return True
    return set(pred) == set(gold) and all(normalize_value(pred[k]) == normalize_value(gold[k]) for k in gold)


def same_action(a: ToolCall | PlanStep, b: ToolCall | PlanStep) -> bool:
    """Same tool and the same normalised arguments (both ways: no key more, no key less)."""
    return tool_key(a.tool) == tool_key(b.tool) and set(a.args) == set(b.args) and args_equal(a.args, b.args)


def _gold_match(call: ToolCall | PlanStep, gold: Sequence[PlanStep], used: set[int],
                graded: bool) -> tuple[float, int | None]:
    best, index = 0.0, None
    for i, step in enumerate(gold):
        if i in used or step.is_answer or tool_key(step.tool) != tool_key(call.tool):
            continue
        score = arg_agreement(call.args, step.args) if graded else float(args_equal(call.args, step.args))
        if score > best:
            best, index = score, i
        if best == 1.0:
            break
    return best, index


def _score(scorer: AnswerScorer, prediction: str, truth: Any) -> float:
    return float(scorer(prediction, truth))


def grounded_step_reward(executed: ToolCall, observation: Observation, ground_truth: Any, *,
                         scorer: AnswerScorer = exact_match, graded: bool = False,
                         used: set[int] | None = None) -> float | None:
    """r_G for one executed step (see the module docstring). ``used`` collects matched gold indexes."""
    truth = as_ground_truth(ground_truth)
    if truth is None:
        return None
    if observation.error is not None:
        return 0.0
    if tool_key(executed.tool) == ANSWER_TOOL:
        if truth.answer is None:
            return None
        return _score(scorer, str(executed.args.get("text", "")), truth.answer)
    gold = [s for s in truth.steps if not s.is_answer]
    if not gold:
        return None
    used = used if used is not None else set()
    score, index = _gold_match(executed, gold, used, graded)
    if index is not None and score == 1.0:
        used.add(index)
    return score


class GroundedRewardHook:
    """Feedback hook: set ``record.ground_truth`` and ``record.reward``, then pass the record on.

    ``ground_truth`` given here applies to every record that carries none. Gold steps matched earlier in the
    same run (by ``run_id``) are not matched again, so repeating a correct call earns nothing.
    """

    def __init__(self, sink: FeedbackSink | Sequence[FeedbackSink] | None = None, reward_fn: Callable[..., float | None]
                 = grounded_step_reward, *, ground_truth: Any = None, scorer: AnswerScorer = exact_match,
                 graded: bool = False) -> None:
        self.sinks: list[FeedbackSink] = ([] if sink is None else list(sink) if isinstance(sink, Sequence)
                                          else [sink])
        self.reward_fn = reward_fn
        self.ground_truth = ground_truth
        self.scorer = scorer
        self.graded = graded
        self._used: dict[str, set[int]] = {}
        self._lock = threading.Lock()

    def __call__(self, record: StepRecord) -> None:
        truth = record.ground_truth if record.ground_truth is not None else self.ground_truth
        if truth is not None:
            parsed = as_ground_truth(truth)
            record.ground_truth = parsed.model_dump(mode="json") if isinstance(truth, GroundTruth) else truth
            with self._lock:
                used = self._used.setdefault(record.run_id, set())
                record.reward = self.reward_fn(record.executed, record.observation, parsed,
                                               scorer=self.scorer, graded=self.graded, used=used)
        for sink in self.sinks:
            sink(record)


# ---------------------------------------------------------------- offline Stage-2 GRPO reward

def offline_first_step_reward(completion: Any, executed: Any, reward: float | None, ground_truth: Any = None, *,
                              scorer: AnswerScorer = exact_match, unknown_reward: float = 0.0) -> float:
    """Reward a sampled forecast's FIRST step against a logged grounded outcome (offline, nothing executed).

    In order: no parsable first step ⇒ 0; an answer step with a known answer ⇒ ``scorer`` (an answer needs no
    execution to be judged); a first step equal to the logged executed step (tool + normalised args) ⇒ the
    logged reward; a first step equal to a gold step ⇒ 1; anything else ⇒ ``unknown_reward`` (default 0: an
    action whose outcome was never observed earns nothing, so a group built on a failed step gives no gradient
    unless gold steps or the answer say more).
    """
    steps = lenient_steps(completion_text(completion))
    first = steps[0] if steps else None
    if first is None:
        return 0.0
    truth = as_ground_truth(json.loads(ground_truth) if isinstance(ground_truth, str) and ground_truth.strip()
                            .startswith(("{", "[")) else ground_truth)
    if first.is_answer and truth is not None and truth.answer is not None:
        return _score(scorer, str(first.args.get("text", "")), truth.answer)
    call = ToolCall.model_validate(json.loads(executed) if isinstance(executed, str) else executed)
    if reward is not None and same_action(first, call):
        return float(reward)
    if truth is not None and _gold_match(first, truth.steps, set(), graded=False)[1] is not None:
        return 1.0
    return unknown_reward


def make_stage2_reward_func(scorer: AnswerScorer = exact_match, unknown_reward: float = 0.0,
                            name: str = "stage2_grounded") -> Callable[..., list[float]]:
    """TRL reward function over the Stage-2 dataset columns ``executed``, ``reward``, ``ground_truth``."""

    def reward_func(completions: list[Any], executed: list[Any], reward: list[float | None],
                    ground_truth: list[Any] | None = None, **kwargs: Any) -> list[float]:
        truths = ground_truth if ground_truth is not None else [None] * len(completions)
        return [offline_first_step_reward(c, e, r, g, scorer=scorer, unknown_reward=unknown_reward)
                for c, e, r, g in zip(completions, executed, reward, truths, strict=True)]

    reward_func.__name__ = name
    return reward_func


stage2_reward_func = make_stage2_reward_func()
