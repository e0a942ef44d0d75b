"""LangChain-native behaviour: the messages channel and conversations on a thread, coroutine-only tools under
invoke and ainvoke, per-run settings (context / configurable), approvals in LangChain's HITL shape, ask --approve."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import StructuredTool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from tests.core.wire import answer_step, reply, step
from tests.embed.helpers import arithmetic_model, arithmetic_policy, latest_output, user_text
from toolagent import create_tracer1_agent, result_of
from toolagent.embed import approval_request, reject
from toolagent.models.scripted import ScriptedChatModel

ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------------------------------ messages channel
def test_a_run_writes_the_chat_turn_into_messages() -> None:
    state = create_tracer1_agent(arithmetic_model(), ["calculator"]).invoke({"question": "What is 6 * 7?"})
    human, call, result, answer = state["messages"]
    assert isinstance(human, HumanMessage) and human.content == "What is 6 * 7?"
    assert isinstance(call, AIMessage) and call.tool_calls[0]["name"] == "calculator"
    assert isinstance(result, ToolMessage) and result.tool_call_id == call.tool_calls[0]["id"] and "42" in result.text
    assert isinstance(answer, AIMessage) and answer.content == "42" and not answer.tool_calls


def test_a_long_observation_is_capped_in_messages_but_whole_in_steps() -> None:
    def long_text(n: int) -> str:
        """Returns n words."""
        return " ".join(f"word{i}" for i in range(n))

    def policy(messages: Sequence[BaseMessage]) -> str:
        if not latest_output(messages):
            return reply(step("long_text", {"n": 500}), answer_step("?"))
        return reply(answer_step("done"))

    state = create_tracer1_agent(ScriptedChatModel(policy=policy), [long_text]).invoke({"question": "go"})
    tool_message = next(m for m in state["messages"] if isinstance(m, ToolMessage))
    assert len(tool_message.text) < 600 and "full output is in the run's steps" in tool_message.text
    assert "word499" in state["steps"][0]["observation"]["text"]


def test_a_run_without_an_answer_still_closes_the_turn() -> None:
    agent = create_tracer1_agent(ScriptedChatModel(responses=["not json at all"]), ["calculator"])
    state = agent.invoke({"question": "What is 6 * 7?"})
    assert state["status"] == "planner_error"
    assert state["messages"][-1].content.startswith("no answer (planner_error)")


def test_a_second_question_on_a_thread_continues_the_conversation() -> None:
    prompts: list[str] = []

    def policy(messages: Sequence[BaseMessage]) -> str:
        prompts.append(user_text(messages))
        return arithmetic_policy(messages)

    agent = create_tracer1_agent(ScriptedChatModel(policy=policy), ["calculator"], checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "chat"}}
    assert agent.invoke({"messages": [("user", "What is 6 * 7?")]}, config)["answer"] == "42"
    state = agent.invoke({"messages": [("user", "What is 42 + 1?")]}, config)
    assert state["answer"] == "43" and state["question"] == "What is 42 + 1?" and len(state["steps"]) == 2
    assert [type(m).__name__ for m in state["messages"]] == ["HumanMessage", "AIMessage", "ToolMessage",
                                                              "AIMessage"] * 2
    assert "Earlier in this conversation" not in prompts[0]
    assert "user: What is 6 * 7?\n" in prompts[-1] and "agent: 42" in prompts[-1]
    state = agent.invoke({"question": "What is 2 + 3?"}, config)  # a plain question joins the conversation too
    assert state["answer"] == "5" and state["messages"][-4].content == "What is 2 + 3?"


# ------------------------------------------------------------------------------------------ async tools
async def _multiply(a: int, b: int) -> int:
    await asyncio.sleep(0.01)
    return a * b


async def _broken(a: int, b: int) -> int:
    raise RuntimeError("the service is down")


def _coroutine_tool(coroutine: Any, **kwargs: Any) -> StructuredTool:
    return StructuredTool.from_function(coroutine=coroutine, name="multiply", description="Multiply a by b.",
                                        **kwargs)


def _multiply_policy(messages: Sequence[BaseMessage]) -> str:
    out = latest_output(messages)
    if not out:
        return reply(step("multiply", {"a": 6, "b": 7}), answer_step("?"))
    return reply(answer_step(out.strip()))


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
def test_a_coroutine_only_tool_runs_under_invoke_and_ainvoke(mode: str) -> None:
    agent = create_tracer1_agent(ScriptedChatModel(policy=_multiply_policy), [_coroutine_tool(_multiply)])
    inputs = {"question": "What is 6 times 7?"}
    state = agent.invoke(inputs) if mode == "invoke" else asyncio.run(agent.ainvoke(inputs))
    assert state["answer"] == "42", state.get("error")


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
def test_an_async_tool_failure_is_an_observation(mode: str) -> None:
    agent = create_tracer1_agent(ScriptedChatModel(policy=_multiply_policy), [_coroutine_tool(_broken)])
    inputs = {"question": "What is 6 times 7?"}
    state = agent.invoke(inputs) if mode == "invoke" else asyncio.run(agent.ainvoke(inputs))
    observation = state["steps"][0]["observation"]
    assert state["status"] == "answered" and "the service is down" in observation["error"]


# ------------------------------------------------------------------------------------------ per-run settings
def test_per_run_settings_from_context_and_configurable() -> None:
    seen: list[str] = []

    def policy(messages: Sequence[BaseMessage]) -> str:
        seen.append(str(messages[0].content))
        return arithmetic_policy(messages)

    agent = create_tracer1_agent(ScriptedChatModel(policy=policy), ["calculator", "solver"])
    agent.invoke({"question": "What is 6 * 7?"}, context={"horizon": 2})
    assert "at most 2" in seen[-1] or "2 steps" in seen[-1]
    state = agent.invoke({"question": "What is 6 * 7?"}, {"configurable": {"max_steps": 1, "tools": ["calculator"]}})
    assert state["answer"] == "42"
    assert "solver" not in seen[-1] and "calculator" in seen[-1]
    bad = agent.invoke({"question": "What is 6 * 7?"}, context={"horizon": 99})
    assert bad["status"] == "error" and "horizon" in bad["error"] and "\n" not in bad["error"]
    assert agent.get_context_jsonschema()["properties"].keys() >= {"model", "horizon", "max_steps", "approve", "tools"}


def test_approval_can_be_turned_on_per_run() -> None:
    agent = create_tracer1_agent(arithmetic_model(), ["calculator"], checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "p", "approve": True}}
    state = agent.invoke({"question": "What is 6 * 7?"}, config)
    assert approval_request(state) is not None


# ------------------------------------------------------------------------------------------ HITL approvals
def _approving_agent() -> Any:
    return create_tracer1_agent(arithmetic_model(), ["calculator"], approve=True, checkpointer=InMemorySaver())


def test_the_request_has_langchain_hitl_shape_and_takes_its_decisions() -> None:
    agent, config = _approving_agent(), {"configurable": {"thread_id": "h"}}
    request = approval_request(agent.invoke({"question": "What is 6 * 7?"}, config))
    assert request["action_requests"] == [{"name": "calculator", "args": {"expression": "6 * 7"},
                                           "description": request["action_requests"][0]["description"]}]
    assert request["review_configs"] == [{"action_name": "calculator",
                                          "allowed_decisions": ["approve", "edit", "reject"]}]
    edited = {"decisions": [{"type": "edit", "edited_action": {"name": "calculator", "args": {"expression": "6*8"}}}]}
    state = agent.invoke(Command(resume=edited), config)
    assert state["answer"] == "48" and state["steps"][0]["executed"]["args"] == {"expression": "6*8"}


def test_a_rejected_step_does_not_run_and_the_planner_hears_why() -> None:
    prompts: list[str] = []

    def policy(messages: Sequence[BaseMessage]) -> str:
        prompts.append(user_text(messages))
        if "rejected" in prompts[-1]:
            return reply(answer_step("I will not compute it"))
        return arithmetic_policy(messages)

    agent = create_tracer1_agent(ScriptedChatModel(policy=policy), ["calculator"], approve=True,
                                 checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "r"}}
    agent.invoke({"question": "What is 6 * 7?"}, config)
    state = agent.invoke(reject("do it by hand"), config)
    assert state["answer"] == "I will not compute it" and state["steps"][0]["executed"]["tool"] == "answer"
    assert "do it by hand" in prompts[-1]
    assert result_of(state).status == "answered"


def test_an_unusable_decision_asks_again_with_the_error() -> None:
    agent, config = _approving_agent(), {"configurable": {"thread_id": "u"}}
    agent.invoke({"question": "What is 6 * 7?"}, config)
    state = agent.invoke(Command(resume={"decisions": [{"type": "respond"}, {"type": "approve"}]}), config)
    assert "expected one decision" in approval_request(state)["error"]


def test_ask_approve_reads_decisions_from_stdin() -> None:
    model = "py:tests.embed.helpers:arithmetic_model"
    proc = subprocess.run([sys.executable, "-m", "toolagent", "ask", "What is 6 * 7?", "--model", model,
                           "--approve", "--json", "--search", "none"], cwd=ROOT, input='e\n{"expression": "6 * 9"}\n',
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-1500:]
    result = json.loads(proc.stdout)
    assert result["answer"] == "54" and "next step: calculator" in proc.stderr
    stopped = subprocess.run([sys.executable, "-m", "toolagent", "ask", "What is 6 * 7?", "--model", model,
                              "--approve", "--json", "--search", "none"], cwd=ROOT, input="s\n",
                             capture_output=True, text=True, timeout=120, check=False)
    assert stopped.returncode == 1 and json.loads(stopped.stdout)["status"] == "stopped"


# ------------------------------------------------------------------------------------------ planner failures
class _Failing(ScriptedChatModel):
    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("the model server went away")

    async def _agenerate(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("the model server went away")


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
def test_a_failing_model_call_ends_the_run_and_logs_the_traceback_at_debug(mode: str, caplog: Any) -> None:
    agent = create_tracer1_agent(_Failing(responses=["unused"]), ["calculator"])
    inputs = {"question": "What is 6 * 7?"}
    with caplog.at_level("DEBUG", logger="toolagent.planner"):
        state = agent.invoke(inputs) if mode == "invoke" else asyncio.run(agent.ainvoke(inputs))
    assert state["status"] == "planner_error" and "ConnectionError: the model server went away" in state["error"]
    (record,) = [r for r in caplog.records if r.name == "toolagent.planner"]
    assert record.levelname == "DEBUG" and record.exc_info and "Traceback" in caplog.text


async def test_approval_under_ainvoke() -> None:
    agent, config = _approving_agent(), {"configurable": {"thread_id": "async"}}
    request = approval_request(await agent.ainvoke({"question": "What is 6 * 7?"}, config))
    assert request["action_requests"][0]["args"] == {"expression": "6 * 7"}
    state = await agent.ainvoke(Command(resume={"decisions": [{"type": "approve"}]}), config)
    assert state["answer"] == "42" and state["status"] == "answered"
