"""Graph state: a JSON-native TypedDict with reducers, so memory and SQLite checkpoints need no custom types.

Lists that grow over a run (history, forecasts, step records, produced images) use the ``extend`` reducer; the rest
is last-write-wins. Images travel as file paths, never pixels.
"""

from __future__ import annotations

from typing import Annotated, Any

from typing_extensions import TypedDict  # pydantic (Studio schemas) needs it on Python < 3.12


def extend(left: list[Any] | None, right: list[Any] | None) -> list[Any]:
    """Append-reducer; a ``None`` update resets the list (a new run on the same thread starts clean)."""
    if right is None:
        return []
    return [*(left or []), *right]


class AgentInput(TypedDict, total=False):
    question: str
    images: list[str]
    messages: list[Any]  # LangChain chat input, read once by the start node (question + image blocks)
    files: list[str]
    task_id: str | None
    ground_truth: Any


class AgentState(TypedDict, total=False):
    # input
    question: str
    images: list[str]
    messages: list[Any] | None
    files: list[str]
    task_id: str | None
    ground_truth: Any
    # run bookkeeping (set by the start node)
    run_id: str
    workspace: str
    image_refs: list[dict[str, Any]]
    started_at: float
    planner_turns: int
    # grows over the run
    history: Annotated[list[str], extend]
    calls: Annotated[list[dict[str, Any]], extend]
    forecasts: Annotated[list[dict[str, Any]], extend]
    steps: Annotated[list[dict[str, Any]], extend]
    produced_images: Annotated[list[str], extend]
    warned: Annotated[list[str], extend]
    # shown to the planner on its next turn only
    notices: list[str]
    # the step chosen for execution, with what the planner saw (cleared by the tool node)
    pending: dict[str, Any] | None
    observation: dict[str, Any] | None
    # outcome
    answer: str | None
    status: str
    error: str | None
    elapsed_s: float


class AgentOutput(TypedDict, total=False):
    run_id: str
    task_id: str | None
    question: str
    images: list[str]
    answer: str | None
    status: str
    error: str | None
    steps: list[dict[str, Any]]
    forecasts: list[dict[str, Any]]
    history: list[str]
    produced_images: list[str]
    elapsed_s: float
