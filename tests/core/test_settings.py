"""One settings object: validated once, frozen, the source for the factories, the CLI and the served graphs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from toolagent import AgentSettings, create_react_baseline, create_tracer1_agent
from toolagent.errors import BadInput
from toolagent.feedback import read_feedback
from toolagent.models.scripted import ScriptedChatModel
from toolagent.records import SCHEMA_VERSION, TERMINAL
from toolagent.settings import settings_from


def test_settings_are_frozen_and_validated_with_bounds() -> None:
    settings = AgentSettings(horizon=3)
    with pytest.raises(ValidationError):
        settings.horizon = 4  # type: ignore[misc]
    for bad in ({"horizon": 0}, {"horizon": 11}, {"max_steps": 0}, {"graph": "chain"}, {"repetition_limit": 1}):
        with pytest.raises(BadInput) as info:
            settings_from(None, **bad)
        assert "\n" not in str(info.value) and next(iter(bad)) in str(info.value)
    with pytest.raises(BadInput, match="unknown agent setting 'horizn'"):
        settings_from(None, horizn=3)


def test_react_means_horizon_one_in_one_place() -> None:
    assert AgentSettings(graph="react", horizon=7).plan_horizon == 1
    assert AgentSettings(horizon=7).plan_horizon == 7
    assert AgentSettings(max_steps=4).recursion_limit == 6 * 4 + 20


def test_with_returns_a_validated_copy_and_keeps_live_objects() -> None:
    model = ScriptedChatModel(responses=["{}"])
    settings = AgentSettings(model=model, horizon=2)
    copy = settings.with_(max_steps=3)
    assert copy.model is model and copy.horizon == 2 and copy.max_steps == 3 and settings.max_steps == 15
    with pytest.raises(BadInput):
        settings.with_(horizon=99)


def test_factories_take_settings_or_keywords_and_never_mutate_them() -> None:
    settings = AgentSettings(model=ScriptedChatModel(responses=["{}"]), horizon=3, max_steps=4)
    agent = create_tracer1_agent(settings=settings, tools=["calculator"])
    assert agent.config["recursion_limit"] == settings.recursion_limit
    keyword = create_tracer1_agent(ScriptedChatModel(responses=["{}"]), ["calculator"], horizon=3, max_steps=4)
    assert keyword.config["recursion_limit"] == settings.recursion_limit
    react = create_react_baseline(settings=settings, tools=["calculator"], repetition_limit=5)
    assert react.name == "react" and settings.graph == "tracer1" and settings.repetition_limit == 3
    with pytest.raises(BadInput, match="horizon"):
        create_tracer1_agent(ScriptedChatModel(responses=["{}"]), ["calculator"], horizon=0)


def test_terminal_statuses_derive_from_the_status_literal() -> None:
    assert "running" not in TERMINAL and {"answered", "max_steps", "timeout", "error"} <= TERMINAL


def test_feedback_logs_carry_a_schema_version_and_old_lines_still_read(tmp_path: Path) -> None:
    old = {"run_id": "r", "step": 1, "planner_input": {"question": "q"},
           "forecast": {"thought": "", "plan": [{"tool": "answer", "args": {"text": "1"}, "status": "done"}]},
           "executed": {"tool": "answer", "args": {"text": "1"}}, "observation": {"tool": "answer", "text": "1"}}
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps(old) + "\n" + json.dumps({**old, "schema_version": SCHEMA_VERSION}) + "\n")
    first, second = read_feedback(log)
    assert (first.schema_version, second.schema_version) == (1, SCHEMA_VERSION) == (1, 2)
    assert first.executed.tool == "answer"
