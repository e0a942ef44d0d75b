"""Guided decoding: even a randomly initialised planner emits forecasts that parse and name real tools."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolagent.agent import run_agent
from toolagent.models.guided import forecast_schema, guided_available
from toolagent.models.hf import HFChatModel
from toolagent.models.resolve import with_json_mode
from toolagent.parsing import parse_forecast
from toolagent.planner import planner_messages
from toolagent.tools.registry import build_tools

pytestmark = pytest.mark.skipif(not guided_available(), reason="xgrammar is not installed")


def test_schema_is_specialised_to_the_offered_tools() -> None:
    tools = build_tools(names=["calculator", "ocr"])
    schema = forecast_schema(tools, 3)
    steps = schema["properties"]["plan"]["items"]["anyOf"]
    assert [s["properties"]["tool"]["const"] for s in steps] == ["calculator", "ocr", "answer"]
    assert steps[0]["properties"]["args"]["required"] == ["expression"]
    assert schema["properties"]["plan"]["maxItems"] == 3
    assert steps[0]["properties"]["expect"]["maxLength"] == 60


@pytest.mark.parametrize("seed", [0, 1])
def test_random_weights_still_produce_a_valid_forecast(tiny_llm_dir: Path, seed: int) -> None:
    import torch

    torch.manual_seed(seed)
    tools = build_tools(names=["calculator", "ocr"])
    model = HFChatModel.from_path(tiny_llm_dir, temperature=1.0, max_new_tokens=400)
    guided = with_json_mode(model, lambda: forecast_schema(tools, 2))
    messages = planner_messages(question="What is 2 + 2?", images=[], history=[], observation=None, tools=tools,
                                horizon=2)
    forecast = parse_forecast(guided.invoke(messages).content)
    assert 1 <= len(forecast.plan) <= 2
    for step in forecast.plan:
        assert step.tool in ("calculator", "ocr", "answer")
        if step.tool == "calculator":
            assert set(step.args) == {"expression"}


@pytest.mark.slow
def test_embedded_planner_runs_the_loop_with_forecasts_that_parse() -> None:
    result = run_agent("What is 17 * 23 + 4?", model="embedded", tools=build_tools(names=["calculator"]),
                       horizon=1, max_steps=1)
    assert result.status in ("answered", "max_steps"), result.error  # never planner_error: output is guided
    assert result.forecasts and result.forecasts[0].plan[0].tool in ("calculator", "answer")
    assert result.steps[0].tokens and result.steps[0].tokens["output_tokens"] > 0
