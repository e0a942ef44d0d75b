"""The one schema shared by the CLI, the feedback log, the evaluators and the trainers.

The forecast wire format is the public contract::

    {"thought": str,
     "plan": [{"expect": str, "tool": str, "args": {...}, "instruction": str,
               "status": "not done" | "done"}, ...]}

A final answer is a step with ``"tool": "answer"``, ``"args": {"text": ...}`` and ``"status": "done"``.
Every record is JSON-native (``model_dump(mode="json")`` round-trips), so it can sit in graph state and
in checkpoints without custom serialisers.
"""

from __future__ import annotations

import time
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ANSWER_TOOL = "answer"
#: version of the StepRecord / feedback-log line format (1: before ``schema_version`` existed; still read)
SCHEMA_VERSION = 2

StepStatus = Literal["not done", "done"]
RunStatus = Literal["answered", "max_steps", "repetition", "planner_error", "stopped", "timeout", "error", "running"]
#: the statuses that end a run
TERMINAL: frozenset[str] = frozenset(get_args(RunStatus)) - {"running"}


class PlanStep(BaseModel):
    """One predicted step of a forecast: expected state, action, step-level instruction, status."""

    model_config = ConfigDict(extra="ignore")

    expect: str = ""
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    instruction: str = ""
    status: StepStatus = "not done"

    @field_validator("tool")
    @classmethod
    def _tool_name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("tool must be a non-empty name")
        return value

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> Any:
        if isinstance(value, str):
            norm = value.strip().lower().replace("_", " ")
            if norm in ("done", "not done"):
                return norm
        if isinstance(value, bool):
            return "done" if value else "not done"
        return value

    @model_validator(mode="after")
    def _answer_has_text(self) -> PlanStep:
        if self.tool == ANSWER_TOOL:
            text = self.args.get("text")
            if not isinstance(text, (str, int, float)) or isinstance(text, bool):
                raise ValueError('an "answer" step needs args {"text": "<final answer>"}')
            self.args = {**self.args, "text": str(text)}
        return self

    @property
    def is_answer(self) -> bool:
        return self.tool == ANSWER_TOOL


class Forecast(BaseModel):
    """A predicted short-horizon trajectory. Only ``plan[0]`` is executed."""

    model_config = ConfigDict(extra="ignore")

    thought: str = ""
    plan: list[PlanStep] = Field(min_length=1)

    @property
    def first(self) -> PlanStep:
        return self.plan[0]


class ToolCall(BaseModel):
    """The executed first step of a forecast."""

    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    instruction: str = ""


class Observation(BaseModel):
    """What a tool returned: text, optional produced images (file paths), structured data, or an error."""

    tool: str
    text: str = ""
    images: list[str] = Field(default_factory=list)
    data: Any = None
    error: str | None = None
    latency_s: float = 0.0
    cached: bool = False
    #: a shorter text the compact prompt profile shows instead of ``text`` (e.g. OCR lines without boxes)
    brief: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class ImageRef(BaseModel):
    """An image as it travels in state and logs: a file reference, never pixels."""

    path: str
    name: str = ""
    width: int = 0
    height: int = 0
    sha256: str = ""


class PlannerInput(BaseModel):
    """What the planner saw when it produced a forecast (the Stage-2 training input)."""

    question: str
    images: list[ImageRef] = Field(default_factory=list)
    history: list[str] = Field(default_factory=list)
    observation: str | None = None
    messages: list[dict[str, Any]] = Field(default_factory=list)


class StepRecord(BaseModel):
    """One executed step: the grounded tool feedback that Stage-2 RL trains on.

    In the feedback log ``planner_input.messages`` holds the exact planner prompt; in a RunResult it is empty (the
    graph state keeps one slim record per step and rebuilds the rest)."""

    schema_version: int = SCHEMA_VERSION
    run_id: str
    task_id: str | None = None
    step: int
    planner_input: PlannerInput
    forecast: Forecast
    executed: ToolCall
    observation: Observation
    planner_latency_s: float = 0.0
    tool_latency_s: float = 0.0
    tokens: dict[str, int] | None = None
    ground_truth: Any = None
    reward: float | None = None
    timestamp: float = Field(default_factory=time.time)
    #: the planner turn that produced this step (1-based)
    turn: int = 0
    #: the tool result was served from a speculative (prefetched) execution
    speculative: bool = False


class RunResult(BaseModel):
    """The outcome of one agent run."""

    run_id: str
    task_id: str | None = None
    question: str
    images: list[str] = Field(default_factory=list)
    answer: str | None = None
    status: RunStatus = "running"
    error: str | None = None
    steps: list[StepRecord] = Field(default_factory=list)
    forecasts: list[Forecast] = Field(default_factory=list)
    model: str = ""
    graph: str = "tracer1"
    elapsed_s: float = 0.0
    #: speculative execution: steps served from a prefetch, prefetches never used, and the tool seconds they took
    speculative_hits: int = 0
    speculative_misses: int = 0
    speculative_wasted_s: float = 0.0
    #: planner turns served from a turn run ahead of time (``speculate_plans``), and such turns never used
    speculative_plan_hits: int = 0
    speculative_plan_misses: int = 0

    @property
    def answered(self) -> bool:
        return self.status == "answered" and self.answer is not None
