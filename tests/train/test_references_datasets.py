"""Reference trajectories (GTA gold dialog, GAIA annotator metadata) and Stage-1 examples whose prompts are
EXACTLY what the planner sees in a real agent run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from toolagent.train.references import (
    gaia_reference,
    gaia_tools,
    gta_reference,
    gta_references,
)

GTA_ENTRY = {
    "tools": [{"name": "OCR"}, {"name": "Calculator"}],
    "files": [{"type": "image", "path": "image/image_1.jpg", "url": None}],
    "dialogs": [
        {"role": "user", "content": "What is the total price of the two drinks?"},
        {"role": "assistant", "thought": "Read the menu first.",
         "tool_calls": [{"type": "function", "function": {"name": "OCR", "arguments": {"image": "image/image_1.jpg"}}}]},
        {"role": "tool", "name": "OCR", "content": {"type": "text", "content": "(1, 2, 3, 4) Tea 2.5\n(1, 9, 3, 12) Coffee 3"}},
        {"role": "assistant", "thought": "Add them.",
         "tool_calls": [{"type": "function", "function": {"name": "Calculator", "arguments": "{\"expression\": \"2.5+3\"}"}}]},
        {"role": "tool", "name": "Calculator", "content": {"type": "text", "content": "5.5"}},
        {"role": "assistant", "content": "5.5"},
    ],
    "gt_answer": {"whitelist": [["5.5"]], "blacklist": None},
}


def test_gta_gold_dialog_reference(tmp_path: Path) -> None:
    ref = gta_reference("0", GTA_ENTRY, root=tmp_path)
    assert [(s.tool, s.args) for s in ref.steps] == [
        ("OCR", {"image": "image/image_1.jpg"}), ("Calculator", {"expression": "2.5+3"}), ("answer", {"text": "5.5"})]
    assert ref.steps[-1].status == "done" and ref.answer == "5.5" and ref.steps[0].instruction == "Read the menu first."
    assert ref.observations[1] is not None and ref.observations[1].text == "5.5" and ref.observations[2] is None
    assert ref.images == [str(tmp_path / "image/image_1.jpg")]
    mapped = gta_reference("0", GTA_ENTRY, map_tools=True)
    assert [s.tool for s in mapped.steps] == ["ocr", "calculator", "answer"]
    (tmp_path / "dataset.json").write_text(json.dumps({"0": GTA_ENTRY, "1": GTA_ENTRY}))
    assert [r.task_id for r in gta_references(tmp_path / "dataset.json")] == ["0", "1"]


def test_gaia_weak_reference() -> None:
    assert gaia_tools("1. Web browser\n2. Search engine\n3. Calculator\n4. A video player\n5. None") == [
        "visit_page", "web_search", "calculator"]
    row = {"task_id": "abc", "Question": "How many?", "Level": 1, "Final answer": "17", "file_name": "abc.xlsx",
           "Annotator Metadata": {"Steps": "...", "Tools": "1. Microsoft Excel\n2. Python", "Number of tools": "2"}}
    ref = gaia_reference(row, files_dir="/data/gaia")
    assert ref.weak and [s.tool for s in ref.steps] == ["read_file", "python", "answer"]
    assert ref.steps[0].args == {} and ref.answer == "17" and ref.files == ["/data/gaia/abc.xlsx"]
    assert gaia_reference({**row, "Final answer": "?"}).answer is None


@pytest.mark.parametrize("profile", ["full", "compact"])
def test_stage1_prompts_equal_the_live_planner_prompts(tmp_path: Path, profile: str) -> None:
    """Replay a synthetic task's reference through the real agent; the logged planner prompts must equal the
    Stage-1 prompts built from the reference prefix, state by state, in both prompt profiles (the compact one
    shows OCR lines without their boxes, in the latest output and in the history)."""
    from toolagent.tools.registry import build_tools

    from toolagent.agent import run_agent
    from toolagent.models.scripted import ScriptedChatModel
    from toolagent.train.chat import chat_messages
    from toolagent.train.datasets import execute_reference, stage1_rows, synth_reference
    from toolagent.train.synth import load_suite, write_suite

    write_suite(tmp_path, 8, seed=3, heldout=0)
    task = next(t for t in load_suite(tmp_path) if t.kind == "receipt")
    tools = build_tools(names=["calculator", "ocr"])
    ref = execute_reference(synth_reference(task, tmp_path), tools)
    rows = stage1_rows([ref], tools, horizon=3, profile=profile)
    assert [r["step"] for r in rows] == [0, 1, 2]
    assert [json.loads(r["reference"])[0]["tool"] for r in rows] == ["ocr", "calculator", "answer"]
    assert len(json.loads(rows[0]["reference"])) == 3 and rows[0]["target"][0]["role"] == "assistant"

    replies = [json.dumps({"thought": "", "plan": [s.model_dump(mode="json") for s in task.reference[t:t + 3]]})
               for t in range(len(task.reference))]
    logged: list = []
    result = run_agent(task.question, images=ref.images, model=ScriptedChatModel(responses=replies), tools=tools,
                       horizon=3, feedback=logged.append, prompt_profile=profile)
    assert result.answer == task.answer
    assert len(logged) == 3
    for row, record in zip(rows, logged, strict=True):
        assert row["prompt"] == chat_messages(record.planner_input.messages)
    boxes = re.compile(r"\(\d+, \d+, \d+, \d+\)")
    later = "\n".join(str(m["content"]) for r in rows[1:] for m in r["prompt"])
    assert bool(boxes.search(later)) == (profile == "full")
    assert (ref.observation(0).brief or "") and ref.observation(0).brief.splitlines()[0] in later
    # weak references give only their initial state
    weak = ref.model_copy(update={"weak": True})
    assert len(stage1_rows([weak], tools, horizon=3)) == 1


def test_chat_messages_shapes() -> None:
    from langchain_core.messages import AIMessage, HumanMessage

    from toolagent.train.chat import chat_messages

    assert chat_messages([HumanMessage("hi"), AIMessage("ok"), {"type": "system", "data": {"content": "s"}},
                          {"role": "user", "content": [{"type": "text", "text": "look"}, {"type": "image"}]}]) == [
        {"role": "user", "content": "hi"}, {"role": "assistant", "content": "ok"},
        {"role": "system", "content": "s"}, {"role": "user", "content": "look\n<image>"}]
