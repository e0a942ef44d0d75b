"""The agent graph, shared by the anticipatory (tracer1) and reactive (react) modes.

    START → start → planner ─┬─► tools ─► planner … (until an answer step, the step budget, or a repetition)
                             ├─► planner   (a notice was added instead of executing: re-plan)
                             └─► END

The planner forecasts up to ``horizon`` steps (react: exactly one); only the first is executed by a frozen tool;
its observation comes back, and the planner re-plans. Every executed step (and the final answer step) becomes a
StepRecord handed to the feedback hooks.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.graph import END, START, StateGraph

from toolagent.errors import BadInput
from toolagent.feedback import FeedbackHook, as_hooks
from toolagent.images import load_image_ref
from toolagent.planner import (Mode, ToolMenu, format_observation, history_line, messages_for_log, plan,
                               planner_messages)
from toolagent.records import ImageRef, Observation, PlannerInput, StepRecord, ToolCall
from toolagent.state import AgentInput, AgentOutput, AgentState
from toolagent.tools.base import ToolContext, run_tool
from toolagent.tools.config import ToolConfig

TERMINAL = {"answered", "max_steps", "repetition", "planner_error", "stopped", "timeout", "error"}


def call_key(tool: str, args: dict[str, Any]) -> str:
    return tool + json.dumps(args, sort_keys=True, ensure_ascii=False, default=str)


@dataclass
class AgentSettings:
    """Everything a graph closes over. Live objects (model, tools, hooks) stay out of the JSON state."""

    model: BaseChatModel | str = "embedded"
    tools: list[BaseTool] | None = None
    tool_config: ToolConfig | None = None
    mode: Mode = "tracer1"
    horizon: int = 5
    max_steps: int = 15
    max_retries: int = 2
    repetition_limit: int = 3
    multimodal: bool | None = None
    approve: bool = False
    json_mode: bool = True
    base_url: str | None = None
    extra_instructions: str | None = None
    #: planner prompt profile: "auto" = compact for small local models, full otherwise
    prompt_profile: Literal["auto", "full", "compact"] = "auto"
    feedback: FeedbackHook | Iterable[FeedbackHook] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _resolved: tuple[Any, dict[str, BaseTool], Callable[..., Observation]] | None = field(
        default=None, repr=False)
    #: the tools as the planner prompt shows them (rendered once, on resolve)
    menu: ToolMenu | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not 1 <= self.horizon <= 10:
            raise BadInput(f"horizon must be between 1 and 10, got {self.horizon}")
        if self.max_steps < 1:
            raise BadInput(f"max_steps must be at least 1, got {self.max_steps}")
        self.hooks: tuple[FeedbackHook, ...] = as_hooks(self.feedback)

    def resolve(self) -> tuple[Any, dict[str, BaseTool], Callable[..., Observation]]:
        """Resolve the model spec and the default tools once, lazily (so importing a graph is cheap)."""
        if self._resolved is None:
            with self._lock:
                if self._resolved is None:
                    self._resolved = self._build()
        return self._resolved

    def _build(self) -> tuple[Any, dict[str, BaseTool], Callable[..., Observation]]:
        from toolagent.models.guided import forecast_schema
        from toolagent.models.resolve import resolve_model, with_json_mode
        from toolagent.tools.registry import available_tools, build_tools

        model = resolve_model(self.model, base_url=self.base_url) if isinstance(self.model, str) else self.model
        config = self.tool_config or ToolConfig()
        if self.multimodal is None:
            self.multimodal = bool(getattr(model, "is_multimodal", False))
        if self.multimodal and config.vlm_model is None and not config.vlm:
            config = config.model_copy(update={"vlm_model": model})
        tools = self.tools if self.tools is not None else available_tools(build_tools(config))
        from toolagent.tools.cache import cache_from_config

        cache = cache_from_config(config)
        runner: Callable[..., Observation] = cache.call if cache is not None else run_tool
        horizon = 1 if self.mode == "react" else self.horizon
        planner_model = with_json_mode(model, lambda: forecast_schema(list(tools), horizon)) if self.json_mode \
            else model
        self.menu = ToolMenu.of(list(tools))
        if self.prompt_profile == "auto":
            self.prompt_profile = "compact" if getattr(model, "prefers_compact_prompt", False) else "full"
        return planner_model, {tool.name: tool for tool in tools}, runner


def _finish(state: AgentState, **update: Any) -> dict[str, Any]:
    return {**update, "pending": None, "elapsed_s": time.time() - state.get("started_at", time.time())}


def _emit(event: dict[str, Any]) -> None:
    """A custom stream event (stream_mode="custom") so apps can render the plan live."""
    try:
        from langgraph.config import get_stream_writer

        get_stream_writer()(event)
    except RuntimeError:  # not running inside a graph context
        pass


#: per-invocation feedback hooks: ``config={"configurable": {FEEDBACK_KEY: hook_or_hooks}}`` (lets one compiled
#: graph serve many tasks, each with its own log; callables never enter checkpoint metadata)
FEEDBACK_KEY = "toolagent_feedback"
#: per-invocation deadline (epoch seconds): the run ends with status "timeout" at the next step boundary after it
DEADLINE_KEY = "toolagent_deadline"


def _past_deadline(state: AgentState, config: RunnableConfig) -> dict[str, Any] | None:
    deadline = (config.get("configurable") or {}).get(DEADLINE_KEY)
    if deadline is not None and time.time() > float(deadline):
        return _finish(state, status="timeout", error="the run passed its deadline")
    return None


def _call_hooks(settings: AgentSettings, record: StepRecord, config: RunnableConfig) -> None:
    extra = as_hooks((config.get("configurable") or {}).get(FEEDBACK_KEY))
    for hook in (*settings.hooks, *extra):
        try:
            hook(record)
        except Exception as exc:  # a broken sink must not lose the run
            warnings.warn(f"feedback hook failed: {type(exc).__name__}: {exc}", stacklevel=2)


def make_start(settings: AgentSettings) -> Callable[[AgentState], dict[str, Any]]:
    def start(state: AgentState) -> dict[str, Any]:
        now = time.time()
        reset: dict[str, Any] = {
            "run_id": uuid.uuid4().hex[:12], "started_at": now, "planner_turns": 0, "history": None,
            "calls": None, "forecasts": None, "steps": None, "produced_images": None, "notices": [], "warned": None,
            "pending": None, "observation": None, "answer": None, "status": "running", "error": None,
            "elapsed_s": 0.0, "image_refs": [], "messages": None,
        }
        question, images = (state.get("question") or "").strip(), list(state.get("images") or [])
        if state.get("messages"):  # LangChain chat input: the last human turn's text + image blocks (as files)
            from toolagent.embed.inputs import from_messages

            try:
                chat = from_messages(state["messages"])
            except BadInput as exc:
                return {**reset, "status": "error", "error": str(exc)}
            question, images = chat["question"].strip() or question, [*images, *chat["images"]]
        if not question:
            return {**reset, "status": "error", "error": "the question is empty"}
        try:
            refs = [load_image_ref(path).model_dump(mode="json") for path in images]
        except BadInput as exc:
            return {**reset, "status": "error", "error": str(exc)}
        missing = [f for f in state.get("files") or [] if not Path(f).is_file()]
        if missing:
            return {**reset, "status": "error", "error": f"attached file not found: {missing[0]}"}
        workspace = tempfile.mkdtemp(prefix=f"toolagent-{reset['run_id']}-")
        return {**reset, "question": question, "image_refs": refs, "images": [r["path"] for r in refs],
                "workspace": workspace}

    return start


def make_planner(settings: AgentSettings) -> Callable[[AgentState, RunnableConfig], dict[str, Any]]:
    def planner(state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        if (late := _past_deadline(state, config)) is not None:
            return late
        model, tools, _ = settings.resolve()
        turns = state.get("planner_turns", 0) + 1
        calls = state.get("calls") or []
        if turns > 2 * settings.max_steps + 2:
            return _finish(state, status="max_steps", planner_turns=turns,
                           error=f"no answer after {turns - 1} planner turns")
        refs = [ImageRef(**r) for r in state.get("image_refs") or []]
        obs = Observation(**state["observation"]) if state.get("observation") else None
        notices = state.get("notices") or []
        messages = planner_messages(
            question=state["question"], images=refs, history=state.get("history") or [],
            observation=format_observation(obs, settings.prompt_profile) if obs else None, tools=settings.menu or list(tools.values()),
            horizon=1 if settings.mode == "react" else settings.horizon, multimodal=bool(settings.multimodal),
            notices=notices, files=state.get("files") or [], extra_instructions=settings.extra_instructions,
            graph=settings.mode, profile=settings.prompt_profile)
        outcome = plan(model, messages, tools, settings.max_retries,
                       1 if settings.mode == "react" else settings.horizon)
        if outcome.forecast is None:
            return _finish(state, status="planner_error", error=outcome.error, planner_turns=turns)
        forecast = outcome.forecast
        first = forecast.first
        _emit({"type": "forecast", "turn": turns, "forecast": forecast.model_dump(mode="json")})
        update: dict[str, Any] = {"forecasts": [forecast.model_dump(mode="json")], "planner_turns": turns,
                                  "notices": []}
        planner_input = PlannerInput(
            question=state["question"], images=refs, history=state.get("history") or [],
            observation=format_observation(obs) if obs else None, messages=messages_for_log(messages, refs))
        pending = {"call": ToolCall(tool=first.tool, args=first.args, instruction=first.instruction)
                   .model_dump(mode="json"),
                   "forecast": forecast.model_dump(mode="json"), "planner_input": planner_input.model_dump(mode="json"),
                   "planner_latency_s": outcome.latency_s, "tokens": outcome.tokens}
        if first.is_answer:
            text = str(first.args["text"])
            record = _record(state, pending, Observation(tool="answer", text=text), len(state.get("steps") or []) + 1)
            _call_hooks(settings, record, config)
            _emit({"type": "answer", "text": text})
            return _finish(state, **update, answer=text, status="answered",
                           steps=[record.model_dump(mode="json")])
        if len(calls) >= settings.max_steps:
            return _finish(state, **update, status="max_steps",
                           error=f"no answer within the budget of {settings.max_steps} tool steps")
        key = call_key(first.tool, first.args)
        seen = sum(1 for c in calls if call_key(c["tool"], c["args"]) == key)
        if seen >= settings.repetition_limit - 1:
            if key in (state.get("warned") or []):
                return _finish(state, **update, status="repetition",
                               error=f"stopped: {first.tool} was asked for with the same arguments "
                                     f"{seen + 1} times")
            return {**update, "pending": None, "warned": [key], "notices": [(
                f"You already called {first.tool} with these same arguments {seen} times; the result will not "
                "change. Use the results in the history, try a different step, or answer.")]}
        return {**update, "pending": pending}

    return planner


def _record(state: AgentState, pending: dict[str, Any], obs: Observation, step: int) -> StepRecord:
    from toolagent.records import Forecast

    return StepRecord(
        run_id=state["run_id"], task_id=state.get("task_id"), step=step,
        planner_input=PlannerInput(**pending["planner_input"]), forecast=Forecast(**pending["forecast"]),
        executed=ToolCall(**pending["call"]), observation=obs, planner_latency_s=pending["planner_latency_s"],
        tool_latency_s=obs.latency_s, tokens=pending.get("tokens"), ground_truth=state.get("ground_truth"))


def _approval(pending: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Pause before executing (human in the loop). Resume with Command(resume=...):
    True/"approve", False/"stop", or {"action": "approve"|"edit"|"stop", "tool": ..., "args": {...}}."""
    from langgraph.types import interrupt

    request: dict[str, Any] = {"type": "approve_step", "step": pending["call"], "forecast": pending["forecast"]}
    while True:  # an unusable decision asks again (with the error) instead of breaking the thread
        decision = interrupt(request)
        if decision is True or decision in ("approve", None):
            return "approve", pending["call"]
        if decision is False or decision == "stop":
            return "stop", pending["call"]
        if isinstance(decision, dict):
            action = decision.get("action", "edit" if ("tool" in decision or "args" in decision) else "approve")
            if action == "edit":
                keys = ("tool", "args", "instruction")
                return "edit", {**pending["call"], **{k: decision[k] for k in keys if k in decision}}
            if action in ("approve", "stop"):
                return action, pending["call"]
        request = {**request, "error": f"unknown approval decision: {decision!r}"}


def make_tools_node(settings: AgentSettings) -> Callable[[AgentState, RunnableConfig], dict[str, Any]]:
    def tools_node(state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        if (late := _past_deadline(state, config)) is not None:
            return late
        _, tools, runner = settings.resolve()
        pending = dict(state["pending"] or {})
        if settings.approve:
            action, call_dict = _approval(pending)
            if action == "stop":
                return _finish(state, status="stopped", error="stopped by the user before executing a step")
            pending["call"] = call_dict
        call = ToolCall(**pending["call"])
        tool = tools.get(call.tool)
        produced = state.get("produced_images") or []
        if tool is None:
            obs = Observation(tool=call.tool, error=f"unknown tool {call.tool!r}")
        else:
            ctx = ToolContext(workspace=Path(state["workspace"]), images=[*(state.get("images") or []), *produced],
                              files=list(state.get("files") or []))
            obs = runner(tool, call.args, ctx)
        _emit({"type": "observation", "tool": call.tool, "observation": obs.model_dump(mode="json")})
        calls = state.get("calls") or []
        step = len(state.get("steps") or []) + 1
        record = _record(state, pending, obs, step)
        _call_hooks(settings, record, config)
        new_refs = []
        for path in obs.images:
            try:
                new_refs.append(load_image_ref(path).model_dump(mode="json"))
            except BadInput:
                continue
        update: dict[str, Any] = {
            "pending": None, "observation": obs.model_dump(mode="json"),
            "calls": [call.model_dump(mode="json")], "history": [history_line(len(calls) + 1, call, obs)],
            "steps": [record.model_dump(mode="json")], "produced_images": [r["path"] for r in new_refs],
            "image_refs": [*(state.get("image_refs") or []), *new_refs]}
        if len(calls) + 1 >= settings.max_steps:
            update["notices"] = [f"The budget of {settings.max_steps} tool steps is used up: answer now."]
        return update

    return tools_node


def _routed(node: Callable[..., dict[str, Any]], route: Callable[[dict[str, Any]], str]) -> Callable[..., Any]:
    """Wrap a node so it returns Command(update, goto): routing without a separate branch runnable per step."""
    from langgraph.types import Command

    def routed(state: AgentState, config: RunnableConfig) -> Any:
        update = node(state, config)
        return Command(update=update, goto=route(update))

    routed.__name__ = getattr(node, "__name__", "node")
    return routed


def _after_planner(update: dict[str, Any]) -> str:
    if update.get("status") in TERMINAL:
        return END
    return "tools" if update.get("pending") else "planner"


def _after_tools(update: dict[str, Any]) -> str:
    return END if update.get("status") in TERMINAL else "planner"


def _after_start(update: dict[str, Any]) -> str:
    return END if update.get("status") in TERMINAL else "planner"


def build_graph(settings: AgentSettings, checkpointer: Any = None, name: str | None = None) -> Any:
    """Compile the agent graph (a LangGraph Runnable)."""
    graph = StateGraph(AgentState, input_schema=AgentInput, output_schema=AgentOutput)
    start = make_start(settings)
    graph.add_node("start", _routed(lambda state, config: start(state), _after_start), destinations=("planner", END))
    graph.add_node("planner", _routed(make_planner(settings), _after_planner),
                   destinations=("tools", "planner", END))
    graph.add_node("tools", _routed(make_tools_node(settings), _after_tools), destinations=("planner", END))
    graph.add_edge(START, "start")
    compiled = graph.compile(checkpointer=checkpointer, name=name or settings.mode)
    return compiled.with_config(recursion_limit=6 * settings.max_steps + 20)
