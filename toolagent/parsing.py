"""Parse a planner reply into a Forecast.

Accepted shapes (a ``<think>...</think>`` section before any of them is tolerated):
``<answer>{...}</answer>``, a fenced ```` ```json ```` block, or the bare JSON object. A bare list of steps
is taken as ``{"plan": [...]}``; a single step object is taken as a one-step plan.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError

from toolagent.records import Forecast

_THINK = re.compile(r"<think>(.*?)(?:</think>|$)", re.DOTALL | re.IGNORECASE)
_ANSWER = re.compile(r"<answer>(.*?)(?:</answer>|$)", re.DOTALL | re.IGNORECASE)
_FENCE_OPEN = re.compile(r"```(?:json|JSON)?\s*")


class ForecastParseError(ValueError):
    """The reply is not a valid forecast; the message says why (it is shown to the planner on re-ask)."""


def _first_json_value(text: str, start: int = 0, stop: int | None = None) -> Any:
    """Decode the first JSON object or array that starts in ``text[start:stop]`` (it may run past ``stop``)."""
    decoder = json.JSONDecoder(strict=False)  # tolerate raw control characters inside strings
    for index in range(start, len(text) if stop is None else min(stop, len(text))):
        if text[index] in "{[":
            try:
                value, _ = decoder.raw_decode(text, index)
            except json.JSONDecodeError:
                continue
            return value
    raise ForecastParseError("no JSON object found in the reply")


def extract_json(text: str) -> Any:
    """Find the forecast JSON in a reply: inside <answer>, a fenced block, or bare."""
    think = _THINK.search(text)
    body = text[think.end():] if think and "</think>" in think.group(0).lower() else text
    answer = _ANSWER.search(body)
    if answer:
        body = answer.group(1)
    fence = _FENCE_OPEN.search(body)
    if fence is None:
        return _first_json_value(body)
    # A JSON value opening before the first fence holds that fence in a string (a Solver's fenced code):
    # take it whole. Otherwise the JSON is the fenced block's; decoding stops at its own end, so a fence
    # inside its strings cannot cut it short.
    try:
        value = _first_json_value(body, 0, fence.start())
    except ForecastParseError:
        value = None
    if isinstance(value, dict) or (isinstance(value, list) and value and all(isinstance(v, dict) for v in value)):
        return value
    try:
        return _first_json_value(body, fence.end())
    except ForecastParseError:
        return _first_json_value(body)


def thought_of(text: str) -> str:
    think = _THINK.search(text)
    return think.group(1).strip() if think else ""


def parse_forecast(text: str) -> Forecast:
    """Parse and validate a forecast; raises ForecastParseError with a message fit for a re-ask."""
    if not text or not text.strip():
        raise ForecastParseError("the reply was empty")
    value = extract_json(text)
    if isinstance(value, list):
        value = {"plan": value}
    elif isinstance(value, dict) and "plan" not in value and "tool" in value:
        value = {"plan": [value]}
    if not isinstance(value, dict):
        raise ForecastParseError("the forecast must be a JSON object with a 'plan' list")
    if not value.get("thought"):
        value = {**value, "thought": thought_of(text)}
    try:
        return Forecast.model_validate(value)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'forecast'}: {err['msg']}" for err in exc.errors()[:5]
        )
        raise ForecastParseError(f"invalid forecast: {problems}") from None
