"""toolagent: multimodal tool-use agents that plan ahead (TraceR1 anticipatory planning) on LangGraph.

    from toolagent import create_tracer1_agent
    agent = create_tracer1_agent("embedded")          # a compiled LangGraph graph: invoke, stream, batch, ...
    agent.invoke({"question": "What is the total?", "images": ["receipt.png"]})

The public names are imported lazily (on first use), so ``import toolagent`` and ``toolagent --help`` stay fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name → module that defines it
_EXPORTS: dict[str, str] = {
    "create_tracer1_agent": "toolagent.embed.factory",
    "create_react_baseline": "toolagent.embed.factory",
    "result_of": "toolagent.embed.factory",
    "answer_text": "toolagent.embed.factory",
    "as_tool": "toolagent.embed.wrap",
    "agent_input": "toolagent.embed.wrap",
    "extract_answer": "toolagent.embed.wrap",
    "answer_chain": "toolagent.embed.wrap",
    "approval_request": "toolagent.embed.approval",
    "pending_approval": "toolagent.embed.approval",
    "approve": "toolagent.embed.approval",
    "edit": "toolagent.embed.approval",
    "stop": "toolagent.embed.approval",
    "reject": "toolagent.embed.approval",
    "AgentSettings": "toolagent.settings",
    "run_agent": "toolagent.agent",
    "arun_agent": "toolagent.agent",
    "build_agent": "toolagent.agent",
    "invoke_agent": "toolagent.agent",
    "ainvoke_agent": "toolagent.agent",
    "RunResult": "toolagent.records",
    "Forecast": "toolagent.records",
    "PlanStep": "toolagent.records",
    "StepRecord": "toolagent.records",
    "ToolCall": "toolagent.records",
    "Observation": "toolagent.records",
    "JSONLFeedbackSink": "toolagent.feedback",
    "read_feedback": "toolagent.feedback",
    "ScriptedChatModel": "toolagent.models.scripted",
    "resolve_model": "toolagent.models.resolve",
    "ToolConfig": "toolagent.tools.config",
    "BadInput": "toolagent.errors",
    "ConfigError": "toolagent.errors",
    "ToolagentError": "toolagent.errors",
}

__all__ = [
    "AgentSettings",
    "BadInput",
    "ConfigError",
    "Forecast",
    "JSONLFeedbackSink",
    "Observation",
    "PlanStep",
    "RunResult",
    "ScriptedChatModel",
    "StepRecord",
    "ToolCall",
    "ToolConfig",
    "ToolagentError",
    "__version__",
    "agent_input",
    "ainvoke_agent",
    "answer_chain",
    "answer_text",
    "approval_request",
    "approve",
    "arun_agent",
    "as_tool",
    "build_agent",
    "create_react_baseline",
    "create_tracer1_agent",
    "edit",
    "extract_answer",
    "invoke_agent",
    "pending_approval",
    "read_feedback",
    "reject",
    "resolve_model",
    "result_of",
    "run_agent",
    "stop",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'toolagent' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


if TYPE_CHECKING:  # static type checkers and IDEs see the real names
    from toolagent.agent import ainvoke_agent, arun_agent, build_agent, invoke_agent, run_agent
    from toolagent.embed.approval import approval_request, approve, edit, pending_approval, reject, stop
    from toolagent.embed.factory import answer_text, create_react_baseline, create_tracer1_agent, result_of
    from toolagent.embed.wrap import agent_input, answer_chain, as_tool, extract_answer
    from toolagent.errors import BadInput, ConfigError, ToolagentError
    from toolagent.feedback import JSONLFeedbackSink, read_feedback
    from toolagent.models.resolve import resolve_model
    from toolagent.models.scripted import ScriptedChatModel
    from toolagent.records import Forecast, Observation, PlanStep, RunResult, StepRecord, ToolCall
    from toolagent.settings import AgentSettings
    from toolagent.tools.config import ToolConfig
