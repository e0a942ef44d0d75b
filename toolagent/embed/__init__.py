"""Embedding toolagent in LangChain / LangGraph apps: agent factories, chat input, approval, tool and chain use."""

from toolagent.embed.approval import (apending_approval, approval_request, approve, edit, pending_approval, reject,
                                      stop)
from toolagent.embed.factory import answer_text, coerce_tools, create_react_baseline, create_tracer1_agent, result_of
from toolagent.embed.inputs import from_messages, image_block, to_agent_input
from toolagent.embed.wrap import AgentQuestion, agent_input, answer_chain, as_tool, extract_answer

__all__ = ["AgentQuestion", "agent_input", "answer_chain", "answer_text", "apending_approval", "approval_request",
           "approve", "as_tool", "coerce_tools", "create_react_baseline", "create_tracer1_agent", "edit",
           "extract_answer", "from_messages", "image_block", "pending_approval", "reject", "result_of", "stop",
           "to_agent_input"]
