"""Test helper: draw text images with Pillow (shared by the tool tests and anything else that needs them).

Fonts come from matplotlib's bundled TrueType set (always installed with matplotlib) or the system font
folders, so the helper works on a bare machine with no fontconfig setup.

    drawing = draw_text_image(["Hello World", "TOTAL 13.50"], font_size=32)
    path = drawing.save(tmp_path / "hello.png")
    drawing.boxes  # [(x1, y1, x2, y2), ...] where each line was drawn

    receipt = draw_receipt([("Coffee", 3.5), ("Bagel", 2.25)])  # lines: shop, items, TOTAL 5.75
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

Box = tuple[int, int, int, int]

#: Common font names the tests use (file stems, DejaVu family).
SANS = "DejaVuSans"
SERIF = "DejaVuSerif"
MONO = "DejaVuSansMono"
SANS_BOLD = "DejaVuSans-Bold"


def _font_dirs() -> list[Path]:
    dirs: list[Path] = []
    try:
        import matplotlib

        dirs.append(Path(matplotlib.get_data_path()) / "fonts" / "ttf")
    except ImportError:  # pragma: no cover - matplotlib is a project dependency
        pass
    dirs += [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts"]
    return [d for d in dirs if d.is_dir()]


@cache
def font_path(name: str = SANS) -> Path:
    """Path of a TrueType font by file stem (``DejaVuSans``, ``DejaVuSerif-Bold``...) or by path."""
    direct = Path(name)
    if direct.suffix.lower() in (".ttf", ".otf") and direct.is_file():
        return direct
    stem = direct.stem if direct.suffix.lower() in (".ttf", ".otf") else name
    for folder in _font_dirs():
        for candidate in (folder / f"{stem}.ttf", *folder.rglob(f"{stem}.ttf")):
            if candidate.is_file():
                return candidate
    raise FileNotFoundError(f"no TrueType font named {name!r} in {[str(d) for d in _font_dirs()]}")


def load_font(size: int, name: str = SANS) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(name)), size=size)


@dataclass
class Drawing:
    """A drawn image, the text lines on it, and each line's ink box ``(x1, y1, x2, y2)``."""

    image: Image.Image
    lines: list[str]
    boxes: list[Box] = field(default_factory=list)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.image.save(path)
        return path

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def draw_text_image(
    lines: list[str] | str,
    font_size: int = 32,
    *,
    font: str = SANS,
    padding: int = 24,
    line_gap: float = 0.6,
    fg: str | tuple[int, int, int] = "black",
    bg: str | tuple[int, int, int] = "white",
    size: tuple[int, int] | None = None,
    rotate: int = 0,
) -> Drawing:
    """Draw left-aligned text lines on a plain background.

    ``size`` fixes the canvas (text starts at ``padding``); otherwise the canvas fits the text.
    ``rotate`` (a multiple of 90, counter-clockwise) turns the finished image; boxes follow the rotation.
    """
    if isinstance(lines, str):
        lines = lines.splitlines()
    face = load_font(font_size, font)
    step = int(round(font_size * (1 + line_gap)))
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    ink = [measure.textbbox((0, 0), line, font=face) for line in lines]
    width = max((b[2] for b in ink), default=0) + 2 * padding
    height = step * max(len(lines), 1) + 2 * padding
    canvas = Image.new("RGB", size or (max(width, 1), max(height, 1)), bg)
    draw = ImageDraw.Draw(canvas)
    boxes: list[Box] = []
    for index, line in enumerate(lines):
        origin = (padding, padding + index * step)
        draw.text(origin, line, font=face, fill=fg)
        x1, y1, x2, y2 = draw.textbbox(origin, line, font=face)
        boxes.append((int(x1), int(y1), int(x2), int(y2)))
    drawing = Drawing(canvas, list(lines), boxes)
    return rotate_drawing(drawing, rotate) if rotate else drawing


def rotate_drawing(drawing: Drawing, degrees: int) -> Drawing:
    """Rotate by a multiple of 90 degrees counter-clockwise, moving the line boxes along."""
    turns = (degrees // 90) % 4
    if degrees % 90:
        raise ValueError("rotate_drawing supports multiples of 90 degrees only")
    image, boxes = drawing.image, list(drawing.boxes)
    for _ in range(turns):
        w = image.width
        # one 90-degree CCW turn maps (x, y) to (y, w - x)
        boxes = [(y1, w - x2, y2, w - x1) for (x1, y1, x2, y2) in boxes]
        image = image.transpose(Image.Transpose.ROTATE_90)
    return Drawing(image, drawing.lines, boxes)


def draw_receipt(
    items: list[tuple[str, float]],
    *,
    shop: str = "CORNER SHOP",
    font_size: int = 28,
    font: str = MONO,
    width_chars: int = 24,
) -> Drawing:
    """A till receipt in a monospace font: shop name, one ``NAME  PRICE`` line per item, ``TOTAL``.

    Prices are printed with two decimals and padded to the right edge; the total is their sum.
    """
    total = round(sum(price for _, price in items), 2)
    rows = [shop]
    for name, price in [*items, ("TOTAL", total)]:
        amount = f"{price:.2f}"
        rows.append(f"{name} {amount.rjust(max(width_chars - len(name) - 1, len(amount)))}")
    return draw_text_image(rows, font_size, font=font)


def blank_image(size: tuple[int, int] = (320, 200), color: str = "white") -> Image.Image:
    return Image.new("RGB", size, color)
