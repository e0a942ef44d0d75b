"""Embedding the agent in a LangChain app: a compiled LangGraph graph that plugs in wherever a Runnable does.

1. chat input: a HumanMessage with a text block and an image block (base64 data URL), as a chat UI sends it;
2. an LCEL chain: prompt template | answer_chain(agent) → answer text;
3. the agent as a tool of another agent (langchain.agents.create_agent), with the trace nesting shown.

    python demos/langchain_app.py
"""

from __future__ import annotations

import sys
from typing import Any

from _common import TOTAL, draw_receipt, parser
from langchain.agents import create_agent
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import HumanMessage
from langchain_core.prompts import ChatPromptTemplate
from scripted_planners import ToolCallingRouter, arithmetic_planner, receipt_planner

from toolagent import answer_chain, as_tool, create_tracer1_agent, result_of
from toolagent.embed import image_block


class TraceCounter(BaseCallbackHandler):
    """Counts what a tracer such as LangSmith receives through the standard callbacks."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def _bump(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self._bump(f"chat model: {(serialized or {}).get('name')}")

    def on_tool_start(self, serialized: Any, input_str: str, **kwargs: Any) -> None:
        self._bump(f"tool: {(serialized or {}).get('name')}")


def main() -> int:
    args = parser(__doc__.splitlines()[0]).parse_args()
    ok = True

    print("1. chat input with an image content block")
    receipt_agent = create_tracer1_agent(args.model or receipt_planner(), ["ocr", "calculator"])
    message = HumanMessage(content=[{"type": "text", "text": "What is the total of this receipt?"},
                                    image_block(draw_receipt())])
    result = result_of(receipt_agent.invoke({"messages": [message]}))
    print(f"   answer: {result.answer}  (status {result.status}; steps: "
          f"{', '.join(s.executed.tool for s in result.steps)})")
    ok &= result.answer == TOTAL

    print("2. LCEL: ChatPromptTemplate | answer_chain(agent)")
    math_agent = create_tracer1_agent(args.model or arithmetic_planner(), ["calculator"], name="math_agent")
    prompt = ChatPromptTemplate.from_messages([("system", "Answer exactly."),
                                               ("human", "What is {price} * {quantity}?")])
    chain = prompt | answer_chain(math_agent)
    answers = chain.batch([{"price": 12.5, "quantity": 4}, {"price": 3, "quantity": 7}])
    print(f"   12.5 x 4 = {answers[0]};  3 x 7 = {answers[1]}")
    ok &= [float(a) for a in answers] == [50.0, 21.0]

    print("3. the agent as a tool of an outer LangChain agent")
    outer = create_agent(ToolCallingRouter(tool_name="math_agent"), [as_tool(math_agent)],
                         system_prompt="Delegate arithmetic to math_agent.")
    traces = TraceCounter()
    state = outer.invoke({"messages": [("user", "What is 17 * 23 + 4?")]}, {"callbacks": [traces]})
    print(f"   outer agent: {state['messages'][-1].content}")
    print(f"   callbacks seen: {traces.counts}")
    ok &= state["messages"][-1].content.endswith("395")
    return 0 if ok or args.model else 1


if __name__ == "__main__":
    sys.exit(main())
