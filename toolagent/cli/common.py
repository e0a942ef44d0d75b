"""CLI helpers shared by the commands: one-line errors with exit code 2, tool configuration flags."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer

from toolagent.errors import ToolagentError

F = TypeVar("F", bound=Callable[..., Any])
EXIT_ANSWERED, EXIT_NO_ANSWER, EXIT_BAD_INPUT = 0, 1, 2


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print ``error: message`` on stderr as one line and return the Exit to raise."""
    sys.stderr.write(f"error: {' '.join(message.split())}\n")
    return typer.Exit(code)


def one_line_errors(func: F) -> F:
    """Turn user-facing errors into one line on stderr and exit 2 (never a traceback)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for name, value in kwargs.items():
            if isinstance(value, str) and _undecodable(value):
                raise fail(f"--{name.replace('_', '-')} is not valid UTF-8 text (undecodable bytes)")
        try:
            return func(*args, **kwargs)
        except ToolagentError as exc:
            raise fail(str(exc)) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None

    return wrapper  # type: ignore[return-value]


def _undecodable(text: str) -> bool:
    """Command-line text holding bytes that are not UTF-8 (Python keeps them as lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def tool_options(search: str | None = None, corpus: Path | None = None, vlm: str | None = None,
                 enable_python: bool = False, ocr_backend: str | None = None, tool_cache: str | None = None,
                 cache_dir: Path | None = None, base_url: str | None = None,
                 allow_path: list[Path] | None = None) -> dict[str, Any]:
    """ToolConfig fields from CLI flags (JSON-native, so an eval run can record them in config.json)."""
    from toolagent.errors import BadInput

    options: dict[str, Any] = {}
    if search:
        options["search"] = search
    if corpus:
        if not corpus.exists():
            raise BadInput(f"corpus not found: {corpus}")
        options["corpus"] = str(corpus.resolve())
        options.setdefault("search", "local")
    if vlm:
        options["vlm"], options["vlm_base_url"] = vlm, base_url
    if enable_python:
        options["enable_python"] = True
    if ocr_backend:
        options["ocr_backend"] = ocr_backend
    if tool_cache and tool_cache != "off":
        options["cache_mode"] = tool_cache
    if cache_dir:
        options["cache_dir"] = str(cache_dir)
    for folder in allow_path or []:
        if not folder.exists():
            raise BadInput(f"--allow-path not found: {folder}")
        options.setdefault("allow_paths", []).append(str(folder.resolve()))
    return options


def tool_config(**flags: Any) -> Any:
    """A ToolConfig from CLI flags (environment defaults apply to anything not given)."""
    from pydantic import ValidationError

    from toolagent.errors import BadInput
    from toolagent.tools.config import ToolConfig

    try:
        return ToolConfig(**tool_options(**flags))
    except ValidationError as exc:
        err = exc.errors()[0]
        raise BadInput(f"bad tool option {'.'.join(map(str, err['loc']))}: {err['msg']}") from None


#: ``--mcp CONFIG``: MCP servers whose tools join the frozen tools (ask, eval, tools)
MCP_OPTION: Any = typer.Option(None, "--mcp", help="MCP servers as tools: a JSON file in the mcpServers format "
                                                   "(stdio command/args/env or a streamable-HTTP url).")


def mcp_tools(mcp: Path | None, config: Any) -> tuple[Any, list[Any] | None]:
    """Start the MCP servers of ``--mcp`` (None: none) and return them with the tool list for the agent: the
    available frozen tools built from ``config`` plus the servers' tools. Close the servers when done."""
    if mcp is None:
        return None, None
    from toolagent.tools.mcp import MCPServers
    from toolagent.tools.registry import available_tools, build_tools

    frozen = available_tools(build_tools(config))
    servers = MCPServers(mcp, reserved={t.name for t in frozen}).start()
    return servers, [*frozen, *servers.tools]
