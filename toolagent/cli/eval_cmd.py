"""``toolagent eval``: GAIA, GTA and synthetic-suite evaluations (concurrent, resumable) and run comparison.

Module-level imports stay light (typer only); the evaluation code is imported inside the commands.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import typer

from toolagent.cli.common import one_line_errors, tool_options

app = typer.Typer(no_args_is_help=True, add_completion=False, help="GAIA, GTA and synthetic-suite evaluations.")

MODEL_HELP = "embedded, hf:PATH, openai:MODEL, ollama:MODEL, py:MODULE:ATTR (GTA step mode also: gold)."


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:60] or "model"


def _common(model: str, graph: str, horizon: int, max_steps: int, workers: int, tool_cache: str | None,
            backend: str) -> None:
    from toolagent.errors import BadInput

    if graph not in ("tracer1", "react"):
        raise BadInput(f"--graph must be tracer1 or react, got {graph!r}")
    if not 1 <= horizon <= 10:
        raise BadInput(f"--horizon must be between 1 and 10, got {horizon}")
    if max_steps < 1:
        raise BadInput(f"--max-steps must be at least 1, got {max_steps}")
    if workers < 1:
        raise BadInput(f"--workers must be at least 1, got {workers}")
    if tool_cache not in (None, "off", "record", "replay"):
        raise BadInput(f"--tool-cache must be record or replay, got {tool_cache!r}")
    if backend not in ("thread", "ray"):
        raise BadInput(f"--backend must be thread or ray, got {backend!r}")
    if not model.strip():
        raise BadInput("--model is empty")


def _run(job_args: dict[str, Any], retry_errors: bool, quiet: bool) -> None:
    from pydantic import ValidationError

    from toolagent.errors import BadInput
    from toolagent.eval.job import EvalJob
    from toolagent.eval.runner import run_eval

    try:
        job = EvalJob(**job_args)
        job.tool_config()
    except ValidationError as exc:
        err = exc.errors()[0]
        raise BadInput(f"bad option {'.'.join(map(str, err['loc']))}: {err['msg']}") from None
    summary = run_eval(job, retry_errors=retry_errors, progress=not quiet)
    sys.stdout.write((job.path / "summary.md").read_text(encoding="utf-8"))
    sys.stdout.write(f"\nrun folder: {job.path} (summary.md, summary.json, results.jsonl, plots/)\n")
    if summary.get("errors"):
        sys.stdout.write(f"{summary['errors']} task(s) ended in error; re-run with --retry-errors to retry them.\n")


# Options shared by both benchmarks (typer needs them spelled out per command).
_MODEL = typer.Option("embedded", "--model", "-m", help=MODEL_HELP)
_BASE_URL = typer.Option(None, "--base-url", help="OpenAI-compatible or Ollama server URL.")
_GRAPH = typer.Option("tracer1", "--graph", help="tracer1 (anticipatory) or react (baseline).")
_WORKERS = typer.Option(1, "--workers", "-w", help="Tasks run concurrently.")
_TIMEOUT = typer.Option(600.0, "--task-timeout", help="Seconds before a task is recorded as an error.")
_OUT = typer.Option(None, "--out", "-o", help="Run folder (re-running the same command resumes it).")
_CACHE = typer.Option(None, "--tool-cache", help="record or replay tool calls (cache in RUN_DIR/tool_cache).")
_CACHE_DIR = typer.Option(None, "--tool-cache-dir", help="Tool cache folder (e.g. to replay another run's).")
_HORIZON = typer.Option(5, "--horizon", "-T", help="Forecast horizon T (1-10).")
_MAX_STEPS = typer.Option(15, "--max-steps", help="Budget of executed tool steps per task.")
_BACKEND = typer.Option("thread", "--backend", help="thread (local pool) or ray.")
_RAY = typer.Option(None, "--ray-address", help="Ray cluster address (default: start a local one).")
_LIMIT = typer.Option(None, "--limit", help="Evaluate only the first N tasks.")
_RETRY = typer.Option(False, "--retry-errors", help="Re-run tasks whose earlier result is an error.")
_QUIET = typer.Option(False, "--quiet", "-q", help="No progress bar.")
_SEARCH = typer.Option(None, "--search", help="web_search backend: ddgs, local or none.")
_CORPUS = typer.Option(None, "--corpus", help="Local corpus (folder or .jsonl) for web_search.")
_VLM = typer.Option(None, "--vlm", help="Model spec for image QA (a vision-language model).")
_PYTHON = typer.Option(False, "--enable-python", help="Offer the python tool (subprocess).")
_VISION = typer.Option(None, "--vision/--text-only", help="Send images to the planner.")
_SPECULATE = typer.Option(False, "--speculate", help="Prefetch forecast steps of side-effect-free tools "
                                                     "(off by default: reproducible tool-call sequences).")


def _job_args(*, model: str, base_url: str | None, graph: str, horizon: int, max_steps: int, workers: int,
              task_timeout: float, tool_cache: str | None, tool_cache_dir: Path | None, backend: str,
              ray_address: str | None, search: str | None, corpus: Path | None, vlm: str | None,
              enable_python: bool, vision: bool | None, speculate: bool = False) -> dict[str, Any]:
    """The EvalJob fields both benchmarks share (validated first)."""
    _common(model, graph, horizon, max_steps, workers, tool_cache, backend)
    return {"model": model, "base_url": base_url, "graph": graph, "horizon": horizon, "max_steps": max_steps,
            "workers": workers, "task_timeout": task_timeout, "tool_cache": tool_cache or "off",
            "tool_cache_dir": str(tool_cache_dir.resolve()) if tool_cache_dir else None,
            "tool_options": tool_options(search, corpus, vlm, enable_python, base_url=base_url), "multimodal": vision,
            "speculate": speculate, "backend": backend, "ray_address": ray_address}


@app.command()
@one_line_errors
def gaia(
    data: Path = typer.Option(..., "--data", help="GAIA snapshot root (or its 2023/<split> folder)."),
    split: str = typer.Option("validation", "--split", help="validation or test."),
    level: int | None = typer.Option(None, "--level", help="Only this level (1, 2 or 3)."),
    limit: int | None = _LIMIT, model: str = _MODEL, base_url: str | None = _BASE_URL, graph: str = _GRAPH,
    workers: int = _WORKERS, task_timeout: float = _TIMEOUT, out: Path | None = _OUT,
    tool_cache: str | None = _CACHE, tool_cache_dir: Path | None = _CACHE_DIR, horizon: int = _HORIZON,
    max_steps: int = _MAX_STEPS, backend: str = _BACKEND, ray_address: str | None = _RAY,
    retry_errors: bool = _RETRY, quiet: bool = _QUIET, search: str | None = _SEARCH, corpus: Path | None = _CORPUS,
    vlm: str | None = _VLM, enable_python: bool = _PYTHON, vision: bool | None = _VISION,
    speculate: bool = _SPECULATE,
) -> None:
    """Run the agent on GAIA; score with the official question_scorer; write a submission file."""
    shared = _job_args(model=model, base_url=base_url, graph=graph, horizon=horizon, max_steps=max_steps,
                       workers=workers, task_timeout=task_timeout, tool_cache=tool_cache,
                       tool_cache_dir=tool_cache_dir, backend=backend, ray_address=ray_address, search=search,
                       corpus=corpus, vlm=vlm, enable_python=enable_python, vision=vision,
                       speculate=speculate)
    out = out or Path("runs") / f"gaia-{split}-{graph}-{_slug(model)}"
    _run({"bench": "gaia", "mode": "agent", "data": str(data.expanduser().resolve()), "run_dir": str(out.resolve()),
          "split": split, "level": level, "limit": limit, **shared}, retry_errors, quiet)


@app.command()
@one_line_errors
def gta(
    data: Path = typer.Option(..., "--data", help="GTA folder with dataset.json, toolmeta.json and image/."),
    mode: str = typer.Option("step", "--mode", help="step (gold history, one step) or e2e (real tools)."),
    limit: int | None = _LIMIT, model: str = _MODEL, base_url: str | None = _BASE_URL, graph: str = _GRAPH,
    workers: int = _WORKERS, task_timeout: float = _TIMEOUT, out: Path | None = _OUT,
    tool_cache: str | None = _CACHE, tool_cache_dir: Path | None = _CACHE_DIR, horizon: int = _HORIZON,
    max_steps: int = _MAX_STEPS, backend: str = _BACKEND, ray_address: str | None = _RAY,
    retry_errors: bool = _RETRY, quiet: bool = _QUIET, search: str | None = _SEARCH, corpus: Path | None = _CORPUS,
    vlm: str | None = _VLM, enable_python: bool = _PYTHON, vision: bool | None = _VISION,
    speculate: bool = _SPECULATE,
) -> None:
    """Run GTA in step-by-step mode (InstAcc/ToolAcc/ArgAcc/SummAcc) or end-to-end (AnsAcc, tool F1)."""
    from toolagent.errors import BadInput

    if mode not in ("step", "e2e"):
        raise BadInput(f"--mode must be step or e2e, got {mode!r}")
    shared = _job_args(model=model, base_url=base_url, graph=graph, horizon=horizon, max_steps=max_steps,
                       workers=workers, task_timeout=task_timeout, tool_cache=tool_cache,
                       tool_cache_dir=tool_cache_dir, backend=backend, ray_address=ray_address, search=search,
                       corpus=corpus, vlm=vlm, enable_python=enable_python, vision=vision,
                       speculate=speculate)
    out = out or Path("runs") / f"gta-{mode}-{graph}-{_slug(model)}"
    _run({"bench": "gta", "mode": mode, "data": str(data.expanduser().resolve()), "run_dir": str(out.resolve()),
          "limit": limit, **shared}, retry_errors, quiet)


@app.command()
@one_line_errors
def synth(
    data: Path = typer.Option(..., "--data", help="A synthetic suite folder (toolagent train synth --out)."),
    split: str = typer.Option("heldout", "--split", help="heldout or train."),
    mode: str = typer.Option("agent", "--mode", help="agent (full runs) or step (one planner turn per task)."),
    limit: int | None = _LIMIT, model: str = _MODEL, base_url: str | None = _BASE_URL, graph: str = _GRAPH,
    workers: int = _WORKERS, task_timeout: float = _TIMEOUT, out: Path | None = _OUT,
    tool_cache: str | None = _CACHE, tool_cache_dir: Path | None = _CACHE_DIR, horizon: int = _HORIZON,
    max_steps: int = typer.Option(6, "--max-steps", help="Budget of executed tool steps per task."),
    retry_errors: bool = _RETRY, quiet: bool = _QUIET, vision: bool | None = _VISION,
    speculate: bool = _SPECULATE,
) -> None:
    """Run a model on a synthetic suite split with the real tools: first-step tool/argument accuracy, answer
    accuracy, steps and seconds per task, each per task kind."""
    from toolagent.errors import BadInput

    if mode not in ("agent", "step"):
        raise BadInput(f"--mode must be agent or step, got {mode!r}")
    if split not in ("heldout", "train"):
        raise BadInput(f"--split must be heldout or train, got {split!r}")
    shared = _job_args(model=model, base_url=base_url, graph=graph, horizon=horizon, max_steps=max_steps,
                       workers=workers, task_timeout=task_timeout, tool_cache=tool_cache,
                       tool_cache_dir=tool_cache_dir, backend="thread", ray_address=None, search=None,
                       corpus=None, vlm=None, enable_python=False, vision=vision,
                       speculate=speculate)
    out = out or Path("runs") / f"synth-{split}-{mode}-{graph}-{_slug(model)}"
    _run({"bench": "synth", "mode": mode, "data": str(data.expanduser().resolve()), "run_dir": str(out.resolve()),
          "split": split, "limit": limit, **shared}, retry_errors, quiet)


@app.command()
@one_line_errors
def compare(
    run_a: Path = typer.Argument(..., help="First run folder (A)."),
    run_b: Path = typer.Argument(..., help="Second run folder (B)."),
    plot: Path | None = typer.Option(None, "--plot", help="Also write a comparison plot (PNG) to this file."),
) -> None:
    """Print two runs side by side (e.g. tracer1 vs react) with the deltas B − A."""
    from rich.console import Console

    from toolagent.eval.compare import compare_rows, render, write_plot

    labels, rows = compare_rows(run_a, run_b)
    Console().print(render(labels, rows))
    if plot:
        sys.stdout.write(f"plot: {write_plot(labels, rows, plot)}\n")
