"""The TraceR1 anticipatory agent graph served by ``langgraph.json`` (LangGraph Studio / ``langgraph dev``):
forecast T steps, execute the first, observe, re-plan.

Its settings come from the environment (``toolagent.graphs.served``); the model is resolved on the first run, so
importing this module is cheap.
"""

from __future__ import annotations

from toolagent.graphs.served import served_graph

graph = served_graph("tracer1")
