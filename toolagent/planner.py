"""One planning turn of the TraceR1 planner: call the model, parse, validate the first step, re-ask.

The prompt itself is rendered by ``toolagent.prompts`` (re-exported here for callers of the older names).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.tools import BaseTool
from pydantic import BaseModel

from toolagent.parsing import ForecastParseError, parse_forecast
from toolagent.prompts.render import (Graph, Profile, ToolMenu, format_observation, history_line, image_block,
                                      messages_for_log, planner_messages)
from toolagent.prompts.texts import REASK
from toolagent.records import ANSWER_TOOL, Forecast

__all__ = ["Graph", "Mode", "PlanOutcome", "Profile", "ToolMenu", "format_observation", "history_line",
           "aplan", "image_block", "messages_for_log", "plan", "planner_messages"]

log = logging.getLogger(__name__)
Mode = Graph  # the graph kind (tracer1 | react); kept as an alias for older imports


class PlanOutcome(BaseModel):
    forecast: Forecast | None = None
    error: str | None = None
    raw: list[str] = []
    attempts: int = 0
    latency_s: float = 0.0
    tokens: dict[str, int] | None = None


def _check_first_step(forecast: Forecast, tools: dict[str, BaseTool]) -> None:
    """Validate the step that will be dispatched: a known tool and schema-valid arguments."""
    from toolagent.tools.base import ToolError, validate_args

    first = forecast.first
    if first.is_answer:
        return
    tool = tools.get(first.tool)
    if tool is None:
        offered = ", ".join([*tools, ANSWER_TOOL])
        raise ForecastParseError(f"unknown tool {first.tool!r} in the first step (available: {offered})")
    try:
        validate_args(tool, first.args)
    except ToolError as exc:
        raise ForecastParseError(str(exc)) from None


def _add_tokens(total: dict[str, int] | None, message: BaseMessage) -> dict[str, int] | None:
    usage = getattr(message, "usage_metadata", None)
    if not usage:
        return total
    total = dict(total or {})
    for key in ("input_tokens", "output_tokens", "total_tokens"):
        total[key] = total.get(key, 0) + int(usage.get(key, 0) or 0)
    return total


def _turn(outcome: PlanOutcome, messages: list[BaseMessage], tools: dict[str, BaseTool], max_retries: int,
          max_steps_in_plan: int | None) -> Generator[list[BaseMessage], BaseMessage | Exception, None]:
    """The planning turn's logic without the model call: yields the conversation to send, receives the reply (or
    the exception the call raised); the sync and async drivers below only make the call."""
    convo = list(messages)
    for attempt in range(max_retries + 1):
        outcome.attempts = attempt + 1
        reply = yield convo
        if isinstance(reply, Exception):  # the backend failed: end the run with a clear error state
            log.debug("planner model call failed", exc_info=reply)
            outcome.error = f"planner model call failed: {type(reply).__name__}: {str(reply).strip()[:300]}"
            return
        text = str(reply.text)
        outcome.raw.append(text)
        outcome.tokens = _add_tokens(outcome.tokens, reply)
        try:
            forecast = parse_forecast(text)
            if max_steps_in_plan:
                forecast.plan = forecast.plan[:max_steps_in_plan]
            _check_first_step(forecast, tools)
        except ForecastParseError as exc:
            outcome.error = f"invalid planner output after {attempt + 1} attempt(s): {exc}"
            convo = [*convo, AIMessage(content=text), HumanMessage(content=REASK.format(error=exc))]
            continue
        outcome.forecast, outcome.error = forecast, None
        return


def _send(turn: Generator[list[BaseMessage], BaseMessage | Exception, None],
          reply: BaseMessage | Exception) -> list[BaseMessage] | None:
    """Hand the model's reply to the turn: the next conversation to send, or None when the turn is over."""
    try:
        return turn.send(reply)
    except StopIteration:
        return None


def plan(model: Any, messages: list[BaseMessage], tools: dict[str, BaseTool],
         max_retries: int = 2, max_steps_in_plan: int | None = None) -> PlanOutcome:
    """One planning turn: call the model; on invalid output re-ask with the error, at most ``max_retries`` times."""
    from toolagent.tools.direct import invoke_model

    outcome, start = PlanOutcome(), time.perf_counter()
    turn = _turn(outcome, messages, tools, max_retries, max_steps_in_plan)
    convo = next(turn, None)
    while convo is not None:
        try:
            reply: BaseMessage | Exception = invoke_model(model, convo)
        except Exception as exc:
            reply = exc
        convo = _send(turn, reply)
    outcome.latency_s = time.perf_counter() - start
    return outcome


async def aplan(model: Any, messages: list[BaseMessage], tools: dict[str, BaseTool],
                max_retries: int = 2, max_steps_in_plan: int | None = None) -> PlanOutcome:
    """Async twin of ``plan`` (the model is called with ``ainvoke``)."""
    from toolagent.tools.direct import ainvoke_model

    outcome, start = PlanOutcome(), time.perf_counter()
    turn = _turn(outcome, messages, tools, max_retries, max_steps_in_plan)
    convo = next(turn, None)
    while convo is not None:
        try:
            reply: BaseMessage | Exception = await ainvoke_model(model, convo)
        except Exception as exc:
            reply = exc
        convo = _send(turn, reply)
    outcome.latency_s = time.perf_counter() - start
    return outcome
