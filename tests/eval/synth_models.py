"""Scripted planners for the synthetic-suite eval (``--model py:tests.eval.synth_models:NAME``).

They find their task in the suite named by ``$SYNTH_SUITE`` (question + first image name, as the planner prompt
shows them) and count the executed steps from the prompt's history lines, so they are stateless.
``perfect_model`` replays the reference trajectory step by step (forecasting the rest of it);
``wrong_model`` first calls a tool the reference does not start with, then answers "-1" (every suite answer is a
non-negative number or a code).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from functools import cache

from langchain_core.messages import BaseMessage

from tests.eval.models import prompt_text, question_of
from toolagent.models.scripted import ScriptedChatModel
from toolagent.train.synth import SynthTask, load_suite


@cache
def _tasks(root: str) -> dict[tuple[str, str], SynthTask]:
    return {(t.question, os.path.basename(t.images[0]) if t.images else ""): t for t in load_suite(root)}


def task_of(text: str) -> SynthTask:
    image = re.search(r"\[image_0\] (\S+)", text)
    return _tasks(os.environ["SYNTH_SUITE"])[(question_of(text), image.group(1) if image else "")]


def executed_steps(text: str) -> int:
    return sum(1 for line in text.splitlines() if re.match(r"^\d+\. [\w.-]+\(", line))


def forecast(steps: list[dict[str, object]]) -> str:
    return json.dumps({"thought": "scripted", "plan": steps})


def perfect_policy(messages: Sequence[BaseMessage]) -> str:
    text = prompt_text(messages)
    task = task_of(text)
    return forecast([s.model_dump(mode="json") for s in task.reference[executed_steps(text):]][:5])


def wrong_policy(messages: Sequence[BaseMessage]) -> str:
    text = prompt_text(messages)
    task = task_of(text)
    answer = {"expect": "", "tool": "answer", "args": {"text": "-1"}, "instruction": "", "status": "done"}
    if executed_steps(text):
        return forecast([answer])
    wrong = ("calculator", {"expression": "0"}) if task.reference[0].tool == "web_search" else \
        ("web_search", {"query": "nothing at all"})
    return forecast([{"expect": "", "tool": wrong[0], "args": wrong[1], "instruction": "", "status": "not done"},
                     answer])


def perfect_model() -> ScriptedChatModel:
    return ScriptedChatModel(policy=perfect_policy)


def wrong_model() -> ScriptedChatModel:
    return ScriptedChatModel(policy=wrong_policy)
