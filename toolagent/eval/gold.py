"""The ``gold`` model for GTA step mode: a ScriptedChatModel whose policy answers each step-mode prompt with the
gold step, serialised in the planner's forecast format.

The reply goes through the same path as any model's (prompt -> reply -> parse_forecast -> argument
normalisation -> scorer), so a gold replay must score 100 on ToolAcc and ArgAcc: that checks that the loader,
the prompt, the GTA tool schemas and the scorer agree.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from toolagent.eval.gta_data import GoldStep

if TYPE_CHECKING:
    from toolagent.eval.gta_step import GtaStepBench


def gold_reply(step: GoldStep) -> str:
    """A gold step as a one-step forecast inside <answer>...</answer>."""
    if step.kind == "answer":
        plan = [{"expect": "the final answer", "tool": "answer", "args": {"text": step.text},
                 "instruction": "answer the question", "status": "done"}]
    else:
        plan = [{"expect": f"the output of {step.name}", "tool": step.name, "args": step.arguments,
                 "instruction": step.thought, "status": "not done"}]
    forecast = {"thought": step.thought, "plan": plan}
    return f"<think>{step.thought}</think>\n<answer>{json.dumps(forecast, ensure_ascii=False)}</answer>"


def gold_table(bench: GtaStepBench) -> dict[str, str]:
    """prompt key -> gold reply, for every assistant turn of every sample."""
    from toolagent.eval.gta_step import message_key

    table: dict[str, str] = {}
    for task in bench.tasks():
        tools = bench.tools_for(task)
        refs = bench.image_refs(task)
        for index, step in enumerate(task.steps):
            table[message_key(bench.messages(task, index, tools, refs))] = gold_reply(step)
    return table


def gold_model(bench: GtaStepBench) -> Any:
    """A ScriptedChatModel answering every known step-mode prompt with its gold step ("" for unknown prompts)."""
    from toolagent.eval.gta_step import message_key
    from toolagent.models.scripted import ScriptedChatModel

    table = gold_table(bench)

    def policy(messages: Any) -> str:
        return table.get(message_key(list(messages)), "")

    return ScriptedChatModel(policy=policy)
