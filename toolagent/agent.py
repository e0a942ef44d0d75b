"""Running an agent: build the graph for one configuration, invoke it, and return a RunResult."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool

from toolagent.feedback import FeedbackHook
from toolagent.planner import Mode as GraphKind
from toolagent.records import Forecast, RunResult, StepRecord
from toolagent.tools.config import ToolConfig


def build_agent(model: BaseChatModel | str = "embedded", tools: Sequence[BaseTool] | None = None, *,
                graph: GraphKind = "tracer1", horizon: int = 5, max_steps: int = 15, max_retries: int = 2,
                checkpointer: Any = None, feedback: FeedbackHook | Iterable[FeedbackHook] | None = None,
                tool_config: ToolConfig | None = None, base_url: str | None = None, multimodal: bool | None = None,
                approve: bool = False, extra_instructions: str | None = None) -> Any:
    """Compile an agent graph (a LangGraph Runnable) for one configuration."""
    from toolagent.graphs.builder import AgentSettings, build_graph

    settings = AgentSettings(
        model=model, tools=list(tools) if tools is not None else None, tool_config=tool_config,
        mode=graph, horizon=horizon if graph == "tracer1" else 1, max_steps=max_steps, max_retries=max_retries,
        multimodal=multimodal, approve=approve, base_url=base_url, extra_instructions=extra_instructions,
        feedback=feedback)
    return build_graph(settings, checkpointer=checkpointer, name=graph)


def result_from_state(state: dict[str, Any], *, model: str = "", graph: str = "tracer1") -> RunResult:
    """Turn a graph's final (or current) state into a RunResult."""
    return RunResult(
        run_id=state.get("run_id") or "", task_id=state.get("task_id"), question=state.get("question") or "",
        images=list(state.get("images") or []), answer=state.get("answer"), status=state.get("status") or "running",
        error=state.get("error"), steps=[StepRecord.model_validate(s) for s in state.get("steps") or []],
        forecasts=[Forecast.model_validate(f) for f in state.get("forecasts") or []], model=model, graph=graph,
        elapsed_s=float(state.get("elapsed_s") or 0.0))


def _model_name(model: BaseChatModel | str) -> str:
    if isinstance(model, str):
        return model
    return str(getattr(model, "model_name", None) or getattr(model, "model", None) or type(model).__name__)


def _inputs(question: str, images: Sequence[str], files: Sequence[str], task_id: str | None,
            ground_truth: Any) -> dict[str, Any]:
    return {"question": question, "images": [str(p) for p in images], "files": [str(f) for f in files],
            "task_id": task_id, "ground_truth": ground_truth}


def _config(thread_id: str | None, feedback: FeedbackHook | Iterable[FeedbackHook] | None,
            deadline: float | None = None) -> dict[str, Any]:
    from toolagent.graphs.builder import DEADLINE_KEY, FEEDBACK_KEY

    configurable: dict[str, Any] = {}
    if thread_id is not None:
        configurable["thread_id"] = thread_id
    if feedback is not None:
        configurable[FEEDBACK_KEY] = feedback
    if deadline is not None:
        configurable[DEADLINE_KEY] = deadline
    return {"configurable": configurable} if configurable else {}


def _has_checkpointer(agent: Any) -> bool:
    return getattr(getattr(agent, "bound", agent), "checkpointer", None) is not None


def invoke_agent(agent: Any, question: str, images: Sequence[str] = (), *,
                 feedback: FeedbackHook | Iterable[FeedbackHook] | None = None, task_id: str | None = None,
                 ground_truth: Any = None, files: Sequence[str] = (), run_id: str | None = None,
                 model_name: str = "", graph: str = "tracer1", deadline: float | None = None) -> RunResult:
    """Run one question through an already compiled agent (reuse one graph for many tasks).

    ``feedback`` hooks apply to this run only. ``deadline`` (epoch seconds) ends the run with status "timeout" at
    the next step boundary after it. With a checkpointer, ``run_id`` is the thread id, and a run that was
    interrupted mid-way resumes from its last checkpoint instead of starting again."""
    thread = (run_id or uuid.uuid4().hex) if _has_checkpointer(agent) else None
    config = _config(thread, feedback, deadline)
    resume = thread is not None and bool(agent.get_state(config).next)
    state = agent.invoke(None if resume else _inputs(question, images, files, task_id, ground_truth), config)
    return result_from_state(state, model=model_name, graph=graph)


async def ainvoke_agent(agent: Any, question: str, images: Sequence[str] = (), *,
                        feedback: FeedbackHook | Iterable[FeedbackHook] | None = None, task_id: str | None = None,
                        ground_truth: Any = None, files: Sequence[str] = (), run_id: str | None = None,
                        model_name: str = "", graph: str = "tracer1", deadline: float | None = None) -> RunResult:
    """Async twin of invoke_agent."""
    thread = (run_id or uuid.uuid4().hex) if _has_checkpointer(agent) else None
    config = _config(thread, feedback, deadline)
    resume = thread is not None and bool((await agent.aget_state(config)).next)
    state = await agent.ainvoke(None if resume else _inputs(question, images, files, task_id, ground_truth),
                                config)
    return result_from_state(state, model=model_name, graph=graph)


def run_agent(question: str, images: Sequence[str] = (), *, model: BaseChatModel | str = "embedded",
              tools: Sequence[BaseTool] | None = None, graph: GraphKind = "tracer1", horizon: int = 5,
              max_steps: int = 15, feedback: FeedbackHook | Iterable[FeedbackHook] | None = None,
              task_id: str | None = None, ground_truth: Any = None, tool_config: ToolConfig | None = None,
              files: Sequence[str] = (), extra_instructions: str | None = None, run_id: str | None = None,
              checkpointer: Any = None, base_url: str | None = None, **kwargs: Any) -> RunResult:
    """Answer one question with an agent and return its RunResult (never raises for tool or model failures).

    With a ``checkpointer`` and a ``run_id`` (the thread id) whose run was interrupted mid-way, the run resumes
    from its last checkpoint instead of starting again.
    """
    agent = build_agent(model, tools, graph=graph, horizon=horizon, max_steps=max_steps,
                        tool_config=tool_config, extra_instructions=extra_instructions, checkpointer=checkpointer,
                        base_url=base_url, **kwargs)
    return invoke_agent(agent, question, images, feedback=feedback, task_id=task_id, ground_truth=ground_truth,
                        files=files, run_id=run_id, model_name=_model_name(model), graph=graph)


async def arun_agent(question: str, images: Sequence[str] = (), *, model: BaseChatModel | str = "embedded",
                     tools: Sequence[BaseTool] | None = None, graph: GraphKind = "tracer1", horizon: int = 5,
                     max_steps: int = 15, feedback: FeedbackHook | Iterable[FeedbackHook] | None = None,
                     task_id: str | None = None, ground_truth: Any = None, tool_config: ToolConfig | None = None,
                     files: Sequence[str] = (), extra_instructions: str | None = None, run_id: str | None = None,
                     checkpointer: Any = None, base_url: str | None = None, **kwargs: Any) -> RunResult:
    """Async twin of run_agent."""
    agent = build_agent(model, tools, graph=graph, horizon=horizon, max_steps=max_steps,
                        tool_config=tool_config, extra_instructions=extra_instructions, checkpointer=checkpointer,
                        base_url=base_url, **kwargs)
    return await ainvoke_agent(agent, question, images, feedback=feedback, task_id=task_id,
                               ground_truth=ground_truth, files=files, run_id=run_id, model_name=_model_name(model),
                               graph=graph)
