"""Scripted planners for the demos: deterministic stand-ins for a trained planner, so every demo runs offline in
seconds. They read the real planner prompt (question, history, latest tool output) and reply in the forecast wire
format, exactly as a trained model would. Usable from the CLI too: ``--model py:scripted_planners:receipt_planner``
with this folder on PYTHONPATH.

Swap in a real model anywhere with ``--model`` (embedded, hf:PATH, openai:MODEL, ollama:MODEL).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from toolagent.models.scripted import ScriptedChatModel

PRICE = re.compile(r"\b(\d+\.\d\d)\b")


def _step(tool: str, args: dict[str, Any], expect: str, status: str = "not done") -> dict[str, Any]:
    return {"expect": expect, "tool": tool, "args": args, "instruction": "", "status": status}


def _answer(text: str) -> dict[str, Any]:
    return _step("answer", {"text": text}, "the final answer", "done")


def _reply(thought: str, *plan: dict[str, Any]) -> str:
    return f"<think>{thought}</think>\n<answer>{json.dumps({'thought': thought, 'plan': list(plan)})}</answer>"


def _user_text(messages: Sequence[BaseMessage]) -> str:
    content = messages[1].content
    return content if isinstance(content, str) else " ".join(b.get("text", "") for b in content if isinstance(b, dict))


def _tool_output(text: str) -> str:
    match = re.search(r"<tool_output[^>]*>\n(.*?)\n</tool_output>", text, re.DOTALL)
    return match.group(1) if match else ""


def receipt_policy(messages: Sequence[BaseMessage]) -> str:
    """Total of a receipt: OCR the image, add the prices with the calculator, answer with the sum."""
    text = _user_text(messages)
    history = text.split("History of executed steps:")[1]
    output = _tool_output(text)
    image = re.search(r"\[image_0\] (\S+)", text)
    if "ocr(" not in history:
        return _reply("Read the receipt, then add up the item prices.",
                      _step("ocr", {"image": image.group(1) if image else "image_0"}, "the receipt lines"),
                      _step("calculator", {"expression": "<sum of the prices>"}, "the total"),
                      _answer("<total>"))
    if "calculator(" not in history:
        prices = PRICE.findall(output)
        expression = " + ".join(prices) if prices else "0"
        return _reply(f"The receipt lists {len(prices)} prices; add them.",
                      _step("calculator", {"expression": expression}, "the total"), _answer("<total>"))
    total = re.search(r"-?\d+(?:\.\d+)?", output.split("=")[-1])
    return _reply("The calculator gave the total.", _answer(total.group(0) if total else "unknown"))


def arithmetic_policy(messages: Sequence[BaseMessage]) -> str:
    """"What is <expression>?": one calculator step, then the number it printed."""
    text = _user_text(messages)
    output = _tool_output(text)
    if not output:
        match = re.search(r"What is (.+?)\?", text)
        expression = match.group(1) if match else "0"
        return _reply(f"Compute {expression}.", _step("calculator", {"expression": expression}, "the value"),
                      _answer("<value>"))
    return _reply("Report the value.", _answer(re.search(r"-?\d+(?:\.\d+)?", output).group(0)))


def receipt_planner(latency_s: float = 0.0) -> ScriptedChatModel:
    return ScriptedChatModel(policy=receipt_policy, latency_s=latency_s)


def arithmetic_planner(latency_s: float = 0.0) -> ScriptedChatModel:
    return ScriptedChatModel(policy=arithmetic_policy, latency_s=latency_s)


class ToolCallingRouter(BaseChatModel):
    """A stand-in for the OUTER app's tool-calling chat model: it hands the user's question to one tool and then
    relays the tool's answer. (The outer model is any tool-calling LLM in a real app.)"""

    tool_name: str

    @property
    def _llm_type(self) -> str:
        return "tool-calling-router"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ToolCallingRouter:
        return self

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        last = messages[-1]
        if isinstance(last, ToolMessage):
            message = AIMessage(content=f"According to the planning agent: {last.content}")
        else:
            question = last.content if isinstance(last.content, str) else str(last.content)
            message = AIMessage(content="", tool_calls=[{"name": self.tool_name, "args": {"question": question},
                                                          "id": "call_0", "type": "tool_call"}])
        return ChatResult(generations=[ChatGeneration(message=message)])


def lazy_policy(messages: Sequence[BaseMessage]) -> str:
    """A planner that never uses a tool: it answers at once (the weak baseline in the evaluation demo)."""
    return _reply("I will guess without looking.", _answer("I do not know"))


def lazy_planner() -> ScriptedChatModel:
    return ScriptedChatModel(policy=lazy_policy)
