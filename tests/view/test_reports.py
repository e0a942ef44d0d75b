"""What a researcher reads about a run: progress lines when output is redirected, resume and missing-attachment
notices, the report's plots and tables, and `eval compare` at 80 columns."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.eval.fixtures import build_gaia
from toolagent.cli import app
from toolagent.eval import progress
from toolagent.eval.plots import _group_counts, run_label
from toolagent.eval.report import tool_calls

runner = CliRunner()


def gaia_cli(data: Path, out: Path, *extra: str, model: str = "py:tests.eval.models:sluggish_model") -> Result:
    return runner.invoke(app, ["eval", "gaia", "--data", str(data), "--out", str(out), "--model", model,
                               "--search", "none", "--workers", "1", *extra])


def test_progress_lines_resume_and_missing_attachment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "LINE_EVERY_S", 0.5)
    data = build_gaia(tmp_path / "gaia")
    (data / "2023" / "validation" / "t-l1-image.png").unlink()
    run = tmp_path / "run"
    first = gaia_cli(data, run, "--limit", "2")   # stderr is not a terminal here: plain lines, no live bar
    assert first.exit_code == 0, first.stderr
    lines = first.stderr.splitlines()
    assert any(line.startswith("warning: task t-l1-image: attachment t-l1-image.png is missing") for line in lines)
    progress_lines = [line for line in lines if line.startswith("[gaia validation] ")]
    assert progress_lines[0].startswith("[gaia validation] 0/2 (0%)")
    assert any("running t-l1-calc" in line for line in progress_lines)       # a tick while the task runs
    assert any("ETA " in line for line in progress_lines if " 1/2 " in line)
    last = progress_lines[-1]
    assert last.startswith("[gaia validation] 2/2 (100%)") and "acc " in last and "errors 0" in last
    summary = json.loads((run / "summary.json").read_text())
    assert summary["missing_attachments"] == {"t-l1-image": "t-l1-image.png"}
    assert "## Warnings" in (run / "summary.md").read_text() and "t-l1-image" in first.stdout
    again = gaia_cli(data, run, "--limit", "3")
    assert again.exit_code == 0, again.stderr
    assert "resumed 2 done (1 of 3 tasks left)" in again.stderr
    assert "missing" not in again.stderr                                    # warned only for tasks still to run


def test_report_plots_and_tool_error_rates(run_dir: Path) -> None:
    plots = {p.name for p in (run_dir / "plots").glob("*.png")}
    assert plots == {"accuracy.png", "steps_hist.png", "tool_usage.png", "accuracy_vs_steps.png",
                     "accuracy_vs_time.png"}
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["tool_errors"] == {"calculator": 0, "read_file": 0, "crop_image": 0, "draw_box": 0}
    assert summary["horizon"] == 5 and summary["missing_attachments"] == {}
    assert run_label(summary) == "GAIA validation · py:tests.view.models:view_model · tracer1"   # in every title
    assert "| crop_image | 1 | 0 | 0.00% |" in (run_dir / "summary.md").read_text()
    rows = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]
    assert _group_counts(rows) == {"Level 1": 2, "Level 2": 2, "Level 3": 2}     # the n under each bar


def test_tool_calls_count_failures_from_rows_and_logs(run_dir: Path) -> None:
    from toolagent.eval.runner import load_run

    job, rows = load_run(run_dir)
    gta_rows = [{"task_id": "1", "status": "ok", "pred_calls": [{"name": "OCR", "error": "no text"},
                                                                 {"name": "OCR", "error": None}]},
                {"task_id": "2", "status": "ok", "turns": [{"pred_type": "tool", "pred_name": "Calculator",
                                                            "schema_error": "bad args"},
                                                           {"pred_type": "answer", "pred_name": "answer"}]},
                {"task_id": "3", "status": "error", "pred_calls": [{"name": "OCR", "error": "x"}]}]
    assert tool_calls(job, gta_rows) == {"OCR": [2, 1], "Calculator": [1, 1]}
    log = run_dir / "feedback" / "t-l1-calc.jsonl"
    original = log.read_text()
    records = [json.loads(line) for line in original.splitlines()]
    records[0]["observation"]["error"] = "division by zero"
    try:
        log.write_text("".join(json.dumps(r) + "\n" for r in records))
        assert tool_calls(job, rows)["calculator"] == [2, 1]
    finally:
        log.write_text(original)


def test_compare_at_80_columns_with_a_react_run(run_dir: Path, tmp_path: Path) -> None:
    from toolagent.eval.job import EvalJob
    from toolagent.eval.runner import run_eval

    data = build_gaia(tmp_path / "gaia")
    react = EvalJob(bench="gaia", data=str(data), run_dir=str(tmp_path / "react"), graph="react", workers=2,
                    model="py:tests.eval.models:gaia_model", tool_options={"search": "none"})
    summary = run_eval(react, progress=False)
    assert summary["horizon"] is None
    assert "| horizon | - (react plans one step) |" in (react.path / "summary.md").read_text()
    result = runner.invoke(app, ["eval", "compare", str(run_dir), str(react.path), "--plot",
                                 str(tmp_path / "compare.png")], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    for level in (1, 2, 3):
        assert re.search(rf"accuracy_by_level\.level_{level} +│ +[\d.]+ │", out), out
    assert "A: tracer1 T=5 · py:tests.view.models:view_model" in out and "B: react · " in out
    assert (tmp_path / "compare.png").read_bytes()[:4] == b"\x89PNG"
