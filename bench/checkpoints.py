"""Checkpoint size of one run: toolagent's tracer1 graph vs LangGraph's prebuilt agent, side by side.

The same run for both: N executed steps over six tools whose outputs are ~2 KB of text, then an answer; the
tracer1 planner forecasts 5 steps per turn (short expect/instruction texts, as a trained planner writes them).
Both graphs checkpoint into their own SqliteSaver file; the table reports the bytes of all checkpoints of the run, with the ratio to the prebuilt agent (target: ≤ 1.0 at 20 steps; stretch: ≤ 0.5).

    python bench/checkpoints.py [--steps 5 10 20]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import zlib
from pathlib import Path
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool

sys.path.insert(0, str(Path(__file__).parent))
from overhead import _ToolCallingFake  # noqa: E402  (the zero-cost tool-calling model of the overhead bench)

TOOLS = ("calculator", "ocr", "web_search", "visit_page", "read_file", "crop_image")
_WORDS = ("total price item receipt amount river town station gate platform number result value page table row "
          "column figure date store coffee bread milk apples tea honey rice lemons sugar juice beans onions").split()


def _output(seed: int) -> str:
    """~2 KB of varied text (repeated text would flatter any compressing storage)."""
    import random

    rng = random.Random(seed)
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < 2000:
        words.append(rng.choice(_WORDS) if rng.random() < 0.8 else str(rng.randrange(10_000)))
    return " ".join(words)[:2000]


def _tools() -> list[BaseTool]:
    def make(name: str) -> BaseTool:
        def run(query: str) -> str:
            return _output(zlib.crc32(f"{name}/{query}".encode()))

        return StructuredTool.from_function(run, name=name, description=f"The {name} tool (returns ~2 KB).")

    return [make(name) for name in TOOLS]


def _forecast(i: int, steps: int) -> str:
    plan = []
    for k in range(i, min(i + 5, steps + 1)):
        if k == steps:
            plan.append({"expect": "the answer", "tool": "answer", "args": {"text": "done"},
                         "instruction": "report it", "status": "done"})
        else:
            plan.append({"expect": f"result {k}", "tool": TOOLS[k % len(TOOLS)], "args": {"query": f"item {k}"},
                         "instruction": f"look up item {k}", "status": "not done"})
    return json.dumps({"thought": f"step {i} of the plan", "plan": plan})


def _sizes(db: Path) -> int:
    """Bytes of all checkpoints (with metadata) and pending writes of the run."""
    conn = sqlite3.connect(db)
    with conn:
        stored = conn.execute("SELECT COALESCE(SUM(LENGTH(checkpoint) + LENGTH(metadata)), 0) FROM checkpoints")
        total = int(stored.fetchone()[0])
        writes = conn.execute("SELECT COALESCE(SUM(LENGTH(value)), 0) FROM writes").fetchone()[0]
    conn.close()
    return total + int(writes)


def _saver(db: Path) -> Any:
    from langgraph.checkpoint.sqlite import SqliteSaver

    return SqliteSaver(sqlite3.connect(db, check_same_thread=False))


def run_tracer1(steps: int, folder: Path) -> int:
    from toolagent.agent import build_agent
    from toolagent.models.scripted import ScriptedChatModel

    db = folder / f"tracer1-{steps}.sqlite"
    model = ScriptedChatModel(responses=[_forecast(i, steps) for i in range(steps + 1)])
    agent = build_agent(model, _tools(), checkpointer=_saver(db), max_steps=steps + 1, json_mode=False)
    state = agent.invoke({"question": "Go through the items and report."}, {"configurable": {"thread_id": "t"}})
    assert state["status"] == "answered" and len(state["steps"]) == steps + 1, state.get("error")
    return _sizes(db)


def run_prebuilt(steps: int, folder: Path) -> int:
    from langchain.agents import create_agent

    class Fake(_ToolCallingFake):
        def _generate(self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kw: Any) -> Any:
            from langchain_core.messages import AIMessage
            from langchain_core.outputs import ChatGeneration, ChatResult

            done = sum(1 for m in messages if m.type == "tool")
            if done >= self.steps:
                message = AIMessage(content="done")
            else:
                message = AIMessage(content="", tool_calls=[{"name": TOOLS[done % len(TOOLS)],
                                                             "args": {"query": f"item {done}"}, "id": f"c{done}"}])
            return ChatResult(generations=[ChatGeneration(message=message)])

    db = folder / f"prebuilt-{steps}.sqlite"
    agent = create_agent(Fake(steps=steps), _tools(), checkpointer=_saver(db))
    state = agent.invoke({"messages": [("user", "Go through the items and report.")]},
                         {"configurable": {"thread_id": "t"}, "recursion_limit": 10 * steps + 10})
    assert sum(1 for m in state["messages"] if m.type == "tool") == steps
    return _sizes(db)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[5, 10, 20])
    args = parser.parse_args()
    print("checkpoint bytes of one run (SqliteSaver), six tools, ~2 KB tool outputs")
    print(f"| {'steps':>5} | {'tracer1 KB':>10} | {'prebuilt KB':>11} | {'× prebuilt':>10} |")
    print(f"|{'-' * 7}|{'-' * 12}|{'-' * 13}|{'-' * 12}|")
    ratio = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for steps in args.steps:
            ours, peer = run_tracer1(steps, Path(tmp)), run_prebuilt(steps, Path(tmp))
            ratio = ours / peer
            print(f"| {steps:>5} | {ours / 1024:>10.0f} | {peer / 1024:>11.0f} | {ratio:>10.2f} |")
    print(f"\ntracer1/prebuilt checkpoint bytes at {args.steps[-1]} steps: {ratio:.2f} (target ≤ 1.0, stretch ≤ 0.5)")


if __name__ == "__main__":
    main()
