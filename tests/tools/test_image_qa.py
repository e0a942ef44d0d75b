"""image_qa through a tiny random Llava built here (real processor/generate) and through a scripted model that
inspects the image it receives (crop path); availability, bad images, answer parsing for the GTA adapters."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from langchain_core.messages import BaseMessage
from PIL import Image
from toolagent.tools.base import ToolContext, ToolError, run_tool
from toolagent.tools.config import ToolConfig
from toolagent.tools.image_qa import (
    NO_VLM,
    format_bbox,
    make_tool,
    parse_answer_bbox,
    parse_answer_bboxes,
    parse_count,
    question_for,
)

from tests.models import tiny
from toolagent.models.hf import HFChatModel
from toolagent.models.scripted import ScriptedChatModel


@pytest.fixture(scope="module")
def vlm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny.build_tiny_vlm(tmp_path_factory.mktemp("qa-vlm"))


@pytest.fixture(scope="module")
def tiny_text_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny.build_tiny_llm(tmp_path_factory.mktemp("qa-llm"))


@pytest.fixture()
def two_halves(tmp_path: Path) -> Path:
    """64x40 image: left half red, right half blue."""
    image = Image.new("RGB", (64, 40), "red")
    image.paste((0, 0, 255), (32, 0, 64, 40))
    path = tmp_path / "halves.png"
    image.save(path)
    return path


def _describe_policy(messages: list[BaseMessage]) -> str:
    """A 'VLM' that reports the size and centre colour of the image it was sent, and echoes the question."""
    blocks = messages[-1].content
    assert isinstance(blocks, list)
    url = next(b["image_url"]["url"] for b in blocks if isinstance(b, dict) and b.get("type") == "image_url")
    question = next(b["text"] for b in blocks if isinstance(b, dict) and b.get("type") == "text")
    image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    r, _, b = image.convert("RGB").getpixel((image.width // 2, image.height // 2))
    colour = "red" if r > b else "blue"
    return f"{image.width}x{image.height} {colour} | {question}"


def test_tiny_vlm_answers_through_processor(vlm_dir: Path, two_halves: Path, tmp_path: Path) -> None:
    model = HFChatModel(model_path=str(vlm_dir), max_new_tokens=6)
    tool = make_tool(ToolConfig(vlm_model=model))
    assert tool.availability().available
    ctx = ToolContext(images=[str(two_halves)], workspace=tmp_path / "ws")
    obs = run_tool(tool, {"image": "image_0", "question": "what colour is it?"}, ctx)
    assert obs.error is None and obs.text
    green = ctx.workspace / "green.png"  # produced earlier in the run
    ctx.workspace.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 40), (0, 200, 0)).save(green)
    other = run_tool(tool, {"image": str(green), "question": "what colour is it?"}, ctx)
    assert other.error is None and other.text != obs.text  # the pixels reach the model
    cropped = run_tool(tool, {"image": "halves.png", "question": "what colour is it?", "bbox": "(32, 0, 64, 40)"},
                       ctx)
    assert cropped.error is None and cropped.data["bbox"] == [32, 0, 64, 40]


def test_vlm_spec_is_resolved_once(vlm_dir: Path, two_halves: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOOLAGENT_VLM", raising=False)
    tool = make_tool(ToolConfig(vlm=f"hf:{vlm_dir}"))
    assert tool.availability().available
    first = tool.vlm()
    assert isinstance(first, HFChatModel) and first.is_multimodal
    obs = run_tool(tool, {"image": str(two_halves), "question": "describe"}, ToolContext(images=[str(two_halves)]))
    assert obs.error is None and obs.text
    assert tool.vlm() is first


def test_unavailable_without_vlm(two_halves: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOOLAGENT_VLM", raising=False)
    tool = make_tool(ToolConfig())
    status = tool.availability()
    assert not status.available and status.reason == NO_VLM
    obs = run_tool(tool, {"image": str(two_halves), "question": "what is it?"}, ToolContext(images=[str(two_halves)]))
    assert obs.error == NO_VLM


def test_unavailable_for_text_only_model_or_missing_folder(tiny_text_dir: Path, tmp_path: Path) -> None:
    text_only = make_tool(ToolConfig(vlm_model=HFChatModel(model_path=str(tiny_text_dir))))
    assert text_only.availability().reason == "the configured vision model is text-only"
    missing = make_tool(ToolConfig(vlm=f"hf:{tmp_path / 'nope'}"))
    assert not missing.availability().available and "not found" in missing.availability().reason


def test_bbox_crops_before_asking(two_halves: Path) -> None:
    tool = make_tool(ToolConfig(vlm_model=ScriptedChatModel(policy=_describe_policy)))
    ctx = ToolContext(images=[str(two_halves)])
    whole = run_tool(tool, {"image": "image_0", "question": "size?"}, ctx)
    assert whole.text == "64x40 blue | size?"  # centre pixel (32, 20) is on the blue side
    left = run_tool(tool, {"image": "image_0", "question": "size?", "bbox": "(0, 0, 32, 40)"}, ctx)
    assert left.error is None and left.text == "32x40 red | size?"
    clipped = run_tool(tool, {"image": "image_0", "question": "q", "bbox": "[40, 10, 500, 30]"}, ctx)
    assert clipped.text == "24x20 blue | q"
    outside = run_tool(tool, {"image": "image_0", "question": "q", "bbox": "(100, 100, 200, 200)"}, ctx)
    assert outside.error and "does not overlap" in outside.error


def test_bad_images_and_args_are_error_observations(tmp_path: Path) -> None:
    tool = make_tool(ToolConfig(vlm_model=ScriptedChatModel(policy=_describe_policy)))
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n this is not really a png")
    obs = run_tool(tool, {"image": str(corrupt), "question": "what?"}, ToolContext(images=[str(corrupt)]))
    assert obs.error and ("not an image" in obs.error or "cannot read" in obs.error)
    missing = run_tool(tool, {"image": "image_3", "question": "what?"}, ToolContext())
    assert missing.error and "unknown image" in missing.error
    empty_q = run_tool(tool, {"image": str(corrupt), "question": ""}, ToolContext())
    assert empty_q.error and "question" in empty_q.error


def test_empty_answer_is_an_error(two_halves: Path) -> None:
    tool = make_tool(ToolConfig(vlm_model=ScriptedChatModel(responses=["   "])))
    obs = run_tool(tool, {"image": str(two_halves), "question": "what?"}, ToolContext(images=[str(two_halves)]))
    assert obs.error == "the vision-language model returned an empty answer"


def test_gta_building_blocks(two_halves: Path) -> None:
    seen: list[str] = []

    def policy(messages: list[BaseMessage]) -> str:
        seen.append(_describe_policy(messages))
        return "I can see 3 red apples." if "How many" in seen[-1] else "It is at [4, 6, 30.4, 38] roughly."

    tool = make_tool(ToolConfig(vlm_model=ScriptedChatModel(policy=policy)))
    image = Image.open(two_halves).convert("RGB")
    assert parse_count(tool.ask(image, question_for("count", text="apples"))) == 3
    box = parse_answer_bbox(tool.ask(image, question_for("text_to_bbox", text="the red part", width=64, height=40)))
    assert format_bbox(box) == "(4, 6, 30, 38)"
    tool.ask(image, question_for("region_attribute", attribute="colour"), bbox="(0, 0, 32, 40)")
    assert seen[-1].startswith("32x40 red | Describe the colour of this image region")
    assert "64x40 pixels" in seen[1]
    assert question_for("describe") == "Describe this image briefly."


def test_parse_count_and_boxes() -> None:
    assert parse_count("There are 12 cars and 3 bikes") == 12
    assert parse_count("two dogs, 5 cats") == 2
    assert parse_count("Count: 7.") == 7
    with pytest.raises(ToolError, match="no count"):
        parse_count("I cannot tell")
    assert parse_answer_bboxes("a (1, 2, 3, 4) and b [10,20,5,8]") == [(1, 2, 3, 4), (5, 8, 10, 20)]
    assert parse_answer_bbox("<box>(10, 20), (30, 40)</box>") == (10, 20, 30, 40)
    with pytest.raises(ToolError, match="no bounding box"):
        parse_answer_bbox("somewhere on the left (maybe)")
