"""python tool: separate process, rlimits, clean env, timeouts, figures, GTA solution() semantics."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.tools.procs import alive_after_grace
from toolagent.tools.base import ToolContext, run_tool
from toolagent.tools.config import ToolConfig
from toolagent.tools.python_exec import PythonTool, make_tool, strip_fences


@pytest.fixture()
def python_tool() -> PythonTool:
    return make_tool(ToolConfig(enable_python=True, python_timeout_s=20, python_memory_mb=1024))


def test_disabled_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOOLAGENT_PYTHON", raising=False)
    tool = make_tool(ToolConfig())
    availability = tool.availability()
    assert not availability.available
    assert availability.reason == "disabled; enable with --enable-python / TOOLAGENT_PYTHON=1"
    obs = run_tool(tool, {"code": "print(1)"}, ToolContext())
    assert not obs.ok and "disabled" in obs.error
    monkeypatch.setenv("TOOLAGENT_PYTHON", "1")
    assert make_tool(ToolConfig()).availability().available


def test_prints_output(python_tool: PythonTool) -> None:
    obs = run_tool(python_tool, {"code": "x = sum(range(101))\nprint(x)\nprint('done')"}, ToolContext())
    assert obs.ok and obs.text == "5050\ndone"


def test_runs_in_another_process_in_an_empty_dir(python_tool: PythonTool) -> None:
    code = "import os, sys\nprint(os.getpid())\nprint(os.listdir('.'))\nprint(sys.flags.isolated)"
    obs = run_tool(python_tool, {"code": code}, ToolContext())
    pid, listing, isolated = obs.text.splitlines()
    assert int(pid) != os.getpid() and listing == "[]" and isolated == "1"


def test_child_cannot_see_parent_secrets(python_tool: PythonTool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_API_KEY", "sk-do-not-leak")
    code = "import os\nprint(os.environ.get('SECRET_API_KEY'))\nprint('sk-do-not-leak' in str(os.environ))"
    obs = run_tool(python_tool, {"code": code}, ToolContext())
    assert obs.ok and obs.text == "None\nFalse"


def test_errors_come_back_as_tracebacks(python_tool: PythonTool) -> None:
    obs = run_tool(python_tool, {"code": "print('before')\n1/0"}, ToolContext())
    assert not obs.ok
    assert "ZeroDivisionError: division by zero" in obs.error and "before" in obs.error
    assert "runner" not in obs.error  # the runner's own frames are hidden


def test_infinite_loop_is_killed_within_the_limit() -> None:
    tool = make_tool(ToolConfig(enable_python=True, python_timeout_s=2))
    marker = f"{time.time_ns() % 10**9}.5"
    code = (f"import subprocess, sys\nchild = subprocess.Popen(['sleep', '{marker}'])\nprint('started', flush=True)\n"
            "while True:\n    pass")
    start = time.perf_counter()
    obs = run_tool(tool, {"code": code}, ToolContext())
    elapsed = time.perf_counter() - start
    assert not obs.ok and "ran past the 2 s limit and was killed" in obs.error and "started" in obs.error
    assert elapsed < 10  # killed, not waited out (generous bound for a busy machine)
    assert not alive_after_grace(marker)  # the snippet's own children die with it


def test_memory_limit_fails_cleanly(python_tool: PythonTool) -> None:
    obs = run_tool(python_tool, {"code": "block = bytearray(2 * 1024**3)\nprint(len(block))"}, ToolContext())
    assert not obs.ok and "MemoryError" in obs.error


def test_output_is_capped(python_tool: PythonTool) -> None:
    obs = run_tool(python_tool, {"code": "print('x' * 500_000)"}, ToolContext())
    assert obs.ok and len(obs.text) < 30_000 and "output truncated" in obs.text


def test_gta_solver_style_solution_is_called(python_tool: PythonTool) -> None:
    command = '''```python
# import packages
from sympy import symbols, Eq, solve
def solution():
    x, y = symbols('x y')
    equation1 = Eq(x**2 + y**2, 20)
    equation2 = Eq(x**2 - 5*x*y + 6*y**2, 0)
    solutions = solve((equation1, equation2), (x, y), dict=True)
    return str(solutions)
```'''
    obs = run_tool(python_tool, {"code": command}, ToolContext())
    assert obs.ok
    assert obs.text == "[{x: -4, y: -2}, {x: 4, y: 2}, {x: -3*sqrt(2), y: -sqrt(2)}, {x: 3*sqrt(2), y: sqrt(2)}]"


def test_plot_returns_png_files(python_tool: PythonTool, tmp_path: Path) -> None:
    from PIL import Image

    command = '''```python
import matplotlib.pyplot as plt
def solution():
    cars = ['AUDI', 'BMW', 'FORD']
    data = [23, 17, 35]
    figure = plt.figure(figsize=(4, 3))
    plt.pie(data, labels=cars, autopct='%1.1f%%', startangle=140)
    plt.title('Car Distribution')
    return figure
```'''
    ctx = ToolContext(workspace=tmp_path / "ws")
    obs = run_tool(python_tool, {"code": command}, ctx)
    assert obs.ok and len(obs.images) == 1
    image_path = Path(obs.images[0])
    assert image_path.parent == ctx.workspace and image_path.suffix == ".png"
    with Image.open(image_path) as img:
        img.load()
        assert img.format == "PNG" and img.width > 100 and img.height > 100


def test_open_figures_without_solution_are_saved(python_tool: PythonTool, tmp_path: Path) -> None:
    code = "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.figure()\nplt.bar(['a'], [1])\nprint('ok')"
    obs = run_tool(python_tool, {"code": code}, ToolContext(workspace=tmp_path))
    assert obs.ok and obs.text.startswith("ok") and len(obs.images) == 2


def test_strip_fences() -> None:
    assert strip_fences("```python\nprint(1)\n```") == "print(1)\n"
    assert strip_fences("print(2)") == "print(2)"
