"""MCP servers as tools, through langchain-mcp-adapters.

A JSON file in the common ``mcpServers`` format names the servers:

    {"mcpServers": {
        "files": {"command": "python", "args": ["server.py"], "env": {"KEY": "v"}, "cwd": "/srv"},   (stdio)
        "search": {"url": "http://127.0.0.1:8000/mcp", "headers": {"Authorization": "Bearer ..."}}, (streamable HTTP)
        "slow": {"command": "...", "timeout": 120}}}                       (seconds per call; default 60)

``MCPServers`` starts them once (a run, an evaluation worker) and always shuts them down (``close``, the ``with``
block, Ctrl-C, or at interpreter exit). Their sessions live on one background event loop, so the tools work from
sync code and from any other loop alike. Each MCP tool joins the menu beside the frozen tools with its JSON schema
(arguments are validated against it like ours); a failing, hanging or dead server gives the planner an error
observation, never a crash. MCP tools count as side-effecting unless the server marks them ``readOnlyHint``.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import json
import threading
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from langchain_core.tools import BaseTool
from pydantic import ConfigDict, PrivateAttr

from toolagent.errors import BadInput
from toolagent.tools.base import ToolError

DEFAULT_TIMEOUT_S = 60.0
START_TIMEOUT_S = 60.0
CLOSE_TIMEOUT_S = 10.0


def _connection(name: str, spec: Any) -> dict[str, Any]:
    """One server entry as a langchain-mcp-adapters connection (BadInput naming the problem)."""
    if not isinstance(spec, dict):
        raise BadInput(f"MCP server {name!r}: expected an object with 'command' or 'url'")
    if spec.get("command"):
        args = spec.get("args") or []
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise BadInput(f"MCP server {name!r}: 'args' must be a list of strings")
        env = spec.get("env")
        if env is not None and not (isinstance(env, dict) and all(isinstance(v, str) for v in env.values())):
            raise BadInput(f"MCP server {name!r}: 'env' must map names to strings")
        connection: dict[str, Any] = {"transport": "stdio", "command": str(spec["command"]), "args": args,
                                      "env": env}
        if spec.get("cwd"):
            connection["cwd"] = str(spec["cwd"])
        return connection
    if spec.get("url"):
        kind = str(spec.get("type") or spec.get("transport") or "streamable_http").replace("-", "_")
        if kind in ("http", "streamable_http", "streamablehttp"):
            kind = "streamable_http"
        elif kind != "sse":
            raise BadInput(f"MCP server {name!r}: unknown transport {kind!r} (streamable_http or sse)")
        return {"transport": kind, "url": str(spec["url"]), "headers": spec.get("headers") or None}
    raise BadInput(f"MCP server {name!r}: needs 'command' (stdio) or 'url' (streamable HTTP)")


def read_config(source: str | Path | dict[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, float]]:
    """The servers of an ``mcpServers`` file (or dict): connections and per-server call timeouts."""
    if isinstance(source, dict):
        data: Any = source
    else:
        path = Path(source).expanduser()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BadInput(f"MCP config not found: {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"MCP config {path} cannot be read: {exc}") from None
        except json.JSONDecodeError as exc:
            raise BadInput(f"MCP config {path} is not valid JSON: {exc.msg} (line {exc.lineno})") from None
    servers = data.get("mcpServers", data.get("servers")) if isinstance(data, dict) else None
    if not isinstance(servers, dict) or not servers:
        raise BadInput("MCP config: expected {\"mcpServers\": {name: {command, args, env} or {url}}}")
    timeouts: dict[str, float] = {}
    for name, spec in servers.items():
        timeout = spec.get("timeout", DEFAULT_TIMEOUT_S) if isinstance(spec, dict) else DEFAULT_TIMEOUT_S
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise BadInput(f"MCP server {name!r}: 'timeout' must be a positive number of seconds")
        timeouts[name] = float(timeout)
    return {name: _connection(name, spec) for name, spec in servers.items()}, timeouts


def _text_of(content: Any) -> str:
    """An MCP result's content (a string or LangChain content blocks) as the observation text."""
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content if isinstance(content, list) else [content]:
        if isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
        elif isinstance(block, dict):
            parts.append(f"[{block.get('type', 'content')} {block.get('mime_type') or ''}]".replace(" ]", "]"))
        else:
            parts.append(str(block))
    return "\n".join(parts)


class MCPTool(BaseTool):
    """An MCP server's tool, callable from any thread or event loop (the call runs on the servers' loop)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    timeout_s: float = DEFAULT_TIMEOUT_S
    server: str = ""
    _inner: BaseTool = PrivateAttr()
    _servers: MCPServers = PrivateAttr()

    @classmethod
    def wrap(cls, inner: BaseTool, server: str, servers: MCPServers, timeout_s: float, name: str) -> MCPTool:
        tool = cls(name=name, description=inner.description or f"{inner.name} (MCP server {server})",
                   args_schema=inner.args_schema, metadata={**(inner.metadata or {}), "mcp_server": server},
                   timeout_s=timeout_s, server=server)
        tool._inner, tool._servers = inner, servers
        return tool

    async def _on_loop(self, args: dict[str, Any]) -> str:
        from langchain_core.tools import ToolException

        try:
            content = await asyncio.wait_for(self._inner.ainvoke(args), self.timeout_s)
        except ToolException as exc:  # the server reported an error (isError): the planner reads it
            raise ToolError(f"{self.name}: {exc}") from None
        except asyncio.TimeoutError:
            raise ToolError(f"{self.name} timed out after {self.timeout_s:g} s (MCP server {self.server})") from None
        except Exception as exc:  # noqa: BLE001 - the transport: a dead or closed server
            if type(exc).__name__ in ("McpError", "ClosedResourceError", "BrokenResourceError", "EndOfStream"):
                raise ToolError(f"{self.name}: the MCP server {self.server!r} closed the connection (it may have "
                                f"crashed): {type(exc).__name__}: {_reason(exc)}") from None
            raise
        return _text_of(content)

    def _submit(self, args: dict[str, Any]) -> Any:
        loop = self._servers.loop
        if loop is None or loop.is_closed():
            raise ToolError(f"{self.name}: the MCP server {self.server!r} is not running")
        return asyncio.run_coroutine_threadsafe(self._on_loop(args), loop)

    def _run(self, *args: Any, **kwargs: Any) -> str:
        kwargs.pop("run_manager", None)
        future = self._submit(kwargs)
        try:
            return str(future.result(timeout=self.timeout_s + 5))
        except TimeoutError:
            future.cancel()
            raise ToolError(f"{self.name} timed out after {self.timeout_s:g} s (MCP server {self.server})") from None
        except concurrent.futures.CancelledError:
            raise ToolError(f"{self.name}: the MCP server {self.server!r} was shut down during the call") from None

    async def _arun(self, *args: Any, **kwargs: Any) -> str:
        kwargs.pop("run_manager", None)
        return str(await asyncio.wrap_future(self._submit(kwargs)))


class MCPServers:
    """The servers of one MCP config, started together; ``tools`` are theirs. Use as a context manager (or call
    ``close``); servers still open at interpreter exit are closed then."""

    def __init__(self, config: str | Path | dict[str, Any], reserved: set[str] | frozenset[str] = frozenset()):
        self.connections, self.timeouts = read_config(config)
        self.reserved = set(reserved)  # names already taken (the frozen tools): a clashing MCP tool is prefixed
        self.loop: asyncio.AbstractEventLoop | None = None
        self.tools: list[BaseTool] = []
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._done: asyncio.Future[None] | None = None

    def __enter__(self) -> MCPServers:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def start(self) -> MCPServers:
        """Start every server and load its tools (BadInput with one line when a server cannot be started)."""
        if self._thread is not None:
            return self
        # set from the servers' thread, waited on here: no race with that loop ending (a failed start ends it)
        ready: concurrent.futures.Future[list[BaseTool]] = concurrent.futures.Future()
        started = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self.loop, self._stop = loop, asyncio.Event()
            started.set()
            loop.run_until_complete(self._serve(ready))
            calls = asyncio.all_tasks(loop)  # calls still waiting on a closed server end now (threads wait on them)
            for task in calls:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*calls, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name="toolagent-mcp", daemon=True)
        self._thread.start()
        started.wait()
        try:
            tools = ready.result(START_TIMEOUT_S)
        except BadInput:
            self.close()
            raise
        except (TimeoutError, Exception) as exc:  # noqa: BLE001 - any failure to start is one line
            self.close()
            raise BadInput(f"MCP servers did not start: {type(exc).__name__}: {exc}".splitlines()[0]) from None
        self.tools = tools
        atexit.register(self.close)
        return self

    async def _serve(self, ready: concurrent.futures.Future[list[BaseTool]]) -> None:
        """Open every session in this one task (anyio scopes must close in the task that opened them), hand the
        tools over, then hold the sessions until ``close``."""
        from langchain_mcp_adapters.client import MultiServerMCPClient
        from langchain_mcp_adapters.tools import load_mcp_tools

        client = MultiServerMCPClient(self.connections)  # type: ignore[arg-type]
        assert self._stop is not None
        try:
            async with AsyncExitStack() as stack:
                tools: list[BaseTool] = []
                for server in self.connections:
                    try:
                        session = await stack.enter_async_context(client.session(server))
                        loaded = await load_mcp_tools(session, server_name=server, handle_tool_errors=False)
                    except Exception as exc:  # noqa: BLE001
                        raise BadInput(f"MCP server {server!r} could not be started: "
                                       f"{type(exc).__name__}: {_reason(exc)}") from None
                    tools += [self._wrap(tool, server, tools) for tool in loaded]
                ready.set_result(tools)
                await self._stop.wait()
        except BaseException as exc:  # noqa: BLE001 - a failed start is reported to start(); a dying server
            if not ready.done():       # after start only ends its tools (their calls become error observations)
                ready.set_exception(exc if isinstance(exc, Exception) else RuntimeError(str(exc)))

    def _wrap(self, tool: BaseTool, server: str, taken: list[BaseTool]) -> MCPTool:
        name = tool.name
        if name in self.reserved or name in {t.name for t in taken}:
            name = f"{server}_{tool.name}"
        return MCPTool.wrap(tool, server, self, self.timeouts[server], name)

    def close(self) -> None:
        """Shut every server down (idempotent; waits at most a few seconds)."""
        thread, loop, stop = self._thread, self.loop, self._stop
        if thread is None or loop is None:
            return
        self._thread = None
        atexit.unregister(self.close)
        if not loop.is_closed() and stop is not None:
            try:
                loop.call_soon_threadsafe(stop.set)
            except RuntimeError:  # the loop already stopped
                pass
        thread.join(CLOSE_TIMEOUT_S)


def _reason(exc: BaseException) -> str:
    """The innermost message of an exception group (anyio wraps transport failures)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def start_servers(mcp: str | Path | dict[str, Any] | MCPServers | None,
                  reserved: set[str] | frozenset[str] = frozenset()) -> MCPServers | None:
    """Started servers for a factory's ``mcp=`` argument (an MCPServers passes through, started)."""
    if mcp is None:
        return None
    servers = mcp if isinstance(mcp, MCPServers) else MCPServers(mcp, reserved)
    return servers.start()
