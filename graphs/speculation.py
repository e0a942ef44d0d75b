"""Speculative execution of forecast steps: run later steps of a forecast while the planner is still thinking.

A tracer1 forecast names the calls the agent expects to make next. After each planner turn, up to
``speculation_k`` later steps whose tools are side-effect free (``registry.side_effect_free``) and whose arguments
are complete (schema-valid, no placeholder such as ``<result of step 1>``) start in the background, at most
``speculation_k`` at a time per run, each under its tool's own timeout (the runtime's ``run_tool``).

When the planner's next first step is the same call (tool + canonical arguments) on the same inputs (the run's
images and files and the workspace's contents, fingerprinted when the prefetch started and again when the step
runs), the tools node serves the prefetched observation (the step is recorded ``speculative``) instead of calling
the tool again. A prefetch whose call left the new forecast is cancelled (not started: dropped; running: its
result is discarded and its tool seconds count as wasted). At the end of a run everything is cancelled and the
running prefetches are waited for, so no thread outlives its run; the counts (hits, misses, wasted tool seconds)
go into the final state.

Nothing here is checkpointed: a resumed run (another process, or a crash mid-step) finds no prefetch for its first
step and executes it. Speculation is off under the approval mode (a human decides each step) and when
``AgentSettings.speculate`` is off (evaluations, for reproducibility).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.tools import BaseTool

from toolagent.graphs.runtime import Agent
from toolagent.records import Forecast, Observation
from toolagent.state import AgentState, CallState, StepState
from toolagent.tools.base import ToolContext

ContextFactory = Callable[[], ToolContext]

#: an argument that stands for a result the agent has not seen yet (``<price>``, ``{{x}}``, ``$total``,
#: "the result of step 2", "…"): such a step cannot be run ahead of time. ``<image_2>`` is a real image reference.
_PLACEHOLDER = re.compile(
    r"<(?!image_?\d+>)[^<>\n]{1,80}>|\{\{[^{}]*\}\}|\$\{?[A-Za-z_]\w*|\.\.\.|…|\?\?|\bTBD\b|\bTODO\b"
    r"|\b(?:result|output|value|answer|observation)s? (?:of|from) (?:the )?(?:previous|prior|last|above|step)\b"
    r"|\b(?:previous|prior|last|above) (?:step|result|output|observation)s?\b|\bstep[ _-]?\d+[ _-]?(?:result|output)",
    re.IGNORECASE)

#: speculators of the runs in progress, by run id (a run's nodes may execute on different threads)
_RUNS: dict[str, Speculator] = {}
_RUNS_LOCK = threading.Lock()


def complete_args(tool: BaseTool, args: dict[str, Any]) -> bool:
    """Whether ``args`` can be used as they are: schema-valid, and no value refers to a result not yet seen."""
    from toolagent.tools.base import ToolError, validate_args

    def concrete(value: Any) -> bool:
        if isinstance(value, str):
            return _PLACEHOLDER.search(value) is None
        if isinstance(value, dict):
            return all(concrete(v) for v in value.values())
        if isinstance(value, (list, tuple)):
            return all(concrete(v) for v in value)
        return True

    try:
        validate_args(tool, args)
    except ToolError:
        return False
    return concrete(args)


def inputs_fingerprint(ctx: ToolContext) -> str:
    """What a side-effect-free call can read: the run's images and files and the workspace's files (name, size,
    mtime). A step that produced an image or wrote a file in between changes it, so a prefetch made before that
    step is not served."""
    listing: list[tuple[str, int, int]] = []
    for root, _, names in os.walk(ctx.workspace):
        for name in names:
            path = os.path.join(root, name)
            try:
                info = os.stat(path)
            except OSError:
                continue
            listing.append((os.path.relpath(path, ctx.workspace), info.st_size, info.st_mtime_ns))
    text = json.dumps([ctx.images, ctx.files, sorted(listing)], default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def speculation_key(tool: str, args: dict[str, Any], fingerprint: str) -> str:
    from toolagent.graphs.steps import call_key

    return f"{fingerprint}:{call_key(tool, args)}"


@dataclass(eq=False)
class _Prefetch:
    tool: str
    run: Callable[[], Observation]
    thread: threading.Thread | None = None
    started: float | None = None
    seconds: float = 0.0
    obs: Observation | None = None
    cancelled: bool = False
    done: threading.Event = field(default_factory=threading.Event)


@dataclass(eq=False)
class _Planned:
    done: threading.Event = field(default_factory=threading.Event)
    outcome: Any = None  # the PlanOutcome of a planner turn run ahead of time


class Speculator:
    """The prefetches of one run: at most ``limit`` run at once; each is a thread that ends with its tool call."""

    def __init__(self, limit: int) -> None:
        self._slots = threading.BoundedSemaphore(max(1, limit))
        self._lock = threading.Lock()
        self._live: dict[str, _Prefetch] = {}
        self._threads: list[threading.Thread] = []
        self.hits = 0
        self.misses = 0
        self.wasted_s = 0.0
        #: the latest forecast's prefetches: call key -> prefetch key (what planning ahead builds on)
        self.latest: dict[str, str] = {}
        self._plans: dict[str, _Planned] = {}
        self.plans_started = 0
        self.plan_hits = 0
        self._closed = False

    def _spawn(self, target: Callable[[], None], name: str) -> threading.Thread:  # under self._lock
        thread = threading.Thread(target=target, daemon=True, name=f"toolagent-speculate-{name}")
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        return thread

    def start(self, key: str, tool: str, run: Callable[[], Observation]) -> None:
        with self._lock:
            if key in self._live:
                return
            prefetch = self._live[key] = _Prefetch(tool=tool, run=run)
            prefetch.thread = self._spawn(lambda: self._work(prefetch), tool)
        prefetch.thread.start()

    def _work(self, prefetch: _Prefetch) -> None:
        with self._slots:
            with self._lock:
                if prefetch.cancelled:
                    prefetch.done.set()
                    return
                prefetch.started = time.perf_counter()
            try:
                obs = prefetch.run()
            except Exception as exc:  # run_tool never raises for tool failures; anything else is a failed prefetch
                obs = Observation(tool=prefetch.tool, error=f"{type(exc).__name__}: {exc}"[:300])
            with self._lock:
                prefetch.obs, prefetch.seconds = obs, time.perf_counter() - prefetch.started
                if prefetch.cancelled:
                    self.wasted_s += prefetch.seconds
                prefetch.done.set()

    def keep_only(self, keys: set[str]) -> None:
        """Cancel every prefetch whose call is not in ``keys`` (it left the forecast)."""
        with self._lock:
            for key in [k for k in self._live if k not in keys]:
                self._cancel(self._live.pop(key))

    def _cancel(self, prefetch: _Prefetch) -> None:  # under self._lock
        prefetch.cancelled = True
        self.misses += 1
        if prefetch.obs is not None:  # finished, never used
            self.wasted_s += prefetch.seconds

    def take(self, key: str) -> Observation | None:
        """The prefetched observation of this call (waiting for it if it is running), or None. A prefetch that
        has not started yet is cancelled: executing the call directly is as fast."""
        with self._lock:
            prefetch = self._live.pop(key, None)
            if prefetch is None:
                return None
            if prefetch.started is None:
                self._cancel(prefetch)
                return None
        prefetch.done.wait()
        with self._lock:
            self.hits += 1
        return prefetch.obs

    def plan_ahead(self, call: str, fingerprint: str, make_prompt: Callable[[Observation], Any],
                   run_plan: Callable[[Any], Any]) -> None:
        """Once the prefetch of ``call`` (on inputs ``fingerprint``) has its observation, build the prompt the
        planner would see after it and run that planner turn in the background, filed under the prompt."""
        with self._lock:
            key = self.latest.get(call)
            prefetch = self._live.get(key) if key and key.startswith(fingerprint + ":") else None
            if prefetch is None or self._closed:
                return
            self.plans_started += 1

            def ahead() -> None:
                prefetch.done.wait()
                if prefetch.cancelled or prefetch.obs is None or prefetch.obs.error:
                    return
                prompt = make_prompt(prefetch.obs)
                planned = _Planned()
                with self._lock:
                    if self._closed:
                        return
                    self._plans[prompt_key(prompt)] = planned
                try:
                    planned.outcome = run_plan(prompt)
                finally:
                    planned.done.set()

            thread = self._spawn(ahead, "planner")
        thread.start()

    def planned(self, prompt: Any) -> Any:
        """The outcome of a planner turn already run (or running) on exactly this prompt, or None."""
        with self._lock:
            planned = self._plans.pop(prompt_key(prompt), None) if self._plans else None
        if planned is None:
            return None
        planned.done.wait()
        if planned.outcome is None or planned.outcome.forecast is None:
            return None
        with self._lock:
            self.plan_hits += 1
        return planned.outcome

    def close(self) -> dict[str, Any]:
        """Cancel everything, wait for the running prefetches to end, and return the run's counts."""
        with self._lock:
            self._closed = True
            for prefetch in self._live.values():
                self._cancel(prefetch)
            self._live.clear()
            threads = list(self._threads)
        for thread in threads:
            thread.join()
        return {"hits": self.hits, "misses": self.misses, "wasted_tool_s": round(self.wasted_s, 4),
                "plan_hits": self.plan_hits, "plan_misses": self.plans_started - self.plan_hits}


def prompt_key(messages: Any) -> str:
    """A planner prompt's identity: the type and content of every message."""
    text = json.dumps([[m.type, m.content] for m in messages], default=str, ensure_ascii=False)
    return hashlib.sha1(text.encode()).hexdigest()


def _on_the_planners_model(tool: BaseTool) -> bool:
    """Image QA lent the planner's own (in-process) model: that model serialises its calls, so a prefetch would
    only hold up the next planner turn."""
    config = getattr(getattr(tool, "target", tool), "config", None)
    return getattr(config, "vlm_model", None) is not None


def _active(agent: Agent) -> bool:
    settings = agent.settings
    return settings.speculate and not settings.approve and settings.speculation_k > 0


def prefetch(agent: Agent, state: AgentState, forecast: Forecast, context: ContextFactory) -> None:
    """After a planner turn: start the eligible later steps of ``forecast`` and cancel what left it."""
    from toolagent.tools.registry import side_effect_free

    from toolagent.graphs.steps import call_key, executed_calls

    run_id = state.get("run_id") or ""
    if not _active(agent) or not run_id:
        return
    with _RUNS_LOCK:
        speculator = _RUNS.get(run_id)
    runtime, settings = agent.runtime, agent.settings
    room = min(settings.speculation_k, settings.max_steps - len(executed_calls(state)) - 1)  # what the budget allows
    chosen: list[tuple[BaseTool, dict[str, Any]]] = []
    for step in forecast.plan[1:]:
        if step.is_answer or len(chosen) >= room:
            break
        tool = runtime.tools.get(step.tool)
        if (tool is not None and side_effect_free(tool) and not _on_the_planners_model(tool)
                and complete_args(tool, step.args)):
            chosen.append((tool, step.args))
    if speculator is None and not chosen:
        return  # the common cheap case: nothing to run, nothing running
    ctx = context()
    fingerprint = inputs_fingerprint(ctx)
    if speculator is None:
        with _RUNS_LOCK:
            speculator = _RUNS.setdefault(run_id, Speculator(settings.speculation_k))
    first = forecast.first
    keys = [speculation_key(tool.name, args, fingerprint) for tool, args in chosen]
    speculator.keep_only({speculation_key(first.tool, first.args, fingerprint), *keys})
    speculator.latest = {call_key(tool.name, args): key for key, (tool, args) in zip(keys, chosen, strict=True)}
    for key, (tool, args) in zip(keys, chosen, strict=True):
        speculator.start(key, tool.name, lambda tool=tool, args=args: runtime.run_tool(tool, args, ctx))


def take(state: AgentState, call: CallState, context: ContextFactory) -> Observation | None:
    """In the tools node: the prefetched observation of ``call`` on the run's current inputs, or None."""
    with _RUNS_LOCK:
        speculator = _RUNS.get(state.get("run_id") or "")
    if speculator is None:
        return None
    return speculator.take(speculation_key(call["tool"], call["args"], inputs_fingerprint(context())))


def plan_ahead(agent: Agent, state: AgentState, step: StepState) -> None:
    """After a tool step (``speculate_plans``): the forecast's next step is being prefetched; once its observation is
    in, run the planner turn that would follow it, in the background, so that the turn after next is ready when
    the next turn confirms that step. Served only to a prompt identical to the one it ran on (``planned``)."""
    from toolagent.graphs.builder import _planner_model
    from toolagent.graphs.steps import call_key, executed_calls, new_image_refs, planner_prompt, tool_context
    from toolagent.planner import plan

    settings = agent.settings
    if not (_active(agent) and settings.speculate_plans):
        return
    with _RUNS_LOCK:
        speculator = _RUNS.get(state.get("run_id") or "")
    forecasts = state.get("forecasts") or []
    if speculator is None or not 0 < step["turn"] <= len(forecasts):
        return
    after: AgentState = {**state, "steps": [*(state.get("steps") or []), step], "notices": []}
    if len(executed_calls(after)) + 2 >= settings.max_steps:
        return  # a budget notice will be in that prompt
    plan_steps = Forecast.model_validate(forecasts[step["turn"] - 1]).plan
    if len(plan_steps) < 2 or plan_steps[1].is_answer:
        return
    nxt = plan_steps[1]

    def make_prompt(obs: Observation) -> Any:
        """The prompt after ``nxt`` has run, recorded the way the tools node records a step."""
        record: StepState = {
            "step": len(after.get("steps") or []) + 1, "turn": step["turn"] + 1,
            "executed": {"tool": nxt.tool, "args": nxt.args, "instruction": nxt.instruction},
            "observation": obs.model_dump(mode="json", exclude_defaults=True, exclude={"tool"}) | {"tool": obs.tool},
            "planner_latency_s": 0.0, "timestamp": 0.0}
        if images := new_image_refs(obs):
            record["new_images"] = images
        ahead: AgentState = {**after, "steps": [*(after.get("steps") or []), record]}
        return planner_prompt(agent, ahead, [], executed_calls(ahead))

    def run_plan(prompt: Any) -> Any:
        return plan(_planner_model(agent), prompt, agent.runtime.tools, settings.max_retries, settings.plan_horizon)

    fingerprint = inputs_fingerprint(tool_context(after))  # what the next turn's take will see
    speculator.plan_ahead(call_key(nxt.tool, nxt.args), fingerprint, make_prompt, run_plan)


def planned(state: AgentState, prompt: Any) -> Any:
    """In the planner node: the outcome of this exact turn when it was run ahead of time, or None."""
    with _RUNS_LOCK:
        speculator = _RUNS.get(state.get("run_id") or "")
    return speculator.planned(prompt) if speculator is not None else None


async def aplanned(state: AgentState, prompt: Any) -> Any:
    """Async twin of ``planned``."""
    import asyncio

    with _RUNS_LOCK:
        found = (state.get("run_id") or "") in _RUNS
    return await asyncio.to_thread(planned, state, prompt) if found else None


async def atake(state: AgentState, call: CallState, context: ContextFactory) -> Observation | None:
    """Async twin of ``take``: waits for a running prefetch off the event loop."""
    import asyncio

    with _RUNS_LOCK:
        found = (state.get("run_id") or "") in _RUNS
    return await asyncio.to_thread(take, state, call, context) if found else None


def close(state: AgentState) -> dict[str, Any]:
    """At the end of a run: cancel and wait for its prefetches; the state update with the run's counts."""
    with _RUNS_LOCK:
        speculator = _RUNS.pop(state.get("run_id") or "", None)
    return {"speculation": speculator.close() if speculator is not None else None}
