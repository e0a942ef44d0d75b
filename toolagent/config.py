"""Locations and environment settings."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """toolagent's cache/data directory: ``$TOOLAGENT_HOME`` or ``~/.cache/toolagent``."""
    root = os.environ.get("TOOLAGENT_HOME")
    path = Path(root).expanduser() if root else Path.home() / ".cache" / "toolagent"
    path.mkdir(parents=True, exist_ok=True)
    return path
