"""The public API: lazy package exports, the agent factories and how they take models and tools."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence

import pytest
from langchain_core.messages import BaseMessage
from langchain_core.tools import BaseTool, tool
from langgraph.pregel import Pregel

import toolagent
from tests.core.wire import answer_step, reply, step
from tests.embed.helpers import arithmetic_model, latest_output, user_text
from toolagent import create_react_baseline, create_tracer1_agent, result_of
from toolagent.embed import coerce_tools
from toolagent.errors import BadInput
from toolagent.models.scripted import ScriptedChatModel


def test_import_toolagent_is_lazy_and_every_export_resolves() -> None:
    code = ("import sys, toolagent; heavy = [m for m in sys.modules if m.split('.')[0] in "
            "('langchain_core', 'langgraph', 'torch', 'transformers', 'pydantic')]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
    for name in toolagent.__all__:
        assert getattr(toolagent, name) is not None, name
    assert toolagent.__version__ == "0.1.0"
    assert toolagent.RunResult is toolagent.records.RunResult
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        toolagent.nope  # noqa: B018


def test_the_agent_is_a_compiled_graph_with_its_step_budget_as_recursion_limit() -> None:
    agent = create_tracer1_agent(arithmetic_model(), ["calculator"], max_steps=4)
    assert isinstance(agent, Pregel) and agent.name == "tracer1"
    assert set(agent.nodes) >= {"start", "planner", "tools"}
    assert agent.config["recursion_limit"] == 6 * 4 + 20
    state = agent.invoke({"question": "What is 6 * 7?"})
    result = result_of(state)
    assert result.status == "answered" and result.answer == "42"
    assert [s.executed.tool for s in result.steps] == ["calculator", "answer"]
    assert len(result.forecasts) == 2 and result.forecasts[0].plan[1].is_answer


def test_plain_functions_become_tools_sync_and_async() -> None:
    def area(width: float, height: float) -> float:
        """Area of a rectangle."""
        return width * height

    async def perimeter(width: float, height: float) -> float:
        """Perimeter of a rectangle."""
        return 2 * (width + height)

    prompts: list[str] = []

    def policy(messages: Sequence[BaseMessage]) -> str:
        prompts.append(str(messages[0].content))
        history = user_text(messages).split("History of executed steps:")[1]
        if "area(" not in history:
            return reply(step("area", {"width": 3, "height": 4}), answer_step("?"))
        if "perimeter(" not in history:
            return reply(step("perimeter", {"width": 3, "height": 4}), answer_step("?"))
        return reply(answer_step(latest_output(messages)))

    agent = create_tracer1_agent(ScriptedChatModel(policy=policy), [area, perimeter])
    result = result_of(agent.invoke({"question": "area then perimeter of 3x4"}))
    assert result.status == "answered" and float(result.answer) == 14.0
    assert [s.observation.text for s in result.steps[:2]] == ["12.0", "14.0"]
    assert "Area of a rectangle." in prompts[0] and "Perimeter of a rectangle." in prompts[0]


def test_tool_names_build_registered_tools_and_bad_tools_are_one_line_errors() -> None:
    (calculator,) = coerce_tools(["calculator"])
    assert isinstance(calculator, BaseTool) and calculator.name == "calculator"
    with pytest.raises(BadInput, match="unknown tool.*hammer"):
        create_tracer1_agent(arithmetic_model(), ["hammer"])
    with pytest.raises(BadInput, match="not a tool: 42"):
        create_tracer1_agent(arithmetic_model(), [42])

    @tool
    def calculator(expression: str) -> str:
        """Shadow."""
        return expression

    with pytest.raises(BadInput, match="two tools are named 'calculator'"):
        create_tracer1_agent(arithmetic_model(), ["calculator", calculator])


def test_approve_without_a_checkpointer_is_refused() -> None:
    with pytest.raises(BadInput, match="needs a checkpointer"):
        create_tracer1_agent(arithmetic_model(), ["calculator"], approve=True)


def test_default_tools_are_the_available_frozen_tools() -> None:
    systems: list[str] = []

    def policy(messages: Sequence[BaseMessage]) -> str:
        systems.append(str(messages[0].content))
        return reply(answer_step("ok"))

    state = create_tracer1_agent(ScriptedChatModel(policy=policy)).invoke({"question": "which tools?"})
    assert state["answer"] == "ok"
    menu = systems[0]
    for name in ("calculator", "solver", "ocr", "draw_box", "crop_image"):
        assert f"- {name}:" in menu
    assert "- python:" not in menu  # the python tool is offered only when enabled in the ToolConfig


def test_model_spec_strings_resolve_on_first_run() -> None:
    agent = create_tracer1_agent("py:tests.core.cli_models:calc_model", ["calculator"])
    state = agent.invoke({"question": "What is 17 * 23 + 4?"})
    assert state["answer"] == "395"
    broken = create_tracer1_agent("py:tests.core.cli_models:not_there", ["calculator"])  # lazy: no error yet
    with pytest.raises(toolagent.ConfigError, match="cannot import model"):
        broken.invoke({"question": "q"})


def test_react_baseline_is_the_same_interface_one_step_at_a_time() -> None:
    agent = create_react_baseline(arithmetic_model(), ["calculator"])
    assert agent.name == "react"
    result = result_of(agent.invoke({"question": "What is 2 ** 10?"}), graph="react")
    assert result.answer == "1024" and result.graph == "react"
    assert all(len(f.plan) == 1 for f in result.forecasts)
    assert json.loads(result.model_dump_json())["steps"][0]["executed"]["tool"] == "calculator"
