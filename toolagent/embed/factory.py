"""The LangChain/LangGraph entry points: compiled agent graphs you can invoke, stream, batch, checkpoint and
interrupt like any LangGraph agent.

    agent = create_tracer1_agent("embedded")                       # or any BaseChatModel
    state = agent.invoke({"question": "What is 17*23?"})           # state["answer"], ["steps"], ["forecasts"]
    for kind, chunk in agent.stream(inputs, stream_mode=["custom", "updates"]): ...

Input: ``{"question": str, "images": [path, ...]}`` or LangChain chat input ``{"messages": [HumanMessage(...)]}``
whose text and image blocks become the question and image files (see ``toolagent.embed.inputs``).
Output: the RunResult fields (``run_id``, ``answer``, ``status``, ``error``, ``steps``, ``forecasts``, ...);
``result_of(state)`` turns it into a RunResult.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool, StructuredTool

from toolagent.errors import BadInput
from toolagent.feedback import FeedbackHook
from toolagent.records import RunResult
from toolagent.settings import AgentSettings, Graph, settings_from

ToolLike = BaseTool | Callable[..., Any] | str


def coerce_tools(tools: Iterable[ToolLike] | None) -> list[BaseTool] | None:
    """BaseTools pass through, plain callables become StructuredTools, strings name our registered tools."""
    if tools is None:
        return None
    if isinstance(tools, (str, BaseTool)) or callable(tools):
        tools = [tools]  # type: ignore[list-item]
    out: list[BaseTool] = []
    names: list[str] = []
    for item in tools:
        if isinstance(item, BaseTool):
            out.append(item)
        elif isinstance(item, str):
            names.append(item)
        elif callable(item):
            description = inspect.getdoc(item) or f"{getattr(item, '__name__', 'tool')} (no description)"
            if inspect.iscoroutinefunction(item):  # awaited under ainvoke, on a loop of its own under invoke
                out.append(StructuredTool.from_function(coroutine=item, description=description))
            else:
                out.append(StructuredTool.from_function(item, description=description))
        else:
            raise BadInput(f"not a tool: {item!r} (pass a BaseTool, a function or a registered tool name)")
    if names:
        from toolagent.tools.registry import build_tools

        try:
            out.extend(build_tools(names=names))
        except KeyError as exc:
            raise BadInput(str(exc.args[0])) from None
    seen: set[str] = set()
    for tool in out:
        if tool.name in seen:
            raise BadInput(f"two tools are named {tool.name!r}")
        seen.add(tool.name)
    return out


def _create(graph: Graph, model: BaseChatModel | str | None, tools: Iterable[ToolLike] | None,
            settings: AgentSettings | None, checkpointer: Any, feedback: FeedbackHook | Iterable[FeedbackHook] | None,
            name: str | None, overrides: dict[str, Any], mcp: Any = None) -> Any:
    from toolagent.agent import build_agent

    settings = settings_from(settings, model=model, graph=graph, **overrides)
    if settings.approve and checkpointer is None:
        raise BadInput("approve=True pauses the run with an interrupt, which needs a checkpointer "
                       "(e.g. langgraph.checkpoint.memory.InMemorySaver())")
    chosen = coerce_tools(tools)
    if mcp is not None:
        from toolagent.tools.mcp import start_servers
        from toolagent.tools.registry import available_tools, build_tools

        chosen = chosen if chosen is not None else available_tools(build_tools(settings.tool_config))
        servers = start_servers(mcp, reserved={t.name for t in chosen})
        chosen = [*chosen, *(servers.tools if servers is not None else [])]
    return build_agent(tools=chosen, settings=settings, checkpointer=checkpointer, feedback=feedback, name=name)


def create_tracer1_agent(model: BaseChatModel | str | None = None, tools: Iterable[ToolLike] | None = None, *,
                         settings: AgentSettings | None = None, checkpointer: Any = None,
                         feedback: FeedbackHook | Iterable[FeedbackHook] | None = None, name: str | None = None,
                         mcp: Any = None, **overrides: Any) -> Any:
    """The anticipatory (TraceR1) agent as a compiled LangGraph graph.

    ``model``: a BaseChatModel or a spec string (embedded, hf:PATH, openai:MODEL, ollama:MODEL, py:MODULE:ATTR),
    resolved on the first run (default: ``settings.model``, else embedded). ``tools``: BaseTools, plain functions
    (their docstring is the description) or registered tool names; None = the available frozen tools built from
    ``settings.tool_config``. ``settings`` (an AgentSettings) and/or keyword overrides of its fields (``horizon=3``,
    ``max_steps=``, ``approve=``, ...) configure the agent. ``approve=True`` pauses before each executed step (needs
    a ``checkpointer``); resume with ``Command(resume="approve" | "stop" | {"action": "edit", "tool": ...,
    "args": {...}})`` or a LangChain HITL response (see ``toolagent.embed.approval``).

    ``mcp``: MCP servers whose tools join the others: an ``mcpServers`` JSON file, the same as a dict, or a
    ``toolagent.tools.mcp.MCPServers`` you start and close yourself (``with MCPServers(path) as servers``). Servers
    given as a file or dict start now and shut down when the process exits.
    """
    return _create("tracer1", model, tools, settings, checkpointer, feedback, name, overrides, mcp)


def create_react_baseline(model: BaseChatModel | str | None = None, tools: Iterable[ToolLike] | None = None, *,
                          settings: AgentSettings | None = None, checkpointer: Any = None,
                          feedback: FeedbackHook | Iterable[FeedbackHook] | None = None, name: str | None = None,
                          mcp: Any = None, **overrides: Any) -> Any:
    """The reactive baseline (one step at a time, no forecast) with the same tools, records and interface."""
    return _create("react", model, tools, settings, checkpointer, feedback, name, overrides, mcp)


def result_of(state: dict[str, Any], *, model: str = "", graph: str = "tracer1") -> RunResult:
    """A graph's output (or current values) as a RunResult."""
    from toolagent.agent import result_from_state

    return result_from_state(state, model=model, graph=graph)


def answer_text(state: dict[str, Any] | RunResult) -> str:
    """The answer, or one line saying why there is none (what an outer agent or a chain should see)."""
    from toolagent.graphs.chat import no_answer_line

    result = state if isinstance(state, RunResult) else result_of(state)
    return result.answer if result.answer is not None else no_answer_line(result.status, result.error)


def run_config(agent: Any, config: dict[str, Any] | None) -> dict[str, Any]:
    """``config`` with at least the agent's own recursion limit (an outer graph passes its smaller default)."""
    config = dict(config or {})
    own = int((getattr(agent, "config", None) or {}).get("recursion_limit") or 0)
    config["recursion_limit"] = max(int(config.get("recursion_limit") or 0), own) or 25
    return config

