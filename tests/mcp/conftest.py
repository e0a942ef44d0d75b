"""Fixtures: real MCP server processes (tests/mcp/server.py, written with the mcp package's server API)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from toolagent.tools.mcp import MCPServers

SERVER = Path(__file__).with_name("server.py")


def stdio_config(timeout: float | None = None, hang_marker: Path | None = None) -> dict[str, Any]:
    args = [str(SERVER), "stdio", *([str(hang_marker)] if hang_marker else [])]
    spec: dict[str, Any] = {"command": sys.executable, "args": args}
    if timeout is not None:
        spec["timeout"] = timeout
    return {"mcpServers": {"calc": spec}}


def write_config(folder: Path, config: dict[str, Any]) -> Path:
    path = folder / "mcp.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def servers() -> Iterator[MCPServers]:
    with MCPServers(stdio_config(timeout=3)) as started:
        yield started


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def http_url() -> Iterator[str]:
    """The streamable-HTTP endpoint of a server process on 127.0.0.1 (stopped after the module)."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, str(SERVER), "http", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert proc.poll() is None, "the MCP HTTP server exited"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(10)
