"""Every demo runs offline as `python demos/X.py`, prints what it shows and exits 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DEMOS = Path(__file__).resolve().parents[2] / "demos"

#: demo -> fragments its output must contain
EXPECTED = {
    "cli_image_question.py": ["forecast 1", "executing ocr", "3.50 + 2.25 + 4.10", "--json: status=answered answer=9.85"],
    "langchain_app.py": ["answer: 9.85", "12.5 x 4 = 50.0;  3 x 7 = 21", "According to the planning agent: 395",
                         "'tool: math_agent': 1"],
    "stream_forecast.py": ["forecast 1", "▶ runs now", "anticipated", "observation from ocr", "answer", "9.85",
                           "start → planner → tools → tools"],
    "approve_before_execute.py": ["paused before ocr", "decision: approve", "'expression': '3.50 + 4.10'",
                                  "forecast had", "→ answered: 7.6", "→ stopped:", "steps executed: 0"],
    "sqlite_resume.py": ["worker: executed ocr; now killed (SIGKILL)", "next node ('tools',), 1 forecast(s) saved",
                         "resumed: answered, answer 9.85", "planner turns after the restart: 2"],
    "evaluation.py": ["gold: InstAcc=100.0, ToolAcc=100.0, ArgAcc=100.0", "lazy: InstAcc=33.3, ToolAcc=0.0",
                      "run comparison", "+100.00"],
    "training.py": ["wrote 6 train", "trained 1 step(s)", "trained stage stage1: 1 step", "model.safetensors"],
}


#: the caller's environment without PYTHONPATH: a demo must find its own modules
ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "COLUMNS": "100"}


def _run(name: str, timeout: int) -> str:
    done = subprocess.run([sys.executable, str(DEMOS / name)], capture_output=True, text=True, check=False, timeout=timeout,
                          cwd=DEMOS.parent, env=ENV)
    assert done.returncode == 0, f"{name} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.mark.parametrize("name", [n for n in EXPECTED if n != "training.py"])
def test_demo(name: str) -> None:
    out = _run(name, timeout=180)
    for fragment in EXPECTED[name]:
        assert fragment in out, f"{name}: {fragment!r} missing from:\n{out}"


@pytest.mark.slow
def test_training_demo() -> None:
    out = _run("training.py", timeout=400)
    for fragment in EXPECTED["training.py"]:
        assert fragment in out, f"{fragment!r} missing from:\n{out}"


def test_every_demo_is_tested() -> None:
    scripts = {p.name for p in DEMOS.glob("*.py") if not p.name.startswith("_") and p.name != "scripted_planners.py"}
    assert scripts == set(EXPECTED)
