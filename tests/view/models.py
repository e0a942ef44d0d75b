"""A scripted planner for the viewer tests (``--model py:tests.view.models:view_model``).

It runs real image tools on the GAIA fixture (crop then draw a box on the PNG attachment), changes its plan on
one task (so the viewer has a divergence to show), forecasts several steps ahead, and answers the rest like the
eval tests' policy. Expected outcomes with the fixture: 5 correct, 1 wrong (the 1904 Olympics city).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import BaseMessage

from tests.eval.models import answer, gaia_policy, history_count, prompt_text, question_of
from toolagent.models.scripted import ScriptedChatModel


def forecast(steps: list[tuple[str, dict[str, Any]]], thought: str) -> str:
    """A multi-step forecast: every step but a final answer is "not done"."""
    plan = [{"expect": f"{tool} result", "tool": tool, "args": args, "instruction": f"use {tool}",
             "status": "done" if tool == "answer" else "not done"} for tool, args in steps]
    return "<think>scripted</think><answer>" + json.dumps({"thought": thought, "plan": plan}) + "</answer>"


def view_policy(messages: Sequence[BaseMessage]) -> str:
    text = prompt_text(messages)
    question, done = question_of(text), history_count(text)
    if question.startswith("What number is written"):
        crop = ("crop_image", {"image": "image_0", "bbox": "(0, 0, 120, 60)", "zoom": 2})
        box = ("draw_box", {"image": "image_0", "bbox": "(5, 5, 100, 50)", "annotation": "digits"})
        final = ("answer", {"text": "FINAL ANSWER: 1234"})
        if done == 0:
            return forecast([crop, ("ocr", {"image": "image_1"}), final], "crop the digits first")
        if done == 1:  # the plan changes: draw a box instead of the OCR step forecast before
            return forecast([box, final], "mark the digits instead of reading them")
        return answer("FINAL ANSWER: 1234")
    if question.startswith("Which city"):
        if done == 0:
            return forecast([("calculator", {"expression": "1900+4"}),
                             ("answer", {"text": "FINAL ANSWER: Saint Louis"})], "check the year")
        return answer("FINAL ANSWER: Saint Louis")  # wrong: truth is St. Louis
    return gaia_policy(messages)


def view_model() -> ScriptedChatModel:
    return ScriptedChatModel(policy=view_policy)
