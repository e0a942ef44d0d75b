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
from toolagent.state import AgentState, CallState
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
    from toolagent.graphs.builder import call_key

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

    def start(self, key: str, tool: str, run: Callable[[], Observation]) -> None:
        with self._lock:
            if key in self._live:
                return
            prefetch = self._live[key] = _Prefetch(tool=tool, run=run)
            prefetch.thread = threading.Thread(target=self._work, args=(prefetch,), daemon=True,
                                               name=f"toolagent-speculate-{tool}")
            self._threads = [t for t in self._threads if t.is_alive()] + [prefetch.thread]
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

    def close(self) -> dict[str, Any]:
        """Cancel everything, wait for the running prefetches to end, and return the run's counts."""
        with self._lock:
            for prefetch in self._live.values():
                self._cancel(prefetch)
            self._live.clear()
            threads = list(self._threads)
        for thread in threads:
            thread.join()
        return {"hits": self.hits, "misses": self.misses, "wasted_tool_s": round(self.wasted_s, 4)}


def _active(agent: Agent) -> bool:
    settings = agent.settings
    return settings.speculate and not settings.approve and settings.speculation_k > 0


def prefetch(agent: Agent, state: AgentState, forecast: Forecast, context: ContextFactory) -> None:
    """After a planner turn: start the eligible later steps of ``forecast`` and cancel what left it."""
    from toolagent.tools.registry import side_effect_free

    from toolagent.graphs.builder import executed_calls

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
        if tool is not None and side_effect_free(tool) and complete_args(tool, step.args):
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
    for key, (tool, args) in zip(keys, chosen, strict=True):
        speculator.start(key, tool.name, lambda tool=tool, args=args: runtime.run_tool(tool, args, ctx))


def take(state: AgentState, call: CallState, context: ContextFactory) -> Observation | None:
    """In the tools node: the prefetched observation of ``call`` on the run's current inputs, or None."""
    with _RUNS_LOCK:
        speculator = _RUNS.get(state.get("run_id") or "")
    if speculator is None:
        return None
    return speculator.take(speculation_key(call["tool"], call["args"], inputs_fingerprint(context())))


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
