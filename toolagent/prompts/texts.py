"""Every fixed text the framework shows a planner, in one place (templates for whole prompts are the ``*.txt``
files beside this module)."""

from __future__ import annotations

from typing import Any

#: shown when the planner asks for the same call again (``seen`` = how many times it already ran)
REPEAT_NOTICE = ("You already called {tool} with these same arguments {seen} times; the result will not change. "
                 "Use the results in the history, try a different step, or answer.")
#: shown after the last step the budget allows
BUDGET_NOTICE = "The budget of {max_steps} tool steps is used up: answer now."
#: appended to the conversation when a reply could not be used
REASK = ("Your reply could not be used: {error}. Reply again with <answer>{{...}}</answer> holding a JSON object "
         '{{"thought": ..., "plan": [...]}} as specified, using only the listed tools.')
#: GTA step mode, on the turn whose gold step is the final answer
SUMMARISE = ("All the tool results you need are in the history above. Summarise them and give the final answer "
             "now as the \"answer\" step; do not call any tool.")

#: worked examples for the full prompt: (tool, needs images, think, thought, first step args, instruction)
EXAMPLES: tuple[tuple[str, bool, str, str, dict[str, Any], str], ...] = (
    ("ocr", True, "I need the total printed on the receipt, so I read the receipt first.",
     "Read the receipt, then report its total.", {"image": "receipt.png"}, "read every line of the receipt"),
    ("calculator", False, "This needs exact arithmetic, so I use the calculator.",
     "Compute the product, then report it.", {"expression": "12 * 7"}, "multiply 12 by 7"),
)
#: a planner notice on a thread that continues a conversation: the earlier turns, one line each
EARLIER_NOTICE = "Earlier in this conversation (the question may refer to it):\n{turns}"
#: a planner notice after a person rejected the proposed step (approval): it did not run
REJECTED_NOTICE = ("The user rejected the step {tool} with these arguments, so it did not run{reason}. Do not propose "
                   "it again; choose another step or answer.")
