"""Human approval of forecasts: an agent built with ``approve=True`` (and a checkpointer) pauses before executing
the first step of each forecast. The app reads the request, then resumes with one of these commands:

    state = agent.invoke({"question": q}, config)
    while (request := approval_request(state)) is not None:
        print(request["step"], request["forecast"])
        state = agent.invoke(approve(), config)          # or edit(args={...}) / stop()

The edited call is what executes and what the StepRecord logs; ``stop()`` ends the run with status "stopped".
"""

from __future__ import annotations

from typing import Any

from langgraph.types import Command

APPROVE_STEP = "approve_step"


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
