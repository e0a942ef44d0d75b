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

from pydantic import BaseModel, Field, computed_field, field_serializer, model_validator

from toolagent.eval.registry import BenchName, Mode
from toolagent.settings import AgentSettings, Graph

Backend = Literal["thread", "ray"]
#: config.json keys that must agree for a re-run to resume a run folder.
RESUME_KEYS = ("bench", "mode", "split", "model", "graph", "horizon", "max_steps")
#: the AgentSettings fields an EvalJob also accepts flat (older config.json files, keyword construction)
AGENT_FIELDS = ("model", "base_url", "graph", "horizon", "max_steps", "multimodal", "speculate")
#: evaluations run without speculative execution unless asked (--speculate): reproducible tool-call sequences
EVAL_DEFAULTS: dict[str, Any] = {"speculate": False}


class EvalJob(BaseModel):
    """One evaluation: the benchmark, its data and run folder, and ONE AgentSettings for the agent under test.

    The agent's settings may also be given flat (``model=``, ``graph=``, ``horizon=``, ...: what older config.json
    files hold); they are read back flat too (``job.model``) and written to config.json both nested and flat."""

    bench: BenchName
    mode: Mode = "agent"
    data: str
    run_dir: str
    split: str = "validation"
    level: int | None = None
    limit: int | None = None
    agent: AgentSettings = Field(default_factory=lambda: AgentSettings(**EVAL_DEFAULTS))
    workers: int = Field(1, ge=1)
    task_timeout: float = 600.0
    tool_cache: Literal["off", "record", "replay"] = "off"
    tool_cache_dir: str | None = None
    tool_options: dict[str, Any] = Field(default_factory=dict)
    #: an mcpServers JSON file: its servers' tools join the agent's (started once per worker, closed at exit)
    mcp: str | None = None
    backend: Backend = "thread"
    ray_address: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _flat_agent_fields(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        flat = {k: data[k] for k in AGENT_FIELDS if k in data}
        rest = {k: v for k, v in data.items() if k not in AGENT_FIELDS}
        if isinstance(rest.get("agent"), dict):
            rest["agent"] = {**EVAL_DEFAULTS, **rest["agent"]}
        if "agent" in rest:  # a config.json written with both forms: the nested one wins
            return rest
        given = {k: v for k, v in flat.items() if v is not None}
        return {**rest, "agent": AgentSettings(**{**EVAL_DEFAULTS, **given})} if flat else rest

    @field_serializer("agent")
    def _agent_json(self, agent: AgentSettings) -> dict[str, Any]:
        # speculate always: its evaluation default is not AgentSettings' default
        return agent.model_dump(mode="json", exclude={"tool_config"}, exclude_defaults=True) | {
            "speculate": agent.speculate}

    @computed_field  # type: ignore[prop-decorator]
    @property
    def model(self) -> str:
        return self.agent.model_name

    @computed_field  # type: ignore[prop-decorator]
    @property
    def graph(self) -> Graph:
        return self.agent.graph

    @computed_field  # type: ignore[prop-decorator]
    @property
    def horizon(self) -> int:
        return self.agent.horizon

    @computed_field  # type: ignore[prop-decorator]
    @property
    def max_steps(self) -> int:
        return self.agent.max_steps

    @property
    def base_url(self) -> str | None:
        return self.agent.base_url

    @property
    def multimodal(self) -> bool | None:
        return self.agent.multimodal

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


def artifacts_path(job: EvalJob, task_id: str) -> Path:
    """The task's workspace inside the run folder: the images it produced are kept with the results."""
    return job.path / "artifacts" / safe_name(task_id)


class AgentPool:
    """Compiled agents reused across the tasks of one job, one per (tool set, instructions).

    A compiled graph holds no run state (each invocation has its own state, workspace and feedback hooks), so
    reuse is safe under concurrency; it saves compiling the graph and rendering the tool schemas per task."""

    def __init__(self) -> None:
        self._agents: dict[tuple[Any, ...], Any] = {}
        self._lock = threading.Lock()
        self._servers: Any = None

    def mcp_tools(self, config: str, reserved: set[str]) -> list[Any]:
        """The tools of the job's MCP servers, started on first use (once per pool, i.e. per worker process);
        they shut down when the process exits."""
        from toolagent.tools.mcp import MCPServers

        if self._servers is None:
            self._servers = MCPServers(config, reserved).start()
        return list(self._servers.tools)

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

    pool = pool or AgentPool()

    def build() -> Any:
        config = tool_config or job.tool_config()
        chosen = tools
        if job.mcp:  # the job's MCP servers' tools join the task's tools
            from toolagent.tools.registry import available_tools, build_tools

            base = chosen if chosen is not None else available_tools(build_tools(config))
            chosen = [*base, *pool.mcp_tools(job.mcp, {t.name for t in base})]
        return build_agent(model, chosen, settings=job.agent, tool_config=config,
                           extra_instructions=extra_instructions)

    key = (tuple(t.name for t in tools) if tools is not None else None, extra_instructions)
    agent = pool.get(key, build)
    # synchronous on this worker thread (no event loop per task); the deadline stops the graph at the next step
    # boundary, and the executor writes the timeout row at the deadline even if a model call hangs
    deadline = time.time() + job.task_timeout
    result = invoke_agent(agent, question, images, feedback=sink, task_id=task_id, ground_truth=ground_truth,
                          files=files, model_name=job.model, graph=job.graph, deadline=deadline,
                          workspace=str(artifacts_path(job, task_id)))
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

