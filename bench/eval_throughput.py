"""Evaluation throughput: tasks per minute of the eval runner at 1, 4 and 16 workers.

Each task is a GAIA-format question answered by the real agent (tracer1 graph, real calculator tool) whose planner
is a ScriptedChatModel with a fixed latency per call (default 50 ms); a task takes two planner calls (calculator,
then answer), so a task is ~2 x latency of waiting plus the agent's own CPU work. The runner is the real one
(``run_eval``: thread workers, results.jsonl fsynced per row, feedback log per task); only the report is skipped.

    python bench/eval_throughput.py                 # 50 ms per call, workers 1, 4, 16
    python bench/eval_throughput.py --latency 0.5   # closer to a served model

The table prints tasks/minute and the ratio vs 1 worker measured in the same run; the ideal ratio is the worker
count, and the gap is the per-task CPU work that the GIL serialises (graph compile, prompt, tool schemas).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from langchain_core.messages import BaseMessage

from toolagent.models.scripted import ScriptedChatModel

LATENCY_S = 0.05


def _policy(messages: Sequence[BaseMessage]) -> str:
    text = str(messages[-1].content)
    numbers = re.search(r"What is (\d+) times (\d+)\?", text)
    a, b = (numbers.group(1), numbers.group(2)) if numbers else ("0", "0")
    if "calculator(" in text:  # the history holds the calculator step: answer
        plan = [{"tool": "answer", "args": {"text": f"FINAL ANSWER: {int(a) * int(b)}"}, "status": "done"}]
    else:
        plan = [{"expect": "the product", "tool": "calculator", "args": {"expression": f"{a}*{b}"},
                 "instruction": "multiply", "status": "not done"},
                {"expect": "done", "tool": "answer", "args": {"text": "?"}, "status": "done"}]
    return "<answer>" + json.dumps({"thought": "multiply then answer", "plan": plan}) + "</answer>"


def bench_model() -> ScriptedChatModel:
    """Resolved by the runner through the spec ``py:__main__:bench_model``."""
    return ScriptedChatModel(policy=_policy, latency_s=LATENCY_S)


def write_tasks(root: Path, count: int) -> Path:
    folder = root / "2023" / "validation"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "metadata.jsonl").open("w") as handle:
        for i in range(count):
            a, b = 3 + i % 17, 7 + i % 11
            handle.write(json.dumps({"task_id": f"task-{i:04d}", "Question": f"What is {a} times {b}?",
                                     "Level": 1 + i % 3, "Final answer": str(a * b), "file_name": ""}) + "\n")
    return root


def measure(workers: int, tasks: int, scratch: Path) -> tuple[float, float]:
    from toolagent.eval.job import EvalJob
    from toolagent.eval.runner import run_eval

    data = write_tasks(scratch / f"data-{workers}", tasks)
    job = EvalJob(bench="gaia", data=str(data), run_dir=str(scratch / f"run-{workers}"),
                  model="py:__main__:bench_model", workers=workers, task_timeout=120,
                  tool_options={"search": "none"})
    start = time.perf_counter()
    run_eval(job, progress=False, report=False)
    elapsed = time.perf_counter() - start
    rows = [json.loads(line) for line in (job.path / "results.jsonl").read_text().splitlines()]
    correct = sum(bool(r.get("correct")) for r in rows)
    if len(rows) != tasks or correct != tasks:
        sys.exit(f"benchmark run is wrong: {len(rows)} rows, {correct} correct of {tasks}")
    return elapsed, tasks / elapsed * 60


def main() -> None:
    global LATENCY_S
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per planner call")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--tasks-per-worker", type=int, default=6, help="tasks = max(24, this x workers)")
    args = parser.parse_args()
    LATENCY_S = args.latency
    with tempfile.TemporaryDirectory(prefix="eval-throughput-") as tmp:
        scratch = Path(tmp)
        measure(1, 2, scratch / "warmup")  # imports, first graph compile
        results = []
        for workers in args.workers:
            tasks = max(24, args.tasks_per_worker * workers)
            elapsed, per_min = measure(workers, tasks, scratch)
            results.append((workers, tasks, elapsed, per_min))
    base = results[0][3]
    print(f"\neval runner throughput — ScriptedChatModel {args.latency * 1000:.0f} ms/call, 2 calls/task, "
          f"real agent + calculator")
    print(f"{'workers':>7} | {'tasks':>5} | {'seconds':>7} | {'tasks/min':>9} | {'vs 1 worker':>11}")
    print(f"{'-' * 7}-+-{'-' * 5}-+-{'-' * 7}-+-{'-' * 9}-+-{'-' * 11}")
    for workers, tasks, elapsed, per_min in results:
        print(f"{workers:>7} | {tasks:>5} | {elapsed:>7.2f} | {per_min:>9.0f} | {per_min / base:>10.1f}x")


if __name__ == "__main__":
    main()
