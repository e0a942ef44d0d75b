"""Tools and chat models called without LangChain's run machinery only when nobody listens, with the same results."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.caches import InMemoryCache
from langchain_core.messages import HumanMessage
from langchain_core.runnables import RunnableConfig, RunnableLambda
from langchain_core.tools import BaseTool, tool

from toolagent.models.scripted import ScriptedChatModel
from toolagent.tools.direct import ainvoke_model, invoke_model, tool_runner, unobserved


class Seen(BaseCallbackHandler):
    def __init__(self) -> None:
        self.events: list[str] = []

    def on_tool_start(self, serialized: dict[str, Any], input_str: str, **kwargs: Any) -> None:
        self.events.append("tool")

    def on_chat_model_start(self, serialized: dict[str, Any], messages: Any, **kwargs: Any) -> None:
        self.events.append("model")


@tool
def scale(x: float, factor: float = 2.0) -> str:
    """Multiply x by factor."""
    return str(x * factor)


@tool
def tagged(text: str, config: RunnableConfig) -> str:
    """Echo the text with the run's tags."""
    return f"{text} {config.get('tags')}"


class Upper(BaseTool):
    name: str = "upper"
    description: str = "Upper-case a text."

    def _run(self, text: str) -> str:
        return text.upper()


def test_a_tool_runs_directly_with_langchain_s_argument_parsing() -> None:
    run = tool_runner(scale)
    assert run is not None
    assert run({"x": "3"}) == scale.invoke({"x": "3"}) == "6.0"  # coerced, default applied
    assert run({"x": 3, "factor": 0.5}) == "1.5"
    upper = tool_runner(Upper())
    assert upper is not None and upper({"text": "ok"}) == "OK"


def test_a_tool_that_takes_the_config_gets_the_run_s_config() -> None:
    def inside(text: str) -> str:
        run = tool_runner(tagged)
        assert run is not None
        return run({"text": text})

    assert RunnableLambda(inside).invoke("hi", {"tags": ["t1"]}) == "hi ['t1']"


def test_any_listener_or_error_handling_takes_the_standard_path() -> None:
    seen = Seen()
    assert tool_runner(scale.model_copy(update={"callbacks": [seen]})) is None
    assert tool_runner(scale.model_copy(update={"handle_tool_error": True})) is None
    assert tool_runner(scale.model_copy(update={"response_format": "content_and_artifact"})) is None

    def inside(_: Any) -> bool:
        return unobserved() or tool_runner(scale) is not None

    assert RunnableLambda(inside).invoke(None) is True
    assert RunnableLambda(inside).invoke(None, {"callbacks": [seen]}) is False


def test_a_model_is_called_directly_only_without_listeners_cache_or_limiter() -> None:
    messages = [HumanMessage("hi")]
    model = ScriptedChatModel(responses=["one", "two", "three"])
    assert invoke_model(model, messages).content == "one"
    seen = Seen()
    assert invoke_model(model.with_config(callbacks=[seen]), messages).content == "two"
    assert seen.events == ["model"]  # a bound listener sees the call
    cached = ScriptedChatModel(responses=["a", "b"], cache=InMemoryCache())
    assert invoke_model(cached, messages).content == "a" and invoke_model(cached, messages).content == "a"


async def test_the_async_twin_returns_the_same() -> None:
    model = ScriptedChatModel(responses=["one"])
    assert (await ainvoke_model(model.bind(stop=["x"]), [HumanMessage("hi")])).content == "one"
