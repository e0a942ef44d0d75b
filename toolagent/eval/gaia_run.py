"""GAIA with the agent: one task = one agent run with the task's attachment; the answer is scored officially."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from toolagent.errors import BadInput

from toolagent.eval.gaia import (
    GAIA_INSTRUCTIONS,
    GaiaTask,
    extract_final_answer,
    load_gaia,
    question_scorer,
    write_submission,
)
from toolagent.eval.job import Bench, run_agent_task, step_summary


@contextmanager
def staged(paths: list[str]) -> Iterator[list[str]]:
    """Copies of a task's attachments in a folder of their own, removed when the task ends.

    The agent is given the copies, so tools see the named files and nothing else of the dataset folder (its
    metadata holds the answers), and a tool that writes to an attachment cannot change the dataset."""
    if not paths:
        yield []
        return
    folder = Path(tempfile.mkdtemp(prefix="toolagent-attach-"))
    try:
        copies = []
        for path in paths:
            target = folder / Path(path).name
            shutil.copyfile(path, target)
            copies.append(str(target))
        yield copies
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class GaiaBench(Bench):
    name = "gaia"

    def tasks(self) -> list[GaiaTask]:
        job = self.job
        return load_gaia(job.data, split=job.split, level=job.level, limit=job.limit)

    def base_row(self, task: GaiaTask) -> dict[str, Any]:
        return {"task_id": task.task_id, "level": task.level, "question": task.question,
                "ground_truth": task.final_answer, "file_name": task.file_name,
                "attachment_missing": task.missing_file}

    def run_task(self, task: GaiaTask) -> dict[str, Any]:
        if task.attachment_error:  # a row naming ../../etc/passwd or metadata.jsonl: an error row, never run
            raise BadInput(task.attachment_error)
        with staged(task.images) as images, staged(task.files) as files:
            result = run_agent_task(self.job, task_id=task.task_id, question=task.question, images=images,
                                    files=files, ground_truth=task.final_answer if task.has_truth else None,
                                    extra_instructions=GAIA_INSTRUCTIONS, pool=self.agents)
        model_answer = extract_final_answer(result.answer)
        correct = question_scorer(model_answer, task.final_answer) if task.has_truth and result.answer else (
            False if task.has_truth else None)
        return {**self.base_row(task), "status": "ok", "answer": result.answer, "model_answer": model_answer,
                "correct": correct, **step_summary(result)}

    def metrics(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        scored = [r for r in rows if r.get("ground_truth", "?").strip() not in ("", "?")]
        by_level: dict[str, float | None] = {}
        counts: dict[str, int] = {}
        for level in (1, 2, 3):
            group = [r for r in scored if r.get("level") == level]
            counts[f"level_{level}"] = len(group)
            by_level[f"level_{level}"] = (100.0 * sum(bool(r.get("correct")) for r in group) / len(group)
                                          if group else None)
        correct = sum(bool(r.get("correct")) for r in scored)
        return {"accuracy": 100.0 * correct / len(scored) if scored else None, "correct": correct,
                "scored": len(scored), "accuracy_by_level": by_level, "tasks_by_level": counts,
                "answered": sum(1 for r in rows if r.get("run_status") == "answered")}

    def headline(self, rows: list[dict[str, Any]]) -> str:
        scored = [r for r in rows if r.get("ground_truth", "?").strip() not in ("", "?")]
        if not scored:
            return "acc -"
        return f"acc {100.0 * sum(bool(r.get('correct')) for r in scored) / len(scored):.1f}%"

    def breakdown(self, metrics: dict[str, Any]) -> tuple[str, dict[str, float | None]]:
        return "GAIA accuracy per level (%)", {k.replace("_", " ").title(): v
                                                for k, v in metrics["accuracy_by_level"].items()}

    def notes(self) -> list[str]:
        return [("Scored with the official GAIA question_scorer rules (numbers: $ % , stripped then exact float "
                 "equality; lists split on , or ;; strings: whitespace and punctuation removed, lower-cased). "
                 "The answer is the text after the last 'FINAL ANSWER:' in the agent's answer.")]

    def after_run(self, rows: list[dict[str, Any]]) -> list[str]:
        write_submission(rows, self.job.path / "submission.jsonl")
        return ["submission.jsonl"]
