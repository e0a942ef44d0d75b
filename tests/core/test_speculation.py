"""Speculative execution of forecast steps, through the real graph with a scripted planner and timed tools."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import BaseMessage
from langchain_core.tools import BaseTool, tool

from tests.core.wire import answer_step, reply, step
from toolagent.agent import run_agent
from toolagent.graphs.speculation import Speculator, complete_args
from toolagent.models.scripted import ScriptedChatModel
from toolagent.records import Observation, RunResult
from toolagent.tools.registry import build_tools, side_effect_free

Plan = list[dict[str, Any]]


class Tools:
    """A side-effect-free ``lookup`` (marked in its metadata) and a side-effecting ``write``, both counting calls."""

    def __init__(self, delay_s: float = 0.2) -> None:
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()

        @tool
        def lookup(key: str) -> str:
            """Look a key up."""
            time.sleep(delay_s)
            with self.lock:
                self.calls[f"lookup:{key}"] += 1
            return f"v-{key}"

        @tool
        def write(key: str) -> str:
            """Write a key somewhere."""
            with self.lock:
                self.calls[f"write:{key}"] += 1
            return f"wrote-{key}"

        lookup.metadata = {"side_effect_free": True}
        self.all: list[BaseTool] = [lookup, write]


def planner(plans: list[Plan]) -> ScriptedChatModel:
    """Turn n (n steps done) forecasts ``plans[n]``; after the last plan it answers with every result seen, so the
    answer depends on what the tools returned."""

    def policy(messages: Sequence[BaseMessage]) -> str:
        text = str(messages[-1].content)
        done = re.findall(r"^\d+\. \w+\(.*?\) -> (.*)$", text, re.MULTILINE)
        if len(done) >= len(plans):
            return reply(answer_step(" | ".join(done)))
        return reply(*plans[len(done)])

    return ScriptedChatModel(policy=policy)


def lookup(key: str) -> dict[str, Any]:
    return step("lookup", {"key": key})


def write(key: str) -> dict[str, Any]:
    return step("write", {"key": key})


def run(plans: list[Plan], tools: Tools, **settings: Any) -> RunResult:
    return run_agent("collect the values", model=planner(plans), tools=tools.all, **settings)


def speculation_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("toolagent-speculate")]


RIGHT: list[Plan] = [[lookup("a"), lookup("b"), lookup("c"), answer_step("?")],
                     [lookup("b"), lookup("c"), answer_step("?")],
                     [lookup("c"), answer_step("?")]]
WRONG: list[Plan] = [[lookup("a"), lookup("b"), lookup("c"), answer_step("?")],
                     [lookup("x"), answer_step("?")]]


def test_a_right_forecast_is_served_from_its_prefetches() -> None:
    tools = Tools()
    result = run(RIGHT, tools)
    assert result.status == "answered" and result.answer == "v-a | v-b | v-c"
    assert [s.speculative for s in result.steps] == [False, True, True, False]
    assert (result.speculative_hits, result.speculative_misses, result.speculative_wasted_s) == (2, 0, 0.0)
    assert tools.calls == {"lookup:a": 1, "lookup:b": 1, "lookup:c": 1}  # nothing ran twice
    assert result.steps[1].observation.text == "v-b" and result.steps[1].tool_latency_s >= 0.2


def test_a_wrong_forecast_is_a_miss_with_its_wasted_tool_seconds() -> None:
    tools = Tools(delay_s=0.3)
    result = run(WRONG, tools)
    assert result.answer == "v-a | v-x" and not any(s.speculative for s in result.steps)
    assert (result.speculative_hits, result.speculative_misses) == (0, 2)
    assert result.speculative_wasted_s >= 0.55  # b and c each slept 0.3 s for nothing
    assert tools.calls["lookup:x"] == 1


def test_speculation_changes_no_answer_and_no_executed_step() -> None:
    mixed: list[Plan] = [[lookup("a"), lookup("b"), lookup("c")], [lookup("b"), lookup("y"), answer_step("?")],
                         [lookup("z"), answer_step("?")]]
    for plans in (RIGHT, WRONG, mixed):
        on, off = run(plans, Tools(0.05)), run(plans, Tools(0.05), speculate=False)
        assert on.answer == off.answer and on.status == off.status == "answered"
        assert ([(s.executed.tool, s.executed.args, s.observation.text) for s in on.steps]
                == [(s.executed.tool, s.executed.args, s.observation.text) for s in off.steps])
        assert off.speculative_hits == off.speculative_misses == 0 and not any(s.speculative for s in off.steps)


def test_a_call_that_left_the_forecast_is_not_served_when_it_comes_back() -> None:
    tools = Tools()
    plans: list[Plan] = [[lookup("a"), lookup("b"), answer_step("?")], [lookup("c"), answer_step("?")],
                         [lookup("b"), answer_step("?")]]
    result = run(plans, tools)
    assert result.answer == "v-a | v-c | v-b" and not any(s.speculative for s in result.steps)
    assert tools.calls["lookup:b"] == 2 and result.speculative_misses == 1


def test_a_prefetch_not_started_yet_is_cancelled_without_running() -> None:
    release, ran = threading.Event(), []

    def slow() -> Observation:
        release.wait(5)
        ran.append("slow")
        return Observation(tool="t", text="slow")

    def queued() -> Observation:
        ran.append("queued")
        return Observation(tool="t", text="queued")

    speculator = Speculator(limit=1)
    speculator.start("k1", "t", slow)
    time.sleep(0.05)  # k1 holds the only slot
    speculator.start("k2", "t", queued)
    speculator.keep_only(set())  # both left the forecast
    release.set()
    counts = speculator.close()
    assert ran == ["slow"] and counts["misses"] == 2 and counts["hits"] == 0
    assert not speculation_threads()


def test_side_effecting_tools_are_never_prefetched() -> None:
    tools = Tools()
    plans: list[Plan] = [[lookup("a"), write("z"), lookup("b"), answer_step("?")], [lookup("c"), answer_step("?")]]
    result = run(plans, tools)
    assert result.answer == "v-a | v-c"
    assert tools.calls["write:z"] == 0  # forecast, never the first step: never called
    assert tools.calls["lookup:b"] == 1 and result.speculative_misses == 1  # the side-effect-free one was
    ours = {t.name: side_effect_free(t) for t in build_tools()}
    assert ours["python"] is False and ours["draw_box"] is False and ours["calculator"] is True
    assert ours["web_search"] is ours["ocr"] is ours["read_file"] is True
    marked, annotated, unmarked = Tools().all[0], Tools().all[1], Tools().all[1]
    annotated.metadata = {"readOnlyHint": True}  # an MCP server's read-only annotation (langchain-mcp-adapters)
    unmarked.metadata = {"readOnlyHint": False, "destructiveHint": True}
    assert side_effect_free(marked) and side_effect_free(annotated) and not side_effect_free(unmarked)


def test_placeholders_and_invalid_arguments_are_not_complete() -> None:
    lookup_tool = Tools().all[0]
    assert complete_args(lookup_tool, {"key": "population of Paris"})
    for bad in ("<result of step 1>", "{{city}}", "$population", "the output of the previous step", "..."):
        assert not complete_args(lookup_tool, {"key": bad}), bad
    assert not complete_args(lookup_tool, {"wrong": "x"})


def test_no_speculation_under_approval_or_when_off() -> None:
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.types import Command

    from toolagent.agent import build_agent, result_from_state

    tools = Tools(0.05)
    agent = build_agent(planner(RIGHT), tools.all, approve=True, checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "approve"}}
    state = agent.invoke({"question": "collect the values"}, config)
    while agent.get_state(config).next:
        state = agent.invoke(Command(resume="approve"), config)
    result = result_from_state(state)
    assert result.answer == "v-a | v-b | v-c" and result.speculative_hits == result.speculative_misses == 0
    assert tools.calls == {"lookup:a": 1, "lookup:b": 1, "lookup:c": 1}
    assert run(RIGHT, tools, speculation_k=0).speculative_hits == 0


def test_no_thread_outlives_its_run() -> None:
    tools = Tools(delay_s=0.5)
    plans: list[Plan] = [[lookup("a"), lookup("b"), lookup("c")]]  # then the answer: b and c are still running
    before = time.perf_counter()
    result = run([[lookup("a")], *plans], tools)
    assert result.status == "answered" and time.perf_counter() - before >= 1.0
    assert not speculation_threads()
    assert tools.calls["lookup:b"] == tools.calls["lookup:c"] == 1  # they ran to the end before the run returned


def test_a_checkpointed_run_resumes_after_a_crash(tmp_path: Path) -> None:
    from langgraph.checkpoint.sqlite import SqliteSaver

    tools = Tools(0.05)
    crashes = {"left": 1}

    @tool
    def flaky(key: str) -> str:
        """Fetch a key; the first call dies with the process."""
        if crashes["left"]:
            crashes["left"] -= 1
            raise KeyboardInterrupt
        return f"f-{key}"

    plans: list[Plan] = [[step("flaky", {"key": "a"}), lookup("b"), answer_step("?")],
                         [lookup("b"), answer_step("?")]]
    db = tmp_path / "checkpoints.sqlite"
    saver = SqliteSaver(sqlite3.connect(db, check_same_thread=False))
    with pytest.raises(KeyboardInterrupt):
        run_agent("q", model=planner(plans), tools=[flaky, *tools.all], checkpointer=saver, thread_id="t")
    saver.conn.close()
    fresh = SqliteSaver(sqlite3.connect(db, check_same_thread=False))
    result = run_agent("q", model=planner(plans), tools=[flaky, *tools.all], checkpointer=fresh, thread_id="t")
    assert result.status == "answered" and result.answer == "f-a | v-b"
    assert [s.executed.tool for s in result.steps] == ["flaky", "lookup", "answer"]
    assert len(result.forecasts) == 3  # the first forecast came from the checkpoint
    assert tools.calls["lookup:b"] == 1  # served from the prefetch, or executed: never both
    assert not speculation_threads()


def test_the_async_graph_serves_prefetches_and_leaves_nothing_running() -> None:
    import asyncio

    from toolagent.agent import arun_agent

    async def main() -> tuple[RunResult, set[asyncio.Task[Any]]]:
        result = await arun_agent("collect the values", model=planner(RIGHT), tools=tools.all)
        return result, asyncio.all_tasks() - {asyncio.current_task()}

    tools = Tools()
    result, left = asyncio.run(main())
    assert result.answer == "v-a | v-b | v-c" and [s.speculative for s in result.steps] == [False, True, True, False]
    assert tools.calls == {"lookup:a": 1, "lookup:b": 1, "lookup:c": 1}
    assert not left and not speculation_threads()


def test_planning_ahead_serves_the_turn_after_next_on_identical_prompts_only() -> None:
    calls: list[str] = []

    def counted(plans: list[Plan]) -> ScriptedChatModel:
        inner = planner(plans)
        assert inner.policy is not None
        policy = inner.policy

        def count(messages: Sequence[BaseMessage]) -> str:
            calls.append(str(messages[-1].content))
            return policy(messages)

        return ScriptedChatModel(policy=count, latency_s=0.1)

    for plans, hits in ((RIGHT, 2), (WRONG, 0)):
        calls.clear()
        ahead = run_agent("collect the values", model=counted(plans), tools=Tools().all, speculate_plans=True)
        plain = run(plans, Tools(), speculate=False)
        assert ahead.answer == plain.answer and ahead.speculative_plan_hits == hits
        assert [f.model_dump() for f in ahead.forecasts] == [f.model_dump() for f in plain.forecasts]
        tool_steps = len(plain.steps) - 1
        if hits:  # every turn run ahead was used: no prompt went to the planner twice
            assert len(calls) == len(plain.forecasts) == len(set(calls))
        else:  # a wrong forecast costs at most one planner call run ahead per step
            assert len(plain.forecasts) <= len(calls) <= len(plain.forecasts) + tool_steps
        assert not speculation_threads()


def test_image_qa_on_the_planners_own_model_is_not_prefetched() -> None:
    from toolagent.graphs.speculation import _on_the_planners_model
    from toolagent.tools.config import ToolConfig

    shared = build_tools(ToolConfig(vlm_model=ScriptedChatModel(responses=["a cat"])), names=["image_qa"])[0]
    remote = build_tools(ToolConfig(vlm="openai:gpt-4o-mini"), names=["image_qa"])[0]
    assert side_effect_free(shared) and _on_the_planners_model(shared)
    assert not _on_the_planners_model(remote)
