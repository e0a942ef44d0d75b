"""Helpers that write planner replies in the forecast wire format (what a trained planner emits)."""

from __future__ import annotations

import json
from typing import Any


def step(tool: str, args: dict[str, Any] | None = None, *, done: bool = False, expect: str = "",
         instruction: str = "") -> dict[str, Any]:
    return {"expect": expect, "tool": tool, "args": args or {}, "instruction": instruction,
            "status": "done" if done else "not done"}


def answer_step(text: str) -> dict[str, Any]:
    return step("answer", {"text": text}, done=True, expect="the answer")


def reply(*steps: dict[str, Any], thought: str = "plan", style: str = "answer") -> str:
    body = json.dumps({"thought": thought, "plan": list(steps)})
    if style == "answer":
        return f"<think>{thought}</think>\n<answer>{body}</answer>"
    if style == "fenced":
        return f"Here is my plan:\n```json\n{body}\n```"
    return body
