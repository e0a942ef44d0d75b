"""Render the agent's plan live from stream events: each forecast as it is made, each observation as it comes.

The graph writes custom stream events (stream_mode="custom"):
    {"type": "forecast", "turn": n, "forecast": {"thought", "plan": [...]}}   - a new T-step forecast
    {"type": "observation", "tool": name, "observation": {...}}               - the executed step's result
    {"type": "answer", "text": ...}                                           - the final answer
and "updates" says which node just ran. Only step 1 of each forecast is executed; the rest is anticipation,
revised after every observation.

    python demos/stream_forecast.py
"""

from __future__ import annotations

import sys
import time

from _common import TOTAL, draw_receipt, parser
from rich.console import Console
from scripted_planners import receipt_planner

from toolagent import create_tracer1_agent


def render_forecast(console: Console, event: dict, elapsed: float) -> None:
    forecast = event["forecast"]
    console.print(f"[bold cyan]forecast {event['turn']}[/] [dim](+{elapsed:.2f} s)[/] {forecast['thought']}")
    for index, step in enumerate(forecast["plan"], start=1):
        marker = "[green]▶ runs now[/]" if index == 1 else "[dim]anticipated[/]"
        args = ", ".join(f"{k}={v!r}" for k, v in step["args"].items())
        expect = f" [dim]→ expect: {step['expect']}[/]" if step.get("expect") else ""
        console.print(f"   {index}. {step['tool']}({args}) {marker}{expect}")


def main() -> int:
    args = parser(__doc__.splitlines()[0]).parse_args()
    console = Console(highlight=False)
    agent = create_tracer1_agent(args.model or receipt_planner(latency_s=0.2), ["ocr", "calculator"], horizon=4)
    inputs = {"question": "What is the total of this receipt?", "images": [str(draw_receipt())]}
    began, answer, nodes = time.perf_counter(), None, []
    for mode, chunk in agent.stream(inputs, stream_mode=["custom", "updates"]):
        elapsed = time.perf_counter() - began
        if mode == "updates":
            nodes.extend(chunk)
        elif chunk["type"] == "forecast":
            render_forecast(console, chunk, elapsed)
        elif chunk["type"] == "observation":
            obs = chunk["observation"]
            body = obs["error"] or obs["text"].replace("\n", " | ")
            console.print(f"   [yellow]observation[/] from {chunk['tool']} [dim](+{elapsed:.2f} s)[/]: {body}")
        elif chunk["type"] == "answer":
            answer = chunk["text"]
            console.print(f"[bold green]answer[/] [dim](+{elapsed:.2f} s)[/]: {answer}")
    console.print(f"[dim]nodes in order: {' → '.join(nodes)}[/]")
    return 0 if answer == TOTAL or args.model else 1


if __name__ == "__main__":
    sys.exit(main())
