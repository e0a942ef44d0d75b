"""solver — symbolic math with sympy: equations and systems, derivatives, integrals, limits, simplification.

Text is never handed to ``eval``: sympy's tokenizer (``stringify_expr``) only rewrites the math notation
(``2x^2`` → ``2*x**2``, ``sin x`` → ``sin(x)``), and the resulting code is parsed with ``ast`` and interpreted
through the whitelist in ``toolagent.tools.safe_expr`` (the calculator's evaluator, with unknown names as
symbols). The sympy work runs in a child process (forkserver) that is killed at the time limit, because
``solve``/``integrate`` can run for ever on hard inputs.

GTA's ``Solver(command)`` takes Python code (``def solution(): ...`` using sympy); the GTA adapter sends that
to the python tool, as GTA's own tool does. This tool is the structured form for our planner.
"""

from __future__ import annotations

import atexit
import json
import re
import select
import subprocess
import sys
import threading
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from toolagent.tools.base import ToolContext, ToolError, ToolOutput, ToolagentTool
from toolagent.tools.config import ToolConfig

Task = Literal["solve", "diff", "integrate", "limit", "simplify", "factor", "expand"]

#: seconds the sympy work may take before its process is killed
DEFAULT_TIMEOUT_S = 20.0
_EQUALS = re.compile(r"(?<![<>!=])==?(?!=)")
_SEPARATORS = re.compile(r"[;\n]")


class SolverArgs(BaseModel):
    task: Task = Field("solve", description="solve (equations, systems, inequalities), diff, integrate, limit, "
                                            "simplify, factor or expand")
    expression: str | list[str] = Field(
        description="The math: an expression, an equation like 'x**2 - 4 = 0' (or '2x^2 + 3x = 5'), or several "
                    "equations as a list or separated by ';'. An expression without '=' is solved as '= 0'.")
    variable: str | list[str] | None = Field(
        None, description="Variable(s) to solve for / differentiate / integrate / take the limit in; default: "
                          "the expression's symbols")
    lower: str | int | float | None = Field(None, description="Lower bound of a definite integral (e.g. 0, '-oo')")
    upper: str | int | float | None = Field(None, description="Upper bound of a definite integral (e.g. 1, 'pi', 'oo')")
    point: str | int | float | None = Field(None, description="Limit point (e.g. 0, 'oo')")
    direction: Literal["+", "-", "+-"] = Field("+-", description="Limit direction: '+', '-' or '+-' (both)")
    order: int = Field(1, ge=1, le=20, description="Derivative order")

    @field_validator("variable", mode="before")
    @classmethod
    def _split_variables(cls, value: Any) -> Any:
        if isinstance(value, str) and ("," in value or " " in value.strip()):
            return [v for v in re.split(r"[,\s]+", value) if v]
        return value


# ------------------------------------------------------------------------------------------------ parsing
def _globals() -> dict[str, Any]:
    """What sympy's tokenizer needs to know: which names are functions/constants (not new symbols)."""
    import sympy as sp

    from toolagent.tools.safe_expr import Func
    from toolagent.tools.safe_funcs import SYMBOLIC_NAMES

    names = {name: (value.fn if isinstance(value, Func) else value) for name, value in SYMBOLIC_NAMES.items()}
    # the constructors the tokenizer itself writes (the evaluator accepts them with literal arguments only)
    return {**names, "Symbol": sp.Symbol, "Integer": sp.Integer, "Float": sp.Float, "Function": sp.Function}


def parse_math(text: str) -> Any:
    """Math notation → sympy value, via sympy's tokenizer and the safe AST evaluator (never eval)."""
    from sympy.parsing.sympy_parser import (
        convert_xor, function_exponentiation, implicit_application, implicit_multiplication,
        standard_transformations, stringify_expr)

    from toolagent.tools.safe_expr import MAX_INPUT_CHARS, ExpressionError, symbolic_evaluator

    text = str(text).strip()
    if not text:
        raise ExpressionError("empty expression")
    if len(text) > MAX_INPUT_CHARS:
        raise ExpressionError(f"expression too long ({len(text)} characters, limit {MAX_INPUT_CHARS})")
    transformations = standard_transformations + (
        implicit_multiplication, implicit_application, function_exponentiation, convert_xor)
    try:
        code = stringify_expr(text, {}, _globals(), transformations)
    except Exception as exc:  # the tokenizer reports malformed text in many ways
        raise ExpressionError(f"cannot read {text!r}: {exc}") from None
    return symbolic_evaluator().evaluate(code)


def parse_equation(text: str) -> Any:
    """``lhs = rhs`` (or ``==``) → Eq(lhs, rhs); an inequality or a plain expression as it is."""
    import sympy as sp

    from toolagent.tools.safe_expr import ExpressionError

    parts = _EQUALS.split(text)
    if len(parts) > 2:
        raise ExpressionError(f"an equation has one '=': {text!r}")
    if len(parts) == 2:
        lhs, rhs = parse_math(parts[0]), parse_math(parts[1])
        return sp.Eq(lhs, rhs, evaluate=False) if (lhs - rhs).free_symbols else sp.Eq(lhs, rhs)
    return parse_math(text)


def _split(expression: str | list[str]) -> list[str]:
    items = expression if isinstance(expression, list) else _SEPARATORS.split(expression)
    return [item.strip() for item in items if item and item.strip()]


def _symbols(names: str | list[str] | None, exprs: list[Any]) -> list[Any]:
    import sympy as sp

    from toolagent.tools.safe_expr import ExpressionError

    if names is None:
        found = set().union(*(getattr(e, "free_symbols", set()) for e in exprs))
        return sorted(found, key=lambda s: s.name)
    items = [names] if isinstance(names, str) else names
    for item in items:
        if not item.isidentifier() or item.startswith("_"):
            raise ExpressionError(f"invalid variable name {item!r}")
    return [sp.Symbol(item) for item in items]


# ------------------------------------------------------------------------------------------------ tasks
def _fmt(value: Any) -> str:
    import sympy as sp

    text = str(value)
    if isinstance(value, sp.Expr) and value.is_number and not isinstance(value, sp.Integer):
        try:
            decimal = sp.N(value, 12)
        except (TypeError, ValueError):
            return text
        dec_text = str(decimal).rstrip("0").rstrip(".") if "." in str(decimal) else str(decimal)
        if dec_text != text:
            return f"{text} ≈ {dec_text}"
    return text


#: where the numeric root search starts (an equation sympy cannot solve in closed form)
SEARCH_FROM, SEARCH_TO, SEARCH_STARTS = -10.0, 10.0, 41


def _residual(expr: Any) -> Any:
    import sympy as sp

    return expr.lhs - expr.rhs if isinstance(expr, sp.Eq) else expr


def _is_identity(residual: Any) -> bool:
    import sympy as sp

    try:
        return bool(sp.simplify(residual) == 0)
    except Exception:  # noqa: BLE001 - simplify can fail on odd input; then it is not shown to be an identity
        return False


def _numeric_roots(residual: Any, var: Any) -> tuple[list[Any], list[Any], bool] | None:
    """(real roots, all roots found, whether it was a search) of ``residual = 0``: every root of a polynomial
    (nroots), else the real roots mpmath's findroot reaches from SEARCH_STARTS points between SEARCH_FROM and
    SEARCH_TO (a search: there may be others). None when the expression cannot be evaluated numerically."""
    import mpmath
    import sympy as sp

    try:
        poly = sp.Poly(residual, var)
        if poly.degree() >= 1 and all(c.is_number for c in poly.all_coeffs()):
            roots = poly.nroots(n=15, maxsteps=200)
            return [r for r in roots if r.is_real], list(roots), False
    except (sp.PolynomialError, sp.polys.polyerrors.PolificationFailed, NotImplementedError):
        pass
    except Exception:  # noqa: BLE001 - nroots may fail to converge; fall back to the search
        pass
    try:
        f = sp.lambdify(var, residual, "mpmath")
    except Exception:  # noqa: BLE001
        return None
    found: list[float] = []
    step = (SEARCH_TO - SEARCH_FROM) / (SEARCH_STARTS - 1)
    for i in range(SEARCH_STARTS):
        try:
            root = mpmath.findroot(f, SEARCH_FROM + i * step)
            value = complex(f(root))
        except Exception:  # noqa: BLE001 - no convergence from this start, a domain error, ...
            continue
        root_c = complex(root)
        if abs(root_c.imag) > 1e-12 or abs(value) > 1e-9:
            continue
        if all(abs(root_c.real - r) > 1e-8 * max(1.0, abs(r)) for r in found):
            found.append(root_c.real)
    roots = [sp.Float(r, 15) for r in sorted(found)]
    return roots, roots, True


def _is_linear(residuals: list[Any], symbols: list[Any]) -> bool:
    import sympy as sp

    try:
        return all(sp.Poly(r, *symbols).total_degree() <= 1 for r in residuals)
    except Exception:  # noqa: BLE001 - not a polynomial in the symbols
        return False


def _numeric_answer(residual: Any, var: Any, why: str) -> tuple[str, dict[str, Any]]:
    found = _numeric_roots(residual, var)
    if found and found[1]:
        real, every, searched = found
        shown = "; ".join(f"{var} ≈ {r}" for r in every)
        where = f" (searched from {var} = {SEARCH_FROM:g} to {SEARCH_TO:g}; there may be others)" if searched else ""
        return (f"{why}; numeric roots{where}: {shown}",
                {"solutions": None, "numeric_real": [str(r) for r in real], "numeric": [str(r) for r in every]})
    return (f"{why}, and a numeric search from {var} = {SEARCH_FROM:g} to {SEARCH_TO:g} found no root; "
            "this is not a proof that there is none", {"solutions": None, "numeric_real": [], "numeric": []})


def _solve(exprs: list[Any], symbols: list[Any]) -> tuple[str, dict[str, Any]]:
    """Solve; "no solution" and "every value" only when they are facts, numeric roots when there is no closed form."""
    import sympy as sp

    relations = [e for e in exprs if isinstance(e, sp.core.relational.Relational) and not isinstance(e, sp.Eq)]
    if relations:
        if len(symbols) != 1:
            raise ToolError("inequalities need exactly one variable")
        result = sp.reduce_inequalities(exprs, symbols[0])
        return f"{result}", {"solution": str(result)}
    if any(e == sp.false for e in exprs):
        return "no solution (an equation reduces to False)", {"solutions": []}
    residuals = [_residual(e) for e in exprs if e != sp.true]
    residuals = [r for r in residuals if not _is_identity(r)]
    if not residuals:
        return "every value is a solution (the equations hold identically)", {"solutions": "all"}
    single = len(residuals) == 1 and len(symbols) == 1
    try:
        solutions = sp.solve(residuals[0] if len(residuals) == 1 else residuals, symbols, dict=True)
    except NotImplementedError:
        if not single:
            raise
        return _numeric_answer(residuals[0], symbols[0], "sympy found no closed form")
    if not solutions:
        if _is_linear(residuals, symbols):
            return "no solution (the linear equations are inconsistent)", {"solutions": []}
        if single:
            return _numeric_answer(residuals[0], symbols[0], "sympy found no solution in closed form")
        return ("sympy found no solution for the system; this is not a proof that there is none",
                {"solutions": None})
    if single and any(v.has(sp.CRootOf) for sol in solutions for v in sol.values()):
        return _numeric_answer(residuals[0], symbols[0], "no closed form (roots of a polynomial of degree 5+)")
    lines = [", ".join(f"{k} = {_fmt(v)}" for k, v in sorted(sol.items(), key=lambda kv: str(kv[0])))
             for sol in solutions]
    text = lines[0] if len(lines) == 1 else "\n".join(f"{i}) {line}" for i, line in enumerate(lines, 1))
    data = [{str(k): str(v) for k, v in sol.items()} for sol in solutions]
    return text, {"solutions": data}


def _bound(value: str | float | None) -> Any:
    return None if value is None else parse_math(str(value))


def work(payload: dict[str, Any]) -> dict[str, Any]:
    """Do one solver task (in the child process); returns {"text", "data"} or {"error"}."""
    import sympy as sp

    args = SolverArgs.model_validate(payload)
    try:
        items = _split(args.expression)
        if not items:
            raise ToolError("empty expression")
        if args.task == "solve":
            exprs = [parse_equation(item) for item in items]
            text, data = _solve(exprs, _symbols(args.variable, exprs))
            return {"text": text, "data": data}
        if len(items) != 1:
            raise ToolError(f"{args.task} takes one expression")
        expr = parse_math(items[0])
        symbols = _symbols(args.variable, [expr])
        var = symbols[0] if symbols else sp.Symbol("x")
        if args.task == "diff":
            result = sp.diff(expr, var, args.order)
            power = "" if args.order == 1 else f"^{args.order}"
            text = f"d{power}/d{var}{power} [{expr}] = {result}"
        elif args.task == "integrate":
            if (args.lower is None) != (args.upper is None):
                raise ToolError("a definite integral needs both lower and upper")
            if args.lower is None:
                result = sp.integrate(expr, var)
                text = (f"∫ {expr} d{var} = {result} + C" if not result.has(sp.Integral)
                        else f"sympy found no closed form for ∫ {expr} d{var}")
            else:
                result = sp.integrate(expr, (var, _bound(args.lower), _bound(args.upper)))
                if result.has(sp.Integral):
                    result = result.evalf(15)
                    text = f"∫[{args.lower}, {args.upper}] {expr} d{var} ≈ {result} (numeric; no closed form)"
                else:
                    text = f"∫[{args.lower}, {args.upper}] {expr} d{var} = {_fmt(result)}"
        elif args.task == "limit":
            if args.point is None:
                raise ToolError("limit needs a point (e.g. 0 or 'oo')")
            result = sp.limit(expr, var, _bound(args.point), args.direction)
            text = f"limit {var}→{args.point} of {expr} = {_fmt(result)}"
        else:
            result = {"simplify": sp.simplify, "factor": sp.factor, "expand": sp.expand}[args.task](expr)
            text = f"{_fmt(result)}"
        return {"text": text, "data": {"result": str(result)}}
    except ToolError as exc:
        return {"error": str(exc)}
    except MemoryError:
        raise  # the worker reports it with its limit
    except NotImplementedError as exc:
        return {"error": f"sympy cannot do this {args.task}: {str(exc).splitlines()[0] if str(exc) else ''}"}
    except Exception as exc:  # sympy raises many types; report one line
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return {"error": f"{args.task} failed: {type(exc).__name__}: {message}"[:400]}


# ------------------------------------------------------------------------------------------------ process
class _Worker:
    """One ``python -m toolagent.tools.solver_worker`` process (sympy loaded once, reused across calls)."""

    def __init__(self, memory_mb: int) -> None:
        self.memory_mb = memory_mb
        self.process = subprocess.Popen(
            [sys.executable, "-m", "toolagent.tools.solver_worker", str(memory_mb)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            start_new_session=True)

    def call(self, payload: dict[str, Any], timeout_s: float) -> dict[str, Any] | None:
        """The worker's reply, or None when it did not answer in time (the caller then kills it)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(json.dumps(payload) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            return {"error": f"the solver process died (exit code {self.process.poll()})"}
        ready, _, _ = select.select([self.process.stdout], [], [], timeout_s)
        if not ready:
            return None
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(5)
            return {"error": f"the solver process died (exit code {self.process.returncode}; memory limit "
                             f"{self.memory_mb} MB)"}
        return json.loads(line)

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait(5)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


_IDLE: list[_Worker] = []
_IDLE_LOCK = threading.Lock()
#: idle workers kept for reuse (concurrent calls start more; the extra ones stop when done)
MAX_IDLE = 2


def _acquire(memory_mb: int) -> _Worker:
    with _IDLE_LOCK:
        for worker in _IDLE:
            if worker.memory_mb == memory_mb:
                _IDLE.remove(worker)
                if worker.alive():
                    return worker
                worker.close()
                break
    return _Worker(memory_mb)


def _release(worker: _Worker) -> None:
    with _IDLE_LOCK:
        if worker.alive() and len(_IDLE) < MAX_IDLE:
            _IDLE.append(worker)
            return
    worker.close()


@atexit.register
def _close_idle() -> None:
    with _IDLE_LOCK:
        while _IDLE:
            _IDLE.pop().close()


def run_isolated(payload: dict[str, Any], timeout_s: float, memory_mb: int = 2048) -> dict[str, Any]:
    """Run ``work(payload)`` in a worker process; kill it after ``timeout_s`` seconds."""
    worker = _acquire(memory_mb)
    try:
        result = worker.call(payload, timeout_s)
    except BaseException:
        worker.close()
        raise
    if result is None:
        worker.close()
        return {"error": f"solver gave up after {timeout_s:g} s (the problem is too hard for sympy in time)"}
    _release(worker)
    return result


class SolverTool(ToolagentTool):
    name: str = "solver"
    side_effect_free = True
    description: str = (
        "Symbolic math with sympy: solve equations, systems and inequalities, differentiate, integrate "
        "(indefinite or definite), take limits, simplify/factor/expand. Math notation: 'x**2 - 4 = 0', "
        "'2x^2 + 3x = 5', 'sin(x)/x', 'sqrt', 'exp', 'log', 'pi', 'E', 'oo'. Examples: "
        "{\"task\": \"solve\", \"expression\": [\"x + y = 10\", \"x - y = 2\"]}; "
        "{\"task\": \"integrate\", \"expression\": \"x**2\", \"variable\": \"x\", \"lower\": 0, \"upper\": 3}; "
        "{\"task\": \"limit\", \"expression\": \"sin(x)/x\", \"point\": 0}."
    )
    args_schema: type[BaseModel] = SolverArgs
    timeout_s: float = DEFAULT_TIMEOUT_S + 10
    work_timeout_s: float = DEFAULT_TIMEOUT_S
    memory_mb: int = 2048

    def execute(self, args: BaseModel, ctx: ToolContext) -> ToolOutput:
        assert isinstance(args, SolverArgs)
        result = run_isolated(args.model_dump(), self.work_timeout_s, self.memory_mb)
        if "error" in result:
            raise ToolError(result["error"])
        return ToolOutput(text=result["text"], data=result["data"])


def make_tool(config: ToolConfig) -> SolverTool:
    return SolverTool(memory_mb=config.solver_memory_mb)
