"""MCP servers as tools: real server processes over stdio and streamable HTTP; schemas, results, server-side
errors, a server that never answers and one that dies mid-call; servers always shut down."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from tests.mcp.conftest import stdio_config
from tests.mcp.planner import add_policy
from toolagent import create_tracer1_agent
from toolagent.errors import BadInput
from toolagent.models.scripted import ScriptedChatModel
from toolagent.tools.base import ToolContext, arun_tool, run_tool
from toolagent.tools.mcp import MCPServers
from toolagent.tools.registry import side_effect_free


def _tools(servers: MCPServers) -> dict:
    return {tool.name: tool for tool in servers.tools}


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_tools_carry_the_server_schemas_and_answer_sync_and_async(servers: MCPServers) -> None:
    tools = _tools(servers)
    assert {"add", "remember", "server_pid", "fail", "crash", "hang"} <= set(tools)
    assert tools["add"].args_schema["required"] == ["a", "b"] and "Add two integers" in tools["add"].description
    assert run_tool(tools["add"], {"a": 2, "b": 3}, ToolContext()).text == "5"
    assert asyncio.run(arun_tool(tools["add"], {"a": 40, "b": 2}, ToolContext())).text == "42"
    assert tools["add"].invoke({"a": 1, "b": 1}) == "2"


def test_arguments_are_validated_against_the_json_schema(servers: MCPServers) -> None:
    obs = run_tool(_tools(servers)["add"], {"a": "two"}, ToolContext())
    assert obs.error and "'b' is a required property" in obs.error and "'two' is not of type 'integer'" in obs.error


def test_only_read_only_tools_are_side_effect_free(servers: MCPServers) -> None:
    tools = _tools(servers)
    assert side_effect_free(tools["add"]) and not side_effect_free(tools["remember"])


def test_a_server_side_error_is_an_observation(servers: MCPServers) -> None:
    obs = run_tool(_tools(servers)["fail"], {"reason": "no such row"}, ToolContext())
    assert obs.error and "failed on purpose: no such row" in obs.error and "\n" not in obs.error


def test_a_hanging_call_times_out_and_a_dying_server_is_an_observation_then_shuts_down() -> None:
    with MCPServers(stdio_config(timeout=1.5)) as servers:
        tools = _tools(servers)
        pid = int(run_tool(tools["server_pid"], {}, ToolContext()).text)
        began = time.monotonic()
        hung = asyncio.run(arun_tool(tools["hang"], {}, ToolContext()))
        assert hung.error and "timed out after 1.5 s" in hung.error and time.monotonic() - began < 5
        hung = run_tool(tools["hang"], {}, ToolContext())
        assert hung.error and "timed out" in hung.error
        crashed = run_tool(tools["crash"], {}, ToolContext())
        assert crashed.error and "closed the connection" in crashed.error
        after = run_tool(tools["add"], {"a": 1, "b": 2}, ToolContext())
        assert after.error and not after.text  # the server is gone: still an observation, never a raise
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid)


def test_closing_stops_the_server_process() -> None:
    servers = MCPServers(stdio_config()).start()
    pid = int(run_tool(_tools(servers)["server_pid"], {}, ToolContext()).text)
    assert _alive(pid) and pid != os.getpid()
    began = time.monotonic()
    servers.close()
    servers.close()  # idempotent
    assert time.monotonic() - began < 10
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid)
    assert "not running" in (run_tool(_tools(servers)["add"], {"a": 1, "b": 1}, ToolContext()).error or "")


def test_streamable_http_server(http_url: str) -> None:
    with MCPServers({"mcpServers": {"remote": {"url": http_url}}}) as servers:
        tools = _tools(servers)
        assert run_tool(tools["add"], {"a": 20, "b": 22}, ToolContext()).text == "42"
        assert tools["add"].metadata["mcp_server"] == "remote"


def test_the_agent_uses_mcp_tools_under_invoke_and_ainvoke(servers: MCPServers) -> None:
    agent = create_tracer1_agent(ScriptedChatModel(policy=add_policy), ["calculator"], mcp=servers)
    state = agent.invoke({"question": "What is 19 plus 23?"})
    assert state["answer"] == "42" and state["steps"][0]["executed"]["tool"] == "add"
    state = asyncio.run(agent.ainvoke({"question": "What is 2 plus 3?"}))
    assert state["answer"] == "5"


def test_a_tool_named_like_a_frozen_tool_is_prefixed_with_its_server() -> None:
    with MCPServers(stdio_config(), reserved={"add"}) as servers:
        assert "calc_add" in _tools(servers) and "add" not in _tools(servers)


@pytest.mark.parametrize(("config", "fragment"), [
    ({"servers": []}, "expected {\"mcpServers\""),
    ({"mcpServers": {"x": {"args": []}}}, "needs 'command' (stdio) or 'url'"),
    ({"mcpServers": {"x": {"command": "python", "args": "server.py"}}}, "'args' must be a list"),
    ({"mcpServers": {"x": {"url": "http://127.0.0.1:9/mcp", "type": "carrier-pigeon"}}}, "unknown transport"),
    ({"mcpServers": {"x": {"command": "python", "timeout": -1}}}, "'timeout' must be a positive"),
    ({"mcpServers": {"x": {"command": "/nonexistent/mcp-server"}}}, "'x' could not be started"),
])
def test_bad_configs_are_one_line_errors(config: dict, fragment: str) -> None:
    with pytest.raises(BadInput) as caught:
        MCPServers(config).start()
    assert fragment in str(caught.value) and "\n" not in str(caught.value)
