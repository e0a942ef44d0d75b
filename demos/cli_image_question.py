"""Ask a question about an image from the command line: `toolagent ask --image receipt.png`.

Draws a small receipt, then runs the real CLI in a subprocess twice: once with the live view (each forecast, the
executed call and its observation), once with --json (the RunResult, for scripts). The planner is the scripted
receipt planner from scripted_planners.py, loaded by the CLI through a `py:` model spec; pass --model to use a
real one (e.g. --model openai:gpt-4o-mini or ollama:qwen2.5vl).

    python demos/cli_image_question.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from _common import TOTAL, draw_receipt, parser

HERE = Path(__file__).resolve().parent
QUESTION = "What is the total of this receipt?"


def toolagent_ask(image: Path, model: str, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "toolagent", "ask", QUESTION, "--image", str(image), "--model", model, *extra]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    print("$ toolagent ask", json.dumps(QUESTION), "--image", image.name, "--model", model, *extra, flush=True)
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=300)


def main() -> int:
    args = parser(__doc__.splitlines()[0]).parse_args()
    model = args.model or "py:scripted_planners:receipt_planner"
    image = draw_receipt()
    print(f"drew {image} (a receipt: Coffee 3.50, Bagel 2.25, Orange juice 4.10)\n")

    live = toolagent_ask(image, model)
    print(live.stdout)
    if live.returncode != 0:
        print(live.stderr, file=sys.stderr)
        return live.returncode

    as_json = toolagent_ask(image, model, "--json")
    result = json.loads(as_json.stdout)
    print(f"--json: status={result['status']} answer={result['answer']} "
          f"steps={[s['executed']['tool'] for s in result['steps']]}")
    if args.model is None and result["answer"] != TOTAL:
        print(f"expected {TOTAL}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
