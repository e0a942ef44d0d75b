"""Calling a tool's or a chat model's own code without LangChain's run machinery, when nobody listens.

LangChain's ``invoke`` configures a callback manager, opens a run, patches the config and formats the output:
about 360 µs per tool call and 170 µs per chat-model call on this project's machine, most of the framework time
of a step whose model and tool cost nothing. When no handler would see the run (none in the run's config, none
on the tool or model, none from LangChain's global hooks such as LangSmith tracing or ``collect_runs``), that work
has no observer, and calling the tool's function (arguments parsed by LangChain's own parser) or the model's
``_generate`` returns the same value. LangGraph does the same for its own internal runnables (``trace=False``).
Any listener — a user's callbacks, LangSmith, ``stream_mode="messages"`` — gets the standard path, as does a tool
that handles its own errors, returns an artifact, or a model with a cache or a rate limiter.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.tools import BaseTool, StructuredTool


def callback_manager(callbacks: Any = None, verbose: bool = False, tags: list[str] | None = None,
                     metadata: dict[str, Any] | None = None) -> Any:
    """The CallbackManager a run started here gets: the run's config, LangChain's global hooks (LangSmith tracing,
    ``collect_runs``) and the caller's own ``callbacks`` / ``tags`` / ``metadata``, by LangChain's own rule."""
    from langchain_core.callbacks import CallbackManager
    from langchain_core.runnables.config import ensure_config

    config = ensure_config()
    return CallbackManager.configure(config.get("callbacks"), callbacks, verbose, config.get("tags"), tags,
                                     config.get("metadata"), metadata)


def unobserved(callbacks: Any = None, verbose: bool = False) -> bool:
    """No callback handler would see a run started here."""
    return not callback_manager(callbacks, verbose).handlers


@functools.lru_cache(maxsize=512)
def _config_param(function: Callable[..., Any]) -> str | None:
    """The name of ``function``'s RunnableConfig parameter, if it has one (LangChain's own rule)."""
    from langchain_core.tools.base import _get_runnable_config_param

    return _get_runnable_config_param(function)


@functools.lru_cache(maxsize=512)
def _takes(function: Callable[..., Any], name: str) -> bool:
    import inspect

    try:
        return name in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return True  # unknown: treat as taking it (the standard path then runs)


def tool_runner(tool: BaseTool) -> Callable[[dict[str, Any]], Any] | None:
    """A function running ``tool`` on a dict of arguments as ``tool.invoke`` would when nobody listens, or None
    where only ``invoke`` will do."""
    if tool.handle_tool_error or tool.handle_validation_error or tool.response_format != "content":
        return None
    if not unobserved(tool.callbacks, tool.verbose):
        return None
    if isinstance(tool, StructuredTool):
        if tool.func is None or _takes(tool.func, "callbacks"):
            return None
        function, config_param = tool.func, _config_param(tool.func)
    else:
        if _takes(type(tool)._run, "run_manager"):
            return None
        function, config_param = tool._run, _config_param(type(tool)._run)

    def run(args: dict[str, Any]) -> Any:
        from langchain_core.runnables.config import ensure_config

        positional, keywords = tool._to_args_and_kwargs(dict(args), None)
        if config_param:
            keywords[config_param] = ensure_config()
        return function(*positional, **keywords)

    return run


def _model_and_kwargs(model: Any) -> tuple[BaseChatModel, dict[str, Any], dict[str, Any]] | None:
    """The chat model under ``model`` (itself or a ``bind``/``with_config`` binding of it), its bound keyword
    arguments and the binding's config; None for anything else."""
    from langchain_core.runnables import RunnableBinding

    kwargs: dict[str, Any] = {}
    config: dict[str, Any] = {}
    while isinstance(model, RunnableBinding):
        kwargs, config = {**model.kwargs, **kwargs}, {**model.config, **config}
        model = model.bound
    return (model, kwargs, config) if isinstance(model, BaseChatModel) else None


def _model_direct(model: Any) -> tuple[BaseChatModel, dict[str, Any]] | None:
    from langchain_core.globals import get_llm_cache

    found = _model_and_kwargs(model)
    if found is None:
        return None
    chat, kwargs, config = found
    if type(chat).invoke is not BaseChatModel.invoke or type(chat).ainvoke is not BaseChatModel.ainvoke:
        return None  # the model has its own invoke: keep it
    if chat.cache or (chat.cache is None and get_llm_cache() is not None) or chat.rate_limiter is not None:
        return None
    if getattr(chat, "output_version", None) not in (None, "v0"):
        return None  # v1 content blocks are built inside invoke
    if config.get("callbacks") or not unobserved(chat.callbacks, chat.verbose):
        return None
    return chat, kwargs


def invoke_model(model: Any, messages: Sequence[BaseMessage]) -> BaseMessage:
    """``model.invoke(messages)``, through the model's ``_generate`` directly when nobody listens."""
    direct = _model_direct(model)
    if direct is None:
        return model.invoke(list(messages))
    chat, kwargs = direct
    return chat._generate(list(messages), **kwargs).generations[0].message


async def ainvoke_model(model: Any, messages: Sequence[BaseMessage]) -> BaseMessage:
    """Async twin of ``invoke_model``."""
    direct = _model_direct(model)
    if direct is None:
        return await model.ainvoke(list(messages))
    chat, kwargs = direct
    return (await chat._agenerate(list(messages), **kwargs)).generations[0].message
