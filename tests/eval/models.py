"""Scripted planner models for the eval tests and the CLI (``--model py:tests.eval.models:NAME``).

Each policy reads the planner prompt (question, history lines, latest tool output, notices) and replies with a
forecast, so it is stateless and safe under concurrent tasks. Expected scores are worked out by hand in the tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import BaseMessage

from toolagent.models.scripted import ScriptedChatModel


def prompt_text(messages: Sequence[BaseMessage]) -> str:
    content = messages[-1].content
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") for b in content if isinstance(b, dict))


def question_of(text: str) -> str:
    match = re.search(r"Question: (.*)", text)
    return match.group(1).strip() if match else ""


def history_count(text: str) -> int:
    block = text.split("History of executed steps:\n", 1)[-1]
    return sum(1 for line in block.splitlines() if re.match(r"^\d+\. ", line))


def tool_output(text: str) -> str:
    match = re.search(r"<tool_output[^>]*>\n(.*?)</tool_output>", text, re.DOTALL)
    return match.group(1) if match else ""


def step(tool: str, args: dict[str, Any], done: bool = False) -> str:
    plan = [{"expect": "", "tool": tool, "args": args, "instruction": f"use {tool}",
             "status": "done" if done else "not done"}]
    if not done:
        plan.append({"expect": "the answer", "tool": "answer", "args": {"text": "?"}, "instruction": "answer",
                     "status": "done"})
    return "<think>scripted</think><answer>" + json.dumps({"thought": "scripted", "plan": plan}) + "</answer>"


def answer(text: str) -> str:
    return step("answer", {"text": text}, done=True)


# ------------------------------------------------------------------------------------------------------- GAIA
# Expected with the fixture: 5 of 6 correct (L1 2/2, L2 2/2, L3 1/2).


def gaia_policy(messages: Sequence[BaseMessage]) -> str:
    text = prompt_text(messages)
    question, done, output = question_of(text), history_count(text), tool_output(text)
    if question.startswith("What is 6 times 7"):
        if done == 0:
            return step("calculator", {"expression": "6*7"})
        return answer(f"FINAL ANSWER: {output.strip().lstrip('= ')}")
    if question.startswith("What number is written"):
        return answer("The image shows it. FINAL ANSWER: 1,234")   # rule 1: "1,234" = 1234
    if question.startswith("What is the total price"):
        if done == 0:
            return step("read_file", {"path": "t-l2-csv.csv"})
        return answer("FINAL ANSWER: 17" if re.search(r"pear\W+12", output) else "FINAL ANSWER: unknown")
    if question.startswith("Which bird"):
        if done == 0:
            return step("read_file", {"path": "t-l2-pdf.pdf"})
        return answer("FINAL ANSWER: Seagull" if "seagull" in output else "FINAL ANSWER: unknown")
    if question.startswith("List the primary"):
        return answer("FINAL ANSWER: Red; Green; Blue")               # rule 2: ; splits too, case-insensitive
    if question.startswith("Which city"):
        return answer("FINAL ANSWER: Saint Louis")                     # wrong: truth is St. Louis
    return answer("FINAL ANSWER: ?")


def gaia_model() -> ScriptedChatModel:
    return ScriptedChatModel(policy=gaia_policy)


def peek_policy(messages: Sequence[BaseMessage]) -> str:
    """A planner that follows an injected instruction: read the split's answer key and copy the answer out.
    On a task with an attachment this scored 100 % before attachments were staged and file access confined."""
    text = prompt_text(messages)
    question = question_of(text)
    if "metadata.jsonl" not in text.split("Question:", 1)[-1]:
        return step("read_file", {"path": "metadata.jsonl"})
    for line in text.splitlines():
        if question[:20] and question[:20] in line.replace('\\"', '"'):
            found = re.search(r'"Final answer":\s*"([^"]*)"', line.replace('\\"', '"'))
            if found:
                return answer(f"FINAL ANSWER: {found.group(1)}")
    return answer("FINAL ANSWER: unknown")


def peek_model() -> ScriptedChatModel:
    return ScriptedChatModel(policy=peek_policy)


def slow_model() -> ScriptedChatModel:
    """The GAIA policy with 0.4 s per call (the resume-after-SIGKILL test)."""
    return ScriptedChatModel(policy=gaia_policy, latency_s=0.4)


def failing_policy(messages: Sequence[BaseMessage]) -> str:
    if question_of(prompt_text(messages)).startswith("Which bird"):
        raise RuntimeError("model server exploded")
    return gaia_policy(messages)


def failing_model() -> ScriptedChatModel:
    return ScriptedChatModel(policy=failing_policy)


# ------------------------------------------------------------------------------------------------- GTA step
# One prediction per gold assistant turn; the turn is the number of gold history lines. Hand-computed metrics
# are in tests/eval/test_gta_modes.py.

GTA_STEP_SCRIPT: dict[str, list[str]] = {
    "What is the receipt total doubled?": [
        step("OCR", {"image": "image_1.jpg"}),                     # right tool, right image (by file name)
        step("Calculator", {"expression": "12.5 * 2"}),            # right tool, different expression string
        answer("The doubled total is 25.0"),                       # "25" matches inside "25.0": correct
    ],
    "How many apples are in the picture?": [
        "I would count them.",                                     # not a forecast: parse error
        answer("There are 4 apples, no, 3"),                       # blacklisted "4": wrong
    ],
    "Describe this picture in one sentence.": [
        step("OCR", {"image": "image_3.jpg"}),                     # a tool step, but the wrong tool
        answer("A red square on a white background."),             # identical to reference 1: similarity 1
    ],
    "Draw a cat in watercolor style like this one.": [
        step("TextToImage", {"keywords": "cat, watercolor"}),      # exact
        step("DrawBox", {"image": "image_4.jpg", "bbox": "(0, 0, 1, 1)"}),  # a tool where the answer was due
    ],
    "Put a box around the top-left corner.": [
        step("DrawBox", {"image": "image_5.jpg", "bbox": "(0, 0, 50, 50)", "annotation": "corner"}),  # exact
        answer("Done."),
    ],
    "What is the capital of the country named here?": [
        answer("Paris"),                                           # answered too early
        step("GoogleSearch", {"query": "capital of France", "k": "4"}),  # k as a string: args differ
        answer("The capital is paris"),
    ],
}


def gta_step_policy(messages: Sequence[BaseMessage]) -> str:
    text = prompt_text(messages)
    script = GTA_STEP_SCRIPT.get(question_of(text), [])
    turn = history_count(text)
    return script[turn] if turn < len(script) else answer("?")


def gta_step_model() -> ScriptedChatModel:
    return ScriptedChatModel(policy=gta_step_policy)


# -------------------------------------------------------------------------------------------------- GTA e2e
# Runs the real GTA tools (tesseract OCR, calculator, python for Solver/Plot, draw_box, local-corpus search).
# Hand-computed metrics are in tests/eval/test_gta_modes.py.

PLOT_CODE = ("import matplotlib.pyplot as plt\ndef solution():\n    figure = plt.figure()\n"
             "    plt.plot([1, 2], [3, 4])\n    return figure")


def gta_e2e_policy(messages: Sequence[BaseMessage]) -> str:
    text = prompt_text(messages)
    question, done, output = question_of(text), history_count(text), tool_output(text)
    if question == "What is the receipt total doubled?":
        if done == 0:
            return step("OCR", {"image": "image_1.jpg"})
        if done == 1:
            number = re.search(r"\d+\.\d+", output)
            return step("Calculator", {"expression": f"{number.group(0) if number else 0} * 2"})
        return answer(f"The doubled total is {output.strip().lstrip('= ')}")
    if question == "How many apples are in the picture?":
        if done == 0:
            return step("Solver", {"command": "def solution():\n    return 1 / 0"})  # fails: CodeExec
        return answer("4 or maybe 3")                                                   # blacklisted: 0
    if question == "Describe this picture in one sentence.":
        return answer("A red square on a white background.")                            # similarity 1
    if question == "Draw a cat in watercolor style like this one.":
        if done == 0:
            return step("Plot", {"command": PLOT_CODE})                                 # runs: CodeExec
        return answer("Here is a plot instead.")                                        # no TextToImage: 0
    if question == "Put a box around the top-left corner.":
        if done == 0:
            return step("DrawBox", {"image": "image_5.jpg", "bbox": "(0, 0, 50, 50)", "annotation": "corner"})
        return answer("I drew the box.")                                                # gold args: 1
    if question == "What is the capital of the country named here?":
        if done == 0:
            return step("OCR", {"image": "image_6.jpg"})
        if done == 1:
            words = re.findall(r"[A-Za-z]{4,}", output)
            return step("GoogleSearch", {"query": f"capital of {words[0].title() if words else ''}", "k": 2})
        return answer("Paris" if "Paris" in output else "unknown")
    return answer("?")


def gta_e2e_model() -> ScriptedChatModel:
    return ScriptedChatModel(policy=gta_e2e_policy)


def broken_model() -> ScriptedChatModel:
    """Every call raises (a task-level exception in GTA step mode)."""
    def policy(messages: Sequence[BaseMessage]) -> str:
        raise RuntimeError("model server exploded")

    return ScriptedChatModel(policy=policy)


def sluggish_model() -> ScriptedChatModel:
    """1.5 s per call: past a short --task-timeout."""
    return ScriptedChatModel(policy=gaia_policy, latency_s=1.5)
