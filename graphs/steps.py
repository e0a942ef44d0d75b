"""What the graph derives from its slim state: history lines, image references, the planner prompt of a turn,
full StepRecords (for the feedback hooks and the RunResult), and the slim record of a newly executed step.

Every planner turn and every record is rebuilt from ``steps``/``forecasts`` (see ``toolagent.state``), so the
checkpointed state holds each executed step once.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig

from toolagent.errors import BadInput
from toolagent.feedback import as_hooks
from toolagent.graphs.runtime import Agent
from toolagent.images import load_image_ref
from toolagent.prompts.render import Profile, format_observation, history_line, messages_for_log, planner_messages
from toolagent.prompts.texts import EARLIER_NOTICE
from toolagent.records import ANSWER_TOOL, Forecast, ImageRef, Observation, PlannerInput, StepRecord, ToolCall
from toolagent.state import AgentState, PendingStep, StepState
from toolagent.tools.base import ToolContext

#: per-invocation feedback hooks: ``config={"configurable": {FEEDBACK_KEY: hook_or_hooks}}`` (lets one compiled
#: graph serve many tasks, each with its own log; callables never enter checkpoint metadata)
FEEDBACK_KEY = "toolagent_feedback"
#: per-invocation deadline (epoch seconds): the run ends with status "timeout" at the next step boundary after it
DEADLINE_KEY = "toolagent_deadline"
#: per-invocation workspace folder: kept after the run (an evaluation keeps produced images this way)
WORKSPACE_KEY = "toolagent_workspace"


def call_key(tool: str, args: dict[str, Any]) -> str:
    return tool + json.dumps(args, sort_keys=True, ensure_ascii=False, default=str)


def _configurable(config: RunnableConfig) -> dict[str, Any]:
    return config.get("configurable") or {}


def call_key(tool: str, args: dict[str, Any]) -> str:
    return tool + json.dumps(args, sort_keys=True, ensure_ascii=False, default=str)


def configurable(config: RunnableConfig) -> dict[str, Any]:
    return config.get("configurable") or {}


def executed_calls(state: AgentState) -> list[StepState]:
    """The executed tool steps (the answer step excluded)."""
    return [s for s in state.get("steps") or [] if s["executed"]["tool"] != ANSWER_TOOL]


_DERIVED: dict[tuple[int, str], tuple[StepState, str]] = {}


def _once(step: StepState, what: str, make: Callable[[], str]) -> str:
    """Text derived from a recorded step (its history line, its call key), computed once: a step never changes
    once recorded, and every later planner turn needs it again. Keyed by the record's identity; the record is kept
    alive with the text, so its id is never reused while cached."""
    cached = _DERIVED.get((id(step), what))
    if cached is None or cached[0] is not step:
        if len(_DERIVED) > 8192:
            _DERIVED.clear()
        cached = _DERIVED[(id(step), what)] = (step, make())
    return cached[1]


def step_call_key(step: StepState) -> str:
    """The repetition key of a recorded step's call (computed once)."""
    return _once(step, "key", lambda: call_key(step["executed"]["tool"], step["executed"]["args"]))


def history_lines(steps: list[StepState], profile: Profile = "full") -> list[str]:
    return [_once(s, f"line {i} {profile}", lambda: history_line(i, ToolCall(**s["executed"]),
                                                                   Observation(**s["observation"]), profile))
            for i, s in enumerate(steps, start=1)]


def image_refs(state: AgentState, steps: list[StepState] | None = None) -> list[ImageRef]:
    """The question's images, then every image produced so far."""
    produced = [ref for s in (state.get("steps") or [] if steps is None else steps) for ref in s.get("new_images", [])]
    return [ImageRef(**r) for r in [*(state.get("image_refs") or []), *produced]]


def planner_prompt(agent: Agent, state: AgentState, notices: list[str], steps: list[StepState]) -> list[BaseMessage]:
    """The planner prompt for the turn that follows ``steps`` (the executed tool steps so far)."""
    runtime, settings = agent.runtime, agent.settings
    last = Observation(**steps[-1]["observation"]) if steps else None
    if state.get("earlier"):
        notices = [EARLIER_NOTICE.format(turns="\n".join(state["earlier"])), *notices]
    return planner_messages(
        question=state["question"], images=image_refs(state, steps), history=history_lines(steps, runtime.profile),
        observation=last, tools=runtime.menu,
        horizon=settings.plan_horizon, multimodal=runtime.multimodal, notices=notices,
        files=state.get("files") or [], extra_instructions=settings.extra_instructions, graph=settings.graph,
        profile=runtime.profile)


def step_record(state: AgentState, step: StepState, messages: list[BaseMessage] | None = None) -> StepRecord:
    """The full StepRecord of a slim step: what the planner saw is rebuilt from the steps before it."""
    before = [s for s in executed_calls(state) if s["step"] < step["step"]]
    last = Observation(**before[-1]["observation"]) if before else None
    refs = image_refs(state, before)
    forecasts = state.get("forecasts") or []
    return StepRecord(
        run_id=state.get("run_id") or "", task_id=state.get("task_id"), step=step["step"], turn=step["turn"],
        planner_input=PlannerInput(question=state.get("question") or "", images=refs, history=history_lines(before),
                                   observation=format_observation(last) if last else None,
                                   messages=messages_for_log(messages, refs) if messages else []),
        forecast=Forecast.model_validate(forecasts[step["turn"] - 1]), executed=ToolCall(**step["executed"]),
        observation=(obs := Observation(**step["observation"])), planner_latency_s=step["planner_latency_s"],
        tool_latency_s=obs.latency_s, tokens=step.get("tokens"), ground_truth=state.get("ground_truth"),
        timestamp=step["timestamp"], speculative=step.get("speculative", False))


def record_step(agent: Agent, state: AgentState, pending: PendingStep, obs: Observation,
                 config: RunnableConfig, *, speculative: bool = False,
                 new_images: list[dict[str, Any]] | None = None) -> StepState:
    """The slim record of an executed step; the full StepRecord (with the exact prompt) goes to the hooks."""
    step: StepState = {
        "step": len(state.get("steps") or []) + 1, "turn": pending["turn"], "executed": pending["call"],
        "observation": obs.model_dump(mode="json", exclude_defaults=True, exclude={"tool"}) | {"tool": obs.tool},
        "planner_latency_s": round(pending["planner_latency_s"], 4), "timestamp": round(time.time(), 3)}
    if pending["tokens"]:
        step["tokens"] = pending["tokens"]
    if speculative:
        step["speculative"] = True
    if new_images:
        step["new_images"] = new_images
    hooks = (*agent.hooks, *as_hooks(configurable(config).get(FEEDBACK_KEY)))
    if hooks:
        record = step_record(state, step, planner_prompt(agent, state, pending["notices"], executed_calls(state)))
        for hook in hooks:
            try:
                hook(record)
            except Exception as exc:  # a broken sink must not lose the run
                warnings.warn(f"feedback hook failed: {type(exc).__name__}: {exc}", stacklevel=2)
    return step


def new_image_refs(obs: Observation) -> list[dict[str, Any]]:
    refs = []
    for path in obs.images:
        try:
            refs.append(load_image_ref(path).model_dump(mode="json"))
        except BadInput:
            continue
    return refs


def tool_context(state: AgentState) -> ToolContext:
    return ToolContext(workspace=Path(state["workspace"]), images=[r.path for r in image_refs(state)],
                       files=list(state.get("files") or []))
