"""The agent inside other LangChain code: as a tool of another agent, and as a step of an LCEL chain.

    outer = langchain.agents.create_agent(chat_model, [as_tool(agent)])          # the agent answers sub-questions
    chain = prompt_fn | agent_input | agent | extract_answer                     # LCEL, answer text out
    chain = prompt_fn | answer_chain(agent)                                      # same, with the agent's own
                                                                                 # recursion limit kept
An outer runnable passes its own config down (callbacks, tags: LangSmith traces nest; its recursion limit too,
which is why ``as_tool`` and ``answer_chain`` raise it to what the agent's step budget needs).
"""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from toolagent.embed.factory import answer_text, run_config
from toolagent.embed.inputs import to_agent_input

DEFAULT_DESCRIPTION = ("Answers a question that may need tools (OCR, calculator, solver, search, image "
                       "operations), planning several steps ahead. Input: the question, self-contained, and the "
                       "paths of any image files it is about. Output: the final answer text.")


class AgentQuestion(BaseModel):
    """The input of the agent used as a tool."""

    question: str = Field(description="The question to answer, self-contained.")
    images: list[str] = Field(default_factory=list, description="Paths of the image files the question is about.")


def as_tool(agent: Runnable, name: str | None = None, description: str | None = None) -> BaseTool:
    """The agent as a LangChain tool: input ``{question, images}``, output the answer text.

    Runs sync (``invoke``) or async (``ainvoke``) as the outer agent does; a run without an answer returns one
    line saying why (status and error), never raises for tool or planner failures.
    """

    def ask(question: str, images: list[str] | None = None, config: RunnableConfig | None = None) -> str:
        state = agent.invoke({"question": question, "images": list(images or [])}, run_config(agent, config))
        return answer_text(state)

    async def aask(question: str, images: list[str] | None = None, config: RunnableConfig | None = None) -> str:
        state = await agent.ainvoke({"question": question, "images": list(images or [])},
                                    run_config(agent, config))
        return answer_text(state)

    return StructuredTool.from_function(func=ask, coroutine=aask, name=name or getattr(agent, "name", None)
                                       or "toolagent", description=description or DEFAULT_DESCRIPTION,
                                       args_schema=AgentQuestion)


#: LCEL adapter: a question string, chat messages, a prompt value or an input dict → the agent's input dict.
agent_input: Runnable = RunnableLambda(to_agent_input, name="agent_input")

#: LCEL adapter: the agent's output state → the answer text (or one line saying why there is none).
extract_answer: Runnable = RunnableLambda(answer_text, name="extract_answer")


def answer_chain(agent: Runnable) -> Runnable:
    """``agent_input | agent | extract_answer`` as one runnable that keeps the agent's own recursion limit."""

    def call(data: Any, config: RunnableConfig) -> dict[str, Any]:
        return agent.invoke(to_agent_input(data), run_config(agent, config))

    async def acall(data: Any, config: RunnableConfig) -> dict[str, Any]:
        return await agent.ainvoke(to_agent_input(data), run_config(agent, config))

    step = RunnableLambda(call, afunc=acall, name=getattr(agent, "name", None) or "toolagent")
    return step | extract_answer
