"""SFT throughput: the shared-prefix loss (system prompt once per batch) vs TRL's plain rows, same data, same run.

Each configuration trains SmolLM2-135M (embedded) + LoRA on the top 10 layers, as the recipe does, in its own
subprocess on the same rows: a small synthetic suite's reference states with real tool observations and the exact
planner prompts (compact profile, the one the agent uses for this model).

    python bench/sft.py [--tasks 12] [--rows 24] [--threads 2]

Columns: rows per minute over the trainer's own train_runtime (model loading excluded), seconds per row, the last
logged loss, peak RSS (ru_maxrss of the child) and the speed ratio against TRL's plain rows (batch 1 × gradient
accumulation 4: no padding, every row's 345-token system prompt computed again).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from train import run_children  # noqa: E402  (the per-configuration subprocess runner of the GRPO bench)

#: name: (label, batch size, gradient accumulation, shared prefix)
CONFIGS = {
    "trl": ("TRL SFTTrainer, batch 1 x accum 4", 1, 4, False),
    "shared": ("shared prefix, batch 4", 4, 1, True),
    "shared8": ("shared prefix, batch 8", 8, 1, True),
}


def build_data(work: Path, tasks: int) -> Path:
    """The recipe's data stage on a small suite: every reference state, compact prompts, decoder targets."""
    from toolagent.train.recipe import Recipe, RecipeSettings

    recipe = Recipe(RecipeSettings(out=str(work / "recipe"), n_train=tasks, n_heldout=1), echo=lambda _: None)
    for index, (stage, fn) in enumerate((("suite", recipe.stage_suite), ("base", recipe.stage_base),
                                         ("data", recipe.stage_data)), start=1):
        recipe.run_stage(index, 3, stage, fn)
    return recipe.path("data")


def child(config: str, data: Path, rows: int, threads: int) -> None:
    import torch
    from datasets import load_from_disk

    from toolagent.train.trainers import TrainSettings, train_sft

    torch.set_num_threads(threads)
    _, batch, accum, shared = CONFIGS[config]
    dataset = load_from_disk(str(data)).shuffle(seed=0)
    dataset = dataset.select(range(min(rows, len(dataset))))
    settings = TrainSettings(stage="sft", model="embedded", data=str(data), output=str(data.parent / f"out-{config}"),
                             lora=True, lora_layers=list(range(20, 30)), learning_rate=4e-4, device="cpu",
                             batch_size=batch, gradient_accumulation_steps=accum, shared_prefix=shared,
                             max_steps=len(dataset) // (batch * accum))
    result = train_sft(settings, dataset)
    history = json.loads((Path(result.output) / "log_history.json").read_text())
    runtime = next(row["train_runtime"] for row in history if "train_runtime" in row)
    print(json.dumps({"config": config, "rows": result.steps * batch * accum, "train_s": runtime,
                      "loss": result.final_loss,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=12, help="train tasks in the suite the rows come from")
    parser.add_argument("--rows", type=int, default=24, help="rows each configuration trains on")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--configs", default="trl,shared,shared8")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--data", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, Path(args.data), args.rows, args.threads)
        return
    data = build_data(Path(tempfile.mkdtemp(prefix="toolagent-bench-sft-")), args.tasks)
    results = run_children(__file__, args.configs.split(","),
                           ["--data", str(data), "--rows", str(args.rows), "--threads", str(args.threads)])
    print(f"torch threads {args.threads}; rows from a {args.tasks}-task suite (compact planner prompts)")
    base = results[0]["rows"] / results[0]["train_s"]
    print(f"\n{'configuration':36} {'rows':>4} {'rows/min':>8} {'s/row':>6} {'loss':>6} {'peak RSS MiB':>12} "
          f"{'speed x':>7}")
    for row in results:
        rate = row["rows"] / row["train_s"]
        print(f"{CONFIGS[row['config']][0]:36} {row['rows']:4d} {rate * 60:8.1f} {1 / rate:6.2f} {row['loss']:6.3f} "
              f"{row['peak_rss_mib']:12.0f} {rate / base:7.2f}")


if __name__ == "__main__":
    main()
