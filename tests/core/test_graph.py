"""End to end through the real graph with a scripted planner emitting the wire format and real tools."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest
from langchain_core.messages import BaseMessage
from langchain_core.tools import tool

from tests.core.wire import answer_step, reply, step
from toolagent.agent import build_agent, result_from_state, run_agent
from toolagent.feedback import JSONLFeedbackSink, read_feedback
from toolagent.models.scripted import ScriptedChatModel
from toolagent.tools.registry import build_tools


def _user_text(messages: Sequence[BaseMessage]) -> str:
    content = messages[-1].content if messages[-1].type == "human" else messages[1].content
    return content if isinstance(content, str) else " ".join(b.get("text", "") for b in content)


def _latest_output(messages: Sequence[BaseMessage]) -> str:
    text = _user_text(messages)
    match = re.search(r"<tool_output[^>]*>\n(.*?)\n</tool_output>", text, re.DOTALL)
    return match.group(1) if match else ""


@pytest.fixture(scope="module")
def calculator():
    return build_tools(names=["calculator"])[0]


def test_calculator_answer(calculator) -> None:
    def policy(messages: Sequence[BaseMessage]) -> str:
        out = _latest_output(messages)
        if not out:
            return reply(step("calculator", {"expression": "17 * 23 + 4"}), answer_step("?"))
        value = re.search(r"-?\d+(?:\.\d+)?", out).group(0)
        return reply(answer_step(value))

    result = run_agent("What is 17 * 23 + 4?", model=ScriptedChatModel(policy=policy), tools=[calculator])
    assert result.status == "answered" and result.answer == "395"
    assert [s.executed.tool for s in result.steps] == ["calculator", "answer"]
    assert len(result.forecasts) == 2 and result.forecasts[0].plan[1].is_answer


def test_ocr_then_calculator_on_a_drawn_image(tmp_path: Path, calculator) -> None:
    from tests.tools.drawing import draw_text_image

    drawing = draw_text_image(["UNIT PRICE 12.50", "QUANTITY 4"], font_size=40)
    path = tmp_path / "label.png"
    drawing.image.save(path)
    ocr = build_tools(names=["ocr"])[0]

    def policy(messages: Sequence[BaseMessage]) -> str:
        history = _user_text(messages).split("History of executed steps:")[1]
        out = _latest_output(messages)
        if "ocr(" not in history:
            return reply(step("ocr", {"image": "label.png"}), step("calculator", {"expression": "price*qty"}),
                         answer_step("total"))
        if "calculator(" not in history:
            price = re.search(r"PRICE\s+(\d+\.\d+)", out).group(1)
            qty = re.search(r"QUANTITY\s+(\d+)", out).group(1)
            return reply(step("calculator", {"expression": f"{price} * {qty}"}), answer_step("total"))
        return reply(answer_step(re.search(r"\d+(?:\.\d+)?", out.split("=")[-1]).group(0)))

    result = run_agent("What do 4 items cost?", [str(path)], model=ScriptedChatModel(policy=policy),
                       tools=[ocr, calculator])
    assert result.status == "answered", result.error
    assert result.images == [str(path.resolve())]
    assert [s.executed.tool for s in result.steps] == ["ocr", "calculator", "answer"]
    assert float(result.answer) == 50.0
    assert result.steps[1].executed.args["expression"] == "12.50 * 4"


def test_garbage_twice_then_valid_json(calculator) -> None:
    model = ScriptedChatModel(responses=[
        "I'd compute it in my head.", '{"plan": [{"tool": "teleport", "args": {}}]}',
        reply(answer_step("4"))])
    result = run_agent("2+2?", model=model, tools=[calculator])
    assert result.status == "answered" and result.answer == "4"
    assert model.calls == 3
    record = result.steps[0]
    assert record.planner_input.question == "2+2?"


def test_garbage_beyond_the_retry_budget_ends_with_a_clear_error(calculator) -> None:
    model = ScriptedChatModel(responses=["nope", "still nope", "no JSON here either", reply(answer_step("4"))])
    result = run_agent("2+2?", model=model, tools=[calculator])
    assert result.status == "planner_error" and result.answer is None
    assert "after 3 attempt" in result.error and "no JSON" in result.error


def test_invalid_arguments_for_the_first_step_are_re_asked(calculator) -> None:
    model = ScriptedChatModel(responses=[
        reply(step("calculator", {"expr": "1+1"})), reply(step("calculator", {"expression": "1+1"})),
        reply(answer_step("2"))])
    result = run_agent("1+1?", model=model, tools=[calculator])
    assert result.answer == "2" and model.calls == 3


def test_repetition_guard_warns_once_then_stops(calculator) -> None:
    seen_notice: list[bool] = []

    def policy(messages: Sequence[BaseMessage]) -> str:
        seen_notice.append("same arguments" in _user_text(messages))
        return reply(step("calculator", {"expression": "1+1"}), answer_step("2"))

    result = run_agent("loop", model=ScriptedChatModel(policy=policy), tools=[calculator])
    assert result.status == "repetition" and "3 times" in result.error
    assert len(result.steps) == 2  # executed twice; the third was never run
    assert seen_notice == [False, False, False, True]


def test_step_budget_ends_the_run(calculator) -> None:
    counter = iter(range(100))

    def policy(messages: Sequence[BaseMessage]) -> str:
        return reply(step("calculator", {"expression": f"{next(counter)}+1"}))

    result = run_agent("count", model=ScriptedChatModel(policy=policy), tools=[calculator], max_steps=3)
    assert result.status == "max_steps" and len(result.steps) == 3


def test_a_failing_tool_becomes_an_observation(calculator) -> None:
    @tool
    def flaky(x: int) -> int:
        """Always fails."""
        raise RuntimeError("backend exploded")

    model = ScriptedChatModel(policy=lambda m: reply(step("flaky", {"x": 1})) if "flaky(" not in _user_text(m)
                              else reply(answer_step("gave up" if "backend exploded" in _user_text(m) else "?")))
    result = run_agent("q", model=model, tools=[flaky])
    assert result.answer == "gave up"
    assert "backend exploded" in result.steps[0].observation.error


def test_react_baseline_runs_one_step_at_a_time(calculator) -> None:
    prompts: list[str] = []

    def policy(messages: Sequence[BaseMessage]) -> str:
        prompts.append(str(messages[0].content))
        if not _latest_output(messages):
            return reply(step("calculator", {"expression": "6*7"}), answer_step("x"))  # extra step is cut
        return reply(answer_step("42"))

    result = run_agent("6*7?", model=ScriptedChatModel(policy=policy), tools=[calculator], graph="react")
    assert result.answer == "42" and result.graph == "react"
    assert all(len(f.plan) == 1 for f in result.forecasts)
    assert "exactly ONE next step" in prompts[0]


def test_feedback_log_has_one_line_per_step(tmp_path: Path, calculator) -> None:
    log = tmp_path / "feedback.jsonl"
    model = ScriptedChatModel(responses=[reply(step("calculator", {"expression": "2**10"}), answer_step("?")),
                                         reply(answer_step("1024"))])
    result = run_agent("2^10?", model=model, tools=[calculator], feedback=JSONLFeedbackSink(log),
                       task_id="t1", ground_truth="1024")
    records = read_feedback(log)
    assert [r.executed.tool for r in records] == ["calculator", "answer"]
    first = records[0]
    assert first.run_id == result.run_id and first.task_id == "t1" and first.ground_truth == "1024"
    assert result.task_id == "t1"
    assert "1024" in first.observation.text and len(first.forecast.plan) == 2
    assert first.planner_input.messages[0]["role"] == "system"
    assert len(log.read_text().splitlines()) == 2


def test_sqlite_checkpoint_resumes_an_interrupted_run(tmp_path: Path, calculator) -> None:
    from langgraph.checkpoint.sqlite import SqliteSaver

    crashes = {"left": 1}

    @tool
    def lookup(key: str) -> str:
        """Look a key up."""
        if crashes["left"]:
            crashes["left"] -= 1
            raise KeyboardInterrupt  # the process dies mid-step
        return f"value-of-{key}"

    def policy(messages: Sequence[BaseMessage]) -> str:
        out = _latest_output(messages)
        return reply(answer_step(out)) if out else reply(step("lookup", {"key": "k"}), answer_step("?"))

    db = tmp_path / "checkpoints.sqlite"
    model = ScriptedChatModel(policy=policy)
    saver = SqliteSaver(sqlite3.connect(db, check_same_thread=False))
    with pytest.raises(KeyboardInterrupt):
        run_agent("what is k?", model=model, tools=[lookup], checkpointer=saver, thread_id="thread-1")
    saver.conn.close()

    fresh = SqliteSaver(sqlite3.connect(db, check_same_thread=False))  # a new process, same database
    result = run_agent("what is k?", model=model, tools=[lookup], checkpointer=fresh, thread_id="thread-1")
    assert result.status == "answered" and result.answer == "value-of-k"
    assert [s.executed.tool for s in result.steps] == ["lookup", "answer"]
    assert len(result.forecasts) == 2  # the first forecast came from the checkpoint, not a re-plan


def test_bad_inputs_inside_the_graph_end_with_error_state(tmp_path: Path) -> None:
    agent = build_agent(ScriptedChatModel(responses=[reply(answer_step("x"))]), tools=[])
    state = agent.invoke({"question": "   "})
    assert state["status"] == "error" and "empty" in state["error"]
    state = agent.invoke({"question": "q", "images": [str(tmp_path / "missing.png")]})
    assert state["status"] == "error" and "not found" in state["error"]


def test_a_new_question_on_the_same_thread_starts_clean(calculator) -> None:
    from langgraph.checkpoint.memory import InMemorySaver

    agent = build_agent(ScriptedChatModel(policy=lambda m: reply(answer_step("ok"))), tools=[calculator],
                        checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    first = result_from_state(agent.invoke({"question": "one"}, config))
    second = result_from_state(agent.invoke({"question": "two"}, config))
    assert len(first.steps) == len(second.steps) == 1 and second.question == "two"
    assert json.loads(second.model_dump_json())["forecasts"][0]["plan"][0]["tool"] == "answer"


def test_a_deadline_ends_the_run_at_the_next_step_boundary(calculator) -> None:
    import time

    from toolagent.agent import invoke_agent

    model = ScriptedChatModel(policy=lambda m: reply(step("calculator", {"expression": "1+1"}), answer_step("2")),
                              latency_s=0.2)
    agent = build_agent(model, [calculator])
    result = invoke_agent(agent, "1+1?", deadline=time.time() + 0.1)
    assert result.status == "timeout" and result.steps == []  # the planned step was never executed
    assert len(result.forecasts) == 1
