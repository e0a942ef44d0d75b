"""The 14 GTA tools under their official names and argument schemas, as adapters over our tools.

``gta_toolmeta.json`` (beside this file) is GTA's tool metadata (names, descriptions, inputs, outputs;
Apache-2.0, from the GTA benchmark's ``toolmeta.json``). Each GTA tool is one ``GTAToolAdapter``: a
pydantic schema built from the official inputs, a target tool of ours, a function mapping the official
arguments to the target's, and optionally a function shaping the target's output the way GTA's tool answers.
An adapter is available exactly when its target is.

    Calculator → calculator          OCR, MathOCR (plain OCR) → ocr      GoogleSearch → web_search
    DrawBox → draw_box               AddText → add_text                   Plot, Solver (code) → python
    ImageDescription, RegionAttributeDescription, CountGivenObject, TextToBbox → image_qa
    TextToImage → text_to_image      ImageStylization → image_stylization
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any

from langchain_core.tools import BaseTool
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model

from toolagent.tools.base import Availability, ToolContext, ToolError, ToolOutput, ToolagentTool, validate_args
from toolagent.tools.config import ToolConfig

ArgMap = Callable[[dict[str, Any], ToolContext], dict[str, Any]]
OutputMap = Callable[[ToolOutput, dict[str, Any], ToolContext], ToolOutput]

MATH_OCR_NOTE = (" (Here this is plain OCR of the text in the image, not a LaTeX formula recogniser: the "
                 "result is the recognised text lines with their boxes.)")


@lru_cache(maxsize=1)
def gta_toolmeta() -> dict[str, dict[str, Any]]:
    """The official tool metadata, keyed by tool name (packaged copy)."""
    text = resources.files("toolagent.tools").joinpath("gta_toolmeta.json").read_text(encoding="utf-8")
    return json.loads(text)


def _as_text(value: Any) -> Any:
    """GTA text arguments sometimes arrive as numbers or lists (a bbox): keep them, as text."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)) and all(isinstance(v, (int, float)) for v in value):
        return "(" + ", ".join(str(v) for v in value) + ")"
    return value


_TYPES: dict[str, Any] = {"text": Annotated[str, BeforeValidator(_as_text)], "image": str, "int": int, "bool": bool}


def schema_for(meta: dict[str, Any]) -> type[BaseModel]:
    """A pydantic schema with the official argument names, types, defaults and descriptions."""
    fields: dict[str, Any] = {}
    for item in meta["inputs"]:
        kind = _TYPES.get(item["type"], str)
        description = item.get("description") or ("the input image (a path, a file name, or image_1 ...)"
                                                   if item["type"] == "image" else None)
        if item.get("optional"):
            fields[item["name"]] = (kind | None, Field(item.get("default"), description=description))
        else:
            fields[item["name"]] = (kind, Field(..., description=description))
    return create_model(f"{meta['name']}Args", __config__=ConfigDict(extra="forbid"), **fields)


class GTAToolAdapter(ToolagentTool):
    """A GTA tool served by one of our tools: official schema in, mapped call out."""

    target: BaseTool
    map_args: ArgMap
    map_output: OutputMap | None = None

    def availability(self) -> Availability:
        from toolagent.tools.registry import availability

        return availability(self.target)

    def execute(self, args: BaseModel, ctx: ToolContext) -> ToolOutput:
        official = args.model_dump()
        mapped = self.map_args(official, ctx)
        if isinstance(self.target, ToolagentTool):
            parsed = validate_args(self.target, mapped)
            assert isinstance(parsed, BaseModel)
            output = self.target.execute(parsed, ctx)
        else:
            result = self.target.invoke(mapped)
            output = result if isinstance(result, ToolOutput) else ToolOutput(text=str(result))
        return self.map_output(output, official, ctx) if self.map_output else output


# ------------------------------------------------------------------------------------------ the mappings
def _same(*names: str) -> ArgMap:
    return lambda a, ctx: {n: a[n] for n in names if a.get(n) is not None}


def _python_code(a: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    return {"code": a["command"]}


def _search(a: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    return {"query": a["query"], "k": max(1, min(20, a.get("k") or 10))}


def _ask(task: str, **fixed: str) -> ArgMap:
    def build(a: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        from toolagent.tools.image_qa import question_for

        extra = {}
        if task == "text_to_bbox":
            from toolagent.tools.image_ops import open_tool_image

            image = open_tool_image(ctx, a["image"])
            extra = {"width": image.width, "height": image.height}
        question = question_for(task, **{k: a[v] for k, v in fixed.items()}, **extra)  # type: ignore[arg-type]
        mapped = {"image": a["image"], "question": question}
        if a.get("bbox"):
            mapped["bbox"] = a["bbox"]
        return mapped

    return build


def _count(output: ToolOutput, a: dict[str, Any], ctx: ToolContext) -> ToolOutput:
    from toolagent.tools.image_qa import parse_count

    count = parse_count(output.text)
    return ToolOutput(text=str(count), data=count)


def _boxes(output: ToolOutput, a: dict[str, Any], ctx: ToolContext) -> ToolOutput:
    from toolagent.tools.image_qa import format_bbox, parse_answer_bbox, parse_answer_bboxes

    top1 = a.get("top1") is not False
    boxes = [parse_answer_bbox(output.text)] if top1 else parse_answer_bboxes(output.text)
    if not boxes:
        raise ToolError(f"no {a['text']} found (the model gave no bounding box)")
    lines = [f"{a['text']} {format_bbox(box)}" for box in boxes]
    return ToolOutput(text="\n".join(lines), data=[{"bbox": list(box), "text": a["text"]} for box in boxes])


#: GTA name -> (our tool, argument mapping, output mapping)
ADAPTERS: dict[str, tuple[str, ArgMap, OutputMap | None]] = {
    "Calculator": ("calculator", _same("expression"), None),
    "OCR": ("ocr", _same("image"), None),
    "MathOCR": ("ocr", _same("image"), None),
    "GoogleSearch": ("web_search", _search, None),
    "DrawBox": ("draw_box", _same("image", "bbox", "annotation"), None),
    "AddText": ("add_text", _same("image", "text", "position", "color"), None),
    "Plot": ("python", _python_code, None),
    "Solver": ("python", _python_code, None),
    "ImageDescription": ("image_qa", _ask("describe"), None),
    "RegionAttributeDescription": ("image_qa", _ask("region_attribute", attribute="attribute"), None),
    "CountGivenObject": ("image_qa", _ask("count", text="text"), _count),
    "TextToBbox": ("image_qa", _ask("text_to_bbox", text="text"), _boxes),
    "TextToImage": ("text_to_image", _same("keywords"), None),
    "ImageStylization": ("image_stylization", _same("image", "instruction"), None),
}


def make_adapter(gta_name: str, target: BaseTool) -> GTAToolAdapter:
    """The adapter for one GTA tool over ``target`` (our tool named in ADAPTERS)."""
    meta = gta_toolmeta()[gta_name]
    _, map_args, map_output = ADAPTERS[gta_name]
    description = meta["description"] + (MATH_OCR_NOTE if gta_name == "MathOCR" else "")
    from toolagent.tools.registry import side_effect_free

    cls = type(f"GTA{gta_name}", (GTAToolAdapter,), {"gta_name": gta_name, "__module__": __name__,
                                                       "side_effect_free": side_effect_free(target)})
    return cls(name=gta_name, description=description, args_schema=schema_for(meta), target=target,
               map_args=map_args, map_output=map_output, timeout_s=getattr(target, "timeout_s", 60.0))


def make_gta_tools(config: ToolConfig) -> list[BaseTool]:
    """The 14 GTA tools, in toolmeta order, each over our tool built from ``config``."""
    from toolagent.tools.registry import build_tools

    needed = list(dict.fromkeys(target for target, _, _ in ADAPTERS.values()))
    ours = {tool.name: tool for tool in build_tools(config, names=needed)}
    return [make_adapter(name, ours[ADAPTERS[name][0]]) for name in gta_toolmeta()]
