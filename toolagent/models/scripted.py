"""A deterministic chat model for tests, demos and benchmarks: it replays scripted replies.

``ScriptedChatModel(responses=[...])`` returns the replies in order (and keeps returning the last one);
``ScriptedChatModel(policy=fn)`` calls ``fn(messages) -> str`` so the reply can depend on the prompt
(stateless, safe under concurrent runs). ``latency_s`` adds a fixed sleep per call (throughput benchmarks).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field, PrivateAttr

Policy = Callable[[Sequence[BaseMessage]], str]


class ScriptedChatModel(BaseChatModel):
    """A chat model that answers from a script instead of a network or weights: the planner for tests, demos and
    benchmarks, usable wherever a LangChain chat model is (``create_tracer1_agent(ScriptedChatModel(...))``,
    ``--model py:my_module:model``).

    Replies must be in the forecast wire format (see the README), e.g.
    ``'{"thought": "add", "plan": [{"tool": "calculator", "args": {"expression": "2+3"}}]}'`` and, once the
    observation is in the prompt, ``'{"plan": [{"tool": "answer", "args": {"text": "5"}}]}'``.

    Args:
        responses: replies returned in order, one per model call; the last one repeats once they run out.
        policy: ``policy(messages) -> str`` computes each reply from the prompt instead (stateless, so safe under
            concurrent runs); it wins over ``responses``.
        latency_s: a fixed delay per call (``time.sleep`` under ``invoke``, ``asyncio.sleep`` under ``ainvoke``).

    ``calls`` counts the replies served from ``responses``. It streams nothing token by token (one chunk per
    reply) and reports no token usage.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    responses: list[str] = Field(default_factory=list)
    policy: Policy | None = None
    latency_s: float = 0.0
    _index: int = PrivateAttr(default=0)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    @property
    def calls(self) -> int:
        """How many replies were served from ``responses``."""
        return self._index

    def _next(self, messages: Sequence[BaseMessage]) -> str:
        if self.policy is not None:
            return self.policy(messages)
        if not self.responses:
            raise ValueError("ScriptedChatModel needs responses or a policy")
        with self._lock:
            reply = self.responses[min(self._index, len(self.responses) - 1)]
            self._index += 1
        return reply

    def _result(self, text: str) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        if self.latency_s:
            time.sleep(self.latency_s)
        return self._result(self._next(messages))

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                         run_manager: AsyncCallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        return self._result(self._next(messages))
