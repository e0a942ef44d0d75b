"""``toolagent view``: render a run folder, results.jsonl, feedback log or saved ``ask --json`` as one HTML page."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from toolagent.cli.common import one_line_errors


@one_line_errors
def view(
    path: Path = typer.Argument(..., help="A run folder (eval --out), results.jsonl, feedback log or ask --json file."),
    out: Path | None = typer.Option(None, "--out", "-o", help="HTML file to write (default: report.html in a run "
                                                                "folder, else beside the input)."),
) -> None:
    """Write a self-contained HTML viewer (summary, plots, sortable task table, per-task timelines)."""
    from toolagent.view import render_path

    written = render_path(path, out)
    sys.stdout.write(f"{written}\n")
