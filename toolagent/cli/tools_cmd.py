"""``toolagent tools`` (what is available, and why not) and ``toolagent tool`` (run one tool directly)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from toolagent.cli.common import MCP_OPTION, fail, mcp_tools, one_line_errors, tool_config

DESCRIPTION_CHARS = 90


def _all_tools(config: Any) -> dict[str, Any]:
    from toolagent.tools.registry import build_tools, gta_tools

    found = {t.name: t for t in build_tools(config)}
    try:
        for t in gta_tools(config):
            found.setdefault(t.name, t)
    except ImportError:  # GTA adapters not installed
        pass
    return found


def _is_file(value: str) -> bool:
    try:
        return len(value) < 4096 and Path(value).expanduser().is_file()
    except (OSError, ValueError):
        return False


@one_line_errors
def tools(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    gta: bool = typer.Option(False, "--gta", help="List the GTA tools (official names) instead of ours."),
    vlm: str | None = typer.Option(None, "--vlm", help="Model spec for image QA."),
    enable_python: bool = typer.Option(False, "--enable-python", help="Enable the python tool."),
    search: str | None = typer.Option(None, "--search", help="web_search backend: ddgs, local or none."),
    corpus: Path | None = typer.Option(None, "--corpus", help="Local corpus for web_search."),
    mcp: Path | None = MCP_OPTION,
) -> None:
    """List every tool with whether it is available here, and why not (or what could not be checked)."""
    from toolagent.tools.registry import availability, build_tools, gta_tools

    config = tool_config(search=search, corpus=corpus, vlm=vlm, enable_python=enable_python)
    listed = gta_tools(config) if gta else build_tools(config)
    servers, _ = mcp_tools(mcp, config)
    try:
        listed = [*listed, *(servers.tools if servers is not None else [])]
    finally:
        if servers is not None:
            servers.close()
    rows = []
    for item in listed:
        status = availability(item)
        rows.append({"name": item.name, "available": status.available, "reason": status.reason,
                     "description": " ".join((item.description or "").split()),
                     "mcp_server": (item.metadata or {}).get("mcp_server")})
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("tool", "available", "why not / description")
    for row in rows:
        if not row["available"]:
            table.add_row(row["name"], "[red]no[/red]", row["reason"])
            continue
        text = _shortened(row["description"], DESCRIPTION_CHARS)
        if row["mcp_server"]:
            text = f"[dim](MCP {row['mcp_server']})[/dim] {text}"
        mark = "[yellow]yes*[/yellow]" if row["reason"] else "[green]yes[/green]"
        table.add_row(row["name"], mark, f"{text}\n[yellow]* {row['reason']}[/yellow]" if row["reason"] else text)
    Console().print(table)


def _shortened(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters (with … when cut)."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1].rsplit(" ", 1)[0].rstrip(",;:.-(")
    return f"{cut or text[:limit - 1]}…"


@one_line_errors
def tool(
    name: str = typer.Argument(..., help="Tool name (ours, or a GTA official name)."),
    args: str = typer.Option("{}", "--args", "-a", help="Arguments as a JSON object."),
    image: list[Path] = typer.Option([], "--image", "-i", help="An image the arguments may refer to."),
    vlm: str | None = typer.Option(None, "--vlm", help="Model spec for image QA."),
    enable_python: bool = typer.Option(False, "--enable-python", help="Enable the python tool."),
    search: str | None = typer.Option(None, "--search", help="web_search backend."),
    corpus: Path | None = typer.Option(None, "--corpus", help="Local corpus for web_search."),
    allow_path: list[Path] = typer.Option([], "--allow-path", help="A file or folder tools may also read."),
) -> None:
    """Run one tool directly and print its Observation as JSON (exit 1 when the tool reports an error)."""
    from toolagent.errors import BadInput
    from toolagent.images import load_image_ref
    from toolagent.tools.base import ToolContext, run_tool
    from toolagent.tools.registry import availability

    try:
        parsed = json.loads(args)
    except json.JSONDecodeError as exc:
        raise BadInput(f"--args is not valid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})") from None
    if not isinstance(parsed, dict):
        raise BadInput("--args must be a JSON object, e.g. '{\"expression\": \"2+2\"}'")
    images = [load_image_ref(p).path for p in image]
    config = tool_config(search=search, corpus=corpus, vlm=vlm, enable_python=enable_python, allow_path=allow_path)
    found = _all_tools(config)
    if name not in found:
        raise BadInput(f"unknown tool {name!r} (known: {', '.join(sorted(found))})")
    chosen = found[name]
    status = availability(chosen)
    if not status.available:
        raise fail(f"tool {name} is not available: {status.reason}")
    # a person typed these paths: files named in --args count as attachments, like --image
    typed = [str(Path(v).expanduser().resolve()) for v in parsed.values() if isinstance(v, str) and _is_file(v)]
    obs = run_tool(chosen, parsed, ToolContext(images=images, files=typed))
    sys.stdout.write(obs.model_dump_json(indent=2) + "\n")
    if obs.error:
        raise typer.Exit(1)
