"""A small MCP server for the tests, written with the ``mcp`` package's server API (FastMCP).

    python server.py stdio [MARKER]   serve over stdio (``hang`` creates the file MARKER when a call reaches it)
    python server.py http PORT        serve over streamable HTTP on 127.0.0.1:PORT (path /mcp)
"""

from __future__ import annotations

import asyncio
import os
import sys

from mcp.server.fastmcp import FastMCP
from mcp.types import ToolAnnotations

HTTP = len(sys.argv) > 1 and sys.argv[1] == "http"
HANG_MARKER = sys.argv[2] if len(sys.argv) > 2 and not HTTP else None
server = FastMCP("toolagent-test", host="127.0.0.1", port=int(sys.argv[2]) if HTTP and len(sys.argv) > 2 else 8000,
                 log_level="WARNING")
READ_ONLY = ToolAnnotations(readOnlyHint=True)


@server.tool(annotations=READ_ONLY)
def add(a: int, b: int) -> int:
    """Add two integers and return the sum."""
    return a + b


@server.tool()
def remember(note: str) -> str:
    """Store a note (changes the server's state, so it is not read-only)."""
    return f"remembered: {note}"


@server.tool(annotations=READ_ONLY)
def server_pid() -> int:
    """The server process id."""
    return os.getpid()


@server.tool()
def fail(reason: str) -> str:
    """Always fails with the given reason."""
    raise ValueError(f"failed on purpose: {reason}")


@server.tool()
def crash() -> str:
    """The server process dies in the middle of this call."""
    os._exit(3)


@server.tool()
async def hang() -> str:
    """Never answers."""
    if HANG_MARKER:
        open(HANG_MARKER, "w").close()  # noqa: SIM115  (the test waits for the call to arrive)
    await asyncio.sleep(3600)
    return "too late"


if __name__ == "__main__":
    server.run("streamable-http" if HTTP else "stdio")
