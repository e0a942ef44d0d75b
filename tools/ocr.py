"""OCR (GTA ``OCR(image)``): every text line on an image with its box ``(x1, y1, x2, y2)``.

Backends: tesseract (default, via pytesseract) and rapidocr (ONNX PP-OCR models shipped with the wheel).
Output, GTA-style, one line per text line::

    (12, 30, 200, 52) TOTAL 13.50

and ``data`` = ``[{"bbox": [x1, y1, x2, y2], "text": ..., "conf": 0-100}, ...]`` in original image pixels.

Lines on the same row are joined (a receipt's item and its price come back as one line). The tesseract path
is kept cheap: grayscale; extra passes only when needed - at 2x for small text, through a 3x3 median filter
for speckled images, and turned upright (tesseract OSD's guess first, then 90/180/270) when confidence is low
or the lines run vertically. rapidocr reads rotated text itself; vertical readings are turned upright so the
lines come back in reading order.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from toolagent.tools.base import Availability, ToolagentTool, ToolContext, ToolError, ToolOutput
from toolagent.tools.config import ToolConfig
from toolagent.tools.image_ops import open_tool_image

Box = tuple[int, int, int, int]
Word = tuple[Box, str, float]  # box, text, confidence 0-100
Unit = tuple[Box, list[Word]]  # a line as the engine found it

#: weighted mean word confidence below which we look for a better orientation
LOW_CONFIDENCE = 60.0
#: ... and above which a reading of small text is trusted without an upscaled second pass
GOOD_CONFIDENCE = 90.0
#: median line height (px) below which a 2x upscaled pass is tried
SMALL_TEXT_PX = 20
MAX_UPSCALED_PIXELS = 6_000_000
_ALNUM = re.compile(r"[A-Za-z0-9]")


@dataclass
class OcrLine:
    bbox: Box
    text: str
    conf: float

    def as_dict(self) -> dict[str, Any]:
        return {"bbox": list(self.bbox), "text": self.text, "conf": round(self.conf, 1)}


@dataclass
class Reading:
    lines: list[OcrLine]
    score: float  # confidence-weighted count of alphanumeric characters
    quality: float  # character-weighted mean confidence (0-100)
    rotation: int = 0  # degrees clockwise applied to the image to read it

    @property
    def vertical(self) -> bool:
        """Most characters sit in vertical lines: the text is probably rotated by 90 degrees."""
        upright = sum(len(ln.text) for ln in self.lines if not is_vertical(ln.bbox, ln.text))
        return sum(len(ln.text) for ln in self.lines) > 2 * upright


# ------------------------------------------------------------------------------------ line grouping ---
def _union(boxes: list[Box]) -> Box:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def group_words(data: dict[str, list[Any]]) -> list[Unit]:
    """Group tesseract ``image_to_data`` words by (block, paragraph, line)."""
    groups: dict[tuple[int, int, int], list[Word]] = {}
    for i, word in enumerate(data["text"]):
        word = str(word).strip()
        conf = float(data["conf"][i])
        if not word or conf < 0:
            continue
        x, y, w, h = (int(data[k][i]) for k in ("left", "top", "width", "height"))
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        groups.setdefault(key, []).append(((x, y, x + w, y + h), word, conf))
    return [(_union([w[0] for w in words]), words) for words in groups.values()]


def is_vertical(box: Box, text: str) -> bool:
    """A line box much taller than wide holding several characters: text running top-down or bottom-up."""
    return len(text.replace(" ", "")) >= 3 and (box[3] - box[1]) > 1.5 * (box[2] - box[0])


def merge_rows(units: list[Unit]) -> list[OcrLine]:
    """Join horizontal line units on the same row (e.g. a receipt's item and its price column), top to bottom."""
    units = sorted(units, key=lambda u: (u[0][1], u[0][0]))
    rows: list[list[Unit]] = []
    for unit in units:
        box = unit[0]
        height = box[3] - box[1]
        target = None
        if not is_vertical(box, " ".join(w[1] for w in unit[1])):
            for row in rows:
                rbox = _union([u[0] for u in row])
                rheight = rbox[3] - rbox[1]
                overlap = min(box[3], rbox[3]) - max(box[1], rbox[1])
                similar = max(height, rheight) <= 1.6 * max(min(height, rheight), 1)
                if similar and overlap >= 0.6 * min(height, rheight) and not is_vertical(rbox, "xxx"):
                    target = row
                    break
        if target is None:
            rows.append([unit])
        else:
            target.append(unit)
    lines = []
    for row in rows:
        words = [w for unit in sorted(row, key=lambda u: u[0][0]) for w in unit[1]]
        chars = sum(len(w[1]) for w in words)
        conf = sum(w[2] * len(w[1]) for w in words) / max(chars, 1)
        lines.append(OcrLine(_union([u[0] for u in row]), " ".join(w[1] for w in words), conf))
    return sorted(lines, key=lambda line: (line.bbox[1], line.bbox[0]))


def score_lines(lines: list[OcrLine]) -> tuple[float, float]:
    chars = [(len(_ALNUM.findall(word)), line.conf) for line in lines for word in line.text.split()]
    total = sum(n for n, _ in chars)
    score = sum(n * conf / 100 for n, conf in chars)
    return score, (100 * score / total if total else 0.0)


def _better(current: Reading, candidate: Reading) -> Reading:
    """Prefer a more confident reading unless it lost much of the text."""
    if not current.lines or (candidate.quality > current.quality and candidate.score >= 0.8 * current.score):
        return candidate
    return current


# ------------------------------------------------------------------------------------- orientation ---
def _rotate_cw(image, degrees: int):  # noqa: ANN001, ANN202
    from PIL import Image

    ops = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}
    return image.transpose(ops[degrees]) if degrees in ops else image


def unrotate_box(box: Box, degrees: int, size: tuple[int, int]) -> Box:
    """Map a box found on the image rotated ``degrees`` clockwise back to the original ``size`` (w, h)."""
    width, height = size
    x1, y1, x2, y2 = box
    if degrees == 90:  # original (x, y) -> rotated (h - y, x)
        return (y1, height - x2, y2, height - x1)
    if degrees == 180:
        return (width - x2, height - y2, width - x1, height - y1)
    if degrees == 270:  # original (x, y) -> rotated (y, w - x)
        return (width - y2, x1, width - y1, x2)
    return box


def _reorient(image, best: Reading, turns: list[int], read: Callable[[Any], Reading]) -> Reading:  # noqa: ANN001
    """Read the image turned clockwise by each of ``turns`` and keep a clearly better (or upright) reading."""
    for degrees in turns:
        candidate = read(_rotate_cw(image, degrees))
        if candidate.score > best.score * 1.15 or (
                best.vertical and not candidate.vertical and candidate.score >= 0.9 * best.score):
            candidate.lines = [OcrLine(unrotate_box(ln.bbox, degrees, image.size), ln.text, ln.conf)
                               for ln in candidate.lines]
            candidate.rotation = degrees
            best = candidate
            if best.quality >= LOW_CONFIDENCE:
                break
    return best


# ------------------------------------------------------------------------------------------- tools ---
class OCRArgs(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)  # a model may write 42 for "42"

    image: str = Field(description="the image to read: a path, a file name, or image_0 / image_1 ...")
    lang: str | None = Field(
        default=None,
        description="tesseract language code(s), e.g. 'eng', 'deu' or 'eng+fra' (default: eng; tesseract only)")


class OCRTool(ToolagentTool):
    name: str = "ocr"
    description: str = (
        "Read all text in an image (OCR). Returns one line per text line as `(x1, y1, x2, y2) text`, where the "
        "box is in image pixels (top-left, bottom-right). Handles rotated text. Use it for signs, receipts, "
        "documents, charts' labels; crop_image + ocr reads small regions better.")
    args_schema: type[BaseModel] = OCRArgs
    gta_name = "OCR"
    side_effect_free = True
    timeout_s: float = 90.0
    backend: str = "tesseract"
    default_lang: str = "eng"

    _engine: Any = PrivateAttr(default=None)
    _languages: list[str] | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    # -- availability -----------------------------------------------------------------------------
    def availability(self) -> Availability:
        if self.backend == "rapidocr":
            import importlib.util

            for module in ("rapidocr", "onnxruntime"):
                if importlib.util.find_spec(module) is None:
                    return Availability(available=False,
                                        reason=f"{module} not installed: pip install 'toolagent[local]'")
            return Availability(available=True)
        try:
            import pytesseract
        except ImportError:
            return Availability(available=False, reason="pytesseract not installed: pip install pytesseract")
        cmd = pytesseract.pytesseract.tesseract_cmd
        if shutil.which(cmd) is None:
            return Availability(available=False, reason="tesseract not found: apt-get install tesseract-ocr")
        return Availability(available=True)

    # -- entry point ------------------------------------------------------------------------------
    def execute(self, args: OCRArgs, ctx: ToolContext) -> ToolOutput:  # type: ignore[override]
        status = self.availability()
        if not status.available:
            raise ToolError(f"ocr unavailable: {status.reason}")
        image = open_tool_image(ctx, args.image)
        if self.backend == "rapidocr":
            reading = self._rapidocr_oriented(image)
        else:
            reading = self._tesseract(image, self._check_lang(args.lang or self.default_lang))
        if not reading.lines:
            return ToolOutput(text="No text found in the image.", data=[])
        text = "\n".join(f"({ln.bbox[0]}, {ln.bbox[1]}, {ln.bbox[2]}, {ln.bbox[3]}) {ln.text}" for ln in reading.lines)
        if reading.rotation:
            text = (f"(the text is rotated: read after turning the image {reading.rotation} degrees clockwise; "
                    f"boxes are in the original image's pixels)\n{text}")
        return ToolOutput(text=text, data=[line.as_dict() for line in reading.lines],
                          brief="\n".join(ln.text for ln in reading.lines))

    # -- tesseract ---------------------------------------------------------------------------------
    def _check_lang(self, lang: str) -> str:
        import pytesseract

        if self._languages is None:
            self._languages = list(pytesseract.get_languages(config=""))
        missing = [code for code in lang.split("+") if code and code not in self._languages]
        if missing:
            have = ", ".join(sorted(set(self._languages) - {"osd"})) or "none"
            raise ToolError(f"tesseract language {'+'.join(missing)!r} is not installed (installed: {have}); "
                            f"install it with apt-get install tesseract-ocr-{missing[0]}")
        return lang

    def _read_tesseract(self, image, lang: str, scale: float = 1.0) -> Reading:  # noqa: ANN001
        import pytesseract

        if scale != 1.0:
            from PIL import Image

            image = image.resize((round(image.width * scale), round(image.height * scale)),
                                 Image.Resampling.LANCZOS)
        try:
            data = pytesseract.image_to_data(image, lang=lang, config="--psm 3",
                                             output_type=pytesseract.Output.DICT, timeout=self.timeout_s)
        except RuntimeError as exc:  # pytesseract raises RuntimeError on its own timeout
            raise ToolError(f"tesseract failed: {exc}") from None
        except pytesseract.TesseractError as exc:
            raise ToolError(f"tesseract failed: {exc.message or exc}") from None
        lines = merge_rows(group_words(data))
        if scale != 1.0:
            lines = [OcrLine(tuple(round(v / scale) for v in ln.bbox), ln.text, ln.conf)  # type: ignore[misc]
                     for ln in lines]
        return _reading(lines)

    def _tesseract(self, image, lang: str) -> Reading:  # noqa: ANN001
        from PIL import ImageFilter

        gray = image.convert("L")
        low, high = gray.getextrema()
        if high - low < 24:  # a blank (uniform) image: nothing to read
            return Reading([], 0.0, 0.0)
        best = self._read_tesseract(gray, lang)
        heights = sorted(ln.bbox[3] - ln.bbox[1] for ln in best.lines)
        small = not heights or heights[len(heights) // 2] < SMALL_TEXT_PX
        if small and best.quality < GOOD_CONFIDENCE and gray.width * gray.height * 4 <= MAX_UPSCALED_PIXELS:
            best = _better(best, self._read_tesseract(gray, lang, 2.0))
        source = gray
        if best.lines and best.quality < LOW_CONFIDENCE:  # speckled photos and scans: a 3x3 median filter
            denoised = gray.filter(ImageFilter.MedianFilter(3))
            candidate = self._read_tesseract(denoised, lang)
            if candidate is _better(best, candidate):
                best, source = candidate, denoised
        if best.lines and best.quality >= LOW_CONFIDENCE and not best.vertical:
            return best
        return _reorient(source, best, self._orientation_candidates(source),
                         lambda turned: self._read_tesseract(turned, lang))

    def _orientation_candidates(self, gray) -> list[int]:  # noqa: ANN001
        """Clockwise turns to try: tesseract OSD's answer first when it has one, then the others."""
        import pytesseract

        order = [90, 270, 180]
        try:
            osd = pytesseract.image_to_osd(gray, config="--psm 0", output_type=pytesseract.Output.DICT,
                                           timeout=self.timeout_s)
            turn = int(osd.get("rotate", 0)) % 360
            if turn in order:
                order.remove(turn)
                order.insert(0, turn)
        except (pytesseract.TesseractError, RuntimeError, ValueError):
            pass  # too few characters for OSD, or no osd.traineddata: fall back to trying every turn
        return order

    # -- rapidocr -----------------------------------------------------------------------------------
    def _rapidocr_oriented(self, image) -> Reading:  # noqa: ANN001
        best = _reading(self._rapidocr(image))
        if not best.vertical:
            return best
        # rapidocr reads vertical lines, but their order is lost: turn the image upright. Without the
        # 0/180 classifier only the right turn reads well, which tells the two turns apart.
        return _reorient(image, best, [90, 270], lambda turned: _reading(self._rapidocr(turned, use_cls=False)))

    def _rapidocr(self, image, use_cls: bool = True) -> list[OcrLine]:  # noqa: ANN001
        with self._lock:
            if self._engine is None:
                from rapidocr import RapidOCR

                self._engine = RapidOCR(params={"Det.limit_type": "max", "Det.limit_side_len": 960,
                                                "Global.log_level": "error"})
            engine = self._engine
            # a PIL RGB image (rapidocr converts it to BGR); per-call options update shared state: keep the lock
            result = engine(image, use_cls=use_cls)
        if result.boxes is None or result.txts is None:
            return []
        units: list[Unit] = []
        for points, text, score in zip(result.boxes, result.txts, result.scores):
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            box = (max(0, int(min(xs))), max(0, int(min(ys))), int(round(max(xs))), int(round(max(ys))))
            if text.strip():
                units.append((box, [(box, text.strip(), float(score) * 100)]))
        return merge_rows(units)


def _reading(lines: list[OcrLine]) -> Reading:
    return Reading(lines, *score_lines(lines))


def make_tool(config: ToolConfig) -> OCRTool:
    return OCRTool(backend=config.ocr_backend, default_lang=config.ocr_lang)
