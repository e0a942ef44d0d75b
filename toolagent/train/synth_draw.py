"""Deterministic drawings for the synthetic task suite: receipts, price tags, signs and boards, cards, tables.

Large DejaVu Sans text (the font file shipped with matplotlib) on plain backgrounds, so tesseract reads it
reliably. PNGs are written with fixed save parameters and no metadata: the same inputs give the same bytes.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from toolagent.errors import ConfigError

FONT_NAME = "DejaVuSans.ttf"
BOLD_FONT_NAME = "DejaVuSans-Bold.ttf"


@cache
def font_path(name: str = FONT_NAME) -> Path:
    """The DejaVu font file inside matplotlib's package data (found without importing matplotlib)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        raise ConfigError("matplotlib is not installed; the synthetic images need its DejaVu fonts")
    path = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / name
    if not path.is_file():
        raise ConfigError(f"font file not found: {path}")
    return path


@cache
def _font(size: int, bold: bool = False) -> Any:
    from PIL import ImageFont

    return ImageFont.truetype(str(font_path(BOLD_FONT_NAME if bold else FONT_NAME)), size)


def save_png(image: Any, path: Path) -> None:
    """Fixed PNG parameters and no metadata, so equal pixels give equal bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG", optimize=False, compress_level=6)


def _canvas(width: int, height: int, color: str) -> tuple[Any, Any]:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), color)
    return image, ImageDraw.Draw(image)


def _right(draw: Any, x_right: int, y: int, text: str, font: Any, fill: str) -> None:
    width = draw.textlength(text, font=font)
    draw.text((x_right - width, y), text, font=font, fill=fill)


def receipt(path: Path, store: str, items: list[tuple[str, str]], header: Sequence[str] = (),
            footer: Sequence[str] = ()) -> None:
    """A receipt: store name, small header lines (address, date: distractors), one ``name   price`` line per item
    (no total line: the task computes it), then small footer lines."""
    size, gap, small = 40, 64, 28
    top = 124 + 44 * len(header)
    height = top + gap * len(items) + 40 + 44 * len(footer)
    image, draw = _canvas(720, height, "white")
    draw.text((40, 30), store.upper(), font=_font(size, bold=True), fill="black")
    for row, line in enumerate(header):
        draw.text((40, 92 + 44 * row), line, font=_font(small), fill="black")
    draw.line((40, top - 14, 680, top - 14), fill="black", width=3)
    for row, (name, price) in enumerate(items):
        y = top + gap * row
        draw.text((40, y), name, font=_font(size), fill="black")
        _right(draw, 680, y, price, _font(size), "black")
    for row, line in enumerate(footer):
        draw.text((40, top + gap * len(items) + 24 + 44 * row), line, font=_font(small), fill="black")
    save_png(image, path)


def price_tag(path: Path, item: str, price: str, note: str = "") -> None:
    """A yellow shelf tag: item name, a large unit price and a small note line (a distractor)."""
    image, draw = _canvas(640, 360, "#ffe45c")
    draw.rectangle((8, 8, 631, 351), outline="black", width=6)
    draw.text((40, 36), item, font=_font(48), fill="black")
    draw.text((40, 130), f"{price} each", font=_font(72, bold=True), fill="black")
    if note:
        draw.text((40, 270), note, font=_font(32), fill="black")
    save_png(image, path)


def dark_sign(path: Path, lines: list[str]) -> None:
    """White-on-blue lines (a road sign, a departure board): one text run per line, since tesseract may drop a
    far-right column on a dark background."""
    gap, font = 90, _font(52, bold=True)
    width = max(800, 100 + int(max(font.getlength(line) for line in lines)))
    image, draw = _canvas(width, 80 + gap * len(lines), "#0b3d91")
    draw.rectangle((10, 10, width - 11, 69 + gap * len(lines)), outline="white", width=6)
    for row, line in enumerate(lines):
        draw.text((50, 50 + gap * row), line, font=font, fill="white")
    save_png(image, path)


def card(path: Path, title: str, lines: list[str]) -> None:
    """A white card: a bold title and ``Label: value`` lines (a boarding pass, a wifi card, a parcel notice)."""
    gap = 70
    image, draw = _canvas(760, 130 + gap * len(lines), "white")
    draw.rectangle((6, 6, 753, 123 + gap * len(lines)), outline="#333333", width=4)
    draw.text((40, 30), title, font=_font(48, bold=True), fill="black")
    for row, line in enumerate(lines):
        draw.text((40, 110 + gap * row), line, font=_font(40), fill="black")
    save_png(image, path)


def small_table(path: Path, header: tuple[str, str, str], rows: list[tuple[str, str, str]], footer: str = "") -> None:
    """A three-column table (item, quantity, unit price) with a bold header, light rules and a footer line."""
    size, gap = 40, 70
    image, draw = _canvas(820, 60 + gap * (len(rows) + 1) + (60 if footer else 0), "white")
    columns = (40, 420, 780)
    for row, cells in enumerate([header, *rows]):
        y = 30 + gap * row
        font = _font(size, bold=row == 0)
        draw.text((columns[0], y), cells[0], font=font, fill="black")
        _right(draw, 560, y, cells[1], font, "black")
        _right(draw, columns[2], y, cells[2], font, "black")
        if row == 0:
            draw.line((30, y + gap - 12, 790, y + gap - 12), fill="#888888", width=2)
    if footer:
        draw.text((columns[0], 30 + gap * (len(rows) + 1)), footer, font=_font(30), fill="black")
    save_png(image, path)
