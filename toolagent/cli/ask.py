"""``toolagent ask``: answer one question (with optional images) and show the plan live."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import typer

from toolagent.cli.agent_options import agent_options
from toolagent.cli.common import (EXIT_ANSWERED, EXIT_NO_ANSWER, MCP_OPTION, fail, mcp_tools, one_line_errors,
                                  tool_config)
from toolagent.settings import AgentSettings


def _prepare_model(settings: AgentSettings, quiet: bool) -> Any:
    from toolagent.models.resolve import check_reachable, resolve_model

    if settings.model == "embedded" and not quiet:
        from toolagent.models import embedded

        if embedded.first_use():
            sys.stderr.write(f"note: {embedded.EMBEDDED_NOTE}\n")
    model = resolve_model(settings.model, base_url=settings.base_url)
    check_reachable(model)
    return model


def _run(agent: Any, inputs: Any, config: dict[str, Any], console: Any, as_json: bool) -> dict[str, Any]:
    """Run (or resume) the agent, showing each forecast, call and observation unless printing JSON."""
    if as_json:
        return agent.invoke(inputs, config)
    from toolagent.cli.render import LiveView

    view, state = LiveView(console), {}
    with console.status("[dim]working (the planner forecasts, then the first step runs)…[/dim]"):
        for mode, chunk in agent.stream(inputs, config, stream_mode=["custom", "values"]):
            if mode == "custom":
                view(chunk)
            else:
                state = chunk
    return state


def _ask_line(prompt: str) -> str | None:
    sys.stderr.write(prompt)
    sys.stderr.flush()
    line = sys.stdin.readline()
    return line.strip() if line else None  # None: end of input


def _review(agent: Any, config: dict[str, Any], console: Any) -> Any:
    """The person's decision on the step the run is paused at (None when it is not paused), read from stdin;
    end of input stops the run."""
    import json

    from toolagent.embed.approval import approve, edit, pending_approval, reject, stop

    request = pending_approval(agent, config)
    if request is None:
        return None
    step = request["step"]
    console.print(f"[bold]next step:[/bold] {step['tool']}({json.dumps(step['args'], ensure_ascii=False)})"
                  f"  [dim]{step.get('instruction') or ''}[/dim]")
    while True:
        choice = _ask_line("approve [a], edit the arguments [e], reject [r], stop [s]? ")
        if choice is None or choice[:1].lower() == "s":
            return stop()
        if choice[:1].lower() in ("a", "y"):
            return approve()
        if choice[:1].lower() == "r":
            return reject(_ask_line("why (optional)? ") or None)
        if choice[:1].lower() == "e":
            try:
                args = json.loads(_ask_line("arguments as a JSON object: ") or "null")
            except json.JSONDecodeError as exc:
                args = exc.msg
            if isinstance(args, dict):
                return edit(args=args)
            console.print(f"[red]not a JSON object ({args})[/red]")


@one_line_errors
@agent_options
def ask(
    question: str = typer.Argument(..., help="The question to answer."),
    image: list[Path] = typer.Option([], "--image", "-i", help="An image file (repeatable)."),
    file: list[Path] = typer.Option([], "--file", "-f", help="A document to attach (pdf, xlsx, csv, docx, ...)."),
    as_json: bool = typer.Option(False, "--json", help="Print the RunResult as JSON on stdout, nothing else."),
    feedback_log: Path | None = typer.Option(None, "--feedback-log", help="Append one StepRecord per step (JSONL)."),
    html: Path | None = typer.Option(None, "--html", help="Also write the run as a self-contained HTML page."),
    search: str | None = typer.Option(None, "--search", help="web_search backend: ddgs, local or none."),
    corpus: Path | None = typer.Option(None, "--corpus", help="Local corpus (folder or .jsonl) for web_search."),
    vlm: str | None = typer.Option(None, "--vlm", help="Model spec for image QA (a vision-language model)."),
    enable_python: bool = typer.Option(False, "--enable-python", help="Offer the python tool (subprocess)."),
    tool_cache: str | None = typer.Option(None, "--tool-cache", help="record or replay tool calls."),
    allow_path: list[Path] = typer.Option([], "--allow-path", help="A file or folder tools may also read."),
    workspace: Path | None = typer.Option(None, "--workspace", help="Keep produced files (images) in this folder."),
    mcp: Path | None = MCP_OPTION,
    approve: bool = typer.Option(False, "--approve", help="Ask before each tool step: approve, edit, reject, stop."),
    *,
    settings: AgentSettings,
) -> None:
    """Answer QUESTION with the anticipatory agent, showing each forecast, call and observation."""
    from rich.console import Console

    from toolagent.errors import BadInput
    from toolagent.images import load_image_ref

    if not question.strip():
        raise BadInput("the question is empty")
    images = [load_image_ref(p).path for p in image]
    for doc in file:
        if not doc.is_file():
            raise BadInput(f"not a regular file: {doc}" if doc.exists() else f"file not found: {doc}")
    config = tool_config(search=search, corpus=corpus, vlm=vlm, enable_python=enable_python,
                         tool_cache=tool_cache, base_url=settings.base_url, allow_path=allow_path)
    model_spec = settings.model_name
    settings = settings.with_(model=_prepare_model(settings, quiet=as_json), tool_config=config)
    hooks = []
    if feedback_log:
        from toolagent.feedback import JSONLFeedbackSink

        hooks.append(JSONLFeedbackSink(feedback_log))

    from toolagent.agent import build_agent, result_from_state, run_config

    inputs = {"question": question, "images": images, "files": [str(f.resolve()) for f in file]}
    # the HTML page embeds produced images, so a run that writes one keeps its workspace until the page is written
    scratch = tempfile.mkdtemp(prefix="toolagent-ask-") if html and not workspace else None
    console = Console(stderr=as_json)
    servers, tools = mcp_tools(mcp, config)
    try:  # MCP servers always shut down, Ctrl-C included
        checkpointer = None
        if approve:  # the run pauses before each step: it needs a checkpointer to resume
            from langgraph.checkpoint.memory import InMemorySaver

            settings, checkpointer = settings.with_(approve=True), InMemorySaver()
        agent = build_agent(settings=settings, feedback=hooks, tools=tools, checkpointer=checkpointer)
        config = run_config(thread_id="ask" if approve else None,
                            workspace=str(workspace.resolve()) if workspace else scratch)
        state = _run(agent, inputs, config, console, as_json)
        while approve and (decision := _review(agent, config, console)) is not None:
            state = _run(agent, decision, config, console, as_json)
        result = result_from_state(state, model=model_spec, graph=settings.graph)
        if html:
            from toolagent.view import write_result_html

            sys.stderr.write(f"run page: {write_result_html(result, html)}\n")
    finally:  # MCP servers shut down and the scratch workspace goes, however the run ended
        if servers is not None:
            servers.close()
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    elif not result.answered:
        console.print(f"[yellow]no answer[/yellow] ({result.status}): {result.error or ''}")
    if result.status == "error":  # bad input detected inside the graph (e.g. an attached file vanished)
        raise fail(result.error or "run failed")
    raise typer.Exit(EXIT_ANSWERED if result.answered else EXIT_NO_ANSWER)
