"""solver: sympy equations, systems, calculus — parsed without eval, run in a killable child process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tools.procs import live_processes
from toolagent.tools.base import ToolContext, run_tool
from toolagent.tools.config import ToolConfig
from toolagent.tools.safe_expr import ExpressionError
from toolagent.tools.solver import make_tool, parse_equation, parse_math, work


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"expression": "x**2 - 4 = 0"}, [{"x": "-2"}, {"x": "2"}]),
        ({"expression": "2x^2 + 3x = 5"}, [{"x": "-5/2"}, {"x": "1"}]),
        ({"expression": ["x + y = 10", "x - y = 2"]}, [{"x": "6", "y": "4"}]),
        ({"expression": "x + y = 10; x - y = 2"}, [{"x": "6", "y": "4"}]),
        ({"expression": "x**2 - 2"}, [{"x": "-sqrt(2)"}, {"x": "sqrt(2)"}]),
        ({"expression": "speed * time = 100", "variable": "time"}, [{"time": "100/speed"}]),
        ({"expression": "a*x + b = 0", "variable": "x"}, [{"x": "-b/a"}]),
        ({"expression": "x**2 + 1 = 0"}, [{"x": "-I"}, {"x": "I"}]),
        ({"expression": "x == 3"}, [{"x": "3"}]),
    ],
)
def test_solve(args: dict, expected: list[dict]) -> None:
    result = work(args)
    assert "error" not in result, result
    assert result["data"]["solutions"] == expected


def test_solve_text_lists_solutions_with_decimals() -> None:
    assert work({"expression": "x**2 = 2"})["text"] == "1) x = -sqrt(2) ≈ -1.41421356237\n2) x = sqrt(2) ≈ 1.41421356237"
    assert work({"expression": "x + 1 = 3"})["text"] == "x = 2"
    assert work({"expression": "x**2 = -1 - 1"})["data"]["solutions"] == [{"x": "-sqrt(2)*I"}, {"x": "sqrt(2)*I"}]
    assert work({"expression": "x + 1 = x"})["text"].startswith("no solution")
    assert work({"expression": "x + 1 = 1 + x"})["data"]["solutions"] == "all"


def test_inequality() -> None:
    assert work({"expression": "x**2 < 4"})["text"] == "(-2 < x) & (x < 2)"


@pytest.mark.parametrize(
    ("args", "result"),
    [
        ({"task": "diff", "expression": "sin(x)*x^2"}, "x**2*cos(x) + 2*x*sin(x)"),
        ({"task": "diff", "expression": "x^5", "order": 2}, "20*x**3"),
        ({"task": "diff", "expression": "x*y^2", "variable": "y"}, "2*x*y"),
        ({"task": "integrate", "expression": "x**2", "variable": "x", "lower": 0, "upper": 3}, "9"),
        ({"task": "integrate", "expression": "exp(-x^2)", "lower": "-oo", "upper": "oo"}, "sqrt(pi)"),
        ({"task": "integrate", "expression": "1/x"}, "log(x)"),
        ({"task": "integrate", "expression": "sin(x)", "lower": 0, "upper": "pi"}, "2"),
        ({"task": "limit", "expression": "sin(x)/x", "point": 0}, "1"),
        ({"task": "limit", "expression": "(1+1/n)^n", "point": "oo"}, "E"),
        ({"task": "limit", "expression": "1/x", "point": 0, "direction": "+"}, "oo"),
        ({"task": "simplify", "expression": "sin(x)^2 + cos(x)^2"}, "1"),
        ({"task": "factor", "expression": "x^2 - 5x + 6"}, "(x - 3)*(x - 2)"),
        ({"task": "expand", "expression": "(x+1)^3"}, "x**3 + 3*x**2 + 3*x + 1"),
    ],
)
def test_calculus(args: dict, result: str) -> None:
    out = work(args)
    assert "error" not in out, out
    assert out["data"]["result"] == result


def test_definite_integral_without_closed_form_is_numeric() -> None:
    out = work({"task": "integrate", "expression": "sin(sin(x))", "lower": 0, "upper": 1})
    assert "numeric" in out["text"] and out["data"]["result"].startswith("0.43060610312069")


@pytest.mark.parametrize(
    "text",
    ["__import__('os').system('x') = 1", "x.__class__ = 2", "lambda: 1", "9**9**9 = x", "factorial(10**7) - x",
     "open('f')", "x[0] = 1", "(lambda y: y)(2) = x", "getattr(x, 'a') = 1", "a = b = c"],
)
def test_hostile_text_is_rejected(text: str) -> None:
    out = work({"expression": text})
    assert "error" in out and out["error"]


def test_parsers_build_sympy_values_without_eval() -> None:
    import sympy as sp

    x = sp.Symbol("x")
    assert parse_math("2x^2 + sin x") == 2 * x**2 + sp.sin(x)
    assert parse_equation("x**2 = 4") == sp.Eq(x**2, 4)
    with pytest.raises(ExpressionError):
        parse_math("__import__('os')")


def test_tool_runs_in_a_child_process_and_reports_errors() -> None:
    tool = make_tool(ToolConfig())
    obs = run_tool(tool, {"task": "solve", "expression": "x**3 = 8", "variable": "x"}, ToolContext())
    assert obs.ok and obs.text.startswith("1) x = 2") and obs.data["solutions"][0] == {"x": "2"}
    bad = run_tool(tool, {"task": "limit", "expression": "1/x"}, ToolContext())
    assert not bad.ok and "point" in bad.error
    invalid = run_tool(tool, {"task": "teleport", "expression": "x"}, ToolContext())
    assert not invalid.ok and "task" in invalid.error


def test_timeout_kills_the_work() -> None:
    tool = make_tool(ToolConfig())
    tool.work_timeout_s = 0.3
    obs = run_tool(tool, {"task": "simplify", "expression": "(x+1)^300*(x-1)^300 - (x^2-1)^300"}, ToolContext())
    assert not obs.ok and "gave up after 0.3 s" in obs.error
    from toolagent.tools import solver

    # the busy worker was killed; idle ones wait for work
    assert len(live_processes("solver_worker", parent=os.getpid())) == len(solver._IDLE)
    assert run_tool(make_tool(ToolConfig()), {"expression": "x + 1 = 3"}, ToolContext()).text == "x = 2"


def test_a_script_without_a_main_guard_is_not_re_executed(tmp_path: Path) -> None:
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from toolagent.tools.base import ToolContext, run_tool\n"
        "from toolagent.tools.config import ToolConfig\n"
        "from toolagent.tools.solver import make_tool\n"
        "print('script body ran', flush=True)\n"
        "obs = run_tool(make_tool(ToolConfig()), {'expression': 'x**2 = 9'}, ToolContext())\n"
        "print(obs.text, obs.error, flush=True)\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("script body ran") == 1, done.stdout
    assert "1) x = -3\n2) x = 3 None" in done.stdout


def test_the_worker_memory_is_capped() -> None:
    tool = make_tool(ToolConfig(solver_memory_mb=400))
    obs = run_tool(tool, {"task": "expand", "expression": "(x+1)**1000000"}, ToolContext())
    assert not obs.ok and ("memory" in obs.error or "died" in obs.error), obs.error


def test_no_closed_form_gives_numeric_roots() -> None:
    result = work({"expression": "x**5 - x + 1 = 0"})
    assert "error" not in result, result
    assert "no solution" not in result["text"] and "no closed form" in result["text"]
    real = [float(r) for r in result["data"]["numeric_real"]]
    assert real == [pytest.approx(-1.1673039782614187, rel=1e-9)]
    transcendental = work({"expression": "cos(x) = x"})
    assert "error" not in transcendental, transcendental
    assert [float(r) for r in transcendental["data"]["numeric_real"]] == [pytest.approx(0.7390851332151607)]
    assert "no closed form" in transcendental["text"]


@pytest.mark.parametrize("equation", ["(x+1)**2 = x**2 + 2*x + 1", "sin(x)**2 + cos(x)**2 = 1", "2*(x - 1) = 2*x - 2"])
def test_identities_hold_for_every_value(equation: str) -> None:
    result = work({"expression": equation})
    assert result["data"]["solutions"] == "all" and result["text"].startswith("every value"), result


def test_no_solution_only_when_it_is_a_fact() -> None:
    assert work({"expression": "x = x + 1"})["text"].startswith("no solution")
    assert work({"expression": "0*x = 5"})["text"].startswith("no solution")
    unknown = work({"expression": "exp(x) + x**x = -3 + sin(x)"})  # sympy gives up; no numeric root found
    assert "error" not in unknown, unknown
    assert not unknown["text"].startswith("no solution") and "not a proof" in unknown["text"]
    assert unknown["data"]["solutions"] is None
