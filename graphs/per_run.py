"""Settings one run may change: ``model``, ``horizon``, ``max_steps``, ``approve`` and ``tools``, given as LangGraph
run context or config, so ``langgraph dev`` / LangGraph Platform users (assistants, Studio's configuration panel,
langgraph-sdk) set them per run without rebuilding the graph:

    agent.invoke(inputs, context={"horizon": 2, "approve": True})
    agent.invoke(inputs, {"configurable": {"model": "openai:gpt-4o-mini", "tools": ["calculator"]}})

Values are validated into the graph's AgentSettings (a bad one ends the run with status "error" and one line); the
agent resolved for a combination is kept, so the next run with the same values reuses its model and tools.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from langchain_core.runnables import RunnableConfig
from typing_extensions import TypedDict

from toolagent.graphs.runtime import Agent
from toolagent.settings import AgentSettings

#: the AgentSettings fields a run may override (plus ``tools``: registered tool names)
RUN_FIELDS = ("model", "horizon", "max_steps", "approve")
_KEEP = 8  # resolved variants kept per graph


def _annotation(name: str) -> Any:
    annotation = AgentSettings.model_fields[name].annotation
    return str if name == "model" else annotation  # a spec string (a chat model object cannot be sent to a server)


#: the graph's context schema (what Studio shows as the assistant's configuration), derived from AgentSettings
RunSettings = TypedDict(  # type: ignore[misc]
    "RunSettings", {**{name: _annotation(name) for name in RUN_FIELDS}, "tools": list[str]}, total=False)
RunSettings.__doc__ = "Per-run agent settings (any subset); the graph's own settings fill in the rest."


def overrides_of(config: RunnableConfig) -> dict[str, Any]:
    """The per-run settings a run was given: its LangGraph context, then ``configurable`` (which wins)."""
    given: dict[str, Any] = {}
    try:
        from langgraph.runtime import get_runtime

        context = get_runtime().context
    except (RuntimeError, KeyError, AttributeError, TypeError):
        context = None
    sources = [context if isinstance(context, dict) else getattr(context, "__dict__", {}) or {},
               config.get("configurable") or {}]
    for source in sources:
        given.update({k: source[k] for k in (*RUN_FIELDS, "tools") if source.get(k) is not None})
    return given


class Variants:
    """The graph's agent and the agents resolved for per-run settings (built on first use, then reused)."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self._made: dict[str, Agent] = {}
        self._lock = threading.Lock()

    def for_run(self, config: RunnableConfig) -> Agent:
        """The agent for this run (raises BadInput for a bad per-run value)."""
        given = overrides_of(config)
        fields = {k: v for k, v in given.items() if k != "tools" and getattr(self.agent.settings, k) != v}
        tools = given.get("tools")
        if not fields and tools is None:
            return self.agent
        key = json.dumps({**fields, "tools": tools}, sort_keys=True, default=str)
        with self._lock:
            if key not in self._made:
                self._made[key] = self._make(fields, tools)
                while len(self._made) > _KEEP:
                    self._made.pop(next(iter(self._made)))
            return self._made[key]

    def _make(self, fields: dict[str, Any], tools: list[str] | None) -> Agent:
        chosen = self.agent.tools
        if tools is not None:
            from toolagent.embed.factory import coerce_tools
            from toolagent.errors import BadInput

            if isinstance(tools, str) or not all(isinstance(t, str) for t in tools):
                raise BadInput("the per-run setting 'tools' must be a list of tool names")
            own = {t.name: t for t in self.agent.tools or []}
            chosen = [own[t] for t in tools if t in own] + (coerce_tools([t for t in tools if t not in own]) or [])
        return Agent(self.agent.settings.with_(**fields), chosen, self.agent.hooks)
