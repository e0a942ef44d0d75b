"""Human approval of forecasts: pause before each executed step; approve, edit or stop; resume with Command."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from tests.embed.helpers import arithmetic_model
from toolagent import JSONLFeedbackSink, create_tracer1_agent, result_of
from toolagent.embed import apending_approval, approval_request, approve, edit, pending_approval, stop
from toolagent.feedback import read_feedback


def _agent(checkpointer: Any = None, **kwargs: Any) -> Any:
    return create_tracer1_agent(arithmetic_model(), ["calculator", "solver"], approve=True,
                                checkpointer=checkpointer or InMemorySaver(), **kwargs)


def test_the_run_pauses_before_executing_and_approve_runs_the_forecast_step() -> None:
    agent = _agent()
    config = {"configurable": {"thread_id": "a"}}
    state = agent.invoke({"question": "What is 6 * 7?"}, config)
    request = approval_request(state)
    assert request is not None and state["status"] == "running" and state.get("steps") in (None, [])
    assert request["step"] == {"tool": "calculator", "args": {"expression": "6 * 7"}, "instruction": ""}
    assert request["forecast"]["plan"][1]["tool"] == "answer"
    assert pending_approval(agent, config) == request  # the same request, read back from the checkpoint
    state = agent.invoke(approve(), config)
    assert approval_request(state) is None  # the answer step needs no approval
    result = result_of(state)
    assert result.status == "answered" and result.answer == "42"
    assert result.steps[0].executed.args == {"expression": "6 * 7"}


def test_an_edited_step_is_what_executes_and_what_the_record_logs(tmp_path: Path) -> None:
    log = tmp_path / "feedback.jsonl"
    agent = _agent(feedback=JSONLFeedbackSink(log))
    config = {"configurable": {"thread_id": "e"}}
    agent.invoke({"question": "What is 6 * 7?"}, config)
    state = agent.invoke(edit(args={"expression": "6 * 8"}, instruction="use 8, the label was misread"), config)
    result = result_of(state)
    assert result.status == "answered" and result.answer == "48"  # the planner read the edited call's output
    executed = result.steps[0].executed
    assert executed.tool == "calculator" and executed.args == {"expression": "6 * 8"}
    assert executed.instruction == "use 8, the label was misread"
    assert "48" in result.steps[0].observation.text
    assert result.steps[0].forecast.first.args == {"expression": "6 * 7"}  # what the planner forecast, kept
    logged = read_feedback(log)
    assert [r.executed.args for r in logged] == [{"expression": "6 * 8"}, {"text": "48"}]


def test_an_edit_can_switch_the_tool() -> None:
    agent = _agent()
    config = {"configurable": {"thread_id": "t"}}
    agent.invoke({"question": "What is 6 * 7?"}, config)
    state = agent.invoke(Command(resume={"tool": "solver", "args": {"task": "simplify", "expression": "6*7"}}), config)
    step = result_of(state).steps[0]
    assert step.executed.tool == "solver" and step.observation.tool == "solver"
    assert step.observation.error is None and "42" in step.observation.text


def test_stop_ends_the_run_without_executing() -> None:
    agent = _agent()
    config = {"configurable": {"thread_id": "s"}}
    agent.invoke({"question": "What is 6 * 7?"}, config)
    result = result_of(agent.invoke(stop(), config))
    assert result.status == "stopped" and result.answer is None and result.steps == []
    assert "stopped by the user" in result.error
    assert len(result.forecasts) == 1 and not agent.get_state(config).next


def test_an_unknown_decision_asks_again_with_the_error() -> None:
    agent = _agent()
    config = {"configurable": {"thread_id": "u"}}
    agent.invoke({"question": "What is 6 * 7?"}, config)
    agent.invoke(Command(resume="maybe"), config)
    request = pending_approval(agent, config)
    assert request["error"] == "unknown approval decision: 'maybe'"
    assert request["step"]["args"] == {"expression": "6 * 7"}
    state = agent.invoke(approve(), config)  # the thread still works
    assert state["answer"] == "42"


async def test_async_approval_through_astream() -> None:
    agent = _agent()
    config = {"configurable": {"thread_id": "async"}}
    requests = []
    async for chunk in agent.astream({"question": "What is 2 ** 10?"}, config, stream_mode="updates"):
        if (request := approval_request(chunk)) is not None:
            requests.append(request)
    assert requests and requests[0]["step"]["args"] == {"expression": "2 ** 10"}
    assert await apending_approval(agent, config) == requests[0]
    state = await agent.ainvoke(approve(), config)
    assert state["answer"] == "1024"


def test_approval_survives_a_restart_with_sqlite(tmp_path: Path) -> None:
    from langgraph.checkpoint.sqlite import SqliteSaver

    db = tmp_path / "approvals.sqlite"
    config = {"configurable": {"thread_id": "overnight"}}
    with sqlite3.connect(db, check_same_thread=False) as conn:
        _agent(SqliteSaver(conn)).invoke({"question": "What is 3 * (4 + 5)?"}, config)
    with sqlite3.connect(db, check_same_thread=False) as conn:  # a new process: new agent, same database
        agent = _agent(SqliteSaver(conn))
        assert pending_approval(agent, config)["step"]["args"] == {"expression": "3 * (4 + 5)"}
        assert agent.invoke(approve(), config)["answer"] == "27"
