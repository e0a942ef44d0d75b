"""A real run folder for the viewer tests: the eval runner on the GAIA fixture with a scripted planner that crops
and draws on the image attachment (so thumbnails of produced images are exercised) and changes its plan once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.eval.fixtures import build_gaia
from tests.view.browser import chromium_path

VIEW_MODEL = "py:tests.view.models:view_model"


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from toolagent.eval.job import EvalJob
    from toolagent.eval.runner import run_eval

    root = tmp_path_factory.mktemp("view-run")
    data = build_gaia(root / "gaia")
    job = EvalJob(bench="gaia", mode="agent", data=str(data), run_dir=str(root / "run"), model=VIEW_MODEL,
                  workers=2, task_timeout=60, tool_options={"search": "none"})
    summary = run_eval(job, progress=False)
    assert (summary["tasks"], summary["errors"], summary["metrics"]["correct"]) == (6, 0, 5)
    return job.path


@pytest.fixture(scope="session")
def report(run_dir: Path) -> Path:
    from toolagent.view import render_path

    return render_path(run_dir, warn=False)


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        pytest.skip("chromium is not installed (setup.sh installs Debian's chromium package; CI has it)")
    return path
