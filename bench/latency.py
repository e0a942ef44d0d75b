"""Wall time per task: tracer1 with and without speculative execution, and the react graph, in one run.

Speculation comes in two rows: tools only (``speculate``, the default) and tools plus the planner turn after next
run ahead on the prefetched observation (``speculate_plans``).

A scripted planner (fixed latency per turn) and scripted tools with fixed latencies (planner 1.5 s per turn,
web_search 1.0 s, ocr 0.3 s, calculator 0.01 s; all multiplied by ``--scale`` to keep the run short) on multi-step
tasks whose forecasts are right, partly right and wrong. The planner's answer is built from the tool results it has
seen, so equal answers mean equal executed steps. The tools are marked side-effect free in their metadata (what a
user does for their own tools).

    python bench/latency.py [--scale 0.2]

The last line is ``speculative/react wall time: R`` over the right-forecast tasks (tools and planner turns run
ahead); the line before it gives the tools-only ratio.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.tools import BaseTool, StructuredTool

from toolagent.agent import build_agent, invoke_agent
from toolagent.models.scripted import ScriptedChatModel
from toolagent.records import RunResult

#: seconds at scale 1 (the issue's reference latencies)
PLANNER_S = 1.5
TOOL_S = {"web_search": 1.0, "ocr": 0.3, "calculator": 0.01}

Step = dict[str, Any]


def call(tool: str, arg: str) -> Step:
    key = {"web_search": "query", "ocr": "image", "calculator": "expression"}[tool]
    return {"expect": "", "tool": tool, "args": {key: arg}, "instruction": "", "status": "not done"}


ANSWER: Step = {"expect": "", "tool": "answer", "args": {"text": "?"}, "instruction": "", "status": "done"}


@dataclass(frozen=True)
class Task:
    name: str
    kind: str  # right | partly right | wrong
    forecasts: list[list[Step]]  # the forecast of turn n (after n executed steps); its first step is what runs

    @property
    def path(self) -> list[Step]:
        return [plan[0] for plan in self.forecasts]


def _right(name: str, path: list[Step]) -> Task:
    return Task(name, "right", [[*path[i:], ANSWER][:5] for i in range(len(path))])


S = "web_search"
TASKS: list[Task] = [
    _right("two cities' ratio", [call(S, "population of Lyon"), call(S, "population of Nice"),
                                 call("calculator", "522250 / 348085")]),
    _right("receipt in euros", [call("ocr", "receipt.png"), call(S, "EUR USD rate 2024-03-01"),
                                call("calculator", "41.80 * 1.0842")]),
    _right("three facts", [call(S, "Eiffel tower height"), call(S, "Big Ben height"),
                           call(S, "Statue of Liberty height"), call("calculator", "330 + 96 + 93")]),
    Task("label then lookup", "partly right", [  # the search was right, the search after it was not
        [call("ocr", "label.png"), call(S, "part 7731 datasheet"), call(S, "part 7731 price")],
        [call(S, "part 7731 datasheet"), call(S, "part 7731-B price"), ANSWER],
        [call(S, "part 7731-B price"), ANSWER]]),
    Task("two lookups, one revised", "partly right", [
        [call(S, "tallest building 2010"), call(S, "its height in metres"), ANSWER],
        [call(S, "Burj Khalifa height"), call("calculator", "828 / 3.281"), ANSWER],
        [call("calculator", "828 / 3.281"), ANSWER]]),
    Task("every guess wrong", "wrong", [
        [call(S, "first ascent of K2"), call(S, "K2 height"), call("calculator", "8611 / 8849")],
        [call(S, "K2 first ascent year 1954"), call(S, "Everest first ascent"), ANSWER],
        [call(S, "Lino Lacedelli"), ANSWER]]),
    Task("image read, wrong follow-ups", "wrong", [
        [call("ocr", "sign.png"), call(S, "opening hours Louvre"), call("calculator", "18 - 9")],
        [call(S, "opening hours Musee d'Orsay"), call("calculator", "18 - 9.5"), ANSWER],
        [call("calculator", "21.75 - 9.5"), ANSWER]]),
]


def make_tools(scale: float) -> list[BaseTool]:
    """web_search, ocr and calculator with fixed latencies and deterministic results, marked side-effect free."""

    def timed(name: str, arg: str) -> str:
        time.sleep(TOOL_S[name] * scale)
        return f"{name}[{arg}]"

    def web_search(query: str) -> str:
        """Search the web."""
        return timed("web_search", query)

    def ocr(image: str) -> str:
        """Read the text in an image."""
        return timed("ocr", image)

    def calculator(expression: str) -> str:
        """Evaluate an arithmetic expression."""
        return timed("calculator", expression)

    return [StructuredTool.from_function(fn, metadata={"side_effect_free": True})
            for fn in (web_search, ocr, calculator)]


def planner(task: Task, scale: float) -> ScriptedChatModel:
    """Forecast ``task.forecasts[n]`` after n executed steps; then answer with every result seen."""

    def policy(messages: Sequence[BaseMessage]) -> str:
        import json

        text = str(messages[-1].content)
        done = re.findall(r"^\d+\. \w+\(.*?\) -> (.*)$", text, re.MULTILINE)
        if len(done) >= len(task.forecasts):
            plan = [{**ANSWER, "args": {"text": " | ".join(done)}}]
        else:
            plan = task.forecasts[len(done)]
        return json.dumps({"thought": "", "plan": plan})

    return ScriptedChatModel(policy=policy, latency_s=PLANNER_S * scale)


CONFIGS: dict[str, dict[str, Any]] = {
    "react": {"graph": "react", "speculate": False},
    "tracer1": {"graph": "tracer1", "speculate": False},
    "tracer1+spec": {"graph": "tracer1", "speculate": True},
    "tracer1+spec+plans": {"graph": "tracer1", "speculate": True, "speculate_plans": True},
}


def run_task(task: Task, config: str, scale: float) -> tuple[float, RunResult]:
    settings = CONFIGS[config]
    agent = build_agent(planner(task, scale), make_tools(scale), **settings)
    start = time.perf_counter()
    result = invoke_agent(agent, f"task: {task.name}", graph=settings["graph"])
    elapsed = time.perf_counter() - start
    assert result.status == "answered", (task.name, config, result.error)
    return elapsed, result


def lower_bound(task: Task, scale: float) -> float:
    """Speculation can hide every tool call but the first: (turns·planner + first tool) / (turns·planner + tools)."""
    turns = len(task.path) + 1
    tools = [TOOL_S[s["tool"]] for s in task.path]
    return (turns * PLANNER_S + tools[0]) / (turns * PLANNER_S + sum(tools))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.2, help="multiply every latency (1 = the reference)")
    args = parser.parse_args()
    scale = args.scale
    run_task(TASKS[0], "tracer1+spec", scale * 0.01)  # warm up imports
    print(f"latencies x{scale:g}: planner {PLANNER_S * scale:.3g} s/turn, "
          + ", ".join(f"{k} {v * scale:.3g} s" for k, v in TOOL_S.items()))
    print(f"| {'task':<28} | {'forecasts':<12} | {'react s':>7} | {'tracer1 s':>9} | {'spec s':>7} | "
          f"{'+plans s':>8} | {'spec/react':>10} | {'bound':>5} | {'+plans/react':>12} | {'hits':>4} | "
          f"{'misses':>6} | {'plan hits':>9} | {'plan misses':>11} | {'wasted tool s':>13} | same answer |")
    print("|" + "|".join("-" * (w + 2) for w in (28, 12, 7, 9, 7, 8, 10, 5, 12, 4, 6, 9, 11, 13, 11)) + "|")
    totals: dict[str, dict[str, float]] = {}
    all_same = True
    for task in TASKS:
        times, results = {}, {}
        for config in CONFIGS:
            times[config], results[config] = run_task(task, config, scale)
        spec, plans = results["tracer1+spec"], results["tracer1+spec+plans"]
        same = len({r.answer for r in results.values()}) == 1
        all_same &= same
        sums = totals.setdefault(task.kind, dict.fromkeys(CONFIGS, 0.0))
        for config in CONFIGS:
            sums[config] += times[config]
        print(f"| {task.name:<28} | {task.kind:<12} | {times['react']:>7.2f} | {times['tracer1']:>9.2f} | "
              f"{times['tracer1+spec']:>7.2f} | {times['tracer1+spec+plans']:>8.2f} | "
              f"{times['tracer1+spec'] / times['react']:>10.2f} | {lower_bound(task, scale):>5.2f} | "
              f"{times['tracer1+spec+plans'] / times['react']:>12.2f} | {spec.speculative_hits:>4} | "
              f"{spec.speculative_misses:>6} | {plans.speculative_plan_hits:>9} | "
              f"{plans.speculative_plan_misses:>11} | {spec.speculative_wasted_s / scale:>13.2f} | {'yes' if same else 'NO':<11} |")
    print("(spec = tools only; +plans = tools and the planner turn after next run ahead; hits, misses and wasted "
          "tool s (at the reference latencies, i.e. divided by the scale) of the spec row, plan hits and misses "
          "(planner calls run ahead and never used) of the +plans row; bound = the best "
          "spec/react ratio when every tool call but the first hides behind planner turns)")
    for kind, sums in totals.items():
        ratios = {name: sums[name] / sums["react"] for name in CONFIGS}
        print(f"{kind:>12}: tracer1/react {ratios['tracer1']:.2f}, spec/react {ratios['tracer1+spec']:.2f}, "
              f"+plans/react {ratios['tracer1+spec+plans']:.2f}")
    print(f"identical answers on all tasks: {'yes' if all_same else 'NO'}")
    right = totals["right"]
    print(f"tools-only speculative/react wall time: {right['tracer1+spec'] / right['react']:.2f}")
    print(f"speculative/react wall time: {right['tracer1+spec+plans'] / right['react']:.2f}")


if __name__ == "__main__":
    main()
