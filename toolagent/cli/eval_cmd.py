"""``toolagent eval``: GAIA, GTA and synthetic-suite evaluations (concurrent, resumable) and run comparison.

Module-level imports stay light (typer only); the evaluation code is imported inside the commands.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import typer

from toolagent.cli.agent_options import agent_options
from toolagent.cli.common import MCP_OPTION, one_line_errors, tool_options
from toolagent.settings import AgentSettings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="GAIA, GTA and synthetic-suite evaluations.")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:60] or "model"


def _common(workers: int, tool_cache: str | None, backend: str) -> None:
    from toolagent.errors import BadInput

    if workers < 1:
        raise BadInput(f"--workers must be at least 1, got {workers}")
    if tool_cache not in (None, "off", "record", "replay"):
        raise BadInput(f"--tool-cache must be record or replay, got {tool_cache!r}")
    if backend not in ("thread", "ray"):
        raise BadInput(f"--backend must be thread or ray, got {backend!r}")


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


# Options shared by the benchmarks (typer needs them spelled out per command; the agent's own come from
# @agent_options).
_WORKERS = typer.Option(1, "--workers", "-w", help="Tasks run concurrently.")
_TIMEOUT = typer.Option(600.0, "--task-timeout", help="Seconds before a task is recorded as an error.")
_OUT = typer.Option(None, "--out", "-o", help="Run folder (re-running the same command resumes it).")
_CACHE = typer.Option(None, "--tool-cache", help="record or replay tool calls (cache in RUN_DIR/tool_cache).")
_CACHE_DIR = typer.Option(None, "--tool-cache-dir", help="Tool cache folder (e.g. to replay another run's).")
_BACKEND = typer.Option("thread", "--backend", help="thread (local pool) or ray.")
_RAY = typer.Option(None, "--ray-address", help="Ray cluster address (default: start a local one).")
_LIMIT = typer.Option(None, "--limit", help="Evaluate only the first N tasks.")
_RETRY = typer.Option(False, "--retry-errors", help="Re-run tasks whose earlier result is an error.")
_QUIET = typer.Option(False, "--quiet", "-q", help="No progress bar.")
_SEARCH = typer.Option(None, "--search", help="web_search backend: ddgs, local or none.")
_CORPUS = typer.Option(None, "--corpus", help="Local corpus (folder or .jsonl) for web_search.")
_VLM = typer.Option(None, "--vlm", help="Model spec for image QA (a vision-language model).")
_PYTHON = typer.Option(False, "--enable-python", help="Offer the python tool (subprocess).")


def _job_args(*, settings: AgentSettings, workers: int, task_timeout: float, tool_cache: str | None,
              tool_cache_dir: Path | None, backend: str, ray_address: str | None, search: str | None = None,
              corpus: Path | None = None, vlm: str | None = None, enable_python: bool = False,
              mcp: Path | None = None) -> dict[str, Any]:
    """The EvalJob fields the benchmarks share (validated first)."""
    _common(workers, tool_cache, backend)
    if mcp is not None:
        from toolagent.tools.mcp import read_config

        read_config(mcp)  # a bad config is one line now, not an error row per task
    return {"mcp": str(mcp.resolve()) if mcp else None, "agent": settings, "workers": workers, "task_timeout": task_timeout, "tool_cache": tool_cache or "off",
            "tool_cache_dir": str(tool_cache_dir.resolve()) if tool_cache_dir else None,
            "tool_options": tool_options(search, corpus, vlm, enable_python, base_url=settings.base_url),
            "backend": backend, "ray_address": ray_address}


@app.command()
@one_line_errors
@agent_options(speculate=False)
def gaia(
    data: Path = typer.Option(..., "--data", help="GAIA snapshot root (or its 2023/<split> folder)."),
    split: str = typer.Option("validation", "--split", help="validation or test."),
    level: int | None = typer.Option(None, "--level", help="Only this level (1, 2 or 3)."),
    limit: int | None = _LIMIT, workers: int = _WORKERS, task_timeout: float = _TIMEOUT, out: Path | None = _OUT,
    tool_cache: str | None = _CACHE, tool_cache_dir: Path | None = _CACHE_DIR, backend: str = _BACKEND,
    ray_address: str | None = _RAY, retry_errors: bool = _RETRY, quiet: bool = _QUIET, search: str | None = _SEARCH,
    corpus: Path | None = _CORPUS, vlm: str | None = _VLM, enable_python: bool = _PYTHON,
    mcp: Path | None = MCP_OPTION, *, settings: AgentSettings,
) -> None:
    """Run the agent on GAIA; score with the official question_scorer; write a submission file."""
    shared = _job_args(settings=settings, workers=workers, task_timeout=task_timeout, tool_cache=tool_cache,
                       tool_cache_dir=tool_cache_dir, backend=backend, ray_address=ray_address, search=search,
                       corpus=corpus, vlm=vlm, enable_python=enable_python, mcp=mcp)
    out = out or Path("runs") / f"gaia-{split}-{settings.graph}-{_slug(settings.model_name)}"
    _run({"bench": "gaia", "mode": "agent", "data": str(data.expanduser().resolve()), "run_dir": str(out.resolve()),
          "split": split, "level": level, "limit": limit, **shared}, retry_errors, quiet)


@app.command()
@one_line_errors
@agent_options(speculate=False)
def gta(
    data: Path = typer.Option(..., "--data", help="GTA folder with dataset.json, toolmeta.json and image/."),
    mode: str = typer.Option("step", "--mode", help="step (gold history, one step) or e2e (real tools)."),
    limit: int | None = _LIMIT, workers: int = _WORKERS, task_timeout: float = _TIMEOUT, out: Path | None = _OUT,
    tool_cache: str | None = _CACHE, tool_cache_dir: Path | None = _CACHE_DIR, backend: str = _BACKEND,
    ray_address: str | None = _RAY, retry_errors: bool = _RETRY, quiet: bool = _QUIET, search: str | None = _SEARCH,
    corpus: Path | None = _CORPUS, vlm: str | None = _VLM, enable_python: bool = _PYTHON,
    mcp: Path | None = MCP_OPTION, *, settings: AgentSettings,
) -> None:
    """Run GTA in step-by-step mode (InstAcc/ToolAcc/ArgAcc/SummAcc) or end-to-end (AnsAcc, tool F1).
    --model gold replays the gold steps (step mode: a loader/scorer check)."""
    from toolagent.errors import BadInput

    if mode not in ("step", "e2e"):
        raise BadInput(f"--mode must be step or e2e, got {mode!r}")
    shared = _job_args(settings=settings, workers=workers, task_timeout=task_timeout, tool_cache=tool_cache,
                       tool_cache_dir=tool_cache_dir, backend=backend, ray_address=ray_address, search=search,
                       corpus=corpus, vlm=vlm, enable_python=enable_python, mcp=mcp)
    out = out or Path("runs") / f"gta-{mode}-{settings.graph}-{_slug(settings.model_name)}"
    _run({"bench": "gta", "mode": mode, "data": str(data.expanduser().resolve()), "run_dir": str(out.resolve()),
          "limit": limit, **shared}, retry_errors, quiet)


@app.command()
@one_line_errors
@agent_options(max_steps=6, speculate=False)
def synth(
    data: Path = typer.Option(..., "--data", help="A synthetic suite folder (toolagent train synth --out)."),
    split: str = typer.Option("heldout", "--split", help="heldout or train."),
    mode: str = typer.Option("agent", "--mode", help="agent (full runs) or step (one planner turn per task)."),
    limit: int | None = _LIMIT, workers: int = _WORKERS, task_timeout: float = _TIMEOUT, out: Path | None = _OUT,
    tool_cache: str | None = _CACHE, tool_cache_dir: Path | None = _CACHE_DIR, retry_errors: bool = _RETRY,
    quiet: bool = _QUIET, mcp: Path | None = MCP_OPTION, *, settings: AgentSettings,
) -> None:
    """Run a model on a synthetic suite split with the real tools: first-step tool/argument accuracy, answer
    accuracy, steps and seconds per task, each per task kind."""
    from toolagent.errors import BadInput

    if mode not in ("agent", "step"):
        raise BadInput(f"--mode must be agent or step, got {mode!r}")
    if split not in ("heldout", "train"):
        raise BadInput(f"--split must be heldout or train, got {split!r}")
    shared = _job_args(settings=settings, workers=workers, task_timeout=task_timeout, tool_cache=tool_cache,
                       tool_cache_dir=tool_cache_dir, backend="thread", ray_address=None, mcp=mcp)
    out = out or Path("runs") / f"synth-{split}-{mode}-{settings.graph}-{_slug(settings.model_name)}"
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
