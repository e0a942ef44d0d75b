"""invoke / ainvoke / batch / abatch / stream / astream, the stream modes, and isolation of concurrent runs."""

from __future__ import annotations

import time
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from tests.embed.helpers import StreamingScriptedChatModel, arithmetic_model, arithmetic_policy
from toolagent import create_tracer1_agent, result_of

QUESTIONS = {"What is 6 * 7?": "42", "What is 2 ** 10?": "1024", "What is 100 - 58?": "42",
             "What is 3 * (4 + 5)?": "27"}


@pytest.fixture(scope="module")
def agent() -> Any:
    return create_tracer1_agent(arithmetic_model(), ["calculator"])


def _inputs() -> list[dict[str, str]]:
    return [{"question": q} for q in QUESTIONS]


def test_invoke_and_batch(agent) -> None:
    assert agent.invoke({"question": "What is 6 * 7?"})["answer"] == "42"
    states = agent.batch(_inputs())
    assert [s["answer"] for s in states] == list(QUESTIONS.values())
    assert all(s["status"] == "answered" for s in states)


async def test_ainvoke_and_concurrent_abatch_share_no_state() -> None:
    slow = create_tracer1_agent(arithmetic_model(latency_s=0.25), ["calculator"], checkpointer=InMemorySaver())
    configs = [{"configurable": {"thread_id": f"q{i}"}} for i in range(len(QUESTIONS))]
    assert (await slow.ainvoke({"question": "What is 6 * 7?"}, {"configurable": {"thread_id": "x"}}))["answer"] == "42"
    began = time.perf_counter()
    states = await slow.abatch(_inputs(), configs)
    elapsed = time.perf_counter() - began
    assert [s["answer"] for s in states] == list(QUESTIONS.values())
    assert [s["question"] for s in states] == list(QUESTIONS)
    assert len({s["run_id"] for s in states}) == len(QUESTIONS)
    workspaces = [(await slow.aget_state(c)).values["workspace"] for c in configs]
    assert len(set(workspaces)) == len(QUESTIONS)
    for state, config in zip(states, configs):  # each step record belongs to its own run
        assert {r.run_id for r in result_of(state).steps} == {state["run_id"]}
        assert result_of(state).steps[-1].executed.args["text"] == state["answer"]
        assert (await slow.aget_state(config)).values["answer"] == state["answer"]
    sequential = len(QUESTIONS) * 2 * 0.25  # two planner calls per question
    assert elapsed < 0.75 * sequential, f"abatch took {elapsed:.2f}s: runs did not overlap"


def test_stream_updates_and_values(agent) -> None:
    nodes = [next(iter(chunk)) for chunk in agent.stream({"question": "What is 6 * 7?"}, stream_mode="updates")]
    assert nodes == ["start", "planner", "tools"]  # the tools node runs the step and the planner turn after it
    values = list(agent.stream({"question": "What is 6 * 7?"}, stream_mode="values"))
    assert values[0]["question"] == "What is 6 * 7?" and values[0].get("answer") is None
    assert values[-1]["answer"] == "42" and len(values[-1]["steps"]) == 2
    assert [len(v.get("forecasts") or []) for v in values] == [0, 0, 1, 2]


def test_custom_events_render_each_forecast_and_observation(agent) -> None:
    events = list(agent.stream({"question": "What is 2 ** 10?"}, stream_mode="custom"))
    assert [e["type"] for e in events] == ["forecast", "observation", "forecast", "answer"]
    first = events[0]["forecast"]
    assert first["plan"][0]["tool"] == "calculator" and first["plan"][0]["args"] == {"expression": "2 ** 10"}
    assert first["plan"][1]["tool"] == "answer" and events[0]["turn"] == 1
    assert events[1]["tool"] == "calculator" and "1024" in events[1]["observation"]["text"]
    assert events[3] == {"type": "answer", "text": "1024"}


def test_messages_mode_streams_the_chat_messages_not_the_raw_forecasts() -> None:
    model = StreamingScriptedChatModel(policy=arithmetic_policy, chunk_chars=10)
    agent = create_tracer1_agent(model, ["calculator"])
    chunks = list(agent.stream({"question": "What is 6 * 7?"}, stream_mode="messages"))
    messages = [message for message, _ in chunks]
    assert not any("<answer>" in str(m.content) or '"plan"' in str(m.content) for m in messages)  # custom stream
    call, result, answer = [m for m in messages if not isinstance(m, HumanMessage)]
    assert isinstance(call, AIMessage) and call.tool_calls[0]["name"] == "calculator"
    assert call.tool_calls[0]["args"] == {"expression": "6 * 7"}
    assert isinstance(result, ToolMessage) and result.tool_call_id == call.tool_calls[0]["id"] and "42" in result.text
    assert isinstance(answer, AIMessage) and answer.content == "42" and not answer.tool_calls
    assert {meta["langgraph_node"] for _, meta in chunks} <= {"start", "tools", "planner"}


async def test_astream_with_several_modes_at_once() -> None:
    model = StreamingScriptedChatModel(policy=arithmetic_policy, chunk_chars=16)
    agent = create_tracer1_agent(model, ["calculator"])
    seen: dict[str, list] = {"updates": [], "custom": [], "messages": [], "values": []}
    async for mode, chunk in agent.astream({"question": "What is 100 - 58?"},
                                           stream_mode=["updates", "custom", "messages", "values"]):
        seen[mode].append(chunk)
    assert [next(iter(u)) for u in seen["updates"]] == ["start", "planner", "tools"]
    assert [e["type"] for e in seen["custom"]] == ["forecast", "observation", "forecast", "answer"]
    assert len(seen["messages"]) >= 3 and seen["values"][-1]["answer"] == "42"
    assert result_of(seen["values"][-1]).answered


async def test_astream_events_carry_the_planner_model_stream() -> None:
    agent = create_tracer1_agent(StreamingScriptedChatModel(policy=arithmetic_policy), ["calculator"])
    kinds: list[str] = []
    async for event in agent.astream_events({"question": "What is 6 * 7?"}, version="v2"):
        kinds.append(event["event"])
    assert kinds.count("on_chat_model_start") == 2 and kinds.count("on_chat_model_stream") > 4
    assert kinds[-1] == "on_chain_end"
