"""An evaluation job (what config.json records) and the benchmark adapter interface the runners drive.

The benchmarks themselves are listed in ``registry`` (which also builds a job's adapter); this module imports none.
A ``Bench`` turns a job into tasks, runs ONE task (building its own agent state: tools, workspace, feedback log;
nothing is shared between tasks except the stateless chat model) and aggregates result rows into metrics.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from toolagent.eval.registry import BenchName, Mode

Backend = Literal["thread", "ray"]
#: config.json keys that must agree for a re-run to resume a run folder.
RESUME_KEYS = ("bench", "mode", "split", "model", "graph", "horizon", "max_steps")


class EvalJob(BaseModel):
    bench: BenchName
    mode: Mode = "agent"
    data: str
    run_dir: str
    split: str = "validation"
    level: int | None = None
    limit: int | None = None
    model: str = "embedded"
    base_url: str | None = None
    graph: Literal["tracer1", "react"] = "tracer1"
    horizon: int = 5
    max_steps: int = 15
    workers: int = 1
    task_timeout: float = 600.0
    tool_cache: Literal["off", "record", "replay"] = "off"
    tool_cache_dir: str | None = None
    tool_options: dict[str, Any] = Field(default_factory=dict)
    multimodal: bool | None = None
    backend: Backend = "thread"
    ray_address: str | None = None

    @property
    def path(self) -> Path:
        return Path(self.run_dir)

    def tool_config(self) -> Any:
        """A fresh ToolConfig for one task (record/replay cache wired through cache_mode/cache_dir)."""
        from toolagent.tools.config import ToolConfig

        options = dict(self.tool_options)
        if self.tool_cache != "off":
            options["cache_mode"] = self.tool_cache
            options["cache_dir"] = Path(self.tool_cache_dir or self.path / "tool_cache")
        return ToolConfig(**options)


class TaskTimeout(Exception):
    """A task ran past --task-timeout."""


_MODELS: dict[tuple[str, str | None], Any] = {}
_MODELS_LOCK = threading.Lock()


def shared_model(spec: str, base_url: str | None) -> Any:
    """Resolve a model spec once per process (chat models are stateless clients, safe to share)."""
    from toolagent.models.resolve import resolve_model

    with _MODELS_LOCK:
        key = (spec, base_url)
        if key not in _MODELS:
            _MODELS[key] = resolve_model(spec, base_url)
        return _MODELS[key]


def safe_name(task_id: str) -> str:
    """A file-name-safe form of a task id (for the per-task feedback log)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", task_id)[:120] or "task"


def feedback_path(job: EvalJob, task_id: str) -> Path:
    return job.path / "feedback" / f"{safe_name(task_id)}.jsonl"


class AgentPool:
    """Compiled agents reused across the tasks of one job, one per (tool set, instructions).

    A compiled graph holds no run state (each invocation has its own state, workspace and feedback hooks), so
    reuse is safe under concurrency; it saves compiling the graph and rendering the tool schemas per task."""

    def __init__(self) -> None:
        self._agents: dict[tuple[Any, ...], Any] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], build: Any) -> Any:
        with self._lock:
            if key not in self._agents:
                self._agents[key] = build()
            return self._agents[key]


def run_agent_task(job: EvalJob, *, task_id: str, question: str, images: list[str], files: list[str],
                   ground_truth: Any, tools: list[Any] | None = None, extra_instructions: str | None = None,
                   tool_config: Any = None, pool: AgentPool | None = None) -> Any:
    """Run the agent on one task with its own feedback log, under the task timeout. Returns a RunResult."""
    from toolagent.agent import build_agent, invoke_agent
    from toolagent.feedback import JSONLFeedbackSink

    log = feedback_path(job, task_id)
    log.unlink(missing_ok=True)  # a task restarted after a kill starts a fresh log
    sink = JSONLFeedbackSink(log)
    model = shared_model(job.model, job.base_url)
    kwargs: dict[str, Any] = {}
    if job.multimodal is not None:
        kwargs["multimodal"] = job.multimodal

    def build() -> Any:
        return build_agent(model, tools, graph=job.graph, horizon=job.horizon, max_steps=job.max_steps,
                           tool_config=tool_config or job.tool_config(), extra_instructions=extra_instructions,
                           **kwargs)

    key = (tuple(t.name for t in tools) if tools is not None else None, extra_instructions)
    agent = (pool or AgentPool()).get(key, build)
    # synchronous on this worker thread (no event loop per task); the deadline stops the graph at the next step
    # boundary, and the executor writes the timeout row at the deadline even if a model call hangs
    deadline = time.time() + job.task_timeout
    result = invoke_agent(agent, question, images, feedback=sink, task_id=task_id, ground_truth=ground_truth,
                          files=files, model_name=job.model, graph=job.graph, deadline=deadline)
    if result.status == "timeout" or time.time() > deadline:  # an answer that came too late is a timeout too
        raise TaskTimeout(f"timed out after {job.task_timeout:g} s")
    return result


def step_summary(result: Any) -> dict[str, Any]:
    """Fields every agent-run row carries: run status, steps, tools used, a short reasoning trace."""
    calls = [s for s in result.steps if s.executed.tool != "answer"]
    trace = []
    for step in result.steps:
        thought = step.forecast.thought.strip()
        action = step.executed.tool
        if action == "answer":
            trace.append(f"{step.step}. {thought} -> answer: {step.executed.args.get('text', '')}")
            continue
        outcome = step.observation.error or step.observation.text
        trace.append(f"{step.step}. {thought} -> {action}({step.executed.args}) -> {' '.join(outcome.split())[:300]}")
    return {"run_status": result.status, "run_error": result.error, "steps": len(calls),
            "tools": [s.executed.tool for s in calls], "elapsed_s": round(result.elapsed_s, 3),
            "reasoning_trace": "\n".join(trace)[:6000]}


class Bench:
    """Benchmark adapter: subclasses implement tasks(), base_row(), run_task(), metrics()."""

    name = "bench"

    def __init__(self, job: EvalJob) -> None:
        self.job = job
        self.agents = AgentPool()

    def tasks(self) -> list[Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def task_id(self, task: Any) -> str:
        return str(task.task_id)

    def base_row(self, task: Any) -> dict[str, Any]:
        return {"task_id": self.task_id(task)}

    def run_task(self, task: Any) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def error_row(self, task: Any, message: str) -> dict[str, Any]:
        return {**self.base_row(task), "status": "error", "error": message}

    def safe_run(self, task: Any) -> dict[str, Any]:
        """run_task, with any exception turned into an error row (never kills the run)."""
        try:
            return self.run_task(task)
        except TaskTimeout as exc:
            return self.error_row(task, str(exc))
        except Exception as exc:  # noqa: BLE001 - a task's failure is a result row, not a crash
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            return self.error_row(task, f"{type(exc).__name__}: {first}"[:500])

    def metrics(self, rows: list[dict[str, Any]]) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def headline(self, rows: list[dict[str, Any]]) -> str:
        """The running metric the progress bar shows."""
        return ""

    def breakdown(self, metrics: dict[str, Any]) -> tuple[str, dict[str, float | None]]:
        """(title, {label: percent}) for the accuracy bar plot."""
        return "", {}

    def tables(self, metrics: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """The report's metric tables: (title, {metric: value})."""
        return [("Metrics", {k: v for k, v in metrics.items() if v is None or isinstance(v, (int, float))})]

    def notes(self) -> list[str]:
        """Lines for the report's Notes section."""
        return []

    def after_run(self, rows: list[dict[str, Any]]) -> list[str]:
        """Extra artefacts written after the run (e.g. the GAIA submission); returns their file names."""
        return []

