"""`toolagent view` and `ask --html` without a browser: the four inputs, bad input, record variants, divergence."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from typer.testing import CliRunner

from tests.eval.fixtures import build_gaia
from tests.view.conftest import VIEW_MODEL
from toolagent.cli import app
from toolagent.view.model import divergence

runner = CliRunner()


def view(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["view", *args])
    return result.exit_code, result.stdout, result.stderr


def rows_of(html: str) -> list[str]:
    table = html.split('id="task-table"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<tr(?: hidden)? data-task="[^"]+" data-index="\d+" data-id="([^"]+)"', table)


def turns(html: str) -> int:
    return len(re.findall(r'class="turn[ "]', html))


def test_run_folder_renders_one_self_contained_page(run_dir: Path, tmp_path: Path) -> None:
    code, out, err = view(str(run_dir), "--out", str(tmp_path / "page.html"))
    assert code == 0, err
    assert out.strip() == str(tmp_path / "page.html")
    html = (tmp_path / "page.html").read_text(encoding="utf-8")
    assert sorted(rows_of(html)) == sorted(["t-l1-calc", "t-l1-image", "t-l2-csv", "t-l2-pdf", "t-l3-list",
                                            "t-l3-city"])
    # nothing external: no stylesheet/script links, every image inline
    assert "<link" not in html and not re.search(r'<script[^>]+src=', html)
    assert not re.search(r'(src|href)="(?!data:|#)', html)
    assert html.count('<img class="plot') == 5              # the report's plots
    assert 'data-outcome="wrong"' in html and "Level 3" in html
    # default output: report.html inside the run folder
    code, out, _ = view(str(run_dir))
    assert code == 0 and out.strip() == str(run_dir / "report.html")


def test_results_file_alone_and_a_torn_last_line(run_dir: Path, tmp_path: Path) -> None:
    lines = (run_dir / "results.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    torn = tmp_path / "elsewhere" / "results.jsonl"
    torn.parent.mkdir()
    torn.write_text("".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2], encoding="utf-8")
    code, out, err = view(str(torn))
    assert code == 0
    assert "torn last line" in err and "warning:" in err
    assert out.strip() == str(torn.parent / "report.html")
    assert len(rows_of((torn.parent / "report.html").read_text(encoding="utf-8"))) == 5


def test_bad_inputs_are_one_line_errors(tmp_path: Path, run_dir: Path) -> None:
    (tmp_path / "empty").mkdir()
    cut = tmp_path / "cut" / "results.jsonl"
    cut.parent.mkdir()
    cut.write_text(json.dumps({"task_id": "a", "status": "ok"})[:12], encoding="utf-8")
    middle = tmp_path / "middle.jsonl"
    middle.write_text('{"task_id": "a", "status": "ok"}\nnot json\n{"task_id": "b", "status": "ok"}\n')
    other = tmp_path / "other.jsonl"
    other.write_text('{"hello": 1}\n')
    broken_json = tmp_path / "result.json"
    broken_json.write_text('{"question": "q", "steps": [')
    for target, message in ((tmp_path / "empty", "not a run folder"), (cut, "truncated"),
                            (middle, "middle.jsonl:2"), (other, "neither a results.jsonl nor a feedback log"),
                            (broken_json, "not valid JSON"), (tmp_path / "missing", "not found")):
        code, out, err = view(str(target))
        assert code == 2, (target, err)
        assert err.startswith("error: ") and message in err and err.count("\n") == 1, err
        assert "Traceback" not in err and out == ""
    # --out pointing at a folder
    code, _, err = view(str(run_dir), "--out", str(tmp_path))
    assert code == 2 and "is a folder" in err


def test_feedback_log_with_newer_fields_and_empty_messages(run_dir: Path, tmp_path: Path) -> None:
    """A feedback log as a newer agent may write it: schema_version, a speculative flag, no prompt messages."""
    records = [json.loads(line) for line in (run_dir / "feedback" / "t-l1-image.jsonl").read_text().splitlines()]
    for record in records:
        record["schema_version"] = 2
        record["planner_input"]["messages"] = []
    records[1]["speculative"] = True
    records[0]["planner_input"]["question"] = records[-1]["planner_input"]["question"] = "</script><b>x</b>?"
    del records[2]["tool_latency_s"]  # an older writer without the field
    log = tmp_path / "steps.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    code, out, err = view(str(log))
    assert code == 0, err
    html = Path(out.strip()).read_text(encoding="utf-8")
    assert Path(out.strip()) == tmp_path / "steps.html"
    assert rows_of(html) == ["t-l1-image"]
    # page text is escaped, so a question cannot end the inert <script> holding its task page
    assert "</script><b>" not in html and html.count("&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;?") == 2
    assert html.count("speculative hit</span>") == 1 and "1 speculative hit(s)" in html
    assert turns(html) == 3 and "plan changed" in html


def test_ask_html_and_a_saved_ask_json(tmp_path: Path) -> None:
    data = build_gaia(tmp_path / "gaia")
    image = data / "2023" / "validation" / "t-l1-image.png"
    page = tmp_path / "ask.html"
    # produced images outlive the run only in a named workspace (a run's own temporary one is deleted at its end)
    result = runner.invoke(app, ["ask", "What number is written in the image?", "--image", str(image), "--model",
                                 VIEW_MODEL, "--search", "none", "--json", "--html", str(page), "--workspace",
                                 str(tmp_path / "workspace")])
    assert result.exit_code == 0, result.stderr
    assert f"run page: {page}" in result.stderr
    html = page.read_text(encoding="utf-8")
    assert turns(html) == 3 and "crop_image" in html and "draw_box" in html
    assert html.count('<img class="thumb zoom"') == 3   # the input, the crop and the drawn box
    saved = tmp_path / "result.json"
    saved.write_text(result.stdout, encoding="utf-8")
    code, out, err = view(str(saved))
    assert code == 0, err
    again = (tmp_path / "result.html").read_text(encoding="utf-8")
    assert out.strip() == str(tmp_path / "result.html") and turns(again) == 3


def test_missing_images_are_reported_not_fatal(run_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    log = copy / "feedback" / "t-l1-image.jsonl"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    records[0]["observation"]["images"] = [str(tmp_path / "gone.png")]
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    code, _, err = view(str(copy))
    assert code == 0 and "no longer exist" in err


def plan(*tools: str, arg: int = 0) -> list[dict[str, object]]:
    return [{"tool": t, "args": {"x": arg}} for t in tools]


def test_divergence_kinds() -> None:
    assert divergence([], plan("a")) is None
    assert divergence(plan("a"), plan("b")) is None                       # nothing was expected after "a"
    assert divergence(plan("a", "b", "c"), plan("b", "c")).kind == "kept"
    revised = divergence(plan("a", "b"), plan("b", arg=1))
    assert (revised.kind, revised.at) == ("revised", 0)
    changed = divergence(plan("a", "b", "c"), plan("b", "d"))
    assert (changed.kind, changed.at, changed.expected, changed.now) == ("changed", 1, "c(x=0)", "d(x=0)")
    shorter = divergence(plan("a", "b", "c"), plan("b"))
    assert (shorter.kind, shorter.at, shorter.now) == ("changed", 1, "(nothing)")


def test_gta_step_run_shows_its_turns(tmp_path: Path) -> None:
    from tests.eval.fixtures import build_gta
    from toolagent.eval.job import EvalJob
    from toolagent.eval.runner import run_eval

    job = EvalJob(bench="gta", mode="step", data=str(build_gta(tmp_path / "gta")), run_dir=str(tmp_path / "run"),
                  model="py:tests.eval.models:gta_step_model", workers=2, limit=2)  # objective: no similarity model
    run_eval(job, progress=False)
    code, out, err = view(str(job.path))
    assert code == 0 and "warning" not in err, err      # step mode has no feedback logs, and that is not a warning
    html = Path(out.strip()).read_text(encoding="utf-8")
    assert set(re.findall(r'data-group="(\w+)"', html)) == {"objective"}
    assert html.count("Step-mode turns") == 2 and "no JSON object found in the reply" in html
