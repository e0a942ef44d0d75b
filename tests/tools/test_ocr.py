"""OCR tool: real tesseract (and rapidocr) on images the tests draw with Pillow."""

from __future__ import annotations

import difflib
import random
import re
from pathlib import Path

import pytest
from PIL import Image, ImageFilter

from tests.tools.drawing import (MONO, SANS, SANS_BOLD, SERIF, Drawing, blank_image, draw_receipt,
                                 draw_text_image)
from toolagent.tools.base import ToolContext, run_tool
from toolagent.tools.config import ToolConfig
from toolagent.tools.ocr import OCRTool, make_tool, merge_rows, unrotate_box
from toolagent.tools.registry import build_tools

LINE = re.compile(r"^\((\d+), (\d+), (\d+), (\d+)\) (.+)$")


@pytest.fixture(scope="module")
def tesseract() -> OCRTool:
    tool = make_tool(ToolConfig(ocr_backend="tesseract"))
    if not tool.availability().available:
        pytest.fail(f"tesseract must be installed for these tests: {tool.availability().reason}")
    return tool


def _ocr(tool: OCRTool, drawing: Drawing | Image.Image, tmp_path: Path, name: str = "img.png"):
    image = drawing.image if isinstance(drawing, Drawing) else drawing
    path = tmp_path / name
    image.save(path)
    return run_tool(tool, {"image": str(path)}, ToolContext(workspace=tmp_path / "ws", images=[str(path)]))


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, " ".join(a.split()), " ".join(b.split())).ratio()


def _iou(a: tuple[int, ...] | list[int], b: tuple[int, ...] | list[int]) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / area if area else 0.0


def _assert_lines_located(obs_data: list[dict], drawing: Drawing, min_iou: float = 0.6) -> None:
    """Every drawn line is read, and its OCR box overlaps where it was drawn."""
    for line, truth in zip(drawing.lines, drawing.boxes):
        match = max(obs_data, key=lambda d: _similarity(d["text"], line))
        assert _similarity(match["text"], line) > 0.9, (line, obs_data)
        assert _iou(match["bbox"], truth) >= min_iou, (line, match["bbox"], truth)


@pytest.mark.parametrize(("font", "size"), [(SANS, 14), (SANS, 40), (SERIF, 22), (MONO, 28), (SANS_BOLD, 18)])
def test_reads_fonts_and_sizes(tesseract: OCRTool, tmp_path: Path, font: str, size: int) -> None:
    drawing = draw_text_image(["Invoice 4471 due 2024-05-01", "Ship to: Harbour Road 17"], size, font=font)
    obs = _ocr(tesseract, drawing, tmp_path)
    assert obs.ok, obs.error
    assert _similarity(" ".join(d["text"] for d in obs.data), drawing.text) > 0.95, obs.text
    for number in ("4471", "2024-05-01", "17"):
        assert number in obs.text
    _assert_lines_located(obs.data, drawing)


def test_output_is_gta_style_lines_with_boxes(tesseract: OCRTool, tmp_path: Path) -> None:
    drawing = draw_text_image(["Hello World", "TOTAL 13.50"], 32)
    obs = _ocr(tesseract, drawing, tmp_path)
    rows = [LINE.match(row) for row in obs.text.splitlines()]
    assert all(rows), obs.text
    assert [m.group(5) for m in rows] == ["Hello World", "TOTAL 13.50"]
    for match, item in zip(rows, obs.data):
        assert [int(match.group(i)) for i in range(1, 5)] == item["bbox"]
        assert 0 <= item["conf"] <= 100
    assert obs.brief == "Hello World\nTOTAL 13.50"  # what the compact prompt profile shows


@pytest.mark.parametrize("items", [
    [("Coffee", 3.5), ("Bagel", 2.25), ("Orange juice", 4.1)],  # tesseract splits this into two columns
    [("Coffee", 3.5), ("Bagel", 2.25), ("Orange juice", 4.1), ("Muffin", 2.95)],
])
def test_receipt_numbers_exact_and_rows_kept_together(tesseract: OCRTool, tmp_path: Path,
                                                      items: list[tuple[str, float]]) -> None:
    drawing = draw_receipt(items)
    obs = _ocr(tesseract, drawing, tmp_path)
    assert obs.ok, obs.error
    texts = [d["text"] for d in obs.data]
    for name, price in [*items, ("TOTAL", round(sum(p for _, p in items), 2))]:
        # item and price are far apart on the receipt but come back as one row
        assert f"{name} {price:.2f}" in texts, texts
    assert "CORNER SHOP" in texts


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_rotated_text_is_read_and_boxes_map_back(tesseract: OCRTool, tmp_path: Path, degrees: int) -> None:
    drawing = draw_text_image(["Platform 9 departs 14:25", "Gate B12 closes early"], 30, rotate=degrees)
    obs = _ocr(tesseract, drawing, tmp_path)
    assert obs.ok, obs.error
    assert "rotated" in obs.text.splitlines()[0]
    assert "14:25" in obs.text and "B12" in obs.text
    _assert_lines_located(obs.data, drawing, min_iou=0.5)


def test_merge_rows_joins_columns_but_not_vertical_lines() -> None:
    def unit(box: tuple[int, int, int, int], text: str) -> tuple:
        return (box, [(box, text, 90.0)])

    lines = merge_rows([unit((300, 52, 360, 70), "3.50"), unit((10, 50, 120, 72), "Coffee"),
                        unit((10, 10, 200, 30), "SHOP"), unit((400, 0, 420, 200), "VERTICAL"),
                        unit((10, 90, 60, 150), "BIG")])  # a much taller line on no shared row
    assert [(line.text, line.bbox) for line in lines] == [
        ("VERTICAL", (400, 0, 420, 200)), ("SHOP", (10, 10, 200, 30)), ("Coffee 3.50", (10, 50, 360, 72)),
        ("BIG", (10, 90, 60, 150))]


def test_unrotate_box_inverts_each_turn() -> None:
    image = Image.new("L", (40, 20), 0)
    image.paste(255, (5, 2, 15, 8))  # a white box at (5, 2, 15, 8)
    for degrees, op in [(90, Image.Transpose.ROTATE_270), (180, Image.Transpose.ROTATE_180),
                        (270, Image.Transpose.ROTATE_90)]:
        turned = image.transpose(op)  # ROTATE_270 is 90 degrees clockwise
        assert unrotate_box(turned.getbbox(), degrees, image.size) == (5, 2, 15, 8)


def test_blank_image_gives_empty_result(tesseract: OCRTool, tmp_path: Path) -> None:
    obs = _ocr(tesseract, blank_image((400, 300)), tmp_path)
    assert obs.ok and obs.data == []
    assert obs.text == "No text found in the image."


def test_light_text_on_dark_and_transparent_backgrounds(tesseract: OCRTool, tmp_path: Path) -> None:
    dark = draw_text_image(["EXIT 24B", "Main Street"], 36, font=SANS_BOLD, fg="white", bg=(20, 40, 120))
    assert "EXIT 24B" in _ocr(tesseract, dark, tmp_path, "dark.png").text
    # black text on a fully transparent canvas: must be flattened onto white, not black
    ink = draw_text_image(["Transparent 305"], 36).image.convert("L")
    rgba = Image.new("RGBA", ink.size, (0, 0, 0, 0))
    rgba.putalpha(ink.point(lambda v: 255 - v))
    assert "Transparent 305" in _ocr(tesseract, rgba, tmp_path, "alpha.png").text


def test_speckled_photo_like_image(tesseract: OCRTool, tmp_path: Path) -> None:
    drawing = draw_text_image(["Open daily 9am - 5pm", "Tickets 12.50"], 30, font=SERIF, fg=(60, 40, 30),
                              bg=(200, 190, 150))
    image = drawing.image.filter(ImageFilter.GaussianBlur(1.2))
    pixels, rng = image.load(), random.Random(0)
    for _ in range(4000):
        pixels[rng.randrange(image.width), rng.randrange(image.height)] = (rng.randrange(256),) * 3
    image.save(tmp_path / "noisy.jpg", quality=60)
    obs = run_tool(tesseract, {"image": "noisy.jpg"}, ToolContext(workspace=tmp_path))
    assert "Tickets 12.50" in obs.text and "9am" in obs.text, obs.text


def test_missing_and_corrupt_images_are_error_observations(tesseract: OCRTool, tmp_path: Path) -> None:
    ctx = ToolContext(workspace=tmp_path)
    missing = run_tool(tesseract, {"image": str(tmp_path / "nope.png")}, ctx)
    assert missing.error and "nope.png" in missing.error
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20)
    obs = run_tool(tesseract, {"image": str(corrupt)}, ctx)
    assert obs.error and "corrupt.png" in obs.error and "Traceback" not in obs.error
    truncated = tmp_path / "truncated.png"
    draw_text_image(["cut short"], 30).save(tmp_path / "full.png")
    truncated.write_bytes((tmp_path / "full.png").read_bytes()[:200])
    assert run_tool(tesseract, {"image": str(truncated)}, ctx).error


def test_image_by_index_and_missing_language(tesseract: OCRTool, tmp_path: Path) -> None:
    path = draw_text_image(["Index 42"], 32).save(tmp_path / "a.png")
    ctx = ToolContext(workspace=tmp_path / "ws", images=[str(path)])
    assert "Index 42" in run_tool(tesseract, {"image": "image_0"}, ctx).text
    obs = run_tool(tesseract, {"image": "image_0", "lang": "xyz"}, ctx)
    assert obs.error and "'xyz' is not installed" in obs.error and "tesseract-ocr-xyz" in obs.error
    assert run_tool(tesseract, {"image": "image_0", "lang": "eng"}, ctx).ok


def test_unavailable_when_tesseract_binary_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    tool = OCRTool()
    status = tool.availability()
    assert not status.available
    assert status.reason == "tesseract not found: apt-get install tesseract-ocr"
    path = draw_text_image(["x"], 30).save(tmp_path / "x.png")
    obs = run_tool(tool, {"image": str(path)}, ToolContext(workspace=tmp_path))
    assert obs.error and "tesseract not found" in obs.error


def test_registry_builds_the_configured_backend() -> None:
    (tool,) = build_tools(ToolConfig(ocr_backend="rapidocr", ocr_lang="eng"), names=["ocr"])
    assert isinstance(tool, OCRTool) and tool.backend == "rapidocr"
    assert tool.gta_name == "OCR" and tool.name == "ocr"
    assert set(tool.args_schema.model_json_schema()["properties"]) == {"image", "lang"}


def test_rapidocr_backend_reads_a_simple_image(tmp_path: Path) -> None:
    tool = make_tool(ToolConfig(ocr_backend="rapidocr"))
    assert tool.availability().available, tool.availability().reason
    drawing = draw_text_image(["Hello World 2024", "Price 12.99"], 32)
    first = _ocr(tool, drawing, tmp_path)
    assert first.ok, first.error
    assert [d["text"] for d in first.data] == drawing.lines
    _assert_lines_located(first.data, drawing, min_iou=0.5)
    engine = tool._engine
    assert engine is not None
    assert _ocr(tool, blank_image(), tmp_path, "blank.png").data == []
    assert tool._engine is engine  # built once, lazily, per tool instance
    turned = draw_text_image(["Hello World 2024", "Price 12.99"], 32, rotate=90)
    obs = _ocr(tool, turned, tmp_path, "turned.png")
    assert [d["text"] for d in obs.data] == turned.lines  # upright again, lines in reading order
    _assert_lines_located(obs.data, turned, min_iou=0.5)
