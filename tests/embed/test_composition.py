"""The agent inside other LangChain code: as a tool of an outer agent (langchain.agents.create_agent) and as a
step of LCEL chains. The OUTER agent's model is a fake tool-calling chat model; ours is a scripted planner."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import pytest
from langchain.agents import create_agent
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda

from tests.core.wire import answer_step, reply, step
from tests.embed.helpers import arithmetic_model, latest_output, user_text
from toolagent import agent_input, answer_chain, as_tool, create_tracer1_agent, extract_answer
from toolagent.models.scripted import ScriptedChatModel


class ToolCallingFake(BaseChatModel):
    """The outer agent's model: asks our agent (as a tool) the question, then reports what the tool returned."""

    question: str
    tool_name: str = "arithmetic_agent"

    @property
    def _llm_type(self) -> str:
        return "tool-calling-fake"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ToolCallingFake:
        assert self.tool_name in [getattr(t, "name", None) for t in tools]
        return self

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        last = messages[-1]
        if isinstance(last, ToolMessage):
            message = AIMessage(content=f"The planning agent says: {last.content}")
        else:
            message = AIMessage(content="", tool_calls=[{"name": self.tool_name, "args": {"question": self.question},
                                                          "id": "call_1", "type": "tool_call"}])
        return ChatResult(generations=[ChatGeneration(message=message)])


@pytest.fixture(scope="module")
def agent() -> Any:
    return create_tracer1_agent(arithmetic_model(), ["calculator"], name="arithmetic_agent")


def test_as_tool_schema_and_direct_use(agent) -> None:
    tool = as_tool(agent)
    assert tool.name == "arithmetic_agent"
    assert set(tool.args) == {"question", "images"}
    assert tool.invoke({"question": "What is 6 * 7?"}) == "42"
    renamed = as_tool(agent, name="math_expert", description="Does arithmetic.")
    assert renamed.name == "math_expert" and renamed.description == "Does arithmetic."


async def test_as_tool_async_and_a_run_without_answer() -> None:
    tool = as_tool(create_tracer1_agent(arithmetic_model(), ["calculator"]))
    assert await tool.ainvoke({"question": "What is 2 ** 10?", "images": []}) == "1024"
    mute = as_tool(create_tracer1_agent(ScriptedChatModel(responses=["no JSON, sorry"]), ["calculator"]))
    text = mute.invoke({"question": "anything"})
    assert text.startswith("no answer (planner_error): invalid planner output")


class RunTree(BaseCallbackHandler):
    def __init__(self) -> None:
        self.parent: dict[UUID, UUID | None] = {}
        self.name: dict[UUID, str] = {}

    def _add(self, run_id: UUID, parent_run_id: UUID | None, name: str) -> None:
        self.parent[run_id], self.name[run_id] = parent_run_id, name

    def on_chat_model_start(self, serialized: Any, messages: Any, *, run_id: UUID, parent_run_id: UUID | None = None,
                            **kwargs: Any) -> None:
        self._add(run_id, parent_run_id, f"model:{kwargs.get('metadata', {}).get('ls_model_type', '')}:"
                                         f"{(serialized or {}).get('name') or kwargs.get('name')}")

    def on_tool_start(self, serialized: Any, input_str: str, *, run_id: UUID, parent_run_id: UUID | None = None,
                      **kwargs: Any) -> None:
        self._add(run_id, parent_run_id, f"tool:{(serialized or {}).get('name') or kwargs.get('name')}")

    def on_chain_start(self, serialized: Any, inputs: Any, *, run_id: UUID, parent_run_id: UUID | None = None,
                       **kwargs: Any) -> None:
        self._add(run_id, parent_run_id, f"chain:{kwargs.get('name')}")

    def ancestors(self, run_id: UUID) -> list[str]:
        out = []
        while (run_id := self.parent.get(run_id)) is not None:
            if run_id in self.name:
                out.append(self.name[run_id])
        return out


def test_inside_an_outer_create_agent_with_nested_traces(agent) -> None:
    outer = create_agent(ToolCallingFake(question="What is 3 * (4 + 5)?"), [as_tool(agent)])
    tree = RunTree()
    state = outer.invoke({"messages": [("user", "Please work out 3*(4+5) for me.")]}, {"callbacks": [tree]})
    tool_message = next(m for m in state["messages"] if isinstance(m, ToolMessage))
    assert tool_message.content == "27" and tool_message.name == "arithmetic_agent"
    assert state["messages"][-1].content == "The planning agent says: 27"
    planner_runs = [r for r, n in tree.name.items() if "ScriptedChatModel" in n]
    assert len(planner_runs) == 2  # our planner's two turns, traced ...
    for run in planner_runs:  # ... as children of the outer agent's tool run
        assert "tool:arithmetic_agent" in tree.ancestors(run)


async def test_inside_an_outer_agent_async(agent) -> None:
    outer = create_agent(ToolCallingFake(question="What is 100 - 58?"), [as_tool(agent)])
    state = await outer.ainvoke({"messages": [("user", "100 minus 58?")]})
    assert state["messages"][-1].content == "The planning agent says: 42"


def test_lcel_chain_prompt_agent_answer(agent) -> None:
    def prompt_fn(numbers: dict[str, int]) -> str:
        return f"What is {numbers['a']} * {numbers['b']}?"

    chain = RunnableLambda(prompt_fn) | agent_input | agent | extract_answer
    assert chain.invoke({"a": 6, "b": 7}) == "42"
    assert chain.batch([{"a": 2, "b": 3}, {"a": 5, "b": 5}]) == ["6", "25"]
    prompt = ChatPromptTemplate.from_messages([("system", "Be exact."), ("human", "What is {a} ** {b}?")])
    assert (prompt | answer_chain(agent)).invoke({"a": 2, "b": 10}) == "1024"


async def test_lcel_chain_async(agent) -> None:
    chain = agent_input | agent | extract_answer
    assert await chain.ainvoke("What is 6 * 7?") == "42"
    assert await chain.abatch(["What is 1 + 1?", "What is 2 + 2?"]) == ["2", "4"]


def _counting_policy(messages: Sequence[BaseMessage]) -> str:
    """Thirty different calculator steps, then the last result: a long run (32 graph super-steps)."""
    done = user_text(messages).split("History of executed steps:")[1].count("calculator(")
    if done < 30:
        return reply(step("calculator", {"expression": f"{done} + 1"}), answer_step("?"))
    return reply(answer_step(latest_output(messages).strip("= ")))


def test_a_long_run_keeps_the_agent_recursion_limit_inside_chains() -> None:
    long_agent = create_tracer1_agent(ScriptedChatModel(policy=_counting_policy), ["calculator"], max_steps=31)
    assert long_agent.invoke({"question": "count to 30"})["answer"] == "30"  # the agent's own limit (206)
    # a bare chain passes LangChain's default limit of 25 down: the run stops cleanly before it, never raising
    state = (RunnableLambda(lambda q: q) | agent_input | long_agent).invoke("count to 30")
    assert state["status"] == "max_steps" and "recursion limit of 25" in state["error"] and len(state["steps"]) == 21
    assert (agent_input | long_agent | extract_answer).invoke("count to 30").startswith("no answer (max_steps)")
    for limit in range(3, 12):  # whatever the limit, a status instead of GraphRecursionError
        assert long_agent.invoke({"question": "count to 30"}, {"recursion_limit": limit})["status"] == "max_steps"
    assert answer_chain(long_agent).invoke("count to 30") == "30"
    assert as_tool(long_agent).invoke({"question": "count to 30"}) == "30"
    outer = create_agent(ToolCallingFake(question="count to 30", tool_name="tracer1"), [as_tool(long_agent)])
    assert outer.invoke({"messages": [("user", "count")]})["messages"][-1].content.endswith(": 30")
