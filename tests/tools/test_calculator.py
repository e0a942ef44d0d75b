"""calculator: safe AST evaluation (never eval), exact + decimal results, bounded sizes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolagent.tools.base import ToolContext, run_tool
from toolagent.tools.calculator import calculate, make_tool
from toolagent.tools.config import ToolConfig
from toolagent.tools.safe_expr import ExpressionError

HOSTILE = [
    "__import__('os').system('x')",
    "().__class__",
    "().__class__.__bases__[0].__subclasses__()",
    "(lambda: 1)()",
    "[x for x in range(10)]",
    "open('f')",
    "exec('1')",
    "eval('1+1')",
    "globals()",
    "math.__dict__",
    "math.sqrt.__call__(4)",
    "os.system('ls')",
    "sqrt(x=4)",
    "sqrt(*[4])",
    "'a' * 10",
    "b'x'",
    "f'{1}'",
    "(1, 2)[0]",
    "{1: 2}",
    "{1, 2}",
    "x",
    "1 if 1 else 2",
    "1 and 2",
    "not 1",
    "(y := 3)",
    "None",
    "True + 1",
    "9**9**9",
    "factorial(100000)",
    "factorial(10**6)",
    "10**10**10",
    "2<<10**9",
    "2**10**100",
    "(10**2000)**(10**2000)",
    "exp(10**6)",
    "cosh(10**3999)",
    "gamma(10**5)",
    "comb(10**4000, 2)",
    "factorial(10**4000)",
    "hypot(10**3999, 10**3999)",
    "comb(10**9, 10**8)",
    "perm(10**7)",
    "round(1.5, 10**9)",
    "1" * 5000,
    "1+" * 2500 + "1",
    "(" * 300 + "1" + ")" * 300,
    "-" * 1500 + "1",
    "sqrt(" * 150 + "2" + ")" * 150,
    "1/0",
    "5 % 0",
    "",
    "1 +",
    "\x00",
    "1; 2",
    "import os",
]


@pytest.mark.parametrize("expression", HOSTILE)
def test_hostile_inputs_are_rejected_fast(expression: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ExpressionError) as info:
        calculate(expression)
    assert str(info.value) and "\n" not in str(info.value)
    assert time.perf_counter() - start < 2.0


VALID = [
    ("1 + 2", "= 3"),
    ("3/4", "= 3/4 ≈ 0.75"),
    ("(3 + 5) * 2 / 8", "= 2"),
    ("7 // 2", "= 3"),
    ("-7 % 3", "= 2"),
    ("2**10", "= 1024"),
    ("2**-3", "= 1/8 ≈ 0.125"),
    ("0.1 + 0.2", "= 0.3"),
    ("12.5 * 0.08", "= 1.0"),
    ("100 * 1.05**3", "= 115.7625"),
    ("sqrt(16)", "= 4"),
    ("math.sqrt(2)", "= sqrt(2) ≈ 1.4142135623731"),
    ("math.pi * 2", "= 2*pi ≈ 6.28318530717959"),
    ("math.log(100, 10)", "= 2"),
    ("log10(1000)", "= 3"),
    ("log2(1024)", "= 10"),
    ("ln(e**3)", "= 3"),
    ("math.factorial(10)", "= 3628800"),
    ("factorial(20)", "= 2432902008176640000 ≈ 2.43290200817664e+18"),
    ("comb(52, 5)", "= 2598960"),
    ("gcd(12, 18)", "= 6"),
    ("lcm(4, 6)", "= 12"),
    ("abs(-3.5)", "= 3.5"),
    ("round(2.5)", "= 2"),
    ("round(3.14159, 2)", "= 3.14"),
    ("round(2.675, 2)", "= 2.67"),
    ("min(3, 1, 2)", "= 1"),
    ("max(1.5, 2.5)", "= 2.5"),
    ("math.floor(-2.5)", "= -3"),
    ("math.ceil(2.1)", "= 3"),
    ("sin(pi / 6)", "= 1/2 ≈ 0.5"),
    ("math.degrees(math.pi)", "= 180"),
    ("math.hypot(3, 4)", "= 5"),
    ("atan2(1, 1)", "= pi/4 ≈ 0.785398163397448"),
    ("2 << 10", "= 2048"),
    ("3 < 5", "= True"),
    ("1 == 2", "= False"),
    ("10**4000 > 10**3999", "= True"),
    ("sum(1, 2, 3.5)", "= 6.5"),
    ("floor(pi * 10**10)", "= 31415926535"),
    ("gamma(5)", "= 24"),
    (" + ".join(["1"] * 800), "= 800"),  # long flat sums are not "deep"
]


@pytest.mark.parametrize(("expression", "expected"), VALID)
def test_valid_expressions(expression: str, expected: str) -> None:
    text, data = calculate(expression)
    assert text == expected
    assert data["decimal"]


def test_data_has_exact_and_decimal() -> None:
    _, data = calculate("3/4")
    assert data == {"exact": "3/4", "decimal": "0.75"}
    text, data = calculate("10**400")
    assert data["exact"] == "1" + "0" * 400
    assert text.startswith("≈ 1.0e+400") and "401-digit" in text


def test_tool_returns_observations() -> None:
    tool = make_tool(ToolConfig())
    assert tool.name == "calculator" and tool.gta_name == "Calculator"
    obs = run_tool(tool, {"expression": "(1200 * 1.05**3 - 1200) / 3"}, ToolContext())
    assert obs.ok and obs.text == "= 63.05"
    bad = run_tool(tool, {"expression": "__import__('os')"}, ToolContext())
    assert not bad.ok and "not allowed" in bad.error
    missing = run_tool(tool, {}, ToolContext())
    assert not missing.ok and "expression" in missing.error


# --- fuzzing: no input ever runs code, every input is answered (value or ExpressionError) within bounds
SENTINEL = "calc_sentinel_file"
DANGEROUS = [
    f"open('{SENTINEL}', 'w')", f"__import__('pathlib').Path('{SENTINEL}').touch()",
    f"exec(\"open('{SENTINEL}','w')\")", "__builtins__", "().__class__", "math.__loader__", "lambda: 0",
    "print", "globals()", "breakpoint()", "input()",
]
ATOMS = ["0", "1", "2", "7", "10", "0.5", "1e300", "3j", "pi", "e", "tau", "inf", "x", "math.pi", *DANGEROUS]
FUNCS = ["sqrt", "math.sqrt", "exp", "log", "sin", "factorial", "floor", "round", "abs", "comb", "gcd", "max",
         "math.log", "open", "__import__", "getattr", "math.__class__"]
OPS = ["+", "-", "*", "/", "//", "%", "**", "<<", ">>", "&", "|", "^", "<", "==", ".", ",", " if ", " for "]


def _expressions() -> st.SearchStrategy[str]:
    atom = st.sampled_from(ATOMS)

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(OPS), inner).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
            st.tuples(st.sampled_from(FUNCS), st.lists(inner, min_size=1, max_size=3)).map(
                lambda t: f"{t[0]}({', '.join(t[1])})"),
            inner.map(lambda s: f"({s})"),
            inner.map(lambda s: f"-{s}"),
        )

    return st.recursive(atom, extend, max_leaves=12)


def _check_one(text: str, workdir: Path) -> None:
    try:
        result = calculate(text)
    except ExpressionError as exc:
        assert str(exc)
    else:
        assert isinstance(result[0], str) and result[0]
    assert not (workdir / SENTINEL).exists(), f"code ran for {text!r}"


@settings(max_examples=300, deadline=3000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_expressions())
def test_fuzz_structured_expressions_never_run_code(text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _check_one(text, tmp_path)


@settings(max_examples=300, deadline=3000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list("0123456789+-*/%().,<>=!^&|~ jeE_abcxmathsqrtopen'\"[]{}:;")),
                    max_size=60))
def test_fuzz_random_text_never_runs_code(text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _check_one(text, tmp_path)


# --- arithmetic that is true: the real cube root, and the sign of zero where Python's math uses it
AS_PYTHON = ["cbrt(-8)", "cbrt(-27.0)", "cbrt(-2)", "cbrt(2)", "cbrt(0)", "copysign(1, -0.0)", "copysign(3, -0.0)",
             "copysign(-2, 0.0)", "copysign(2, -0)", "copysign(5, - -0.0)", "atan2(-0.0, -1)", "atan2(0.0, -1)",
             "atan2(0, -1)", "atan2(0.0, -0.0)", "atan2(-0.0, -0.0)", "atan2(-1, -0.0)", "atan2(1, 1)",
             "atan2(-0.0, 2)"]


@pytest.mark.parametrize("expression", AS_PYTHON)
def test_agrees_with_python_math(expression: str) -> None:
    import ast
    import math

    tree = ast.parse(expression, mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            node.func = ast.Attribute(value=ast.Name("math", ast.Load()), attr=node.func.id, ctx=ast.Load())
    expected = eval(compile(ast.fix_missing_locations(tree), "<math>", "eval"), {"math": math})  # trusted literal
    text, data = calculate(expression)
    value = float(data["decimal"])
    assert value == pytest.approx(expected, rel=1e-12, abs=1e-15), (expression, text)
    if expected != 0:
        assert math.copysign(1, value) == math.copysign(1, expected), (expression, text)
    assert "I" not in text  # a real answer, never a complex principal root
