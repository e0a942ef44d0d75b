"""Stage-2 data: run an agent on train tasks (``eval synth`` on the train split) and grade every logged step.

The eval runner writes one feedback log per task (``RUN_DIR/feedback/ID.jsonl``: planner input, forecast,
executed step, observation). ``grounded_log`` attaches the grounded reward r_G to each record with
``grounded.grounded_step_reward`` against the task's reference (gold tool steps, each matched at most once per
run) and its answer (scored by the same ``answer_matches`` the evaluation uses), and writes one JSONL file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def grounded_log(run_dir: str | Path, suite: str | Path, out: str | Path) -> dict[str, Any]:
    """Grade the feedback logs of an ``eval synth`` run on ``suite``; write them (with rewards) to ``out``."""
    from toolagent.eval.synth import answer_matches
    from toolagent.feedback import JSONLFeedbackSink
    from toolagent.train.grounded import GroundTruth, grounded_step_reward
    from toolagent.train.logs import read_records
    from toolagent.train.references import group_runs
    from toolagent.train.synth import load_suite

    tasks = {t.task_id: t for t in load_suite(suite)}
    logs = sorted((Path(run_dir) / "feedback").glob("*.jsonl"))
    records = read_records(logs) if logs else []
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    sink = JSONLFeedbackSink(target)
    graded = rewarded = 0
    for steps in group_runs(records).values():
        task = tasks.get(steps[0].task_id or "")
        if task is None:
            continue
        truth = GroundTruth(answer=task.answer, steps=task.reference)
        used: set[int] = set()
        for record in steps:
            reward = grounded_step_reward(record.executed, record.observation, truth, used=used,
                                          scorer=lambda pred, gold: answer_matches(pred, str(gold)))
            record = record.model_copy(update={"reward": reward, "ground_truth": truth.model_dump(mode="json")})
            sink(record)
            graded += reward is not None
            rewarded += bool(reward)
    return {"runs": len(group_runs(records)), "steps": len(records), "graded": graded, "rewarded": rewarded}
