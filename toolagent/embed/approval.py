"""Human approval of forecasts: an agent built with ``approve=True`` (and a checkpointer) pauses before executing
the first step of each forecast. The app reads the request, then resumes with one of these commands:

    state = agent.invoke({"question": q}, config)
    while (request := approval_request(state)) is not None:
        print(request["step"], request["forecast"])
        state = agent.invoke(approve(), config)          # or edit(args={...}) / reject("why") / stop()

The edited call is what executes and what the StepRecord logs; ``reject()`` skips the step and the planner
re-plans (told why); ``stop()`` ends the run with status "stopped".

The request also has the shape of LangChain v1's human-in-the-loop middleware (``action_requests`` and
``review_configs`` allowing approve / edit / reject), and the resume value may be that middleware's response,
``{"decisions": [{"type": "approve"} | {"type": "edit", "edited_action": {"name", "args"}} |
{"type": "reject", "message": ...}]}``, so inbox UIs built for ``create_agent`` answer it unchanged.
"""

from __future__ import annotations

from typing import Any, Literal

from langgraph.types import Command

APPROVE_STEP = "approve_step"
#: what a reviewer may decide (LangChain's HITL decision types; "stop" is ours and always accepted)
ALLOWED_DECISIONS = ("approve", "edit", "reject")
Action = Literal["approve", "edit", "reject", "stop"]


def approve() -> Command:
    """Execute the proposed step as forecast."""
    return Command(resume="approve")


def stop() -> Command:
    """Do not execute it: the run ends with status "stopped"."""
    return Command(resume="stop")


def edit(tool: str | None = None, args: dict[str, Any] | None = None, instruction: str | None = None) -> Command:
    """Execute a changed call instead (any of tool, args, instruction; the rest stays as forecast)."""
    decision: dict[str, Any] = {"action": "edit"}
    for key, value in (("tool", tool), ("args", args), ("instruction", instruction)):
        if value is not None:
            decision[key] = value
    return Command(resume=decision)


def reject(message: str | None = None) -> Command:
    """Do not execute it, but go on: the planner is told the step was rejected (and why) and re-plans."""
    decision: dict[str, Any] = {"type": "reject"}
    if message:
        decision["message"] = message
    return Command(resume={"decisions": [decision]})


def request_for(call: dict[str, Any], forecast: dict[str, Any]) -> dict[str, Any]:
    """The interrupt value for approving ``call`` (the first step of ``forecast``)."""
    later = len(forecast.get("plan") or []) - 1
    description = (call.get("instruction") or f"run {call['tool']}") + (
        f" (then {later} more forecast step(s))" if later > 0 else "")
    return {"type": APPROVE_STEP, "step": call, "forecast": forecast,
            "action_requests": [{"name": call["tool"], "args": call["args"], "description": description}],
            "review_configs": [{"action_name": call["tool"], "allowed_decisions": list(ALLOWED_DECISIONS)}]}


def read_decision(decision: Any, call: dict[str, Any]) -> tuple[Action, dict[str, Any], str | None]:
    """A resume value as (action, the call to execute, the reviewer's message); ValueError when unusable.

    Accepted: True / "approve" / None, False / "stop", "reject", ``{"action": "approve"|"edit"|"stop", "tool",
    "args", "instruction"}``, a HITL decision ``{"type": ...}`` or a HITL response ``{"decisions": [one]}``."""
    if isinstance(decision, dict) and "decisions" in decision:
        decisions = decision["decisions"]
        if not isinstance(decisions, list) or len(decisions) != 1:
            raise ValueError(f"expected one decision for the one action request, got {decisions!r}")
        decision = decisions[0]
    if decision is True or decision in ("approve", None):
        return "approve", call, None
    if decision is False or decision == "stop":
        return "stop", call, None
    if decision == "reject":
        return "reject", call, None
    if isinstance(decision, dict):
        kind = decision.get("type") or decision.get("action") or (
            "edit" if ("tool" in decision or "args" in decision) else "approve")
        edited = decision.get("edited_action")
        if kind == "edit" and isinstance(edited, dict):  # HITL: {"name", "args"}
            decision = {"tool": edited.get("name", call["tool"]), "args": edited.get("args", call["args"])}
        if kind == "edit" and isinstance(decision.get("args", call["args"]), dict):
            keys = ("tool", "args", "instruction")
            changed = {**call, **{k: decision[k] for k in keys if k in decision}}
            return "edit", {"tool": str(changed["tool"]), "args": dict(changed["args"]),
                            "instruction": str(changed["instruction"])}, None
        if kind in ("approve", "stop", "reject"):
            message = decision.get("message")
            return kind, call, str(message) if message else None
    raise ValueError(f"unknown approval decision: {decision!r}")


def ask_for_approval(call: dict[str, Any], forecast: dict[str, Any]) -> tuple[Action, dict[str, Any], str | None]:
    """Pause the run (inside a graph node) until a person decides on ``call``; an unusable decision asks again with
    the error. Returns (action, the call to execute, the reviewer's message)."""
    from langgraph.types import interrupt

    request = request_for(call, forecast)
    while True:
        try:
            return read_decision(interrupt(request), call)
        except ValueError as exc:
            request = {**request, "error": str(exc)}


def _from_interrupts(interrupts: Any) -> dict[str, Any] | None:
    for item in interrupts or ():
        value = getattr(item, "value", item)
        if isinstance(value, dict) and value.get("type") == APPROVE_STEP:
            return value
    return None


def approval_request(state: dict[str, Any]) -> dict[str, Any] | None:
    """The pending request in an ``invoke`` output or a stream ``updates`` chunk (None when the run is not paused).

    The request is ``{"type": "approve_step", "step": {"tool", "args", "instruction"}, "forecast": {...}}``.
    """
    return _from_interrupts(state.get("__interrupt__")) if isinstance(state, dict) else None


def pending_approval(agent: Any, config: dict[str, Any]) -> dict[str, Any] | None:
    """The request a checkpointed thread is waiting on (read from the checkpoint; works across processes)."""
    snapshot = agent.get_state(config)
    return _from_interrupts(getattr(snapshot, "interrupts", ()))


async def apending_approval(agent: Any, config: dict[str, Any]) -> dict[str, Any] | None:
    """Async twin of pending_approval."""
    snapshot = await agent.aget_state(config)
    return _from_interrupts(getattr(snapshot, "interrupts", ()))
