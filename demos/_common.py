"""Shared bits of the demos: a drawn receipt (Pillow, at run time) and the --model option."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from toolagent.train.synth_draw import receipt

ITEMS = [("Coffee", "3.50"), ("Bagel", "2.25"), ("Orange juice", "4.10")]
TOTAL = "9.85"


def draw_receipt(folder: Path | None = None) -> Path:
    """A small receipt image (720x392 PNG) with three priced items and no total line."""
    folder = folder or Path(tempfile.mkdtemp(prefix="toolagent-demo-"))
    path = folder / "receipt.png"
    receipt(path, "Corner Cafe", ITEMS)
    return path


def parser(description: str) -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(description=description)
    cli.add_argument("--model", default=None,
                     help="planner model spec (embedded, hf:PATH, openai:MODEL, ollama:MODEL); default: the "
                          "demo's scripted planner, which runs offline in seconds")
    return cli
