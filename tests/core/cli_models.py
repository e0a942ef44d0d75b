"""Scripted planners importable by a `py:` model spec, for CLI tests (``--model py:tests.core.cli_models:NAME``)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.messages import BaseMessage

from tests.core.wire import answer_step, reply, step
from toolagent.models.scripted import ScriptedChatModel


def _calc_policy(messages: Sequence[BaseMessage]) -> str:
    text = str(messages[-1].content)
    out = re.search(r"<tool_output[^>]*>\n(.*?)\n</tool_output>", text, re.DOTALL)
    if not out:
        return reply(step("calculator", {"expression": "17 * 23 + 4"}), answer_step("?"))
    return reply(answer_step(re.search(r"-?\d+", out.group(1)).group(0)))


def calc_model() -> ScriptedChatModel:
    return ScriptedChatModel(policy=_calc_policy)


def never_answers() -> ScriptedChatModel:
    return ScriptedChatModel(policy=lambda m: "I refuse to write JSON.")
