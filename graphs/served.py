"""Graphs for LangGraph Studio / ``langgraph dev``, configured from the environment:

    TOOLAGENT_MODEL      model spec (default: embedded)
    TOOLAGENT_BASE_URL   OpenAI-compatible or Ollama server URL
    TOOLAGENT_HORIZON    forecast horizon T (tracer1)
    TOOLAGENT_MAX_STEPS  budget of executed tool steps
"""

from __future__ import annotations

import os
from typing import Any

from toolagent.settings import Graph

#: environment variable -> AgentSettings field
ENVIRONMENT = {"TOOLAGENT_MODEL": "model", "TOOLAGENT_BASE_URL": "base_url", "TOOLAGENT_HORIZON": "horizon",
               "TOOLAGENT_MAX_STEPS": "max_steps"}


def served_graph(graph: Graph) -> Any:
    from toolagent.agent import build_agent

    overrides = {field: os.environ[name] for name, field in ENVIRONMENT.items() if os.environ.get(name)}
    return build_agent(graph=graph, name=graph, **overrides)
