"""The agent graph, shared by the anticipatory (tracer1) and reactive (react) graphs.

    START → start → planner ─┬─► tools ─┬─► tools … (until an answer step, the step budget, or a repetition)
                             │          ├─► planner (a notice instead of a step: re-plan)
                             │          └─► END
                             ├─► planner   (a notice was added instead of executing: re-plan)
                             └─► END

The planner forecasts up to ``horizon`` steps (react: exactly one); only the first is executed by a frozen tool;
its observation comes back, and the planner re-plans. The ``tools`` node runs the pending step and then the
planner turn that follows it: one superstep, so one checkpoint, per executed step (LangGraph's prebuilt agent
takes two: its model node and its tools node), which halves both the checkpoint bytes of a run (every
checkpoint stores the list channels whole) and LangGraph's per-step overhead. ``interrupt_before=["tools"]``
still pauses before every tool call with the forecast saved. What this costs: a process that dies during the
planner turn after a tool re-runs that tool on resume (the observation is checkpointed with the next forecast).

The state keeps one slim record per executed step; every executed step (and the final answer step) also becomes a
full StepRecord, with the exact planner prompt, handed to the feedback hooks. The run's workspace (produced
files, chat-input images) is deleted when the run ends, unless the invocation names its own workspace.

Every node has a sync and an async implementation (``invoke`` and ``ainvoke`` both run natively; async tools are
awaited). A run adds its chat turn to ``messages`` (``graphs/chat.py``), takes per-run settings from its context
or config (``graphs/per_run.py``) and stops with status ``max_steps`` before LangGraph's recursion limit.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, NamedTuple

from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.runnables import Runnable, RunnableConfig
from langgraph.graph import END, START, StateGraph

from toolagent.errors import BadInput
from toolagent.graphs.chat import earlier_turns, is_new_turn, turn_messages, without_image_data
from toolagent.graphs import speculation
from toolagent.graphs.per_run import RunSettings, Variants
from toolagent.graphs.runtime import Agent
from toolagent.graphs.steps import (DEADLINE_KEY, WORKSPACE_KEY, call_key, configurable, executed_calls, new_image_refs,
                                    planner_prompt, record_step, step_call_key, tool_context)
from toolagent.images import load_image_ref
from toolagent.prompts.texts import BUDGET_NOTICE, REJECTED_NOTICE, REPEAT_NOTICE
from toolagent.records import ANSWER_TOOL, TERMINAL, Observation
from toolagent.state import REDUCERS, AgentInput, AgentOutput, AgentState, CallState, PendingStep
from toolagent.tools.base import arun_tool

Update = dict[str, Any]


class Node(NamedTuple):
    """A graph node's implementations: the sync one, and an async one where it awaits something itself."""

    sync: Callable[[AgentState, RunnableConfig], Update]
    asynchronous: Callable[[AgentState, RunnableConfig], Awaitable[Update]] | None = None


def _emit(event: dict[str, Any]) -> None:
    """A custom stream event (stream_mode="custom") so apps can render the plan live."""
    try:
        from langgraph.config import get_stream_writer

        get_stream_writer()(event)
    except RuntimeError:  # not running inside a graph context
        pass


def _finish(state: AgentState, config: RunnableConfig, **update: Any) -> Update:
    """The update that ends a run; the run's own temporary workspace goes with it."""
    update.update(speculation.close(state))  # no prefetch outlives its run (nor reads a deleted workspace)
    workspace = state.get("workspace")
    if workspace and update.get("status") in TERMINAL and not configurable(config).get(WORKSPACE_KEY):
        shutil.rmtree(workspace, ignore_errors=True)
    if update.get("status") in TERMINAL:  # the run's chat turn: its tool calls and results, then the answer
        closing = turn_messages(state.get("run_id") or "", executed_calls(state), update)
        update["messages"] = [*update.get("messages", []), *closing]
    return {**update, "pending": None, "elapsed_s": time.time() - state.get("started_at", time.time())}


# ----------------------------------------------------------------------------------------------- start
def make_start(variants: Variants) -> Node:
    def start(state: AgentState, config: RunnableConfig) -> Update:
        try:
            variants.for_run(config)  # per-run settings are checked before anything runs
        except BadInput as exc:
            return _finish(state, config, status="error", error=str(exc), run_id=uuid.uuid4().hex[:12],
                           steps=None, forecasts=None)
        return _start(state, config)

    return Node(start)


def _start(state: AgentState, config: RunnableConfig) -> Update:
    run_id = uuid.uuid4().hex[:12]
    reset: Update = {
        "run_id": run_id, "started_at": time.time(), "planner_turns": 0, "forecasts": None, "steps": None,
        "notices": [], "warned": None, "pending": None, "answer": None, "status": "running", "error": None,
        "elapsed_s": 0.0, "image_refs": [], "earlier": [],
        "first_step": (config.get("metadata") or {}).get("langgraph_step")}
    own = configurable(config).get(WORKSPACE_KEY)
    workspace = Path(own) if own else Path(tempfile.mkdtemp(prefix=f"toolagent-{run_id}-"))
    workspace.mkdir(parents=True, exist_ok=True)
    reset["workspace"] = str(workspace)
    try:
        question, images, turn, chat_images = _read_input(state, workspace)
        refs = [load_image_ref(path).model_dump(mode="json") for path in images]
    except BadInput as exc:
        return _finish({**state, **reset}, config, **{**reset, "status": "error", "error": str(exc)})
    return {**reset, "question": question, "image_refs": refs, "images": [r["path"] for r in refs],
            "chat_images": chat_images, "messages": turn, "earlier": earlier_turns(state.get("messages") or [])}


def _read_input(state: AgentState, workspace: Path) -> tuple[str, list[str], list[BaseMessage], list[str]]:
    """The question, its images, the user turn to add to ``messages`` and the images decoded from that turn.

    A user turn at the end of ``messages`` is this run's question (chat input); else ``question`` is, and it
    joins the conversation as a HumanMessage. Images decoded from an earlier chat turn (gone with that run's
    workspace) are not carried over."""
    question = (state.get("question") or "").strip()
    decoded_before = set(state.get("chat_images") or [])
    images = [p for p in state.get("images") or [] if p not in decoded_before]
    messages = state.get("messages") or []
    turn: list[BaseMessage] = [HumanMessage(content=question)] if question else []
    chat_images: list[str] = []
    if is_new_turn(messages) or (messages and not question):  # chat input: text + image blocks (as files)
        from toolagent.embed.inputs import from_messages

        chat = from_messages(messages, folder=workspace / "inputs")
        question, chat_images = chat["question"].strip() or question, chat["images"]
        turn = [m for m in [without_image_data(messages[-1], chat_images)] if m is not None]
    if not question:
        raise BadInput("the question is empty")
    missing = [f for f in state.get("files") or [] if not Path(f).is_file()]
    if missing:
        raise BadInput(f"attached file not found: {missing[0]}")
    return question, [*images, *chat_images], turn, chat_images


# ----------------------------------------------------------------------------------------------- planner
def _check_deadline(state: AgentState, config: RunnableConfig) -> Update | None:
    deadline = configurable(config).get(DEADLINE_KEY)
    if deadline is not None and time.time() > float(deadline):
        return _finish(state, config, status="timeout", error="the run passed its deadline")
    return None


def _check_turns(agent: Agent, state: AgentState, config: RunnableConfig, turn: int) -> Update | None:
    """A hard cap on planner turns (re-plans after notices included), so no run loops forever."""
    if turn > 2 * agent.settings.max_steps + 2:
        return _finish(state, config, status="max_steps", planner_turns=turn,
                       error=f"no answer after {turn - 1} planner turns")
    return None


def _answer(agent: Agent, state: AgentState, config: RunnableConfig, update: Update, pending: PendingStep,
            text: str) -> Update:
    step = record_step(agent, {**state, "forecasts": [*(state.get("forecasts") or []), *update["forecasts"]]},
                        pending, Observation(tool=ANSWER_TOOL, text=text), config)
    _emit({"type": "answer", "text": text})
    return _finish(state, config, **update, answer=text, status="answered", steps=[step])


def _check_budget(agent: Agent, state: AgentState, config: RunnableConfig, update: Update) -> Update | None:
    max_steps = agent.settings.max_steps
    if len(executed_calls(state)) >= max_steps:
        return _finish(state, config, **update, status="max_steps",
                       error=f"no answer within the budget of {max_steps} tool steps")
    return None


def _check_repetition(agent: Agent, state: AgentState, config: RunnableConfig, update: Update,
                      call: CallState) -> Update | None:
    """The same call a ``repetition_limit``-th time: one notice to the planner, then the run stops."""
    key = call_key(call["tool"], call["args"])
    seen = sum(1 for s in executed_calls(state) if step_call_key(s) == key)
    if seen < agent.settings.repetition_limit - 1:
        return None
    if key in (state.get("warned") or []):
        return _finish(state, config, **update, status="repetition",
                       error=f"stopped: {call['tool']} was asked for with the same arguments {seen + 1} times")
    return {**update, "pending": None, "warned": [key],
            "notices": [REPEAT_NOTICE.format(tool=call["tool"], seen=seen)]}


def _check_recursion(state: AgentState, config: RunnableConfig, turn: int) -> Update | None:
    """Stop cleanly before LangGraph's recursion limit, however the agent is composed (an outer chain passes its
    own, often smaller, limit down): a planner turn proceeds only while its tool step and the next planner turn
    still fit."""
    limit, first = config.get("recursion_limit"), state.get("first_step")
    step = (config.get("metadata") or {}).get("langgraph_step")
    if limit is None or first is None or step is None or step + 3 < first + int(limit):
        return None
    return _finish(state, config, status="max_steps", planner_turns=turn,
                   error=f"no answer before the run's recursion limit of {limit} graph steps "
                         f"(raise it with config={{'recursion_limit': ...}} for longer runs)")


def _before_plan(agent: Agent, state: AgentState, config: RunnableConfig) -> Update | list[BaseMessage]:
    """The checks before a planner turn (an ending update), else the planner prompt."""
    turn = state.get("planner_turns", 0) + 1
    for check in (lambda: _check_deadline(state, config), lambda: _check_turns(agent, state, config, turn),
                  lambda: _check_recursion(state, config, turn)):
        if (stop := check()) is not None:
            return stop
    return planner_prompt(agent, state, state.get("notices") or [], executed_calls(state))


def _planner_model(agent: Agent) -> Any:
    """The planner's model, kept out of ``stream_mode="messages"`` (its raw forecasts go to the custom stream;
    the messages stream carries the chat messages the nodes write)."""
    from langgraph.constants import TAG_NOSTREAM

    return agent.runtime.planner.with_config(tags=[TAG_NOSTREAM])


def _after_plan(agent: Agent, state: AgentState, config: RunnableConfig, outcome: Any) -> Update:
    """What a planner turn's outcome leads to: the answer, a stop, a notice and a re-plan, or a step to run."""
    turn, notices = state.get("planner_turns", 0) + 1, state.get("notices") or []
    if outcome.forecast is None:
        return _finish(state, config, status="planner_error", error=outcome.error, planner_turns=turn)
    _emit({"type": "forecast", "turn": turn, "forecast": outcome.forecast.model_dump(mode="json")})
    forecast = outcome.forecast.model_dump(mode="json", exclude_defaults=True)
    first = outcome.forecast.first
    call: CallState = {"tool": first.tool, "args": first.args, "instruction": first.instruction}
    pending: PendingStep = {"turn": turn, "call": call, "planner_latency_s": outcome.latency_s,
                            "tokens": outcome.tokens, "notices": notices}
    update: Update = {"forecasts": [forecast], "planner_turns": turn, "notices": []}
    if first.is_answer:
        return _answer(agent, state, config, update, pending, str(first.args["text"]))
    for check in (lambda: _check_budget(agent, state, config, update),
                  lambda: _check_repetition(agent, state, config, update, call)):
        if (stop := check()) is not None:
            return stop
    speculation.prefetch(agent, state, outcome.forecast, lambda: tool_context(state))
    return {**update, "pending": pending}


def _plan(agent: Agent, state: AgentState, config: RunnableConfig) -> Update:
    """One planner turn: the checks, the forecast, and what it leads to."""
    from toolagent.planner import plan

    prompt = _before_plan(agent, state, config)
    if isinstance(prompt, dict):
        return prompt
    settings = agent.settings
    outcome = speculation.planned(state, prompt) or plan(_planner_model(agent), prompt, agent.runtime.tools,
                                                         settings.max_retries, settings.plan_horizon)
    return _after_plan(agent, state, config, outcome)


async def _aplan(agent: Agent, state: AgentState, config: RunnableConfig) -> Update:
    """Async twin of ``_plan``."""
    from toolagent.planner import aplan

    prompt = await asyncio.to_thread(_before_plan, agent, state, config)  # resolves the model on first use
    if isinstance(prompt, dict):
        return prompt
    settings = agent.settings
    outcome = await speculation.aplanned(state, prompt) or await aplan(
        _planner_model(agent), prompt, agent.runtime.tools, settings.max_retries, settings.plan_horizon)
    return _after_plan(agent, state, config, outcome)


def make_planner(variants: Variants) -> Node:
    def planner(state: AgentState, config: RunnableConfig) -> Update:
        return _plan(variants.for_run(config), state, config)

    async def aplanner(state: AgentState, config: RunnableConfig) -> Update:
        return await _aplan(variants.for_run(config), state, config)

    return Node(planner, aplanner)


# ----------------------------------------------------------------------------------------------- tools
def _execute(agent: Agent, state: AgentState, call: CallState) -> Observation:
    runtime = agent.runtime
    tool = runtime.tools.get(call["tool"])
    if tool is None:
        return Observation(tool=call["tool"], error=f"unknown tool {call['tool']!r}")
    return runtime.run_tool(tool, call["args"], tool_context(state))


async def _aexecute(agent: Agent, state: AgentState, call: CallState) -> Observation:
    """Async twin of _execute: async tools (MCP, users' coroutines) are awaited on the run's loop."""
    from toolagent.tools.base import run_tool

    runtime = await asyncio.to_thread(lambda: agent.runtime)
    tool = runtime.tools.get(call["tool"])
    if tool is None or runtime.run_tool is not run_tool:  # unknown, or through the tool cache (sync)
        return await asyncio.to_thread(_execute, agent, state, call)
    return await arun_tool(tool, call["args"], tool_context(state))


def _before_tool(agent: Agent, state: AgentState, config: RunnableConfig) -> tuple[Update | None, PendingStep]:
    """The checks before a tool step (an update that ends the run or skips the step), and the step to run."""
    pending = state["pending"]
    assert pending is not None, "the tools node runs only after the planner chose a step"
    if (late := _check_deadline(state, config)) is not None:
        return late, pending
    if agent.settings.approve:
        from toolagent.embed.approval import ask_for_approval

        forecast = (state.get("forecasts") or [])[pending["turn"] - 1]
        action, edited, message = ask_for_approval(dict(pending["call"]), forecast)
        call = CallState(tool=edited["tool"], args=edited["args"], instruction=edited["instruction"])
        if action == "stop":
            return _finish(state, config, status="stopped", error="stopped by the user before executing a step"), \
                pending
        if action == "reject":
            reason = f" (the user said: {message})" if message else ""
            return {"pending": None, "notices": [REJECTED_NOTICE.format(tool=call["tool"], reason=reason)]}, pending
        pending = {**pending, "call": call}
    return None, pending


def _after_tool(agent: Agent, state: AgentState, config: RunnableConfig, pending: PendingStep,
                obs: Observation, speculative: bool = False) -> Update:
    _emit({"type": "observation", "tool": pending["call"]["tool"], "observation": obs.model_dump(mode="json")})
    step = record_step(agent, state, pending, obs, config, speculative=speculative,
                        new_images=new_image_refs(obs))
    update: Update = {"pending": None, "steps": [step]}
    max_steps = agent.settings.max_steps
    if len(executed_calls(state)) + 1 >= max_steps:
        update["notices"] = [BUDGET_NOTICE.format(max_steps=max_steps)]
    speculation.plan_ahead(agent, state, step)
    return update


def _applied(state: AgentState, update: Update) -> AgentState:
    """The state ``update`` leads to (the channels' reducers applied): what the planner turn after a tool step in
    the same node sees."""
    out: dict[str, Any] = {**state}
    for key, value in update.items():
        reducer = REDUCERS.get(key)
        out[key] = reducer(state.get(key) or [], value) if reducer else value
    return out  # type: ignore[return-value]


def _joined(first: Update, then: Update) -> Update:
    """Two successive updates of one node as one: ``then`` wins, lists with a reducer are joined."""
    out = {**first, **then}
    for key, reducer in REDUCERS.items():
        if key in first and key in then and first[key] is not None and then[key] is not None:
            out[key] = reducer(first[key], then[key])
    return out


def make_tools_node(variants: Variants) -> Node:
    """Runs the pending step, then (unless the step ended the run or was skipped) the next planner turn."""

    def tools(state: AgentState, config: RunnableConfig) -> Update:
        agent = variants.for_run(config)
        skip, pending = _before_tool(agent, state, config)
        if skip is not None:
            return skip
        served = speculation.take(state, pending["call"], lambda: tool_context(state))
        obs = served if served is not None else _execute(agent, state, pending["call"])
        update = _after_tool(agent, state, config, pending, obs, speculative=served is not None)
        return _joined(update, _plan(agent, _applied(state, update), config))

    async def atools(state: AgentState, config: RunnableConfig) -> Update:
        agent = variants.for_run(config)
        skip, pending = _before_tool(agent, state, config)  # interrupt() must run in the node's own context
        if skip is not None:
            return skip
        served = await speculation.atake(state, pending["call"], lambda: tool_context(state))
        obs = served if served is not None else await _aexecute(agent, state, pending["call"])
        update = _after_tool(agent, state, config, pending, obs, speculative=served is not None)
        return _joined(update, await _aplan(agent, _applied(state, update), config))

    return Node(tools, atools)


# ----------------------------------------------------------------------------------------------- wiring
def _routed(node: Node, route: Callable[[Update], str], name: str) -> Runnable:
    """A node that returns Command(update, goto) (routing without a separate branch runnable per step), with a
    sync and, where the node has one, an async implementation: ``invoke`` and ``ainvoke`` both run natively."""
    from langgraph.types import Command

    def routed(state: AgentState, config: RunnableConfig) -> Any:
        update = node.sync(state, config)
        return Command(update=update, goto=route(update))

    async def arouted(state: AgentState, config: RunnableConfig) -> Any:
        assert node.asynchronous is not None
        update = await node.asynchronous(state, config)
        return Command(update=update, goto=route(update))

    # LangGraph's own wrapper for node functions (what add_node makes of a plain function): no per-call signature
    # inspection and callback manager as in a RunnableLambda; LangGraph still traces the node itself
    from langgraph._internal._runnable import RunnableCallable

    return RunnableCallable(routed, arouted if node.asynchronous else None, name=name, trace=False)


def _after_planner(update: Update) -> str:
    if update.get("status") in TERMINAL:
        return END
    return "tools" if update.get("pending") else "planner"


def _after_other(update: Update) -> str:
    return END if update.get("status") in TERMINAL else "planner"


def build_graph(agent: Agent, checkpointer: Any = None, name: str | None = None) -> Any:
    """Compile the agent graph (a LangGraph Runnable)."""
    variants = Variants(agent)
    graph = StateGraph(AgentState, context_schema=RunSettings, input_schema=AgentInput, output_schema=AgentOutput)
    graph.add_node("start", _routed(make_start(variants), _after_other, "start"), destinations=("planner", END))
    graph.add_node("planner", _routed(make_planner(variants), _after_planner, "planner"),
                   destinations=("tools", "planner", END))
    graph.add_node("tools", _routed(make_tools_node(variants), _after_planner, "tools"),
                   destinations=("tools", "planner", END))
    graph.add_edge(START, "start")
    compiled = graph.compile(checkpointer=checkpointer, name=name or agent.settings.graph)
    return compiled.with_config(recursion_limit=agent.settings.recursion_limit)
