"""The shipped tracer1-tiny adapter loads offline and answers a fixed calculator question through the CLI, and a
plain question through the agent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from toolagent.models import embedded

pytestmark = pytest.mark.slow


@pytest.mark.skipif(embedded.adapter_dir() is None, reason="no adapter shipped in toolagent/models/weights/")
def test_ask_answers_the_readme_question_with_the_shipped_adapter() -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "toolagent", "ask", "What is 17 * 23 + 4?", "--max-steps", "3",
                           "--json"], capture_output=True, text=True, env=env, timeout=600, check=False,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["status"] == "answered" and "395" in result["answer"], result["answer"]
    assert [s["executed"]["tool"] for s in result["steps"]][0] == "calculator"


@pytest.mark.skipif(embedded.adapter_dir() is None, reason="no adapter shipped in toolagent/models/weights/")
def test_the_planner_answers_a_plain_question() -> None:
    from toolagent.agent import run_agent

    result = run_agent("What is the capital of France?", max_steps=3)
    assert result.status == "answered" and "paris" in (result.answer or "").lower(), result.answer


def test_shipped_adapter_is_small_and_carries_a_model_card() -> None:
    folder = embedded.ADAPTER_DIR
    if embedded.adapter_dir() is None:
        pytest.skip("no adapter shipped")
    assert (folder / "adapter_model.safetensors").stat().st_size <= 20 * 1024 * 1024
    card = (folder / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "SmolLM2-135M" in card and "commit" in card
