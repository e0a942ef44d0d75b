"""The reactive baseline: same tools, same budget, same records — one step at a time, no forecast."""

from __future__ import annotations

from typing import Any

from toolagent.graphs.builder import AgentSettings, build_graph


def build_react_graph(checkpointer: Any = None, **settings: Any) -> Any:
    """Compile the reactive baseline graph. ``settings`` are AgentSettings fields (``horizon`` is ignored)."""
    settings.pop("horizon", None)
    return build_graph(AgentSettings(mode="react", **settings), checkpointer=checkpointer, name="react")
