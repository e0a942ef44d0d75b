"""The agent's settings: one frozen, validated object, the single source for every factory, the CLI and evaluations.

    settings = AgentSettings(model="openai:gpt-4o", horizon=3)
    agent = create_tracer1_agent(settings=settings)                 # or create_tracer1_agent("embedded", horizon=3)
    settings.with_(max_steps=5)                                      # a validated copy

Live objects that a run needs (the resolved chat model, the tools, the tool runner, the rendered tool menu) are
resolved from the settings into a separate ``Runtime`` (``toolagent.graphs.runtime``); resolving never mutates the
settings. Adding a setting means editing this class and, if users set it from the CLI, one option.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from toolagent.errors import BadInput
from toolagent.tools.config import ToolConfig

Graph = Literal["tracer1", "react"]
PromptProfile = Literal["auto", "full", "compact"]


class AgentSettings(BaseModel):
    """Everything that configures an agent (not a run: the question, images and feedback hooks are per run)."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    #: a model spec (embedded, embedded-base, hf:PATH, openai:MODEL, ollama:MODEL, py:MODULE:ATTR, or any
    #: init_chat_model provider string such as anthropic:MODEL) or a chat model
    model: Any = "embedded"  # str | BaseChatModel (checked below; langchain is not imported for the CLI's --help)
    #: tracer1 = anticipatory planning (forecast ``horizon`` steps, run the first); react = one step at a time
    graph: Graph = "tracer1"
    horizon: int = Field(5, ge=1, le=10, description="steps forecast per planner turn (tracer1)")
    max_steps: int = Field(15, ge=1, le=500, description="budget of executed tool steps")
    max_retries: int = Field(2, ge=0, le=10, description="re-asks of an unusable planner reply")
    repetition_limit: int = Field(3, ge=2, le=100, description="the same call this often: a warning, then stop")
    #: send images to the planner itself (None: whatever the model says it can take)
    multimodal: bool | None = None
    #: pause before each executed step for a human decision (needs a checkpointer)
    approve: bool = False
    #: run up to ``speculation_k`` later forecast steps of side-effect-free tools in the background and serve the
    #: next step from them when the planner confirms it (no-op under ``approve``; evaluations turn it off)
    speculate: bool = True
    speculation_k: int = Field(2, ge=0, le=10, description="later forecast steps prefetched per planner turn")
    #: with ``speculate``, also run the planner turn after next ahead of time on a prefetched observation (a second
    #: planner call in flight: off by default; a local model on few cores would only slow both down)
    speculate_plans: bool = False
    #: ask the backend for JSON / guided decoding where it has it
    json_mode: bool = True
    base_url: str | None = None
    extra_instructions: str | None = None
    #: planner prompt: "auto" = compact for small local models, full otherwise
    prompt_profile: PromptProfile = "auto"
    #: how the default frozen tools are built (backends, timeouts, allowed paths)
    tool_config: ToolConfig = Field(default_factory=ToolConfig)

    @field_validator("model")
    @classmethod
    def _model_spec(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                raise ValueError("the model spec is empty")
            return value.strip()
        from langchain_core.language_models import BaseChatModel

        if not isinstance(value, BaseChatModel):
            raise ValueError(f"expected a model spec string or a LangChain chat model, got {type(value).__name__}")
        return value

    @field_validator("extra_instructions")
    @classmethod
    def _extra(cls, value: str | None) -> str | None:
        return value.strip() or None if value else None

    @property
    def plan_horizon(self) -> int:
        """Steps per forecast: the one place that says "react means horizon 1"."""
        return 1 if self.graph == "react" else self.horizon

    @property
    def recursion_limit(self) -> int:
        """Graph super-steps a run may take: a planner turn and a tool turn per step, plus re-plans and slack."""
        return 6 * self.max_steps + 20

    @property
    def model_name(self) -> str:
        """A printable name of the model (the spec, or the chat model's own name)."""
        if isinstance(self.model, str):
            return self.model
        return str(getattr(self.model, "model_name", None) or getattr(self.model, "model", None)
                   or type(self.model).__name__)

    def with_(self, **changes: Any) -> AgentSettings:
        """A validated copy with ``changes`` applied (``model_copy`` would skip validation)."""
        return settings_from(self, **changes)


def settings_error(exc: ValidationError, label: Callable[[str], str] = str) -> BadInput:
    """A validation error as one clear line; ``label`` names a field the way the user wrote it (e.g. --horizon)."""
    error = exc.errors()[0]
    field = ".".join(str(p) for p in error["loc"]) or "settings"
    if error["type"] == "extra_forbidden":
        return BadInput(f"unknown agent setting {field!r} (known: {', '.join(AgentSettings.model_fields)})")
    given = f" (got {error['input']!r})" if "input" in error and not isinstance(error["input"], dict) else ""
    return BadInput(f"{label(field)}: {error['msg'][:1].lower()}{error['msg'][1:]}{given}")


def settings_from(settings: AgentSettings | None = None, /, **overrides: Any) -> AgentSettings:
    """``settings`` with keyword overrides, validated (a bad value is a one-line BadInput); None values in
    ``overrides`` mean "not given" and keep the current value."""
    given = {k: v for k, v in overrides.items() if v is not None}
    if settings is not None and not given:
        return settings
    base = settings.model_dump(exclude_unset=True) if settings is not None else {}
    if settings is not None:  # model_dump would turn live objects (chat model, tool config) into dicts
        base.update({k: getattr(settings, k) for k in base})
    try:
        return AgentSettings(**{**base, **given})
    except ValidationError as exc:
        raise settings_error(exc) from None
