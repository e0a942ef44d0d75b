"""draw_box / add_text / crop_image: new files in the workspace, pixels changed where expected."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageChops

from tests.tools.drawing import blank_image, draw_text_image
from toolagent.tools.base import ToolContext, run_tool
from toolagent.tools.config import ToolConfig
from toolagent.tools.image_ops import parse_bbox, parse_position
from toolagent.tools.registry import build_tools


@pytest.fixture()
def tools() -> dict:
    built = build_tools(ToolConfig(), names=["draw_box", "add_text", "crop_image"])
    return {tool.name: tool for tool in built}


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "grey.png"
    path.parent.mkdir()
    blank_image((400, 300), "#808080").save(path)
    return path


@pytest.fixture()
def ctx(tmp_path: Path, source: Path) -> ToolContext:
    return ToolContext(workspace=tmp_path / "ws", images=[str(source)])


def _changed_box(before: Image.Image, after: Image.Image) -> tuple[int, int, int, int] | None:
    return ImageChops.difference(before.convert("RGB"), after.convert("RGB")).getbbox()


def _output(obs, ctx: ToolContext) -> Image.Image:  # noqa: ANN001
    assert obs.ok, obs.error
    assert len(obs.images) == 1
    path = Path(obs.images[0])
    assert path.parent == ctx.workspace and path.is_file()
    assert str(path) in obs.text
    with Image.open(path) as img:
        img.load()
        return img.convert("RGB")


def test_draw_box_changes_only_the_box(tools: dict, ctx: ToolContext, source: Path) -> None:
    obs = run_tool(tools["draw_box"], {"image": "image_0", "bbox": "(50, 60, 150, 200)"}, ctx)
    out = _output(obs, ctx)
    assert out.size == (400, 300)
    assert _changed_box(Image.open(source), out) == (50, 60, 150, 200)
    assert out.getpixel((50, 100))[0] > 200 and out.getpixel((50, 100))[1] < 80  # red outline
    assert out.getpixel((100, 130)) != (128, 128, 128)  # translucent fill
    assert obs.data["bbox"] == [50, 60, 150, 200]
    assert Image.open(source).getpixel((50, 100)) == (128, 128, 128)  # the input is untouched


def test_draw_box_annotation_above_and_list_bbox_and_colour(tools: dict, ctx: ToolContext, source: Path) -> None:
    obs = run_tool(tools["draw_box"], {"image": str(source), "bbox": [100, 120, 300, 250],
                                       "annotation": "dog", "color": "blue"}, ctx)
    out = _output(obs, ctx)
    changed = _changed_box(Image.open(source), out)
    assert changed[1] < 120 and changed[3] == 250  # the label sits above the box
    assert out.getpixel((100, 200))[2] > 200 and out.getpixel((100, 200))[0] < 80


def test_draw_box_clips_and_refuses(tools: dict, ctx: ToolContext) -> None:
    clipped = run_tool(tools["draw_box"], {"image": "image_0", "bbox": "(350, 250, 900, 900)"}, ctx)
    assert clipped.data["bbox"] == [350, 250, 400, 300]
    for bad in ("(500, 500, 600, 600)", "(10, 20, 30)", "big box", "(10, 10, 10, 50)"):
        obs = run_tool(tools["draw_box"], {"image": "image_0", "bbox": bad}, ctx)
        assert obs.error and "bbox" in obs.error, (bad, obs)
    obs = run_tool(tools["draw_box"], {"image": "image_0", "bbox": "(1, 1, 9, 9)", "color": "blurple"}, ctx)
    assert obs.error and "colour" in obs.error


def test_add_text_at_anchor_and_point(tools: dict, ctx: ToolContext, source: Path) -> None:
    before = Image.open(source)
    top_left = _output(run_tool(tools["add_text"], {"image": "image_0", "text": "HELLO", "position": "lt"}, ctx), ctx)
    box = _changed_box(before, top_left)
    assert box[0] >= 15 and box[1] >= 15 and box[2] < 200 and box[3] < 100
    assert max(top_left.crop(box).getdata(), key=lambda p: p[0])[0] > 200  # red text
    centre = _output(run_tool(tools["add_text"], {"image": "image_0", "text": "MID", "position": "center",
                                                  "color": "black"}, ctx), ctx)
    box = _changed_box(before, centre)
    assert box[0] < 200 < box[2] and box[1] < 150 < box[3]
    point = _output(run_tool(tools["add_text"], {"image": "image_0", "text": "pt", "position": "(300, 280)"}, ctx),
                    ctx)
    box = _changed_box(before, point)
    assert box[0] >= 299 and box[3] <= 281  # (x, y) is the text's left-bottom corner


@pytest.mark.parametrize(("position", "anchor"), [
    ("mt", "mt"), ("tm", "mt"), ("top-left", "lt"), ("bottom right", "rb"), ("center", "mm"), ("left", "lm")])
def test_position_words(position: str, anchor: str) -> None:
    assert parse_position(position, (400, 300))[1] == anchor


def test_add_text_refuses_bad_position(tools: dict, ctx: ToolContext) -> None:
    for bad in ("(900, 20)", "somewhere", "(5)"):
        obs = run_tool(tools["add_text"], {"image": "image_0", "text": "x", "position": bad}, ctx)
        assert obs.error and "position" in obs.error, (bad, obs)


def test_crop_and_zoom(tools: dict, ctx: ToolContext, tmp_path: Path) -> None:
    drawing = draw_text_image(["left", "right"], 30, size=(400, 200))
    path = drawing.save(tmp_path / "text.png")
    ctx = ctx.model_copy(update={"images": [*ctx.images, str(path)]})
    obs = run_tool(tools["crop_image"], {"image": str(path), "bbox": "(10, 20, 110, 70)"}, ctx)
    out = _output(obs, ctx)
    assert out.size == (100, 50)
    assert list(out.getdata()) == list(drawing.image.crop((10, 20, 110, 70)).getdata())
    zoomed = _output(run_tool(tools["crop_image"], {"image": str(path), "bbox": [10, 20, 110, 70], "zoom": 3},
                              ctx), ctx)
    assert zoomed.size == (300, 150)
    fractions = run_tool(tools["crop_image"], {"image": str(path), "bbox": "(0.5, 0.5, 1.0, 1.0)"}, ctx)
    assert fractions.data["bbox"] == [200, 100, 400, 200]
    assert run_tool(tools["crop_image"], {"image": str(path), "bbox": "(10, 20, 110, 70)", "zoom": 50}, ctx).error


def test_missing_and_corrupt_images(tools: dict, ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8\xff\xe0 nope")
    for image in ("image_7.png", str(tmp_path / "bad.jpg")):
        obs = run_tool(tools["crop_image"], {"image": image, "bbox": "(0, 0, 5, 5)"}, ctx)
        assert obs.error and "Traceback" not in obs.error


def test_gta_names_and_schema(tools: dict) -> None:
    assert tools["draw_box"].gta_name == "DrawBox" and tools["add_text"].gta_name == "AddText"
    assert set(tools["draw_box"].args_schema.model_json_schema()["properties"]) >= {"image", "bbox", "annotation"}
    assert set(tools["add_text"].args_schema.model_json_schema()["properties"]) >= {"image", "text", "position",
                                                                                     "color"}
    assert parse_bbox("[1, 2, 30, 40]", (100, 100)) == (1, 2, 30, 40)
    assert parse_bbox("(30, 40, 1, 2)", (100, 100)) == (1, 2, 30, 40)  # corners in any order
