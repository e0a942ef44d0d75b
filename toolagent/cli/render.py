"""Rich rendering of a run: each forecast as a table (first step highlighted), each call and observation."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table


def _args(args: dict[str, Any], limit: int = 80) -> str:
    text = json.dumps(args, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def forecast_table(forecast: dict[str, Any], turn: int) -> Table:
    table = Table(title=f"forecast {turn}: {forecast.get('thought', '')}", title_justify="left",
                  show_lines=False, expand=False)
    for column in ("#", "tool", "args", "instruction", "expect", "status"):
        table.add_column(column, overflow="fold")
    for index, step in enumerate(forecast.get("plan", []), start=1):
        style = "bold green" if index == 1 else "dim"
        table.add_row(str(index), step.get("tool", ""), _args(step.get("args", {})), step.get("instruction", ""),
                      step.get("expect", ""), step.get("status", ""), style=style)
    return table


def observation_panel(event: dict[str, Any]) -> Panel:
    obs = event["observation"]
    if obs.get("error"):
        body, style = f"[red]error:[/red] {obs['error']}", "red"
    else:
        text = obs.get("text") or "(empty result)"
        body = text if len(text) <= 1200 else text[:1200] + " …"
        if obs.get("images"):
            body += "\n" + "\n".join(f"image: {p}" for p in obs["images"])
        style = "cyan"
    return Panel(body, title=f"{event['tool']} ({obs.get('latency_s', 0):.2f} s)", title_align="left",
                 border_style=style)


class LiveView:
    """Consumes the graph's custom stream events and prints them as they come."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "forecast":
            self.console.print(forecast_table(event["forecast"], event.get("turn", 0)))
            first = event["forecast"]["plan"][0]
            if first.get("tool") != "answer":
                self.console.print(f"[bold]→ executing[/bold] {first['tool']} {_args(first.get('args', {}), 200)}")
        elif kind == "observation":
            self.console.print(observation_panel(event))
        elif kind == "answer":
            self.console.print(Panel(event["text"], title="answer", title_align="left", border_style="green"))
