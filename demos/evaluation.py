"""Evaluating the planner on GTA-style tasks with `toolagent eval gta` (step mode) and comparing two runs.

Writes a tiny GTA snapshot in the official layout (dataset.json, toolmeta.json, image/) with two drawn images,
then runs step mode twice through the real CLI: the `gold` model (replays the reference steps: must score 100,
which checks loader, prompt, tool schemas and scorer agree) and a deliberately lazy planner that answers at once
without tools. `toolagent eval compare` prints both side by side with the deltas.

    python demos/evaluation.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import parser

from toolagent.train.synth_draw import price_tag, receipt

HERE = Path(__file__).resolve().parent
TOOLMETA = {"OCR": [("image", "image")], "Calculator": [("expression", "text")]}


def _call(name: str, arguments: dict[str, Any], thought: str) -> dict[str, Any]:
    return {"role": "assistant", "thought": thought,
            "tool_calls": [{"type": "function", "function": {"name": name, "arguments": arguments}}]}


def _output(name: str, content: str) -> dict[str, Any]:
    return {"role": "tool", "name": name, "content": {"type": "text", "content": content}}


def _entry(image: str, query: str, dialog: list[dict[str, Any]], answer: str, whitelist: list[str]) -> dict[str, Any]:
    return {"tools": [{"name": t, "description": f"{t} tool"} for t in TOOLMETA],
            "files": [{"type": "image", "path": image, "url": ""}],
            "dialogs": [{"role": "user", "content": query}, *dialog, {"role": "assistant", "content": answer}],
            "gt_answer": {"whitelist": [whitelist], "blacklist": None}}


def write_gta_snapshot(root: Path) -> Path:
    (root / "image").mkdir(parents=True, exist_ok=True)
    receipt(root / "image" / "image_1.png", "Corner Cafe", [("Coffee", "3.50"), ("Bagel", "2.25")])
    price_tag(root / "image" / "image_2.png", "Green tea", "4.75")
    dataset = {
        "0": _entry("image/image_1.png", "What is the total of this receipt?",
                    [_call("OCR", {"image": "image/image_1.png"}, "Read the receipt."),
                     _output("OCR", "CORNER CAFE\nCoffee 3.50\nBagel 2.25"),
                     _call("Calculator", {"expression": "3.50+2.25"}, "Add the prices."),
                     _output("Calculator", "5.75")], "The total is 5.75.", ["5.75"]),
        "1": _entry("image/image_2.png", "How much do three of these cost?",
                    [_call("OCR", {"image": "image/image_2.png"}, "Read the price tag."),
                     _output("OCR", "Green tea\n4.75"),
                     _call("Calculator", {"expression": "4.75*3"}, "Multiply by three."),
                     _output("Calculator", "14.25")], "Three cost 14.25.", ["14.25"]),
    }
    toolmeta = {name: {"name": name, "description": f"{name} tool",
                       "inputs": [{"type": kind, "name": arg, "description": None, "optional": False}
                                  for arg, kind in inputs], "outputs": [{"type": "text"}]}
                for name, inputs in TOOLMETA.items()}
    (root / "dataset.json").write_text(json.dumps(dataset, indent=1), encoding="utf-8")
    (root / "toolmeta.json").write_text(json.dumps(toolmeta, indent=1), encoding="utf-8")
    return root


def toolagent(*args: str) -> subprocess.CompletedProcess[str]:
    print("$ toolagent", " ".join(args), flush=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
           "COLUMNS": "120"}
    done = subprocess.run([sys.executable, "-m", "toolagent", *args], env=env, capture_output=True, text=True, check=False,
                          timeout=300)
    if done.returncode != 0:
        print(done.stdout, done.stderr, file=sys.stderr)
    return done


def main() -> int:
    args = parser(__doc__.splitlines()[0]).parse_args()
    work = Path(tempfile.mkdtemp(prefix="toolagent-demo-eval-"))
    data = write_gta_snapshot(work / "gta")
    runs = {"gold": work / "run-gold", "lazy": work / "run-lazy"}
    models = {"gold": "gold", "lazy": args.model or "py:scripted_planners:lazy_planner"}
    for name, run in runs.items():
        done = toolagent("eval", "gta", "--data", str(data), "--mode", "step", "--model", models[name],
                         "--out", str(run), "--quiet")
        if done.returncode != 0:
            return done.returncode
        summary = json.loads((run / "summary.json").read_text())
        print(f"  {name}: " + ", ".join(f"{k}={v:.1f}" for k, v in summary["metrics"].items()
                                        if isinstance(v, (int, float))))
    compared = toolagent("eval", "compare", str(runs["lazy"]), str(runs["gold"]))
    print(compared.stdout)
    gold = json.loads((runs["gold"] / "summary.json").read_text())["metrics"]
    return compared.returncode or (0 if gold.get("ToolAcc") == 100.0 else 1)


if __name__ == "__main__":
    sys.exit(main())
