"""image_qa: answer a question about an image (optionally a cropped region) with a vision-language model.

Backend, in order: ``config.vlm_model`` (a live multimodal chat model, e.g. the agent's own), else the spec
``config.vlm`` (``hf:PATH``, ``openai:MODEL``, ... / ``$TOOLAGENT_VLM``) resolved with
``resolve_model(spec, base_url=config.vlm_base_url)`` on first use. With neither, the tool is unavailable.
The image reaches the model as a LangChain image content block holding a base64 PNG data URL.

Building blocks for the GTA adapters (ImageDescription, RegionAttributeDescription, CountGivenObject,
TextToBbox) — all failures are ToolError with a readable line:

    qa = make_tool(config)                      # holds the resolved VLM (resolved once, thread-safe)
    img = open_tool_image(ctx, image_arg)       # from toolagent.tools.image_ops (RGB PIL image)
    ImageDescription:           qa.ask(img, question_for("describe"))
    RegionAttributeDescription: qa.ask(img, question_for("region_attribute", attribute=attr), bbox=bbox)
    CountGivenObject:           parse_count(qa.ask(img, question_for("count", text=text)))       -> int
    TextToBbox:                 box = parse_answer_bbox(qa.ask(img, question_for("text_to_bbox", text=text,
                                    width=img.width, height=img.height)))  -> (x1, y1, x2, y2); format_bbox(box)
                                (top1=False: parse_answer_bboxes(answer) -> every box in the answer)

``bbox`` (tool argument or ``ask``) is ``"(x1, y1, x2, y2)"`` in pixels (or a list); the image is cropped to it
before the question is asked.
"""

from __future__ import annotations

import base64
import io
import re
import threading
from typing import Any, Literal

from langchain_core.messages import HumanMessage
from pydantic import BaseModel, Field, PrivateAttr
from toolagent.tools.base import Availability, ToolagentTool, ToolContext, ToolError, ToolOutput
from toolagent.tools.config import ToolConfig
from toolagent.tools.image_ops import open_tool_image, parse_bbox

from toolagent.errors import ToolagentError

NO_VLM = "no vision-language model configured (set --vlm / TOOLAGENT_VLM)"
Task = Literal["describe", "region_attribute", "count", "text_to_bbox"]
Box = tuple[int, int, int, int]

_NUM = r"[-+]?\d+(?:\.\d+)?"
_BOX = re.compile(rf"[\(\[]\s*({_NUM})\s*,\s*({_NUM})\s*,\s*({_NUM})\s*,\s*({_NUM})\s*[\)\]]")
_POINT_PAIR = re.compile(rf"\(\s*({_NUM})\s*,\s*({_NUM})\s*\)\s*,?\s*\(\s*({_NUM})\s*,\s*({_NUM})\s*\)")
_INT = re.compile(r"(?<![\d.])\d+(?![\d.]*\d)")
_WORDS = {w: i for i, w in enumerate(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                                       "nine", "ten", "eleven", "twelve"])}


# ------------------------------------------------------------------------------------ prompts and parsing
def question_for(task: Task, **args: Any) -> str:
    """The question sent to the VLM for a GTA perception task (see the module docstring for the args)."""
    if task == "describe":
        return "Describe this image briefly."
    if task == "region_attribute":
        return f"Describe the {args['attribute']} of this image region. Answer briefly."
    if task == "count":
        return f"How many {args['text']} are in this image? Answer with a single number."
    if task == "text_to_bbox":
        size = f" The image is {args['width']}x{args['height']} pixels." if args.get("width") else ""
        return (f"Locate {args['text']} in this image.{size} Answer with its bounding box in pixel coordinates "
                "as (x1, y1, x2, y2).")
    raise ValueError(f"unknown image_qa task {task!r}")


def parse_count(answer: str) -> int:
    """The first whole number in the answer (digits, or a number word up to twelve); ToolError if none."""
    found = _INT.search(answer)
    words = re.search(r"\b(" + "|".join(_WORDS) + r")\b", answer.lower())
    if found and (not words or found.start() <= words.start()):
        return int(found.group())
    if words:
        return _WORDS[words.group(1)]
    raise ToolError(f"the vision-language model gave no count: {answer[:200]!r}")


def parse_answer_bboxes(answer: str) -> list[Box]:
    """Every ``(x1, y1, x2, y2)`` / ``[x1, y1, x2, y2]`` / ``(x1, y1), (x2, y2)`` box in the answer, in order."""
    found = [(m.start(), m.groups()) for m in _BOX.finditer(answer)]
    found += [(m.start(), m.groups()) for m in _POINT_PAIR.finditer(answer)]
    boxes: list[Box] = []
    for _, values in sorted(found):
        x1, y1, x2, y2 = (round(float(v)) for v in values)
        boxes.append((min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)))
    return boxes


def parse_answer_bbox(answer: str) -> Box:
    """The first box in the answer; ToolError if there is none."""
    boxes = parse_answer_bboxes(answer)
    if not boxes:
        raise ToolError(f"the vision-language model gave no bounding box: {answer[:200]!r}")
    return boxes[0]


def format_bbox(box: Box) -> str:
    return "({}, {}, {}, {})".format(*box)


# --------------------------------------------------------------------------------------- talking to a VLM
def image_data_url(image: Any) -> str:
    """A PIL image as a base64 PNG data URL."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def image_message(image: Any, question: str) -> HumanMessage:
    """One user message: the image as a LangChain image_url block, then the question."""
    return HumanMessage(content=[{"type": "image_url", "image_url": {"url": image_data_url(image)}},
                                 {"type": "text", "text": question}])


def _reply_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(b if isinstance(b, str) else str(b.get("text", "")) for b in content
                   if isinstance(b, str) or (isinstance(b, dict) and b.get("type") == "text"))


def crop(image: Any, bbox: Any) -> Any:
    """Crop to ``bbox`` (clipped to the image; ToolError when it misses the image)."""
    return image.crop(parse_bbox(bbox, image.size))


class ImageQAArgs(BaseModel):
    image: str = Field(description="The image: a path, a file name, or image_0 / image_1 ... for the task's images")
    question: str = Field(min_length=1, description="The question about the image")
    bbox: str | None = Field(default=None, description="Optional region '(x1, y1, x2, y2)' in pixels; "
                                                        "the image is cropped to it before asking")


class ImageQATool(ToolagentTool):
    name: str = "image_qa"
    side_effect_free = True
    description: str = ("Answer a question about an image, or about a region of it (bbox), with a vision-language "
                        "model: describe scenes, read attributes, count objects, locate things.")
    args_schema: type[BaseModel] = ImageQAArgs
    timeout_s: float = 180.0
    config: ToolConfig = Field(default_factory=ToolConfig)

    _model: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def availability(self) -> Availability:
        model = self.config.vlm_model
        if model is not None:
            if getattr(model, "is_multimodal", True) is False:
                return Availability(available=False, reason="the configured vision model is text-only")
            return Availability(available=True)
        spec = (self.config.vlm or "").strip()
        if not spec:
            return Availability(available=False, reason=NO_VLM)
        kind, _, rest = spec.partition(":")
        if kind == "hf":
            from pathlib import Path

            folder = Path(rest).expanduser()
            if not (folder / "config.json").is_file():
                return Availability(available=False, reason=f"vision-language model not found: {folder}")
        return Availability(available=True)

    def vlm(self) -> Any:
        """The backing chat model (resolved once from the config); ToolError when none can be had."""
        if self.config.vlm_model is not None:
            return self.config.vlm_model
        with self._lock:
            if self._model is None:
                if not (self.config.vlm or "").strip():
                    raise ToolError(NO_VLM)
                from toolagent.models.resolve import resolve_model

                try:
                    self._model = resolve_model(self.config.vlm or "", base_url=self.config.vlm_base_url)
                except ToolagentError as exc:
                    raise ToolError(f"vision-language model unavailable: {exc}") from None
            return self._model

    def ask(self, image: Any, question: str, bbox: Any = None) -> str:
        """Ask the VLM about a PIL image (cropped to ``bbox`` first when given); returns the stripped answer."""
        if bbox is not None and str(bbox).strip():
            image = crop(image, bbox)
        try:
            reply = self.vlm().invoke([image_message(image, question)])
        except ToolagentError as exc:
            raise ToolError(str(exc)) from None
        answer = _reply_text(reply.content).strip()
        if not answer:
            raise ToolError("the vision-language model returned an empty answer")
        return answer

    def execute(self, args: BaseModel, ctx: ToolContext) -> ToolOutput:
        assert isinstance(args, ImageQAArgs)
        image = open_tool_image(ctx, args.image)
        region = parse_bbox(args.bbox, image.size) if args.bbox and args.bbox.strip() else None
        answer = self.ask(image.crop(region) if region else image, args.question)
        return ToolOutput(text=answer, data={"answer": answer, "bbox": list(region) if region else None})


def make_tool(config: ToolConfig) -> ImageQATool:
    return ImageQATool(config=config)
