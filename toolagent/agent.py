"""Running an agent: build the graph for one AgentSettings, invoke it, and return a RunResult.

    settings = AgentSettings(model="embedded", horizon=3)
    result = run_agent("What is 17 * 23 + 4?", settings=settings)       # or run_agent(..., model=..., horizon=3)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool

from toolagent.feedback import FeedbackHook
from toolagent.records import Forecast, RunResult
from toolagent.settings import AgentSettings, settings_from

Hooks = FeedbackHook | Iterable[FeedbackHook] | None


def build_agent(model: BaseChatModel | str | None = None, tools: Sequence[BaseTool] | None = None, *,
                settings: AgentSettings | None = None, checkpointer: Any = None, feedback: Hooks = None,
                name: str | None = None, **overrides: Any) -> Any:
    """Compile an agent graph (a LangGraph Runnable) for one configuration: ``settings`` with ``model`` and keyword
    overrides (any AgentSettings field), validated into one AgentSettings."""
    from toolagent.graphs.builder import build_graph
    from toolagent.graphs.runtime import Agent

    settings = settings_from(settings, model=model, **overrides)
    agent = Agent(settings, list(tools) if tools is not None else None, feedback)
    return build_graph(agent, checkpointer=checkpointer, name=name)


def result_from_state(state: dict[str, Any], *, model: str = "", graph: str = "tracer1") -> RunResult:
    """Turn a graph's final (or current) state into a RunResult (each step rebuilt as a full StepRecord)."""
    from toolagent.graphs.steps import step_record

    return RunResult(
        run_id=state.get("run_id") or "", task_id=state.get("task_id"), question=state.get("question") or "",
        images=list(state.get("images") or []), answer=state.get("answer"), status=state.get("status") or "running",
        error=state.get("error"), steps=[step_record(state, s) for s in state.get("steps") or []],  # type: ignore[arg-type]
        forecasts=[Forecast.model_validate(f) for f in state.get("forecasts") or []], model=model, graph=graph,
        elapsed_s=float(state.get("elapsed_s") or 0.0), **speculation_counts(state))


def speculation_counts(state: dict[str, Any]) -> dict[str, Any]:
    """The RunResult fields of speculative execution (zeros when nothing was prefetched)."""
    counts = state.get("speculation") or {}
    return {"speculative_hits": int(counts.get("hits", 0)), "speculative_misses": int(counts.get("misses", 0)),
            "speculative_wasted_s": float(counts.get("wasted_tool_s", 0.0)),
            "speculative_plan_hits": int(counts.get("plan_hits", 0)),
            "speculative_plan_misses": int(counts.get("plan_misses", 0))}


def _inputs(question: str, images: Sequence[str], files: Sequence[str], task_id: str | None,
            ground_truth: Any) -> dict[str, Any]:
    return {"question": question, "images": [str(p) for p in images], "files": [str(f) for f in files],
            "task_id": task_id, "ground_truth": ground_truth}


def run_config(thread_id: str | None = None, feedback: Hooks = None, deadline: float | None = None,
               workspace: str | None = None) -> dict[str, Any]:
    """The per-invocation config: thread id, feedback hooks, deadline (epoch seconds), a workspace to keep."""
    from toolagent.graphs.steps import DEADLINE_KEY, FEEDBACK_KEY, WORKSPACE_KEY

    configurable: dict[str, Any] = {}
    for key, value in (("thread_id", thread_id), (FEEDBACK_KEY, feedback), (DEADLINE_KEY, deadline),
                       (WORKSPACE_KEY, workspace)):
        if value is not None:
            configurable[key] = value
    return {"configurable": configurable} if configurable else {}


def _has_checkpointer(agent: Any) -> bool:
    return getattr(getattr(agent, "bound", agent), "checkpointer", None) is not None


def invoke_agent(agent: Any, question: str, images: Sequence[str] = (), *, feedback: Hooks = None,
                 task_id: str | None = None, ground_truth: Any = None, files: Sequence[str] = (),
                 thread_id: str | None = None, model_name: str = "", graph: str = "tracer1",
                 deadline: float | None = None, workspace: str | None = None) -> RunResult:
    """Run one question through an already compiled agent (reuse one graph for many tasks).

    ``feedback`` hooks apply to this run only. ``deadline`` (epoch seconds) ends the run with status "timeout" at
    the next step boundary after it. ``workspace``: a folder for the run's produced files, kept afterwards (by
    default a temporary one, deleted when the run ends). With a checkpointer, ``thread_id`` names the LangGraph
    thread, and a run that was interrupted mid-way resumes from its last checkpoint instead of starting again."""
    thread = (thread_id or uuid.uuid4().hex) if _has_checkpointer(agent) else None
    config = run_config(thread, feedback, deadline, workspace)
    resume = thread is not None and bool(agent.get_state(config).next)
    state = agent.invoke(None if resume else _inputs(question, images, files, task_id, ground_truth), config)
    return result_from_state(state, model=model_name, graph=graph)


async def ainvoke_agent(agent: Any, question: str, images: Sequence[str] = (), *, feedback: Hooks = None,
                        task_id: str | None = None, ground_truth: Any = None, files: Sequence[str] = (),
                        thread_id: str | None = None, model_name: str = "", graph: str = "tracer1",
                        deadline: float | None = None, workspace: str | None = None) -> RunResult:
    """Async twin of invoke_agent."""
    thread = (thread_id or uuid.uuid4().hex) if _has_checkpointer(agent) else None
    config = run_config(thread, feedback, deadline, workspace)
    resume = thread is not None and bool((await agent.aget_state(config)).next)
    state = await agent.ainvoke(None if resume else _inputs(question, images, files, task_id, ground_truth),
                                config)
    return result_from_state(state, model=model_name, graph=graph)


def run_agent(question: str, images: Sequence[str] = (), *, settings: AgentSettings | None = None,
              tools: Sequence[BaseTool] | None = None, feedback: Hooks = None, task_id: str | None = None,
              ground_truth: Any = None, files: Sequence[str] = (), thread_id: str | None = None,
              checkpointer: Any = None, workspace: str | None = None, **overrides: Any) -> RunResult:
    """Answer one question with an agent and return its RunResult (never raises for tool or model failures).

    ``settings`` and/or keyword overrides (``model=``, ``horizon=``, ``graph=``, any AgentSettings field) configure
    the agent. With a ``checkpointer`` and the ``thread_id`` of a run that was interrupted mid-way, the run resumes
    from its last checkpoint instead of starting again."""
    settings = settings_from(settings, **overrides)
    agent = build_agent(tools=tools, settings=settings, checkpointer=checkpointer)
    return invoke_agent(agent, question, images, feedback=feedback, task_id=task_id, ground_truth=ground_truth,
                        files=files, thread_id=thread_id, model_name=settings.model_name, graph=settings.graph,
                        workspace=workspace)


async def arun_agent(question: str, images: Sequence[str] = (), *, settings: AgentSettings | None = None,
                     tools: Sequence[BaseTool] | None = None, feedback: Hooks = None, task_id: str | None = None,
                     ground_truth: Any = None, files: Sequence[str] = (), thread_id: str | None = None,
                     checkpointer: Any = None, workspace: str | None = None, **overrides: Any) -> RunResult:
    """Async twin of run_agent."""
    settings = settings_from(settings, **overrides)
    agent = build_agent(tools=tools, settings=settings, checkpointer=checkpointer)
    return await ainvoke_agent(agent, question, images, feedback=feedback, task_id=task_id,
                               ground_truth=ground_truth, files=files, thread_id=thread_id,
                               model_name=settings.model_name, graph=settings.graph, workspace=workspace)
