"""The graph's ``messages`` channel: the chat view of a run for LangChain front-ends.

A run adds the user turn (when the input was a question rather than chat messages) when it starts and, when it
ends, an AIMessage tool call and a ToolMessage per executed step and the final answer (or one line saying why
there is none) as an AIMessage (bench/checkpoints.py: per-step messages written live cost +36% checkpoint bytes
at 20 steps, written at the end +4%). The
channel persists on a thread: a later question continues the conversation and the earlier turns become planner
history. LangGraph stores the channel whole at every checkpoint, so a ToolMessage carries the observation's text
capped at ``MESSAGE_CHARS`` (the full observation stays in ``steps``) and image blocks of a chat turn are replaced
by their file names once decoded (no base64 payload lingers in the checkpoints).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

#: characters of an observation a ToolMessage keeps (the full text is in the step record)
MESSAGE_CHARS = 400
#: earlier turns (a question and its answer each) handed to the planner, and the characters kept of each line
EARLIER_TURNS, EARLIER_CHARS = 4, 300


def no_answer_line(status: str, error: str | None) -> str:
    """What a run without an answer says in its place (chat front-ends, outer agents, chains)."""
    return f"no answer ({status}){': ' + error if error else ''}"


def _capped(text: str, limit: int) -> str:
    text = " ".join(text.split()) if len(text) > limit else text
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return f"{cut} … ({len(text)} characters; the full output is in the run's steps)"


def step_messages(run_id: str, step: dict[str, Any]) -> list[BaseMessage]:
    """An executed step as an AIMessage tool call and the ToolMessage answering it."""
    call, obs = step["executed"], step["observation"]
    call_id = f"call_{run_id}_{step['step']}"
    error = obs.get("error")
    text = f"error: {error}" if error else str(obs.get("text") or "")
    if obs.get("images"):
        text += " [new image(s): " + ", ".join(Path(p).name for p in obs["images"]) + "]"
    return [AIMessage(content=call.get("instruction") or "", id=f"{call_id}-ai",
                      tool_calls=[{"name": call["tool"], "args": call["args"], "id": call_id, "type": "tool_call"}]),
            ToolMessage(content=_capped(text, MESSAGE_CHARS), tool_call_id=call_id, name=call["tool"],
                        status="error" if error else "success", id=f"{call_id}-result")]


def final_message(run_id: str, answer: str | None, status: str, error: str | None) -> AIMessage:
    return AIMessage(content=answer if answer is not None else no_answer_line(status, error), id=f"answer_{run_id}")


def turn_messages(run_id: str, steps: Sequence[dict[str, Any]], update: dict[str, Any]) -> list[BaseMessage]:
    """What a finished run adds: a tool call and its result per executed step, then the answer (or why there is
    none). Written once, when the run ends (see the module docstring)."""
    calls = [message for step in steps for message in step_messages(run_id, step)]
    return [*calls, final_message(run_id, update.get("answer"), update["status"], update.get("error"))]


def is_new_turn(messages: Sequence[BaseMessage]) -> bool:
    """Whether the channel ends with a user turn this run must answer (every run ends with an AIMessage)."""
    return bool(messages) and isinstance(messages[-1], HumanMessage)


def _text(message: BaseMessage) -> str:
    return " ".join(str(message.text).split())


def earlier_turns(messages: Sequence[BaseMessage]) -> list[str]:
    """The conversation before the current user turn, one line per question and per final answer."""
    lines: list[str] = []
    for message in messages[:-1] if is_new_turn(messages) else messages:
        if isinstance(message, HumanMessage):
            lines.append(f"user: {_capped(_text(message), EARLIER_CHARS)}")
        elif isinstance(message, AIMessage) and not message.tool_calls and _text(message):
            lines.append(f"agent: {_capped(_text(message), EARLIER_CHARS)}")
    return lines[-2 * EARLIER_TURNS:]


def without_image_data(message: BaseMessage, images: Sequence[str]) -> BaseMessage | None:
    """The user turn with its image blocks replaced by the decoded files' names (None when it had none)."""
    if isinstance(message.content, str) or not images:
        return None
    names = iter(Path(p).name for p in images)
    blocks: list[Any] = []
    for block in message.content:
        if isinstance(block, dict) and block.get("type") in ("image", "image_url"):
            blocks.append({"type": "text", "text": f"[image: {next(names, 'image')}]"})
        else:
            blocks.append(block)
    return HumanMessage(content=blocks, id=message.id, name=message.name)
