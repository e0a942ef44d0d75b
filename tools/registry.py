"""The registry: which frozen tools exist, how to build them, which are available, and GTA's names for them.

Tool modules are imported lazily so that ``toolagent --help`` stays fast.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from langchain_core.tools import BaseTool

from toolagent.tools.base import AVAILABLE, Availability, ToolagentTool
from toolagent.tools.config import ToolConfig


@dataclass(frozen=True)
class ToolSpec:
    name: str
    factory: str  # "module:function" taking (config) and returning a BaseTool


#: Our tools, in the order the planner sees them.
TOOL_SPECS: tuple[ToolSpec, ...] = (
    ToolSpec("calculator", "toolagent.tools.calculator:make_tool"),
    ToolSpec("solver", "toolagent.tools.solver:make_tool"),
    ToolSpec("ocr", "toolagent.tools.ocr:make_tool"),
    ToolSpec("web_search", "toolagent.tools.web_search:make_tool"),
    ToolSpec("visit_page", "toolagent.tools.visit_page:make_tool"),
    ToolSpec("image_qa", "toolagent.tools.image_qa:make_tool"),
    ToolSpec("draw_box", "toolagent.tools.image_ops:make_draw_box"),
    ToolSpec("add_text", "toolagent.tools.image_ops:make_add_text"),
    ToolSpec("crop_image", "toolagent.tools.image_ops:make_crop"),
    ToolSpec("python", "toolagent.tools.python_exec:make_tool"),
    ToolSpec("read_file", "toolagent.tools.file_reader:make_tool"),
    ToolSpec("text_to_image", "toolagent.tools.generation:make_text_to_image"),
    ToolSpec("image_stylization", "toolagent.tools.generation:make_image_stylization"),
)


def _load(factory: str):  # noqa: ANN202
    module, _, attr = factory.partition(":")
    return getattr(importlib.import_module(module), attr)


def build_tools(config: ToolConfig | None = None, names: list[str] | None = None) -> list[BaseTool]:
    """Build our tools (available or not). ``names`` selects a subset; unknown names raise KeyError."""
    config = config or ToolConfig()
    specs = {spec.name: spec for spec in TOOL_SPECS}
    if names is not None:
        unknown = [n for n in names if n not in specs]
        if unknown:
            raise KeyError(f"unknown tool(s): {', '.join(unknown)} (known: {', '.join(specs)})")
        chosen = [specs[n] for n in names]
    else:
        chosen = list(TOOL_SPECS)
    return _confined([_load(spec.factory)(config) for spec in chosen], config)


def _confined(tools: list[BaseTool], config: ToolConfig) -> list[BaseTool]:
    """Give each tool the configured read allowance (the only paths beyond a run's attachments/workspace)."""
    allowed = [str(Path(p).expanduser().resolve()) for p in config.allow_paths]
    for tool in tools:
        if isinstance(tool, ToolagentTool):
            tool.allowed_paths = allowed
    return tools


def availability(tool: BaseTool) -> Availability:
    """A ToolagentTool reports its own availability; any other BaseTool is taken as available."""
    if isinstance(tool, ToolagentTool):
        try:
            return tool.availability()
        except Exception as exc:  # an availability probe must never break the agent
            return Availability(available=False, reason=f"availability check failed: {exc}")
    return AVAILABLE


def side_effect_free(tool: BaseTool) -> bool:
    """Whether a call of ``tool`` may run speculatively (ahead of the planner, possibly for nothing): it must
    only read its inputs. Our tools declare it (``ToolagentTool.side_effect_free``: python, the image editors and
    the generators do not); any other tool counts as side-effecting unless its metadata marks it
    (``metadata={"side_effect_free": True}``, or an MCP server's ``readOnlyHint`` annotation)."""
    if isinstance(tool, ToolagentTool):
        return tool.side_effect_free
    metadata = tool.metadata or {}
    return metadata.get("side_effect_free") is True or metadata.get("readOnlyHint") is True


def available_tools(tools: list[BaseTool]) -> list[BaseTool]:
    return [tool for tool in tools if availability(tool).available]


def gta_tools(config: ToolConfig | None = None) -> list[BaseTool]:
    """The 14 GTA tools under their official names and argument names (see shared/data/gta_toolmeta.json)."""
    config = config or ToolConfig()
    return _confined(_load("toolagent.tools.gta:make_gta_tools")(config), config)
