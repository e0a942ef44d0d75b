"""Reference trajectories for Stage-1 rewards: from GTA gold dialogs, GAIA annotator metadata, correct runs.

- GTA (``gta_reference``): each assistant ``tool_calls`` entry becomes a PlanStep with the official tool name and
  arguments (``map_tools=True`` renames them to ours), the following ``tool`` message its observation, and the
  final assistant content the ``answer`` step (status "done").
- GAIA (``gaia_reference``): the annotator's ``Tools`` list mapped to our tools by keyword — a WEAK reference
  (tool names only, no arguments, no observations; unmapped tools such as video or audio are dropped), then the
  answer step with ``Final answer``.
- Logs (``log_references``): runs whose outcome is correct; their executed, error-free steps in order (with
  their observations) are the reference, ending with the run's answer step.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from toolagent.records import ANSWER_TOOL, Observation, PlanStep, StepRecord

GTA_TO_OURS: dict[str, str] = {
    "OCR": "ocr", "Calculator": "calculator", "Solver": "solver", "GoogleSearch": "web_search",
    "DrawBox": "draw_box", "AddText": "add_text", "TextToImage": "text_to_image",
    "ImageStylization": "image_stylization", "ImageDescription": "image_qa", "RegionAttributeDescription": "image_qa",
    "CountGivenObject": "image_qa", "TextToBbox": "image_qa", "MathOCR": "ocr", "Plot": "python",
}
#: keyword (lower case, matched as a substring of one annotator tool line) → our tool; first match wins.
GAIA_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("search", "web_search"), ("google", "web_search"), ("browser", "visit_page"), ("wikipedia", "visit_page"),
    ("calculator", "calculator"), ("ocr", "ocr"), ("image recognition", "image_qa"), ("computer vision", "image_qa"),
    ("image", "image_qa"), ("python", "python"), ("code", "python"), ("pdf", "read_file"), ("excel", "read_file"),
    ("spreadsheet", "read_file"), ("word", "read_file"), ("powerpoint", "read_file"), ("file", "read_file"),
    ("text editor", "read_file"), ("solver", "solver"), ("math", "calculator"),
)
_LIST_MARK = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s*")


class ReferenceTrajectory(BaseModel):
    task_id: str
    question: str
    images: list[str] = Field(default_factory=list)
    files: list[str] = Field(default_factory=list)
    steps: list[PlanStep]
    #: the observation after each step (None where unknown); same length as ``steps`` or empty
    observations: list[Observation | None] = Field(default_factory=list)
    answer: str | None = None
    source: str = ""
    weak: bool = False

    def observation(self, index: int) -> Observation | None:
        return self.observations[index] if index < len(self.observations) else None


def _arguments(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip():
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return {"input": value}
        return parsed if isinstance(parsed, dict) else {"input": parsed}
    return {}


def _tool_text(content: Any) -> str:
    if isinstance(content, dict):
        inner = content.get("content", content)
        return inner if isinstance(inner, str) else json.dumps(inner, ensure_ascii=False)
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)


def gta_reference(task_id: str, entry: Mapping[str, Any], *, root: str | Path | None = None,
                  map_tools: bool = False) -> ReferenceTrajectory:
    """One ``dataset.json`` entry → its gold trajectory (official names unless ``map_tools``)."""
    dialogs = entry.get("dialogs") or []
    question = next((str(d.get("content", "")) for d in dialogs if d.get("role") == "user"), "")
    steps: list[PlanStep] = []
    observations: list[Observation | None] = []
    answer: str | None = None
    for turn in dialogs:
        role = turn.get("role")
        if role == "assistant" and turn.get("tool_calls"):
            for call in turn["tool_calls"]:
                function = call.get("function", call)
                name = str(function.get("name", ""))
                steps.append(PlanStep(tool=GTA_TO_OURS.get(name, name) if map_tools else name,
                                      args=_arguments(function.get("arguments")),
                                      instruction=str(turn.get("thought") or "")))
                observations.append(None)
        elif role == "tool" and observations and observations[-1] is None:
            observations[-1] = Observation(tool=steps[-1].tool, text=_tool_text(turn.get("content")))
        elif role == "assistant" and turn.get("content"):
            answer = str(turn["content"])
    if answer is not None:
        steps.append(PlanStep(tool=ANSWER_TOOL, args={"text": answer}, status="done"))
        observations.append(None)
    base = Path(root) if root is not None else None
    images = [str(base / f["path"]) if base else str(f["path"]) for f in entry.get("files") or [] if f.get("path")]
    return ReferenceTrajectory(task_id=str(task_id), question=question, images=images, steps=steps,
                               observations=observations, answer=answer, source="gta")


def gta_references(dataset_json: str | Path, map_tools: bool = False) -> list[ReferenceTrajectory]:
    """All references of a GTA ``dataset.json`` (images resolved next to it)."""
    path = Path(dataset_json)
    data = json.loads(path.read_text(encoding="utf-8"))
    return [gta_reference(key, entry, root=path.parent, map_tools=map_tools) for key, entry in data.items()]


def gaia_tools(tools_text: str) -> list[str]:
    """Map the annotator's free-text ``Tools`` list to our tool names (in order, unmapped lines dropped)."""
    out: list[str] = []
    for line in str(tools_text or "").splitlines():
        text = _LIST_MARK.sub("", line).strip().lower()
        if not text or text in ("none", "no tools required"):
            continue
        tool = next((ours for key, ours in GAIA_KEYWORDS if key in text), None)
        if tool is not None:
            out.append(tool)
    return out


def gaia_reference(row: Mapping[str, Any], files_dir: str | Path | None = None) -> ReferenceTrajectory:
    """A GAIA metadata row → a weak reference (tool names only) ending with the final answer."""
    meta = row.get("Annotator Metadata") or {}
    answer = row.get("Final answer")
    steps = [PlanStep(tool=name) for name in gaia_tools(meta.get("Tools", ""))]
    if answer not in (None, "", "?"):
        steps.append(PlanStep(tool=ANSWER_TOOL, args={"text": str(answer)}, status="done"))
    file_name = row.get("file_name") or ""
    files = [str(Path(files_dir) / file_name) if files_dir else file_name] if file_name else []
    return ReferenceTrajectory(task_id=str(row.get("task_id", "")), question=str(row.get("Question", "")),
                               files=files, steps=steps, answer=None if answer in (None, "?") else str(answer),
                               source="gaia", weak=True)


def group_runs(records: Iterable[StepRecord]) -> dict[str, list[StepRecord]]:
    """Records grouped by run id, each run in step order."""
    runs: dict[str, list[StepRecord]] = {}
    for record in records:
        runs.setdefault(record.run_id, []).append(record)
    return {key: sorted(value, key=lambda r: r.step) for key, value in runs.items()}


def run_is_correct(steps: list[StepRecord]) -> bool:
    """Default correctness: the run's answer step carries grounded reward 1."""
    return any(r.executed.tool == ANSWER_TOOL and r.reward is not None and r.reward >= 1.0 for r in steps)


def log_references(records: Iterable[StepRecord],
                   correct: Mapping[str, bool] | Callable[[list[StepRecord]], bool] = run_is_correct,
                   ) -> list[ReferenceTrajectory]:
    """References from logged runs that ended correct (``correct``: run id → flag, or a predicate)."""
    out = []
    for run_id, steps in group_runs(records).items():
        ok = correct.get(run_id, False) if isinstance(correct, Mapping) else correct(steps)
        answer_steps = [r for r in steps if r.executed.tool == ANSWER_TOOL]
        if not ok or not answer_steps:
            continue
        kept = [r for r in steps if r.observation.error is None and r.executed.tool != ANSWER_TOOL]
        final = answer_steps[-1]
        plan = [PlanStep(tool=r.executed.tool, args=r.executed.args, instruction=r.executed.instruction,
                         expect=_expect(r)) for r in kept]
        plan.append(PlanStep(tool=ANSWER_TOOL, args=final.executed.args, status="done"))
        first = steps[0].planner_input
        out.append(ReferenceTrajectory(
            task_id=final.task_id or run_id, question=first.question, images=[ref.path for ref in first.images],
            steps=plan, observations=[*(r.observation for r in kept), None],
            answer=str(final.executed.args.get("text", "")), source="log"))
    return out


def _expect(record: StepRecord) -> str:
    """The expectation the planner wrote for the step it executed (first step of its forecast)."""
    return record.forecast.plan[0].expect if record.forecast.plan else ""
