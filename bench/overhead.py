"""Per-step framework overhead: toolagent's tracer1 graph vs LangGraph's prebuilt agent vs a plain Python loop.

Zero-cost fake model and tool: the model answers instantly with a scripted call, the tool returns a constant,
so what is measured is the framework (state handling, routing, parsing, validation, records) per executed step.
Also measures the cold start of ``toolagent --help``.

    python bench/overhead.py [--steps 40] [--repeats 7] [--clock cpu|wall]
"""

from __future__ import annotations

import argparse
import json
import operator
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypedDict

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool

from toolagent.agent import build_agent
from toolagent.models.scripted import ScriptedChatModel


@tool
def noop(i: int) -> str:
    """Return a constant."""
    return "ok"


def _forecast(i: int, final: bool) -> str:
    if final:
        plan = [{"expect": "", "tool": "answer", "args": {"text": "done"}, "instruction": "", "status": "done"}]
    else:
        plan = [{"expect": "", "tool": "noop", "args": {"i": i}, "instruction": "", "status": "not done"},
                {"expect": "", "tool": "answer", "args": {"text": "done"}, "instruction": "", "status": "done"}]
    return json.dumps({"thought": "", "plan": plan})


def run_tracer1(steps: int) -> float:
    replies = [_forecast(i, False) for i in range(steps)] + [_forecast(steps, True)]
    model = ScriptedChatModel(responses=replies)
    agent = build_agent(model, [noop], max_steps=steps + 1)
    start = CLOCK()
    state = agent.invoke({"question": "go"}, {"recursion_limit": 10 * steps})
    elapsed = CLOCK() - start
    assert state["status"] == "answered" and len(state["steps"]) == steps + 1, state.get("error")
    return elapsed


class _ToolCallingFake(BaseChatModel):
    """A zero-cost chat model that emits native tool calls (what create_agent expects)."""

    steps: int = 10

    @property
    def _llm_type(self) -> str:
        return "fake-tool-calling"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        return self

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        done = sum(1 for m in messages if m.type == "tool")
        if done >= self.steps:
            message = AIMessage(content="done")
        else:
            message = AIMessage(content="", tool_calls=[{"name": "noop", "args": {"i": done}, "id": f"c{done}"}])
        return ChatResult(generations=[ChatGeneration(message=message)])


def run_prebuilt(steps: int) -> float:
    from langchain.agents import create_agent

    agent = create_agent(_ToolCallingFake(steps=steps), [noop])
    start = CLOCK()
    state = agent.invoke({"messages": [("user", "go")]}, {"recursion_limit": 10 * steps})
    elapsed = CLOCK() - start
    assert sum(1 for m in state["messages"] if m.type == "tool") == steps
    return elapsed


def run_prebuilt_react(steps: int) -> float:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from langgraph.prebuilt import create_react_agent

        agent = create_react_agent(_ToolCallingFake(steps=steps), [noop])
    start = CLOCK()
    state = agent.invoke({"messages": [("user", "go")]}, {"recursion_limit": 10 * steps})
    elapsed = CLOCK() - start
    assert sum(1 for m in state["messages"] if m.type == "tool") == steps
    return elapsed


class BareState(TypedDict):
    n: int
    outputs: Annotated[list[str], operator.add]


def run_bare_graph(steps: int) -> float:
    """The floor of a LangGraph agent built on LangChain objects: two nodes per step, a chat model call and a tool
    call through their ``invoke``, Command routing, an int and a list of strings as state."""
    from langchain_core.messages import HumanMessage
    from langgraph.graph import START, StateGraph
    from langgraph.types import Command

    model = ScriptedChatModel(responses=["step"])

    def think(state: BareState) -> Command:
        model.invoke([HumanMessage(content="go")])
        return Command(goto="act" if state["n"] < steps else "__end__")

    def act(state: BareState) -> Command:
        return Command(update={"n": state["n"] + 1, "outputs": [noop.invoke({"i": state["n"]})]}, goto="think")

    graph = StateGraph(BareState)
    graph.add_node("think", think, destinations=("act", "__end__"))
    graph.add_node("act", act, destinations=("think",))
    graph.add_edge(START, "think")
    agent = graph.compile()
    start = CLOCK()
    state = agent.invoke({"n": 0, "outputs": []}, {"recursion_limit": 10 * steps})
    elapsed = CLOCK() - start
    assert len(state["outputs"]) == steps
    return elapsed


def run_plain_loop(steps: int) -> float:
    replies = [_forecast(i, False) for i in range(steps)] + [_forecast(steps, True)]
    start = CLOCK()
    history: list[str] = []
    for reply in replies:
        step = json.loads(reply)["plan"][0]
        if step["tool"] == "answer":
            break
        history.append(noop.func(**step["args"]))
    elapsed = CLOCK() - start
    assert len(history) == steps
    return elapsed


#: what a run is timed with: process CPU time by default (every thread of this process, none of the other
#: processes sharing the machine), or wall time (--clock wall)
CLOCK: Callable[[], float] = time.process_time

AGENTS: dict[str, Callable[[int], float]] = {
    "toolagent tracer1 graph": run_tracer1,
    "LangGraph prebuilt agent (create_agent)": run_prebuilt,
    "langgraph.prebuilt.create_react_agent": run_prebuilt_react,
    "bare LangGraph loop (model + tool invoke)": run_bare_graph,
    "plain Python loop": run_plain_loop,
}


def per_step_us(steps: int, repeats: int) -> dict[str, float]:
    """Median µs per step of each agent; the agents take turns within each repeat, so a change in the machine's
    load hits them all alike."""
    for fn in AGENTS.values():
        fn(2)  # warm up imports and caches
    samples: dict[str, list[float]] = {name: [] for name in AGENTS}
    for _ in range(repeats):
        for name, fn in AGENTS.items():
            samples[name].append(fn(steps))
    return {name: statistics.median(times) / steps * 1e6 for name, times in samples.items()}


def cold_start_s(repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "toolagent.cli", "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="process CPU time (default: robust on a loaded machine) or wall time")
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    results = per_step_us(args.steps, args.repeats)
    peer = results["LangGraph prebuilt agent (create_agent)"]
    react = results["langgraph.prebuilt.create_react_agent"]
    print(f"per-step framework overhead ({args.clock} time), {args.steps} steps, median of {args.repeats} "
          "interleaved runs")
    print(f"| {'agent':<42} | {'µs/step':>10} | {'× prebuilt':>10} | {'× react':>8} |")
    print(f"|{'-' * 44}|{'-' * 12}|{'-' * 12}|{'-' * 10}|")
    for name, value in results.items():
        print(f"| {name:<42} | {value:>10.1f} | {value / peer:>10.2f} | {value / react:>8.2f} |")
    print(f"\n`toolagent --help` cold start: {cold_start_s():.3f} s (target ≤ 0.5 s)")
    print(f"tracer1 / create_react_agent per step: {results['toolagent tracer1 graph'] / react:.2f} (target ≤ 0.5)")


if __name__ == "__main__":
    main()
