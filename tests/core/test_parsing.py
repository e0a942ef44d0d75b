"""The forecast wire format: accepted shapes and clear errors."""

from __future__ import annotations

import json

import pytest

from tests.core.wire import answer_step, reply, step
from toolagent.parsing import ForecastParseError, parse_forecast
from toolagent.records import Forecast, RunResult


@pytest.mark.parametrize("style", ["answer", "fenced", "bare"])
def test_accepts_every_documented_shape(style: str) -> None:
    text = reply(step("calculator", {"expression": "2+2"}), answer_step("4"), style=style)
    forecast = parse_forecast(text)
    assert [s.tool for s in forecast.plan] == ["calculator", "answer"]
    assert forecast.first.args == {"expression": "2+2"}
    assert forecast.plan[-1].status == "done"


def test_think_section_is_tolerated_and_kept_as_thought() -> None:
    body = json.dumps({"plan": [answer_step("7")]})
    forecast = parse_forecast(f"<think>seven it is {{not json}}</think>{body}")
    assert forecast.first.is_answer and forecast.first.args["text"] == "7"
    assert forecast.thought == "seven it is {not json}"


def test_bare_list_and_single_step_are_one_plan() -> None:
    assert len(parse_forecast(json.dumps([step("ocr", {"image": "a.png"}), answer_step("x")])).plan) == 2
    assert parse_forecast(json.dumps(answer_step("x"))).first.is_answer


def test_numeric_answer_text_is_stringified_and_status_normalised() -> None:
    forecast = parse_forecast(json.dumps({"plan": [{"tool": "answer", "args": {"text": 42}, "status": "Done"}]}))
    assert forecast.first.args["text"] == "42" and forecast.first.status == "done"


@pytest.mark.parametrize("text, fragment", [
    ("", "empty"),
    ("I think the answer is four.", "no JSON"),
    ('{"plan": []}', "plan"),
    ('{"plan": [{"tool": "answer", "args": {}}]}', "answer"),
    ('{"plan": [{"tool": "", "args": {}}]}', "tool"),
    ('{"plan": [{"tool": "ocr", "status": "maybe"}]}', "status"),
    ('"just a string"', "no JSON"),
])
def test_invalid_replies_raise_a_readable_error(text: str, fragment: str) -> None:
    with pytest.raises(ForecastParseError) as info:
        parse_forecast(text)
    assert fragment.lower() in str(info.value).lower()


def test_records_are_json_native_round_trip() -> None:
    forecast = parse_forecast(reply(step("ocr", {"image": "r.png"}), answer_step("1")))
    again = Forecast.model_validate_json(forecast.model_dump_json())
    assert again == forecast
    result = RunResult(run_id="r", question="q", forecasts=[forecast], status="answered", answer="1")
    assert RunResult.model_validate(json.loads(result.model_dump_json())).answered


@pytest.mark.parametrize("style", ["answer", "fenced", "bare"])
def test_fenced_code_inside_an_argument_is_not_taken_for_the_json_fence(style: str) -> None:
    code = "```python\ndef solution():\n    return 2 + 2\n```"
    text = reply(step("Solver", {"command": code}), answer_step("4"), style=style)
    forecast = parse_forecast(text)
    assert forecast.first.tool == "Solver" and forecast.first.args == {"command": code}
    assert forecast.plan[-1].is_answer
