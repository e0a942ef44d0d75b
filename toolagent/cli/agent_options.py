"""The agent's command-line options, declared once for every command that runs an agent (ask, eval ...).

``@agent_options`` adds the options below to a command and hands it one validated ``settings: AgentSettings``;
defaults come from AgentSettings itself, so a setting users may set from the CLI is one line here.
"""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from pydantic import ValidationError

from toolagent.settings import AgentSettings, settings_error

F = TypeVar("F", bound=Callable[..., Any])


def _default(name: str) -> Any:
    return AgentSettings.model_fields[name].default


#: AgentSettings field -> (annotation, typer option)
AGENT_OPTIONS: dict[str, tuple[Any, Any]] = {
    "model": (str, typer.Option(_default("model"), "--model", "-m",
                                help="embedded, embedded-base, hf:PATH, openai:MODEL, ollama:MODEL, py:MODULE:ATTR, "
                                     "or a LangChain provider:model string (anthropic:..., google_genai:...).")),
    "base_url": (str | None, typer.Option(None, "--base-url", help="OpenAI-compatible or Ollama server URL.")),
    "graph": (str, typer.Option(_default("graph"), "--graph", help="tracer1 (anticipatory) or react (baseline).")),
    "horizon": (int, typer.Option(_default("horizon"), "--horizon", "-T", help="Forecast horizon T (1-10).")),
    "max_steps": (int, typer.Option(_default("max_steps"), "--max-steps", help="Budget of executed tool steps.")),
    "multimodal": (bool | None, typer.Option(None, "--vision/--text-only", help="Send images to the planner.")),
    "speculate": (bool, typer.Option(_default("speculate"), "--speculate/--no-speculate",
                                     help="Prefetch later forecast steps of side-effect-free tools.")),
    "speculate_plans": (bool, typer.Option(_default("speculate_plans"), "--speculate-plans/--no-speculate-plans",
                                           help="Also run the planner turn after next ahead (needs --speculate).")),
    "prompt_profile": (str, typer.Option(_default("prompt_profile"), "--prompt",
                                         help="Planner prompt: auto, full or compact (one line per tool).")),
}


def agent_options(func: F | None = None, /, **defaults: Any) -> Any:
    """Give a command the agent options; it receives them as one validated ``settings`` keyword argument
    (``tool_config`` is left to the command, which builds it from its tool flags). ``@agent_options(max_steps=6)``
    changes a default for one command."""
    if func is None:
        return lambda f: agent_options(f, **defaults)
    signature = inspect.signature(func)
    params = [p for p in signature.parameters.values() if p.name != "settings"]
    for name, (annotation, option) in AGENT_OPTIONS.items():
        if name in defaults:
            option = copy.copy(option)
            option.default = defaults[name]
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=annotation))

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        given = {name: kwargs.pop(name) for name in AGENT_OPTIONS if name in kwargs}
        try:
            settings = AgentSettings(**{k: v for k, v in given.items() if v is not None})
        except ValidationError as exc:
            raise settings_error(exc, lambda field: "--" + field.replace("_", "-")) from None
        return func(*args, settings=settings, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    return wrapper
