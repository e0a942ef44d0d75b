"""Human approval of forecasts: the agent pauses before executing the first step of each forecast.

Built with approve=True and a checkpointer, the graph stops with a LangGraph interrupt carrying the proposed
step and the whole forecast; the app resumes it with Command(resume=...) built by approve(), edit(...) or stop().
Here a scripted reviewer decides (approve the OCR, edit the sum because the bagel was returned, stop a second run);
pass --interactive to decide yourself at the prompt.

    python demos/approve_before_execute.py [--interactive]
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from _common import draw_receipt, parser
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from scripted_planners import receipt_planner

from toolagent import approval_request, approve, create_tracer1_agent, edit, result_of, stop

Reviewer = Callable[[dict[str, Any]], Command]


def scripted_reviewer(request: dict[str, Any]) -> Command:
    step = request["step"]
    if step["tool"] == "calculator":  # the customer returned the bagel: leave 2.25 out of the sum
        terms = [t.strip() for t in step["args"]["expression"].split("+") if t.strip() != "2.25"]
        return edit(args={"expression": " + ".join(terms)}, instruction="bagel returned: not charged")
    return approve()


def interactive_reviewer(request: dict[str, Any]) -> Command:
    choice = input("  [a]pprove, [e]dit args (JSON), [s]top? ").strip().lower()
    if choice.startswith("e"):
        return edit(args=json.loads(input("  new args as JSON: ")))
    return stop() if choice.startswith("s") else approve()


def review_run(agent: Any, inputs: dict[str, Any], thread: str, reviewer: Reviewer) -> Any:
    config = {"configurable": {"thread_id": thread}}
    state = agent.invoke(inputs, config)
    while (request := approval_request(state)) is not None:
        plan = " → ".join(s["tool"] for s in request["forecast"]["plan"])
        print(f"  paused before {request['step']['tool']} {json.dumps(request['step']['args'])}  (forecast: {plan})")
        decision = reviewer(request)
        print(f"  decision: {decision.resume}")
        state = agent.invoke(decision, config)
    return result_of(state)


def main() -> int:
    cli = parser(__doc__.splitlines()[0])
    cli.add_argument("--interactive", action="store_true", help="decide at the prompt")
    args = cli.parse_args()
    reviewer = interactive_reviewer if args.interactive else scripted_reviewer
    agent = create_tracer1_agent(args.model or receipt_planner(), ["ocr", "calculator"], approve=True,
                                 checkpointer=InMemorySaver())
    inputs = {"question": "What is the total of this receipt?", "images": [str(draw_receipt())]}

    print("run 1: approve the OCR, edit the sum")
    result = review_run(agent, inputs, "run-1", reviewer)
    for record in result.steps:
        print(f"  step {record.step}: executed {record.executed.tool} {json.dumps(record.executed.args)}"
              + (f"  (forecast had {json.dumps(record.forecast.first.args)})"
                 if record.executed.args != record.forecast.first.args else ""))
    print(f"  → {result.status}: {result.answer}")

    print("run 2: stop before anything runs")
    stopped = review_run(agent, inputs, "run-2", lambda request: stop())
    print(f"  → {stopped.status}: {stopped.error} (steps executed: {len(stopped.steps)})")
    if args.model or args.interactive:
        return 0
    return 0 if (result.answer == "7.6" and stopped.status == "stopped" and not stopped.steps) else 1


if __name__ == "__main__":
    sys.exit(main())
