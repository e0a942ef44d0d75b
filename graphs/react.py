"""The reactive baseline served by ``langgraph.json`` next to tracer1: same tools, same budget, same records —
one step at a time, no forecast."""

from __future__ import annotations

from toolagent.graphs.served import served_graph

graph = served_graph("react")
