"""``toolagent ask``: answer one question (with optional images) and show the plan live."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from toolagent.cli.common import EXIT_ANSWERED, EXIT_NO_ANSWER, fail, one_line_errors, tool_config


def _prepare_model(spec: str, base_url: str | None, quiet: bool) -> Any:
    from toolagent.models.resolve import check_reachable, resolve_model

    if spec == "embedded" and not quiet:
        from toolagent.models import embedded

        if embedded.first_use():
            sys.stderr.write(f"note: {embedded.EMBEDDED_NOTE}\n")
    model = resolve_model(spec, base_url=base_url)
    check_reachable(model)
    return model


@one_line_errors
def ask(
    question: str = typer.Argument(..., help="The question to answer."),
    image: list[Path] = typer.Option([], "--image", "-i", help="An image file (repeatable)."),
    file: list[Path] = typer.Option([], "--file", "-f", help="A document to attach (pdf, xlsx, csv, docx, ...)."),
    model: str = typer.Option("embedded", "--model", "-m", help="embedded, hf:PATH, openai:MODEL, ollama:MODEL."),
    base_url: str | None = typer.Option(None, "--base-url", help="OpenAI-compatible or Ollama server URL."),
    horizon: int = typer.Option(5, "--horizon", "-T", help="Forecast horizon T (1-10)."),
    max_steps: int = typer.Option(15, "--max-steps", help="Budget of executed tool steps."),
    graph: str = typer.Option("tracer1", "--graph", help="tracer1 (anticipatory) or react (baseline)."),
    as_json: bool = typer.Option(False, "--json", help="Print the RunResult as JSON on stdout, nothing else."),
    feedback_log: Path | None = typer.Option(None, "--feedback-log", help="Append one StepRecord per step (JSONL)."),
    html: Path | None = typer.Option(None, "--html", help="Also write the run as a self-contained HTML page."),
    search: str | None = typer.Option(None, "--search", help="web_search backend: ddgs, local or none."),
    corpus: Path | None = typer.Option(None, "--corpus", help="Local corpus (folder or .jsonl) for web_search."),
    vlm: str | None = typer.Option(None, "--vlm", help="Model spec for image QA (a vision-language model)."),
    enable_python: bool = typer.Option(False, "--enable-python", help="Offer the python tool (subprocess)."),
    tool_cache: str | None = typer.Option(None, "--tool-cache", help="record or replay tool calls."),
    multimodal: bool | None = typer.Option(None, "--vision/--text-only", help="Send images to the planner."),
    allow_path: list[Path] = typer.Option([], "--allow-path", help="A file or folder tools may also read."),
) -> None:
    """Answer QUESTION with the anticipatory agent, showing each forecast, call and observation."""
    from rich.console import Console

    from toolagent.errors import BadInput
    from toolagent.images import load_image_ref

    if not question.strip():
        raise BadInput("the question is empty")
    if not 1 <= horizon <= 10:
        raise BadInput(f"--horizon must be between 1 and 10, got {horizon}")
    if max_steps < 1:
        raise BadInput(f"--max-steps must be at least 1, got {max_steps}")
    if graph not in ("tracer1", "react"):
        raise BadInput(f"--graph must be tracer1 or react, got {graph!r}")
    images = [load_image_ref(p).path for p in image]
    for doc in file:
        if not doc.is_file():
            raise BadInput(f"not a regular file: {doc}" if doc.exists() else f"file not found: {doc}")
    config = tool_config(search=search, corpus=corpus, vlm=vlm, enable_python=enable_python,
                         tool_cache=tool_cache, base_url=base_url, allow_path=allow_path)
    chat_model = _prepare_model(model, base_url, quiet=as_json)
    hooks = []
    if feedback_log:
        from toolagent.feedback import JSONLFeedbackSink

        hooks.append(JSONLFeedbackSink(feedback_log))

    from toolagent.agent import build_agent, result_from_state

    agent = build_agent(chat_model, graph=graph, horizon=horizon, max_steps=max_steps,  # type: ignore[arg-type]
                        feedback=hooks, tool_config=config, base_url=base_url, multimodal=multimodal)
    inputs = {"question": question, "images": images, "files": [str(f.resolve()) for f in file]}
    run_config = {"recursion_limit": 6 * max_steps + 20}
    console = Console(stderr=as_json)
    if as_json:
        state = agent.invoke(inputs, run_config)
    else:
        from toolagent.cli.render import LiveView

        view, state = LiveView(console), {}
        with console.status("[dim]working (the planner forecasts, then the first step runs)…[/dim]"):
            for mode, chunk in agent.stream(inputs, run_config, stream_mode=["custom", "values"]):
                if mode == "custom":
                    view(chunk)
                else:
                    state = chunk
    result = result_from_state(state, model=model, graph=graph)
    if html:
        from toolagent.view import write_result_html

        sys.stderr.write(f"run page: {write_result_html(result, html)}\n")
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    elif not result.answered:
        console.print(f"[yellow]no answer[/yellow] ({result.status}): {result.error or ''}")
    if result.status == "error":  # bad input detected inside the graph (e.g. an attached file vanished)
        raise fail(result.error or "run failed")
    raise typer.Exit(EXIT_ANSWERED if result.answered else EXIT_NO_ANSWER)
