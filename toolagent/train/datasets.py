"""Stage-1 and Stage-2 training examples.

**Stage 1** (``stage1_rows``): for a reference trajectory and each step index t, the state before step t is
rendered with ``toolagent.planner.planner_messages`` exactly as the graph does at inference: history lines made
by ``history_line`` from the reference prefix (with the observations the real tools returned), the latest
observation through ``format_observation``, the question's images plus images produced so far. Columns:
``prompt`` (conversational), ``reference`` (JSON list of the next ``horizon`` reference steps), ``target`` (the
same future as one assistant message, in the exact text guided decoding emits: ``chat.decoder_target``, for
SFT), ``task_id``, ``step``, ``source``, ``answer``. A weak reference (tool names only) gives only its initial
state; a state whose earlier observations are unknown is skipped.

**Stage 2** (``stage2_rows``): one row per logged executed step (``export.record_row``) with its grounded reward;
rows without a reward are dropped unless ``fill_from_outcome`` gives error-free tool steps of a run that ended
correct reward 1.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from langchain_core.tools import BaseTool

from toolagent.errors import BadInput
from toolagent.records import ImageRef, Observation, StepRecord, ToolCall
from toolagent.train.chat import chat_messages, decoder_target
from toolagent.train.export import record_row
from toolagent.train.references import ReferenceTrajectory, group_runs, run_is_correct
from toolagent.train.synth import SynthTask, load_suite


def _refs(paths: Iterable[str]) -> list[ImageRef]:
    from toolagent.images import load_image_ref

    return [load_image_ref(p) for p in paths if Path(p).is_file()]


def stage1_rows(references: Sequence[ReferenceTrajectory], tools: list[BaseTool], *, horizon: int = 5,
                multimodal: bool = False, extra_instructions: str | None = None,
                **prompt_options: Any) -> list[dict[str, Any]]:
    """Stage-1 examples: state at step t → the reference future (see the module docstring).

    ``prompt_options`` go to ``planner_messages`` (e.g. the prompt ``profile`` the agent uses for the model)."""
    from toolagent.planner import history_line, planner_messages

    profile = prompt_options.get("profile", "full")
    rows: list[dict[str, Any]] = []
    for ref in references:
        images = _refs(ref.images)
        history: list[str] = []
        last: Observation | None = None
        for t, step in enumerate(ref.steps):
            if t > 0 and (ref.weak or last is None):
                break
            messages = planner_messages(
                question=ref.question, images=images, history=list(history),
                observation=last, tools=tools, horizon=horizon,
                multimodal=multimodal, files=ref.files, extra_instructions=extra_instructions, **prompt_options)
            future = ref.steps[t:t + horizon]
            rows.append({
                "prompt": chat_messages(messages),
                "reference": json.dumps([s.model_dump(mode="json") for s in future], ensure_ascii=False),
                "target": [{"role": "assistant", "content": decoder_target(future)}],
                "task_id": ref.task_id, "step": t, "source": ref.source, "answer": ref.answer or "",
            })
            if step.is_answer:
                break
            last = ref.observation(t)
            if last is None:
                continue
            history.append(history_line(t + 1, ToolCall(tool=step.tool, args=step.args,
                                                         instruction=step.instruction), last, profile))
            images = [*images, *_refs(last.images)]
    return rows


def synth_reference(task: SynthTask, root: str | Path) -> ReferenceTrajectory:
    base = Path(root).expanduser().resolve()
    return ReferenceTrajectory(task_id=task.task_id, question=task.question,
                               images=[str(base / p) for p in task.images], steps=list(task.reference),
                               answer=task.answer, source="synth")


def execute_reference(ref: ReferenceTrajectory, tools: Sequence[BaseTool],
                      workspace: Path | None = None) -> ReferenceTrajectory:
    """Run every tool step of ``ref`` through the real tools; the observations fill ``ref.observations``."""
    from toolagent.tools.base import ToolContext, run_tool

    by_name = {tool.name: tool for tool in tools}
    ctx = ToolContext(images=list(ref.images), **({"workspace": workspace} if workspace else {}))
    observations: list[Observation | None] = []
    for step in ref.steps:
        if step.is_answer:
            observations.append(None)
            continue
        tool = by_name.get(step.tool)
        obs = (run_tool(tool, step.args, ctx) if tool is not None
               else Observation(tool=step.tool, error=f"tool {step.tool!r} is not available"))
        observations.append(obs)
        ctx.images.extend(obs.images)
    return ref.model_copy(update={"observations": observations})


def suite_tool_config(root: str | Path):
    """The tool configuration a synthetic suite is solved with: local search over its corpus."""
    from toolagent.tools.config import ToolConfig

    return ToolConfig(search="local", corpus=Path(root).expanduser().resolve() / "corpus")


def suite_references(root: str | Path, split: str | None = "train", tools: Sequence[BaseTool] | None = None,
                     limit: int | None = None) -> list[ReferenceTrajectory]:
    """References of a synthetic suite with real tool observations (tools default: the suite's)."""
    tasks = load_suite(root, split)[:limit]  # type: ignore[arg-type]
    if tools is None:
        from toolagent.tools.registry import build_tools

        tools = build_tools(suite_tool_config(root), names=sorted({s.tool for t in tasks for s in t.reference
                                                                      if not s.is_answer}))
    return [execute_reference(synth_reference(task, root), tools) for task in tasks]


def planner_tools(root: str | Path | None = None, names: list[str] | None = None) -> list[BaseTool]:
    """The tools the planner is offered: the available tools (of the suite's config when ``root`` is given)."""
    from toolagent.tools.config import ToolConfig
    from toolagent.tools.registry import available_tools, build_tools

    config = suite_tool_config(root) if root is not None else ToolConfig()
    return available_tools(build_tools(config, names=names))


def stage2_rows(records: Iterable[StepRecord], *, fill_from_outcome: bool = False) -> list[dict[str, Any]]:
    """Stage-2 examples from logged steps (see the module docstring)."""
    rows = []
    for steps in group_runs(records).values():
        correct = fill_from_outcome and run_is_correct(steps)
        for record in steps:
            if record.reward is None and correct and record.observation.error is None:
                record = record.model_copy(update={"reward": 1.0})
            if record.reward is not None:
                rows.append(record_row(record))
    if not rows:
        raise BadInput("no logged step carries a grounded reward (log runs with ground truth, or use "
                       "fill_from_outcome)")
    return rows


def load_stage1(data: str | Path, *, horizon: int = 5, split: str = "train", limit: int | None = None):
    """A Stage-1 dataset from a synthetic suite folder (built on the fly) or a saved dataset."""
    from toolagent.train.export import load_rows_dataset, to_dataset

    path = Path(data).expanduser()
    if (path / "tasks.jsonl").is_file():
        refs = suite_references(path, split, limit=limit)
        return to_dataset(stage1_rows(refs, planner_tools(path), horizon=horizon))
    dataset = load_rows_dataset(path)
    if "reference" not in dataset.column_names:
        raise BadInput(f"{path} has no 'reference' column: not a Stage-1 dataset")
    return dataset.select(range(min(limit, len(dataset)))) if limit else dataset


def load_stage2(data: str | Path, *, fill_from_outcome: bool = False, limit: int | None = None):
    """A Stage-2 dataset from feedback JSONL logs (a file or a folder) or an exported dataset."""
    from toolagent.train.export import load_rows_dataset, to_dataset
    from toolagent.train.logs import read_records

    path = Path(data).expanduser()
    if path.suffix == ".jsonl" or (path.is_dir() and any(path.glob("*.jsonl"))):
        dataset = to_dataset(stage2_rows(read_records([path]), fill_from_outcome=fill_from_outcome))
    else:
        dataset = load_rows_dataset(path)
    missing = [c for c in ("executed", "reward") if c not in dataset.column_names]
    if missing:
        raise BadInput(f"{path} has no {', '.join(repr(c) for c in missing)} column: not a Stage-2 dataset")
    dataset = dataset.filter(lambda row: row["reward"] is not None)
    return dataset.select(range(min(limit, len(dataset)))) if limit else dataset
