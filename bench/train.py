"""Stage-1 GRPO throughput and peak memory: SmolLM2-135M (embedded) + LoRA vs peers measured in the same run.

Each configuration trains in its own subprocess (so peak RSS is its own) on the same Stage-1 dataset built from a
small synthetic suite (real calculator / OCR / local web_search observations, the exact planner prompts).

    python bench/train.py [--steps 3] [--generations 4] [--completion 64] [--configs lora,full,tiny]

Columns: steps/min over the trainer's own train_runtime (model loading excluded), seconds per step, peak RSS
(ru_maxrss of the child) and ratios against the first configuration.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CONFIGS = {
    "lora": ("SmolLM2-135M + LoRA r16", "embedded", True),
    "full": ("SmolLM2-135M full fine-tune", "embedded", False),
    "tiny": ("tiny random Llama (2x32) + LoRA", "tiny", True),
}


def build_data(work: Path, tasks: int) -> Path:
    """A Stage-1 dataset folder (and a tiny model for the ``tiny`` peer) under ``work``."""
    from toolagent.tools.registry import build_tools

    from toolagent.train.datasets import (
        planner_tools,
        stage1_rows,
        suite_references,
        suite_tool_config,
    )
    from toolagent.train.export import to_dataset
    from toolagent.train.synth import write_suite
    from toolagent.train.tiny import build_tiny_llama

    suite = work / "suite"
    write_suite(suite, tasks, seed=0, heldout=0)
    tools = build_tools(suite_tool_config(suite), names=["calculator", "ocr", "web_search"])
    refs = suite_references(suite, "train", tools=tools)
    rows = stage1_rows(refs, planner_tools(suite), horizon=5)
    to_dataset(rows).save_to_disk(str(work / "stage1"))
    build_tiny_llama(work / "tiny", [m["content"] for r in rows for m in r["prompt"]])
    return work / "stage1"


def child(config: str, work: Path, steps: int, generations: int, completion: int) -> None:
    from datasets import load_from_disk

    from toolagent.train.rewards import make_stage1_reward_func
    from toolagent.train.trainers import TrainSettings, run_grpo

    _, model, lora = CONFIGS[config]
    spec = "embedded" if model == "embedded" else f"hf:{work / 'tiny'}"
    settings = TrainSettings(stage="stage1", model=spec, data=str(work / "stage1"), output=str(work / f"out-{config}"),
                             lora=lora, max_steps=steps, num_generations=generations,
                             max_completion_length=completion, learning_rate=1e-5, device="auto")
    dataset = load_from_disk(str(work / "stage1"))
    start = time.perf_counter()
    result = run_grpo(settings, dataset, [make_stage1_reward_func(settings.weights)])
    history = json.loads((Path(result.output) / "log_history.json").read_text())
    runtime = next(row["train_runtime"] for row in history if "train_runtime" in row)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"config": config, "steps": result.steps, "train_s": runtime,
                      "wall_s": time.perf_counter() - start, "peak_rss_mib": peak_kib / 1024,
                      "reward": result.final_reward}))


def run_children(script: str, configs: list[str], extra: list[str]) -> list[dict[str, Any]]:
    """Run ``script --child CONFIG *extra`` per configuration (its own process: its own peak RSS); each child
    prints one ``{"config": ...}`` JSON line. A failed child is reported and skipped; none left: exit 1."""
    results = []
    for config in configs:
        proc = subprocess.run([sys.executable, script, "--child", config, *extra], capture_output=True, text=True,
                              check=False)
        lines = [line for line in proc.stdout.splitlines() if line.startswith('{"config"')]
        if proc.returncode != 0 or not lines:
            print(f"{config}: failed\n{proc.stderr[-2000:]}")
            continue
        results.append(json.loads(lines[-1]))
    if not results:
        sys.exit(1)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--generations", type=int, default=4)
    parser.add_argument("--completion", type=int, default=64)
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--configs", default="lora,full,tiny")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--work", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, Path(args.work), args.steps, args.generations, args.completion)
        return
    import torch

    from toolagent.models.embedded import embedded_model_dir

    embedded_model_dir()  # convert once, outside the timed children
    work = Path(tempfile.mkdtemp(prefix="toolagent-bench-train-"))
    data_start = time.perf_counter()
    build_data(work, args.tasks)
    from datasets import load_from_disk

    rows = len(load_from_disk(str(work / "stage1")))
    print(f"device: {'cuda' if torch.cuda.is_available() else 'cpu'}, torch threads {torch.get_num_threads()}; "
          f"{rows} Stage-1 prompts built in {time.perf_counter() - data_start:.1f} s; "
          f"{args.steps} steps x {args.generations} generations x <= {args.completion} tokens")
    results = run_children(__file__, args.configs.split(","),
                           ["--work", str(work), "--steps", str(args.steps), "--generations", str(args.generations),
                            "--completion", str(args.completion)])
    base = results[0]
    base_rate = base["steps"] / base["train_s"] * 60
    print(f"\n{'configuration':34} {'steps/min':>9} {'s/step':>7} {'peak RSS MiB':>12} {'speed x':>8} {'RSS x':>6}")
    for row in results:
        rate = row["steps"] / row["train_s"] * 60
        print(f"{CONFIGS[row['config']][0]:34} {rate:9.2f} {row['train_s'] / row['steps']:7.1f} "
              f"{row['peak_rss_mib']:12.0f} {rate / base_rate:8.2f} {row['peak_rss_mib'] / base['peak_rss_mib']:6.2f}")


if __name__ == "__main__":
    main()
