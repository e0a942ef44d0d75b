"""Scripted planners for the embedding tests: they read the real planner prompt and reply in the wire format."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk

from tests.core.wire import answer_step, reply, step
from toolagent.models.scripted import ScriptedChatModel


def user_text(messages: Sequence[BaseMessage]) -> str:
    content = messages[1].content
    return content if isinstance(content, str) else " ".join(b.get("text", "") for b in content if isinstance(b, dict))


def question_of(messages: Sequence[BaseMessage]) -> str:
    return re.search(r"Question: (.*)", user_text(messages)).group(1).strip()


def latest_output(messages: Sequence[BaseMessage]) -> str:
    match = re.search(r"<tool_output[^>]*>\n(.*?)\n</tool_output>", user_text(messages), re.DOTALL)
    return match.group(1) if match else ""


def arithmetic_policy(messages: Sequence[BaseMessage]) -> str:
    """"What is <expression>?" → calculator(expression), then answer with the number the calculator printed."""
    out = latest_output(messages)
    if not out:
        expression = re.search(r"What is (.+?)\?", question_of(messages)).group(1)
        return reply(step("calculator", {"expression": expression}, expect="the value"), answer_step("?"),
                     thought=f"compute {expression}")
    return reply(answer_step(re.search(r"-?\d+(?:\.\d+)?", out).group(0)), thought="read the result")


def arithmetic_model(**kwargs: Any) -> ScriptedChatModel:
    return ScriptedChatModel(policy=arithmetic_policy, **kwargs)


class StreamingScriptedChatModel(ScriptedChatModel):
    """A scripted model that streams its reply in small chunks (as a served LLM streams tokens)."""

    chunk_chars: int = 12

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        text = self._next(messages)
        for start in range(0, len(text), self.chunk_chars):
            piece = text[start:start + self.chunk_chars]
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager is not None:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk
