"""Turn loaded rows and step records into what the templates show: task rows, timelines, plan divergences.

Outcomes (correct / wrong / error / timeout / unscored) follow toolagent.eval.outcome, as the report plots do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolagent.eval.gaia import IMAGE_SUFFIXES
from toolagent.eval.outcome import number, outcome_of, score_of
from toolagent.view.media import ImageStore

_TEXT_LIMIT = 4000


def group_of(row: dict[str, Any]) -> str:
    """The level (GAIA) or answer type (GTA) a task belongs to."""
    if row.get("level") is not None:
        return f"Level {row['level']}"
    if row.get("answer_type"):
        return str(row["answer_type"])
    return "-"


def short_args(args: Any) -> str:
    if not isinstance(args, dict):
        return str(args)
    return ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in args.items())


def call_text(step: dict[str, Any]) -> str:
    return f"{step.get('tool', '?')}({short_args(step.get('args') or {})})"


def _key(step: dict[str, Any]) -> tuple[str, str]:
    return str(step.get("tool")), json.dumps(step.get("args") or {}, sort_keys=True, default=str)


@dataclass
class PlanRow:
    index: int
    tool: str
    args: str
    expect: str
    instruction: str
    status: str
    executed: bool
    changed: bool


@dataclass
class Divergence:
    """How a forecast relates to what the previous forecast predicted for the steps after its first one."""

    kind: str  # kept | revised (same tools, other args) | changed (other tools or order)
    at: int = 0
    expected: str = ""
    now: str = ""


def divergence(previous: list[dict[str, Any]], current: list[dict[str, Any]]) -> Divergence | None:
    """Compare ``current`` with ``previous[1:]`` (what the last forecast expected next); None if it expected none."""
    expected = previous[1:]
    if not expected:
        return None
    for index in range(max(len(expected), len(current))):
        old = expected[index] if index < len(expected) else None
        new = current[index] if index < len(current) else None
        if old is not None and new is not None and _key(old) == _key(new):
            continue
        same_tools = [s.get("tool") for s in expected] == [s.get("tool") for s in current]
        return Divergence("revised" if same_tools else "changed", index,
                          call_text(old) if old else "(nothing)", call_text(new) if new else "(nothing)")
    return Divergence("kept")


@dataclass
class StepView:
    number: int
    thought: str
    plan: list[PlanRow]
    tool: str
    args: str
    text: str
    error: str | None
    images: list[str]
    planner_s: float
    tool_s: float
    cached: bool
    speculative: bool
    divergence: Divergence | None
    planner_pct: float = 0.0
    tool_pct: float = 0.0


@dataclass
class TaskView:
    index: int
    task_id: str
    anchor: str
    question: str
    group: str
    outcome: str
    score: float | None
    answer: str
    model_answer: str
    truth: str
    run_status: str
    error: str
    steps: int | None
    elapsed: float | None
    tools: list[str]
    attachments: list[str]
    attachment_images: list[str]
    attachment_missing: bool
    timeline: list[StepView] = field(default_factory=list)
    turns: list[dict[str, Any]] = field(default_factory=list)  # GTA step mode: one scored prediction per gold step
    changes: int = 0
    speculative: int = 0

    @property
    def search_text(self) -> str:
        return " ".join([self.task_id, self.question, self.answer, self.truth, self.error]).lower()


def _text(value: Any, limit: int = _TEXT_LIMIT) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit} more characters)"


def timeline(records: list[dict[str, Any]], images: ImageStore) -> list[StepView]:
    views: list[StepView] = []
    previous: list[dict[str, Any]] = []
    for position, record in enumerate(records, start=1):
        forecast = record.get("forecast") or {}
        plan = [s for s in forecast.get("plan") or [] if isinstance(s, dict)]
        executed = record.get("executed") or (plan[0] if plan else {})
        observation = record.get("observation") or {}
        change = divergence(previous, plan)
        changed_from = change.at if change and change.kind != "kept" else len(plan)
        rows = [PlanRow(i + 1, str(s.get("tool", "?")), short_args(s.get("args") or {}), str(s.get("expect") or ""),
                        str(s.get("instruction") or ""), str(s.get("status") or ""), i == 0, i >= changed_from)
                for i, s in enumerate(plan)]
        views.append(StepView(
            number=int(record.get("step") or position), thought=_text(forecast.get("thought")), plan=rows,
            tool=str(executed.get("tool") or "?"), args=short_args(executed.get("args") or {}),
            text=_text(observation.get("text")), error=observation.get("error"),
            images=[i for i in (images.add(p) for p in observation.get("images") or []) if i],
            planner_s=float(number(record.get("planner_latency_s")) or 0.0),
            tool_s=float(number(record.get("tool_latency_s")) or number(observation.get("latency_s")) or 0.0),
            cached=bool(observation.get("cached")), speculative=bool(record.get("speculative")),
            divergence=change))
        previous = plan
    longest = max((v.planner_s + v.tool_s for v in views), default=0.0) or 1.0
    for view in views:
        view.planner_pct = round(100.0 * view.planner_s / longest, 1)
        view.tool_pct = round(100.0 * view.tool_s / longest, 1)
    return views


def _attachments(row: dict[str, Any], records: list[dict[str, Any]], images: ImageStore,
                 dataset: Path | None) -> tuple[list[str], list[str]]:
    """(attachment file names, embedded image ids): the dataset's file first, then the images the agent saw."""
    name = str(row.get("file_name") or "")
    paths = [str(dataset / name)] if name and dataset and (dataset / name).suffix.lower() in IMAGE_SUFFIXES else []
    seen = {Path(p).name for p in paths}
    refs = [str(p) for p in row.get("images") or []]
    if not refs and records:
        refs = [str(r.get("path")) for r in (records[0].get("planner_input") or {}).get("images") or []
                if isinstance(r, dict) and r.get("path")]
    paths += [p for p in refs if Path(p).name not in seen]  # a staged copy of the dataset file is not shown twice
    return ([name] if name else []), [i for i in (images.add(p) for p in paths) if i]


def task_view(index: int, row: dict[str, Any], records: list[dict[str, Any]], images: ImageStore,
              dataset: Path | None = None) -> TaskView:
    names, pictures = _attachments(row, records, images, dataset)
    steps = timeline(records, images)
    tools = [str(t) for t in row.get("tools") or []] or [s.tool for s in steps if s.tool != "answer"]
    truth = next((row[k] for k in ("ground_truth", "gt_answer") if row.get(k) is not None),
                 next((r.get("ground_truth") for r in reversed(records) if r.get("ground_truth") is not None), None))
    return TaskView(
        index=index, task_id=str(row.get("task_id")), anchor=f"t{index}",
        question=_text(row.get("question") or row.get("query")), group=group_of(row), outcome=outcome_of(row),
        score=score_of(row), answer=_text(row.get("answer"), 2000), model_answer=_text(row.get("model_answer"), 500),
        truth=_text(truth, 2000),
        run_status=str(row.get("run_status") or row.get("status") or ""),
        error=_text(row.get("error") or row.get("run_error"), 1000), steps=row.get("steps"),
        elapsed=number(row.get("elapsed_s")), tools=tools, attachments=names, attachment_images=pictures,
        attachment_missing=bool(row.get("attachment_missing")), timeline=steps,
        changes=sum(1 for s in steps if s.divergence and s.divergence.kind != "kept"),
        speculative=sum(1 for s in steps if s.speculative),
        turns=[t for t in row.get("turns") or [] if isinstance(t, dict)])
