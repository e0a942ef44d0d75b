"""The TraceR1 anticipatory agent graph: forecast T steps, execute the first, observe, re-plan.

``graph`` is what ``langgraph.json`` (LangGraph Studio / ``langgraph dev``) loads. Its model comes from
``TOOLAGENT_MODEL`` (default ``embedded``) and is resolved on the first run, so importing this module is cheap.
"""

from __future__ import annotations

import os
from typing import Any

from toolagent.graphs.builder import AgentSettings, build_graph


def build_tracer1_graph(checkpointer: Any = None, **settings: Any) -> Any:
    """Compile the anticipatory graph. ``settings`` are AgentSettings fields (model, tools, horizon, ...)."""
    return build_graph(AgentSettings(mode="tracer1", **settings), checkpointer=checkpointer, name="tracer1")


graph = build_tracer1_graph(model=os.environ.get("TOOLAGENT_MODEL", "embedded"),
                            base_url=os.environ.get("TOOLAGENT_BASE_URL") or None)
