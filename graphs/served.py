"""Graphs for LangGraph Studio / ``langgraph dev`` / LangGraph Platform (``langgraph.json``), configured from the
environment when the server imports them:

    TOOLAGENT_MODEL      model spec (default: embedded): embedded, hf:PATH, openai:MODEL, anthropic:MODEL, ...
    TOOLAGENT_BASE_URL   OpenAI-compatible or Ollama server URL
    TOOLAGENT_HORIZON    forecast horizon T (tracer1)
    TOOLAGENT_MAX_STEPS  budget of executed tool steps
    TOOLAGENT_MCP        an mcpServers JSON file: its servers' tools join the frozen tools (started on import)

The tools themselves read TOOLAGENT_SEARCH, TOOLAGENT_DDGS_BACKEND, TOOLAGENT_CORPUS, TOOLAGENT_OCR, TOOLAGENT_VLM
and TOOLAGENT_PYTHON (``toolagent.tools.config.ToolConfig``); TOOLAGENT_HOME is the model cache.

Per run, ``model``, ``horizon``, ``max_steps``, ``approve`` and ``tools`` come from the run's context (an
assistant's context, Studio's configuration panel, ``client.runs.create(..., context={...})``) or from
``config["configurable"]`` (``toolagent.graphs.per_run``).
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
    if os.environ.get("TOOLAGENT_MCP"):
        from toolagent.embed.factory import create_react_baseline, create_tracer1_agent

        factory = create_tracer1_agent if graph == "tracer1" else create_react_baseline
        return factory(name=graph, mcp=os.environ["TOOLAGENT_MCP"], **overrides)
    return build_agent(graph=graph, name=graph, **overrides)
