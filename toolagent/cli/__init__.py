"""The ``toolagent`` command line. Module-level imports stay light: ``toolagent --help`` must start fast."""

from __future__ import annotations

import importlib
import sys

import typer

from toolagent import __version__
from toolagent.cli.ask import ask
from toolagent.cli.setup_cmd import setup
from toolagent.cli.tools_cmd import tool, tools
from toolagent.cli.view_cmd import view

app = typer.Typer(name="toolagent", no_args_is_help=True, add_completion=False,
                  help="Multimodal tool-use agents that plan ahead (TraceR1 anticipatory planning).")
app.command()(ask)
app.command()(tools)
app.command()(tool)
app.command()(setup)
app.command()(view)

#: sub-command groups: (module, name, help)
_GROUPS = (
    ("toolagent.cli.eval_cmd", "eval", "GAIA and GTA evaluations."),
    ("toolagent.cli.train_cmd", "train", "Synthetic tasks and Stage-1 / Stage-2 training."),
    ("toolagent.cli.feedback_cmd", "feedback", "Grounded feedback logs: export to datasets."),
)
for _module, _name, _help in _GROUPS:
    try:
        app.add_typer(importlib.import_module(_module).app, name=_name, help=_help)
    except ImportError:  # pragma: no cover - a group whose module is missing is simply not offered
        pass


def _version(value: bool) -> None:
    if value:
        typer.echo(f"toolagent {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """Multimodal tool-use agents that plan ahead."""


def main() -> None:
    app(prog_name="toolagent")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
