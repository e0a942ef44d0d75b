"""The `toolagent eval` CLI: resume after SIGKILL (every task exactly once), compare, one-line errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from tests.eval.fixtures import build_gaia
from toolagent.cli.eval_cmd import app

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "from toolagent.cli import main; main()"]


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_sigkill_mid_run_then_resume_runs_every_task_once(tmp_path: Path) -> None:
    data = build_gaia(tmp_path / "gaia")
    run = tmp_path / "run"
    args = [*CLI, "eval", "gaia", "--data", str(data), "--model", "py:tests.eval.models:slow_model",
            "--out", str(run), "--workers", "1", "--search", "none", "--quiet"]
    results = run / "results.jsonl"
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if results.exists() and len(results.read_text().splitlines()) >= 2:
                break
            if proc.poll() is not None:
                raise AssertionError(f"run ended early: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    before = _rows(results)
    assert 2 <= len(before) < 6, "the kill should land mid-run"
    with results.open("a") as handle:  # as if the kill had landed in the middle of a write
        handle.write('{"task_id": "t-l3-city", "status": "o')
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    after = _rows(results)
    ids = [r["task_id"] for r in after]
    assert sorted(ids) == sorted({"t-l1-calc", "t-l1-image", "t-l2-csv", "t-l2-pdf", "t-l3-list", "t-l3-city"})
    assert len(ids) == len(set(ids)) == 6
    assert after[: len(before)] == before  # finished rows were kept, not redone
    assert "accuracy" in (run / "summary.md").read_text()
    assert len(list((run / "feedback").glob("*.jsonl"))) == 6


def test_compare_prints_deltas(tmp_path: Path) -> None:
    def fake_run(name: str, graph: str, accuracy: float, errors: int) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        summary = {"benchmark": "gaia", "mode": "agent", "graph": graph, "model": "m", "tasks": 10, "ok": 10,
                   "errors": errors, "timeouts": 0, "mean_steps": 2.0, "mean_elapsed_s": 1.0,
                   "metrics": {"accuracy": accuracy, "accuracy_by_level": {"level_1": accuracy}}}
        (folder / "summary.json").write_text(json.dumps(summary))
        return folder

    a, b = fake_run("a", "react", 30.0, 2), fake_run("b", "tracer1", 42.5, 0)
    result = CliRunner().invoke(app, ["compare", str(a), str(b)], terminal_width=200)
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.strip().startswith("│ accuracy "))
    assert "30.00" in line and "42.50" in line and "+12.50" in line
    assert "accuracy_by_level.level_1" in result.output
    assert "react" in result.output and "tracer1" in result.output


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["gaia", "--data", str(tmp_path / "missing"), "--model", "py:x:y"])
    assert result.exit_code == 2 and "error: GAIA data folder not found" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["gta", "--data", str(tmp_path), "--mode", "both"])
    assert result.exit_code == 2 and "--mode must be step or e2e" in result.output
    data = build_gaia(tmp_path / "gaia")
    result = runner.invoke(app, ["gaia", "--data", str(data), "--model", "gold", "--out", str(tmp_path / "r")])
    assert result.exit_code == 2 and "gold" in result.output
    result = runner.invoke(app, ["compare", str(tmp_path / "nope"), str(tmp_path / "nope2")])
    assert result.exit_code == 2 and "not a run folder" in result.output
