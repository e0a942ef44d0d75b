"""One-tool question latency with the model loaded (issue 10 target: ≤ 20 s on 2 CPU cores).

How it is measured: each model is resolved (weights loaded) and warmed up with one untimed question first, so
loading, the first-use GGUF conversion and the guided-decoding grammar compilation are NOT in the numbers; then
each question runs ``--repeats`` times through ``toolagent.agent.run_agent`` (the same graph as ``toolagent ask``:
tracer1, horizon 5, real calculator) with ``max_steps=3``. A one-tool question is planner turn → calculator →
planner turn (the answer). Reported per model and question: the median wall time of a whole run, the planner and
tool seconds inside it, planner turns, the answer and whether it is right. The baseline is the untrained base
model (``embedded-base``) in the same run, so the ratio reads "trained vs untrained, same machine, same load".

    .venv/bin/python bench/ask_latency.py [--model embedded] [--baseline embedded-base] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any

QUESTIONS = (("What is 17 * 23 + 4?", "395"), ("How much is 12 percent of 250?", "30"))
WARMUP = "What is 2 + 3?"


def _load(spec: str) -> Any:
    from toolagent.models.resolve import resolve_model

    start = time.perf_counter()
    model = resolve_model(spec)
    if hasattr(model, "load"):
        model.load()
    return model, time.perf_counter() - start


def _run(model: Any, question: str) -> Any:
    from toolagent.agent import run_agent

    return run_agent(question, model=model, max_steps=3)


def measure(spec: str, repeats: int) -> list[dict[str, Any]]:
    from toolagent.eval.synth import answer_matches

    model, load_s = _load(spec)
    _run(model, WARMUP)
    rows = []
    for question, truth in QUESTIONS:
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            result = _run(model, question)
            wall = time.perf_counter() - start
            runs.append((wall, result))
        wall, result = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
        rows.append({"model": spec, "question": question, "load_s": load_s, "wall_s": wall,
                     "planner_s": sum(s.planner_latency_s or 0.0 for s in result.steps),
                     "tool_s": sum(s.tool_latency_s or 0.0 for s in result.steps),
                     "turns": len(result.forecasts), "answer": result.answer,
                     "right": answer_matches(result.answer, truth), "all_s": [round(r[0], 1) for r in runs]})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--baseline", default="embedded-base")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    rows = measure(args.model, args.repeats)
    try:
        base = {r["question"]: r for r in measure(args.baseline, args.repeats)} if args.baseline else {}
    except Exception as exc:  # noqa: BLE001 - a missing baseline must not lose the measured model's table
        print(f"baseline {args.baseline!r} not measured: {type(exc).__name__}: {exc}", file=sys.stderr)
        base = {}
    print(f"load average at start: {load:.1f} on {os.cpu_count()} CPUs; median of {args.repeats} runs; "
          "model load and warm-up not timed")
    print("| model | question | wall s | planner s | tool s | turns | answer | right | vs baseline |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows + list(base.values()):
        ref = base.get(row["question"])
        ratio = f"{row['wall_s'] / ref['wall_s']:.2f}x" if ref and row is not ref and ref["wall_s"] else "–"
        print(f"| {row['model']} | {row['question']} | {row['wall_s']:.1f} | {row['planner_s']:.1f} | "
              f"{row['tool_s']:.2f} | {row['turns']} | {str(row['answer'])[:20]} | {row['right']} | {ratio} |")
    target = all(r["wall_s"] <= 20.0 and r["right"] for r in rows)
    print(f"one-tool question ≤ 20 s and right with {args.model}: {'yes' if target else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
