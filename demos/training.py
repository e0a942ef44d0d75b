"""Training the planner: a synthetic tool-task suite, then one Stage-1 GRPO step on a tiny local model.

1. `toolagent train synth` writes a deterministic suite (questions, drawn images, reference trajectories);
2. a tiny random Llama with a tokenizer trained on the suite is built locally (nothing is downloaded);
3. `toolagent train stage1` runs GRPO against the reference trajectories (discounted step-alignment reward)
   for ONE optimiser step on CPU and writes the model, its config and the reward curve.
The output folder is a regular transformers model: plug it back in with `--model hf:OUT`. A real run uses the
embedded SmolLM2 or a larger local model and many more steps (see `toolagent train stage1 --help`).

    python demos/training.py          # about half a minute on a laptop CPU
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import parser


def toolagent(*args: str) -> None:
    print("$ toolagent", " ".join(args), flush=True)
    done = subprocess.run([sys.executable, "-m", "toolagent", *args], capture_output=True, text=True, check=False, timeout=600)
    lines = [line for line in done.stdout.splitlines() if line.strip() and "it/s]" not in line]
    print("\n".join(f"  {line}" for line in lines[-6:]))
    if done.returncode != 0:
        raise SystemExit(f"toolagent {args[0]} {args[1]} failed:\n{done.stderr[-2000:]}")


def main() -> int:
    cli = parser(__doc__.splitlines()[0])
    cli.add_argument("--tasks", type=int, default=6, help="synthetic train tasks (default 6)")
    args = cli.parse_args()
    work = Path(tempfile.mkdtemp(prefix="toolagent-demo-train-"))
    suite, tiny, out = work / "suite", work / "tiny-llama", work / "stage1"

    toolagent("train", "synth", "--n", str(args.tasks), "--heldout", "0", "--out", str(suite))
    tasks = [json.loads(line) for line in (suite / "tasks.jsonl").read_text().splitlines()]
    print(f"  e.g. [{tasks[0]['kind']}] {tasks[0]['question']}")
    print(f"       reference: {' → '.join(s['tool'] for s in tasks[0]['reference'])}")

    if args.model:
        model = args.model
    else:
        from toolagent.train.tiny import build_tiny_llama

        build_tiny_llama(tiny, [json.dumps(t) for t in tasks], vocab_size=400)
        model = f"hf:{tiny}"
        print(f"built a tiny random Llama (2 layers, hidden 32) in {tiny}")

    toolagent("train", "stage1", "--data", str(suite), "--model", model, "--output", str(out), "--max-steps", "1",
              "--num-generations", "2", "--max-completion-length", "12", "--lr", "1e-3", "--device", "cpu")
    with (out / "reward_curve.csv").open() as handle:
        rewards = [row["reward"] for row in csv.DictReader(handle) if row.get("reward")]
    config = json.loads((out / "train_config.json").read_text())
    print(f"trained stage {config['stage']}: {len(rewards)} step, reward {rewards}; files: "
          f"{', '.join(sorted(p.name for p in out.iterdir() if p.suffix in ('.safetensors', '.csv', '.png')))}")
    print(f"use it: toolagent ask \"What is 2 + 3?\" --model hf:{out}")
    return 0 if (out / "model.safetensors").is_file() and len(rewards) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
