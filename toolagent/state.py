"""Graph state: JSON-native TypedDicts with reducers, so memory and SQLite checkpoints need no custom types.

One record per executed step (``steps``), one entry per planner turn (``forecasts``); everything else a planner
turn needs (history lines, the latest observation, produced images) is derived from them when the prompt is built.
The planner prompt itself never enters the state: it goes to the feedback hooks only. LangGraph stores a list
channel whole at every checkpoint, so what a step keeps here is what a run's checkpoints cost.

``messages`` is the chat view for LangChain front-ends (Agent Chat UI, Studio's chat, ``create_agent`` callers):
the user turn, an AIMessage tool call and a ToolMessage per executed step (its text capped, the full observation is
in ``steps``), and the final answer as an AIMessage. The steps' messages are written when the run ends (a list
channel is stored whole at every checkpoint; live progress is in the ``custom`` stream). It persists across the runs of a thread: a second question
continues the conversation, the earlier turns become history for the planner.
"""

from __future__ import annotations

from typing import Annotated, Any

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from typing_extensions import NotRequired, TypedDict  # pydantic (Studio schemas) needs it on Python < 3.12

from toolagent.records import RunStatus


def extend(left: list[Any] | None, right: list[Any] | None) -> list[Any]:
    """Append-reducer; a ``None`` update resets the list (a new run on the same thread starts clean)."""
    if right is None:
        return []
    return [*(left or []), *right]


class CallState(TypedDict):
    tool: str
    args: dict[str, Any]
    instruction: str


class PendingStep(TypedDict):
    """The first step of the latest forecast, chosen for execution (cleared when it has run)."""

    turn: int  # 1-based planner turn; its forecast is ``forecasts[turn - 1]``
    call: CallState
    planner_latency_s: float
    tokens: dict[str, int] | None
    #: the notices the planner saw on this turn (to rebuild its exact prompt for the feedback hooks)
    notices: list[str]


class StepState(TypedDict):
    """One executed step (a tool call or the final answer): the slim form of a StepRecord. Fields at their
    defaults are left out (a run's checkpoints store every step again and again)."""

    step: int
    turn: int
    executed: CallState
    observation: dict[str, Any]  # an Observation, default fields left out
    planner_latency_s: float
    timestamp: float
    tokens: NotRequired[dict[str, int]]
    #: served from a speculative (prefetched) execution
    speculative: NotRequired[bool]
    #: ImageRefs of the images this step produced (what later prompts list)
    new_images: NotRequired[list[dict[str, Any]]]


class AgentInput(TypedDict, total=False):
    question: str
    images: list[str]
    #: LangChain chat input: the last human turn is the question (its image blocks become files)
    messages: list[AnyMessage]
    files: list[str]
    task_id: str | None
    ground_truth: Any


class AgentState(TypedDict, total=False):
    # input
    question: str
    images: list[str]
    messages: Annotated[list[AnyMessage], add_messages]
    files: list[str]
    task_id: str | None
    ground_truth: Any
    # run bookkeeping (set by the start node)
    run_id: str
    workspace: str
    image_refs: list[dict[str, Any]]  # the question's images as ImageRefs
    chat_images: list[str]  # the images decoded from this run's chat turn (inside its workspace)
    earlier: list[str]  # earlier turns of the conversation on this thread, one line each (planner history)
    started_at: float
    first_step: int | None  # the LangGraph step the run started at (to stop before the recursion limit)
    planner_turns: int
    # grows over the run
    steps: Annotated[list[StepState], extend]
    forecasts: Annotated[list[dict[str, Any]], extend]  # Forecasts, default fields left out
    warned: Annotated[list[str], extend]
    # shown to the planner on its next turn only
    notices: list[str]
    pending: PendingStep | None
    # outcome
    answer: str | None
    status: RunStatus
    error: str | None
    elapsed_s: float
    #: speculative execution's counts, set when the run ends: {"hits", "misses", "wasted_tool_s"} (None: none ran)
    speculation: dict[str, Any] | None


class AgentOutput(TypedDict, total=False):
    run_id: str
    task_id: str | None
    question: str
    images: list[str]
    image_refs: list[dict[str, Any]]
    answer: str | None
    status: RunStatus
    error: str | None
    steps: list[StepState]
    forecasts: list[dict[str, Any]]
    messages: list[AnyMessage]
    elapsed_s: float
    speculation: dict[str, Any] | None


def _reducers() -> dict[str, Any]:
    from typing import get_type_hints

    hints = get_type_hints(AgentState, include_extras=True)
    return {key: hint.__metadata__[0] for key, hint in hints.items() if getattr(hint, "__metadata__", None)}


#: the state keys that have a reducer (lists that grow), and the reducer: one home, read from ``AgentState``
REDUCERS: dict[str, Any] = _reducers()
