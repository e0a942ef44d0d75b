"""The live objects a graph runs with, resolved once from its settings (lazily, so importing a graph is cheap).

Resolving never mutates the settings: the chat model, the tools, the tool runner, the rendered tool menu, the
prompt profile and whether the planner takes images all live here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from langchain_core.tools import BaseTool

from toolagent.feedback import FeedbackHook, as_hooks
from toolagent.prompts.render import Profile, ToolMenu
from toolagent.records import Observation
from toolagent.settings import AgentSettings


@dataclass(frozen=True)
class Runtime:
    planner: Any  # the chat model, bound to JSON mode / guided decoding where the backend has it
    tools: dict[str, BaseTool]
    run_tool: Callable[..., Observation]
    menu: ToolMenu
    profile: Profile
    multimodal: bool


def resolve_runtime(settings: AgentSettings, tools: list[BaseTool] | None) -> Runtime:
    from toolagent.models.guided import forecast_schema
    from toolagent.models.resolve import resolve_model, with_json_mode
    from toolagent.tools.base import run_tool
    from toolagent.tools.cache import cache_from_config
    from toolagent.tools.registry import available_tools, build_tools

    model = resolve_model(settings.model, base_url=settings.base_url)
    config = settings.tool_config
    multimodal = bool(getattr(model, "is_multimodal", False)) if settings.multimodal is None else settings.multimodal
    if multimodal and config.vlm_model is None and not config.vlm:
        config = config.model_copy(update={"vlm_model": model})
    chosen = list(tools) if tools is not None else available_tools(build_tools(config))
    cache = cache_from_config(config)
    planner = (with_json_mode(model, lambda: forecast_schema(chosen, settings.plan_horizon))
               if settings.json_mode else model)
    profile: Profile = (settings.prompt_profile if settings.prompt_profile != "auto" else
                        "compact" if getattr(model, "prefers_compact_prompt", False) else "full")
    return Runtime(planner=planner, tools={tool.name: tool for tool in chosen},
                   run_tool=cache.call if cache is not None else run_tool, menu=ToolMenu.of(chosen),
                   profile=profile, multimodal=multimodal)


class Agent:
    """What a compiled graph closes over: the settings, the tools and hooks given to the factory, and the runtime
    resolved from them on first use (thread-safe)."""

    def __init__(self, settings: AgentSettings, tools: list[BaseTool] | None = None,
                 feedback: FeedbackHook | Iterable[FeedbackHook] | None = None) -> None:
        self.settings = settings
        self.tools = tools
        self.hooks: tuple[FeedbackHook, ...] = as_hooks(feedback)
        self._runtime: Runtime | None = None
        self._lock = threading.Lock()

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            with self._lock:
                if self._runtime is None:
                    self._runtime = resolve_runtime(self.settings, self.tools)
        return self._runtime
