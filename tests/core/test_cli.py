"""The CLI: the main job, --json purity, exit codes, and one clear line for every bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from toolagent.cli import app

ROOT = Path(__file__).resolve().parents[2]
CALC = "py:tests.core.cli_models:calc_model"
runner = CliRunner()


def _run(*args: str):  # noqa: ANN202
    return runner.invoke(app, list(args))


@pytest.fixture()
def png(tmp_path: Path) -> Path:
    path = tmp_path / "ok.png"
    Image.new("RGB", (64, 32), "white").save(path)
    return path


def test_ask_json_prints_only_the_run_result() -> None:
    result = _run("ask", "What is 17 * 23 + 4?", "--model", CALC, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["answer"] == "395" and data["status"] == "answered"
    assert [s["executed"]["tool"] for s in data["steps"]] == ["calculator", "answer"]


def test_ask_live_view_shows_forecast_call_and_answer() -> None:
    result = _run("ask", "What is 17 * 23 + 4?", "--model", CALC)
    assert result.exit_code == 0
    for fragment in ("forecast 1", "executing", "calculator", "395", "answer"):
        assert fragment in result.stdout


def test_no_answer_exits_1() -> None:
    result = _run("ask", "anything", "--model", "py:tests.core.cli_models:never_answers", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"] == "planner_error"


def _bad_inputs(tmp_path: Path, png: Path) -> dict[str, tuple[list[str], str]]:
    text_file = tmp_path / "notes.png"
    text_file.write_text("not an image at all")
    truncated = tmp_path / "cut.png"
    full = tmp_path / "full.png"
    Image.new("RGB", (200, 200), "red").save(full)
    truncated.write_bytes(full.read_bytes()[:120])
    return {
        "missing image": (["ask", "q", "--image", str(tmp_path / "nope.png")], "image not found"),
        "directory": (["ask", "q", "--image", str(tmp_path)], "directory"),
        "non-image": (["ask", "q", "--image", str(text_file)], "not an image"),
        "truncated": (["ask", "q", "--image", str(truncated)], "corrupt or truncated"),
        "empty question": (["ask", "   ", "--model", CALC], "question is empty"),
        "unknown model": (["ask", "q", "--model", "gpt5-please"], "unknown model spec"),
        "int8 remote model": (["ask", "q", "--model", "openai:m@int8"], "@int8 applies to local models"),
        "unreachable": (["ask", "q", "--model", "openai:m", "--base-url", "http://127.0.0.1:9/v1"],
                        "http://127.0.0.1:9/v1"),
        "horizon 0": (["ask", "q", "--horizon", "0", "--model", CALC], "--horizon"),
        "malformed args": (["tool", "calculator", "--args", "{expression: 2}"], "not valid JSON"),
        "unknown tool": (["tool", "hammer", "--args", "{}"], "unknown tool 'hammer'"),
    }


@pytest.mark.parametrize("case", ["missing image", "directory", "non-image", "truncated", "empty question",
                                  "unknown model", "int8 remote model", "unreachable", "horizon 0", "malformed args", "unknown tool"])
def test_bad_input_is_one_line_and_exit_2(case: str, tmp_path: Path, png: Path) -> None:
    args, fragment = _bad_inputs(tmp_path, png)[case]
    result = _run(*args)
    assert result.exit_code == 2, (case, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_tool_command_runs_one_tool() -> None:
    result = _run("tool", "calculator", "--args", '{"expression": "sqrt(16) + 1"}')
    assert result.exit_code == 0
    assert "5" in json.loads(result.stdout)["text"]
    failed = _run("tool", "calculator", "--args", '{"expression": "__import__(1)"}')
    assert failed.exit_code == 1 and json.loads(failed.stdout)["error"]


def test_tools_lists_availability_with_reasons() -> None:
    result = _run("tools", "--json")
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["calculator"]["available"] is True
    assert rows["text_to_image"]["available"] is False and rows["text_to_image"]["reason"]


def test_real_process_bad_input_and_version(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    exe = [sys.executable, "-m", "toolagent.cli"]
    proc = subprocess.run([*exe, "ask", "q", "--image", str(tmp_path / "missing.jpg")], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    version = subprocess.run([*exe, "--version"], capture_output=True, text=True, env=env, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("toolagent ")
