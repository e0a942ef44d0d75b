"""A scripted planner for the MCP tests (``--model py:tests.mcp.planner:model``): it calls the MCP server's
``add`` tool on the two numbers in the question, then answers with what the tool returned."""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.messages import BaseMessage

from tests.core.wire import answer_step, reply, step
from tests.embed.helpers import latest_output, question_of
from toolagent.models.scripted import ScriptedChatModel


def add_policy(messages: Sequence[BaseMessage]) -> str:
    out = latest_output(messages).strip()
    if not out:
        a, b = (int(n) for n in re.findall(r"\d+", question_of(messages))[:2])
        return reply(step("add", {"a": a, "b": b}, expect="the sum"), answer_step("?"), thought="add them")
    return reply(answer_step(out), thought="the server added them")


model = ScriptedChatModel(policy=add_policy)


def hang_policy(messages: Sequence[BaseMessage]) -> str:
    """Calls the server's ``hang`` tool (it never answers), then answers whatever came back."""
    out = latest_output(messages).strip()
    if not out:
        return reply(step("hang", {}), answer_step("?"))
    return reply(answer_step(out[:80] or "nothing"))


hang_model = ScriptedChatModel(policy=hang_policy)


def pid_policy(messages: Sequence[BaseMessage]) -> str:
    """Asks the MCP server for its process id, then answers with it (which server process served the task)."""
    out = latest_output(messages).strip()
    if not out:
        return reply(step("server_pid", {}), answer_step("?"))
    return reply(answer_step(out))


pid_model = ScriptedChatModel(policy=pid_policy)
