"""LangGraph Studio / ``langgraph dev`` loading, and the standard callback hooks LangSmith tracing relies on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.tools import tool

from tests.embed.helpers import arithmetic_model
from toolagent import create_tracer1_agent

ROOT = Path(__file__).resolve().parents[2]

#: What `langgraph dev` does with a graph spec "./file.py:attr": import the file by path under a private module
#: name, take the attribute (calling it when it is a factory), require a compiled graph, then read its schemas.
LOADER = r"""
import importlib.util, json, sys, time
from pathlib import Path
from langgraph.pregel import Pregel

began = time.perf_counter()
config_path = Path(sys.argv[1])
spec = json.loads(config_path.read_text())
out = {"dependencies": spec["dependencies"], "graphs": {}}
for graph_id, target in spec["graphs"].items():
    path, _, attr = target.rpartition(":")
    file = (config_path.parent / path).resolve()
    module_spec = importlib.util.spec_from_file_location(f"__langgraph_dev_{graph_id}", file)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_spec.name] = module
    module_spec.loader.exec_module(module)
    graph = getattr(module, attr)
    graph = graph() if callable(graph) and not isinstance(graph, Pregel) else graph
    drawn = graph.get_graph()
    out["graphs"][graph_id] = {
        "compiled": isinstance(graph, Pregel), "name": graph.name, "nodes": sorted(graph.nodes),
        "input": graph.get_input_jsonschema(), "output": graph.get_output_jsonschema(),
        "edges": sorted({(e.source, e.target) for e in drawn.edges}), "mermaid": drawn.draw_mermaid(),
    }
out["load_s"] = time.perf_counter() - began
out["heavy"] = [m for m in ("torch", "transformers", "toolagent.models.embedded") if m in sys.modules]
if len(sys.argv) > 2:  # run the loaded graph once, as Studio's "Submit" does
    out["run"] = graph.invoke({"question": sys.argv[2]})
print(json.dumps(out, default=str))
"""


def _load(*question: str, model: str = "embedded") -> dict[str, Any]:
    env = {**os.environ, "TOOLAGENT_MODEL": model, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", LOADER, str(ROOT / "langgraph.json"), *question], cwd=ROOT,
                          env=env, capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_langgraph_json_loads_like_langgraph_dev() -> None:
    loaded = _load()
    assert loaded["dependencies"] == ["."] and (ROOT / "pyproject.toml").is_file()
    graph = loaded["graphs"]["tracer1"]
    assert graph["compiled"] and graph["name"] == "tracer1"
    assert graph["nodes"] == ["__start__", "planner", "start", "tools"]
    assert {"question", "images", "messages"} <= set(graph["input"]["properties"])
    assert graph["input"]["properties"]["images"]["type"] == "array"
    assert {"answer", "status", "steps", "forecasts", "run_id", "error"} <= set(graph["output"]["properties"])
    edges = {tuple(e) for e in graph["edges"]}
    assert {("__start__", "start"), ("start", "planner"), ("planner", "tools"), ("tools", "tools"), ("tools", "planner"),
            ("planner", "__end__")} <= edges
    assert "planner" in graph["mermaid"]
    assert loaded["heavy"] == []  # importing the graph loads no model: the spec resolves on the first run


def test_the_studio_graph_runs_the_model_named_by_the_environment() -> None:
    loaded = _load("What is 17 * 23 + 4?", model="py:tests.core.cli_models:calc_model")
    run = loaded["run"]
    assert run["status"] == "answered" and run["answer"] == "395"
    assert [s["executed"]["tool"] for s in run["steps"]] == ["calculator", "answer"]


class Recorder(BaseCallbackHandler):
    """What a tracer (LangSmith's included) receives through the standard callback protocol."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict[str, Any]]] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.events.append(("chat_model", (serialized or {}).get("name", ""), kwargs.get("metadata") or {}))

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.events.append(("llm_end", response.generations[0][0].text[:40], {}))

    def on_tool_start(self, serialized: Any, input_str: str, *, run_id: UUID, **kwargs: Any) -> None:
        self.events.append(("tool", (serialized or {}).get("name", ""), {"input": input_str}))

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.events.append(("tool_end", str(getattr(output, "content", output)), {}))

    def on_chain_start(self, serialized: Any, inputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.events.append(("chain", kwargs.get("name") or "", kwargs.get("metadata") or {}))

    def of(self, kind: str) -> list[tuple[str, str, dict[str, Any]]]:
        return [e for e in self.events if e[0] == kind]


def test_callbacks_see_the_planner_model_runs_the_tool_runs_and_the_nodes() -> None:
    @tool
    def multiply(a: int, b: int) -> int:
        """Multiply two integers."""
        return a * b

    def policy(messages: Any) -> str:
        from tests.core.wire import answer_step, reply, step
        from tests.embed.helpers import latest_output

        out = latest_output(messages)
        return reply(answer_step(out)) if out else reply(step("multiply", {"a": 6, "b": 7}), answer_step("?"))

    from toolagent.models.scripted import ScriptedChatModel

    recorder = Recorder()
    agent = create_tracer1_agent(ScriptedChatModel(policy=policy), [multiply])
    state = agent.invoke({"question": "6 times 7?"}, {"callbacks": [recorder], "tags": ["demo"]})
    assert state["answer"] == "42"
    models = recorder.of("chat_model")
    assert len(models) == 2 and [m[2]["langgraph_node"] for m in models] == ["planner", "tools"]
    assert models[0][1] == "ScriptedChatModel"
    assert recorder.of("llm_end")[0][1].startswith("<think>")
    assert [(t[1], t[2]["input"]) for t in recorder.of("tool")] == [("multiply", "{'a': 6, 'b': 7}")]
    assert recorder.of("tool_end")[0][1] == "42"
    nodes = [c[1] for c in recorder.of("chain") if c[1] in ("start", "planner", "tools")]
    assert nodes == ["start", "planner", "tools"]


def test_frozen_tools_are_traced_as_tool_runs() -> None:
    recorder = Recorder()
    agent = create_tracer1_agent(arithmetic_model(), ["calculator"])
    agent.invoke({"question": "What is 6 * 7?"}, {"callbacks": [recorder]})
    tools_nodes = [c for c in recorder.of("chain") if c[1] == "tools"]
    assert len(tools_nodes) == 1 and tools_nodes[0][2]["langgraph_node"] == "tools"
    assert len(recorder.of("chat_model")) == 2
    # the frozen tool runs in a timeout thread; its callbacks still reach the run's handlers
    assert [t[1] for t in recorder.of("tool")] == ["calculator"]
    assert "6 * 7" in recorder.of("tool")[0][2]["input"] and "42" in recorder.of("tool_end")[0][1]
