"""Image editing tools: draw_box (GTA DrawBox), add_text (GTA AddText), crop_image (crop + zoom).

Each call writes a NEW image into the run's workspace (``ctx.new_file``) and returns its path, so the input
image is never modified and later steps can refer to the result by path or file name.
Argument formats follow GTA/AgentLego: ``bbox`` as ``"(x1, y1, x2, y2)"`` (or a list), ``position`` as
``"(x, y)"`` (left-bottom corner of the text) or a two-letter anchor such as ``"lt"``/``"mm"``/``"rb"``
(words like ``"top-left"`` and ``"center"`` work too), colours by name or ``#rrggbb``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from toolagent.tools.base import ToolagentTool, ToolContext, ToolError, ToolOutput
from toolagent.tools.config import ToolConfig

_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
_FONT_NAMES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")


# ---------------------------------------------------------------- shared helpers (also used by ocr) ---
def open_tool_image(ctx: ToolContext, ref: str):  # noqa: ANN201 - PIL type imported lazily
    """Resolve an image argument and open it fully decoded in RGB (transparency flattened onto white).

    Raises ToolError with one readable line for unknown, missing, or corrupt images.
    """
    from PIL import Image, UnidentifiedImageError

    path = ctx.resolve_image(ref)
    try:
        with Image.open(path) as img:
            img.load()
            if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
                rgba = img.convert("RGBA")
                flat = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                return Image.alpha_composite(flat, rgba).convert("RGB")
            return img.convert("RGB")
    except Image.DecompressionBombError as exc:
        from toolagent.images import too_large

        raise ToolError(f"image too large: {path.name} ({too_large(exc)})") from None
    except UnidentifiedImageError:
        raise ToolError(f"not an image file (unrecognised format): {path}") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ToolError(f"cannot read image {path}: {exc}") from None


def parse_numbers(value: Any, count: int, what: str) -> list[float]:
    """Parse ``count`` numbers from ``"(x1, y1, x2, y2)"``, ``"x, y"``, a list/tuple, or a dict of them."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        try:
            numbers = [float(v) for v in value]
        except (TypeError, ValueError):
            raise ToolError(f"{what} must contain numbers, got {value!r}") from None
    else:
        numbers = [float(n) for n in _NUMBER.findall(str(value))]
    if len(numbers) != count:
        raise ToolError(f"{what} needs {count} numbers, got {value!r}")
    return numbers


def parse_bbox(value: Any, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """A pixel box ``(x1, y1, x2, y2)`` clipped to the image; refuses boxes that are empty after clipping.

    Coordinates all within [0, 1] are taken as fractions of the image size.
    """
    width, height = size
    x1, y1, x2, y2 = parse_numbers(value, 4, "bbox")
    values = (x1, y1, x2, y2)
    if all(0.0 <= v <= 1.0 for v in values) and not all(v.is_integer() for v in values):
        x1, x2, y1, y2 = x1 * width, x2 * width, y1 * height, y2 * height
    x1, x2 = sorted((x1, x2))
    y1, y2 = sorted((y1, y2))
    cx1, cy1 = max(0, int(round(x1))), max(0, int(round(y1)))
    cx2, cy2 = min(width, int(round(x2))), min(height, int(round(y2)))
    if cx2 - cx1 < 1 or cy2 - cy1 < 1:
        raise ToolError(
            f"bbox {value!r} does not overlap the image (size {width}x{height}); "
            "use pixel coordinates (x1, y1, x2, y2) with x1 < x2 and y1 < y2")
    return cx1, cy1, cx2, cy2


def parse_color(value: str | None, default: str = "red") -> tuple[int, int, int]:
    from PIL import ImageColor

    name = (value or default).strip().lower().replace(" ", "")
    try:
        return ImageColor.getrgb(name)[:3]
    except ValueError:
        raise ToolError(f"unknown colour {value!r}: use a name like 'red' or a hex code like '#ff0000'") from None


def _font(size: int):  # noqa: ANN202
    from PIL import ImageFont

    size = max(size, 8)
    for name in _FONT_NAMES:
        try:
            return ImageFont.truetype(name, size=size)
        except OSError:
            continue
    try:
        import matplotlib

        return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts/ttf" / _FONT_NAMES[0]), size=size)
    except (ImportError, OSError):
        return ImageFont.load_default(size=size)


def _auto_font_size(height: int) -> int:
    return max(12, int(height / 336 * 18))  # AgentLego's rule: 18 px on a 336 px tall image


def _save(ctx: ToolContext, image, stem: str) -> Path:  # noqa: ANN001
    path = ctx.new_file(stem, ".png")
    image.save(path)
    return path


# ------------------------------------------------------------------------------------------ positions ---
_WORDS = {"left": "l", "right": "r", "top": "t", "bottom": "b", "upper": "t", "lower": "b",
          "middle": "m", "center": "m", "centre": "m"}


def parse_position(value: Any, size: tuple[int, int]) -> tuple[tuple[float, float], str]:
    """Return ``(xy, anchor)`` for PIL's ``draw.text``: an explicit point is the text's left-bottom corner."""
    width, height = size
    text = str(value).strip().lower() if not isinstance(value, (list, tuple, dict)) else ""
    anchor = ""
    if text and not _NUMBER.search(text):
        compact = re.sub(r"[\s_-]+", "", text)
        if len(compact) == 2 and compact[0] in "lmr" and compact[1] in "tmb":
            anchor = compact
        elif len(compact) == 2 and compact[0] in "tmb" and compact[1] in "lmr":
            anchor = compact[1] + compact[0]
        else:
            parts = [_WORDS[w] for w in re.split(r"[\s_-]+", text) if w in _WORDS]
            horizontal = next((p for p in parts if p in "lr"), "m")
            vertical = next((p for p in parts if p in "tb"), "m")
            if not parts:
                raise ToolError(f"position {value!r}: use '(x, y)' or one of lt, mt, rt, lm, mm, rm, lb, mb, rb")
            anchor = horizontal + vertical
        margin = width // 20
        xs = {"l": margin, "m": width // 2, "r": width - margin}
        ys = {"t": margin, "m": height // 2, "b": height - margin}
        return (xs[anchor[0]], ys[anchor[1]]), anchor
    x, y = parse_numbers(value, 2, "position")
    if not (0 <= x <= width and 0 <= y <= height):
        raise ToolError(f"position {value!r} is outside the image (size {width}x{height})")
    return (x, y), "lb"


# ---------------------------------------------------------------------------------------------- tools ---
class DrawBoxArgs(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)  # a model may write 42 for "42"

    image: str = Field(description="the image: a path, a file name, or image_0 / image_1 ...")
    bbox: str | list[float] = Field(description="the box in pixels, format `(x1, y1, x2, y2)` (top-left, bottom-right)")
    annotation: str | None = Field(default=None, description="optional label written above the box")
    color: str | None = Field(default="red", description="outline colour name, e.g. red, blue, lime")


class DrawBoxTool(ToolagentTool):
    name: str = "draw_box"
    description: str = (
        "Draw a rectangle (and an optional label) on a region of an image. Writes a new image and returns "
        "its path. bbox is `(x1, y1, x2, y2)` in pixels; boxes partly outside the image are clipped.")
    args_schema: type[BaseModel] = DrawBoxArgs
    gta_name = "DrawBox"
    timeout_s: float = 30.0

    def execute(self, args: DrawBoxArgs, ctx: ToolContext) -> ToolOutput:  # type: ignore[override]
        from PIL import Image, ImageDraw

        image = open_tool_image(ctx, args.image).convert("RGBA")
        box = parse_bbox(args.bbox, image.size)
        rgb = parse_color(args.color)
        overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        line = max(2, min(image.size) // 150)
        draw.rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=(*rgb, 48), outline=(*rgb, 255), width=line)
        if args.annotation:
            font = _font(_auto_font_size(image.height))
            above = box[1] - 4 - font.size >= 0
            xy, anchor = ((box[0], box[1] - 4), "lb") if above else ((box[0] + line + 2, box[1] + line + 2), "lt")
            draw.text(xy, args.annotation, fill=(*rgb, 255), anchor=anchor, font=font)
        result = Image.alpha_composite(image, overlay).convert("RGB")
        path = _save(ctx, result, "draw_box")
        label = f" labelled {args.annotation!r}" if args.annotation else ""
        return ToolOutput(text=f"Drew a box at {box}{label}; new image: {path}", images=[str(path)],
                          data={"path": str(path), "bbox": list(box)})


class AddTextArgs(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)  # a model may write 42 for "42"

    image: str = Field(description="the image: a path, a file name, or image_0 / image_1 ...")
    text: str = Field(description="the text to write")
    position: str | list[float] = Field(
        description="`(x, y)` for the text's left-bottom corner in pixels, or an anchor: l/m/r + t/m/b, "
                    "e.g. 'lt' (left-top), 'mm' (centre), 'rb' (right-bottom)")
    color: str | None = Field(default="red", description="text colour name, e.g. red, black, white")


class AddTextTool(ToolagentTool):
    name: str = "add_text"
    description: str = (
        "Write text on an image at a position. Writes a new image and returns its path. position is "
        "`(x, y)` pixels (left-bottom of the text) or an anchor like 'lt', 'mt', 'mm', 'rb'.")
    args_schema: type[BaseModel] = AddTextArgs
    gta_name = "AddText"
    timeout_s: float = 30.0

    def execute(self, args: AddTextArgs, ctx: ToolContext) -> ToolOutput:  # type: ignore[override]
        from PIL import ImageDraw

        if not args.text.strip():
            raise ToolError("add_text needs a non-empty text")
        image = open_tool_image(ctx, args.image)
        xy, anchor = parse_position(args.position, image.size)
        rgb = parse_color(args.color)
        draw = ImageDraw.Draw(image)
        draw.text(xy, args.text, fill=rgb, anchor=anchor, font=_font(_auto_font_size(image.height)))
        path = _save(ctx, image, "add_text")
        return ToolOutput(text=f"Wrote {args.text!r} at ({xy[0]:g}, {xy[1]:g}) (anchor {anchor}); new image: {path}",
                          images=[str(path)], data={"path": str(path), "xy": list(xy), "anchor": anchor})


class CropArgs(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)  # a model may write 42 for "42"

    image: str = Field(description="the image: a path, a file name, or image_0 / image_1 ...")
    bbox: str | list[float] = Field(description="region to keep, `(x1, y1, x2, y2)` in pixels")
    zoom: float = Field(default=1.0, ge=1.0, le=8.0,
                        description="upscale factor for the crop (1-8), to read small details")


class CropTool(ToolagentTool):
    name: str = "crop_image"
    description: str = (
        "Crop a region `(x1, y1, x2, y2)` (pixels) out of an image, optionally zooming it (zoom 2 doubles the "
        "size) to inspect small details or to OCR a small area. Returns the new image's path.")
    args_schema: type[BaseModel] = CropArgs
    timeout_s: float = 30.0

    def execute(self, args: CropArgs, ctx: ToolContext) -> ToolOutput:  # type: ignore[override]
        from PIL import Image

        image = open_tool_image(ctx, args.image)
        box = parse_bbox(args.bbox, image.size)
        crop = image.crop(box)
        if args.zoom > 1.0:
            size = (max(1, round(crop.width * args.zoom)), max(1, round(crop.height * args.zoom)))
            if size[0] * size[1] > 40_000_000:
                raise ToolError(f"zoom {args.zoom:g} would make a {size[0]}x{size[1]} image; use a smaller zoom")
            crop = crop.resize(size, Image.Resampling.LANCZOS)
        path = _save(ctx, crop, "crop")
        return ToolOutput(text=f"Cropped {box} (zoom {args.zoom:g}) -> {crop.width}x{crop.height} image: {path}",
                          images=[str(path)], data={"path": str(path), "bbox": list(box),
                                                    "size": [crop.width, crop.height]})


def make_draw_box(config: ToolConfig) -> DrawBoxTool:  # noqa: ARG001 - uniform factory signature
    return DrawBoxTool()


def make_add_text(config: ToolConfig) -> AddTextTool:  # noqa: ARG001
    return AddTextTool()


def make_crop(config: ToolConfig) -> CropTool:  # noqa: ARG001
    return CropTool()
