"""``toolagent feedback``: grounded feedback logs → datasets TRL reads."""

from __future__ import annotations

from pathlib import Path

import typer

from toolagent.cli.common import one_line_errors

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Grounded feedback logs: export to datasets.")


@app.command()
@one_line_errors
def export(logs: list[Path] = typer.Argument(..., help="Feedback JSONL logs (files or folders of *.jsonl)."),
           fmt: str = typer.Option("parquet", "--format", help="parquet (one file) or hf (save_to_disk folder)."),
           out: Path = typer.Option(..., "--out", help="Output .parquet file or dataset folder.")) -> None:
    """Export logged steps (prompt, forecast, executed step, observation, reward) as a dataset."""
    from toolagent.errors import BadInput
    from toolagent.train.export import export_logs

    if fmt not in ("parquet", "hf"):
        raise BadInput(f"unknown --format {fmt!r} (use parquet or hf)")
    rows = export_logs(logs, out, fmt)  # type: ignore[arg-type]
    typer.echo(f"exported {rows} step(s) -> {out}")
