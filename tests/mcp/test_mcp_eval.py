"""``toolagent eval --mcp``: an evaluation's agents get the MCP servers' tools, the servers started once per
worker (every task of a thread-backend run is served by the same server process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.eval.fixtures import build_gaia
from tests.mcp.conftest import stdio_config, write_config

ROOT = Path(__file__).resolve().parents[2]


def test_eval_gaia_with_an_mcp_server(tmp_path: Path) -> None:
    data, run = build_gaia(tmp_path / "gaia"), tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "toolagent", "eval", "gaia", "--data", str(data), "--out", str(run),
                           "--model", "py:tests.mcp.planner:pid_model", "--workers", "3", "--search", "none",
                           "--mcp", str(write_config(tmp_path, stdio_config())), "--quiet"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 6 and all(r["tools"] == ["server_pid"] for r in rows)
    assert len({r["model_answer"] for r in rows}) == 1 and rows[0]["model_answer"].isdigit()  # one server process
    assert json.loads((run / "config.json").read_text())["job"]["mcp"].endswith("mcp.json")


def test_eval_with_a_bad_mcp_config_is_one_line(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "toolagent", "eval", "gaia", "--data", str(tmp_path),
                           "--mcp", str(tmp_path / "none.json")], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 2 and "MCP config not found" in proc.stderr and "Traceback" not in proc.stderr
