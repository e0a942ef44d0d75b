"""calculator — evaluate one arithmetic expression exactly (sympy), safely (no eval), with a decimal value.

Serves GTA's ``Calculator(expression)``: "a single Python expression ... you can use functions in the `math`
package without import". The expression is parsed with ``ast`` and interpreted through the whitelist in
``toolagent.tools.safe_expr``; nothing is ever executed as Python.
"""

from __future__ import annotations

from typing import Any, ClassVar

import sympy as sp
from pydantic import BaseModel, Field

from toolagent.tools.base import ToolContext, ToolOutput, ToolagentTool
from toolagent.tools.config import ToolConfig
from toolagent.tools.safe_expr import MAX_DIGITS, ExpressionError, calculator_evaluator

#: significant digits of the decimal value
DECIMAL_DIGITS = 15
#: exact forms longer than this are not shown (the decimal value still is)
MAX_EXACT_CHARS = 300


class CalculatorArgs(BaseModel):
    expression: str = Field(description="One arithmetic expression in Python syntax, e.g. '(3 + 5) * 2 / 7', "
                                        "'sqrt(2) * pi', 'math.log(100, 10)', '12.5 * 0.08'.")


def decimal_text(value: sp.Basic) -> str:
    """The value as a short decimal, formatted like Python prints numbers (0.75, 10.0, 1.5e+20)."""
    import mpmath

    numeric = sp.N(value, DECIMAL_DIGITS, maxn=MAX_DIGITS + 100)  # floor(exp(9000)) needs ~3900 digits
    if numeric in (sp.oo, sp.S.NegativeInfinity):
        return "inf" if numeric == sp.oo else "-inf"
    if isinstance(value, sp.Integer):
        return str(value) if abs(value) < 10**DECIMAL_DIGITS else mpmath.nstr(mpmath.mpf(int(value)), DECIMAL_DIGITS)
    real, imag = numeric.as_real_imag()
    if imag != 0:
        re_text = mpmath.nstr(mpmath.mpf(sp.Float(real, DECIMAL_DIGITS)._mpf_), DECIMAL_DIGITS)
        im_text = mpmath.nstr(mpmath.mpf(sp.Float(abs(imag), DECIMAL_DIGITS)._mpf_), DECIMAL_DIGITS)
        return f"{re_text} {'-' if imag < 0 else '+'} {im_text}j" if real != 0 else \
            f"{'-' if imag < 0 else ''}{im_text}j"
    return mpmath.nstr(mpmath.mpf(sp.Float(real, DECIMAL_DIGITS)._mpf_), DECIMAL_DIGITS)


def format_result(value: Any) -> tuple[str, dict[str, Any]]:
    """Text and data for a calculator result: exact form when it differs, plus the decimal value."""
    if isinstance(value, (sp.logic.boolalg.BooleanTrue, sp.logic.boolalg.BooleanFalse)):
        text = "True" if bool(value) else "False"
        return f"= {text}", {"exact": text, "decimal": text}
    if not isinstance(value, sp.Expr) or not value.is_number:
        raise ExpressionError(f"the expression did not reduce to a number: {str(value)[:200]}")
    try:
        decimal = decimal_text(value)
    except Exception as exc:  # sympy's evalf gives up in several ways (PrecisionExhausted, ...)
        raise ExpressionError(f"cannot compute a decimal value: {str(exc).strip()[:120] or type(exc).__name__}")\
            from None
    # floats in, floats out (like Python): a float result has no exact form
    exact = None if value.has(sp.Float) else str(value)
    data = {"exact": exact, "decimal": decimal}
    if exact is None or exact == decimal:
        return f"= {exact or decimal}", data
    if len(exact) > MAX_EXACT_CHARS:
        kind = f"{len(exact.lstrip('-'))}-digit integer" if isinstance(value, sp.Integer) else "exact form"
        return f"≈ {decimal} ({kind} in data.exact)", data
    return f"= {exact} ≈ {decimal}", data


def calculate(expression: str) -> tuple[str, dict[str, Any]]:
    """Evaluate ``expression`` safely; returns (text, data). Raises ExpressionError (a ToolError)."""
    return format_result(calculator_evaluator().evaluate(expression))


class CalculatorTool(ToolagentTool):
    name: str = "calculator"
    description: str = (
        "Evaluate one arithmetic expression exactly and give its decimal value. Python syntax: + - * / // % **, "
        "parentheses, comparisons, and math functions/constants with or without the math. prefix: sqrt, exp, "
        "log(x[, base]), ln, log10, log2, sin, cos, tan, asin, acos, atan, atan2, sinh, cosh, tanh, floor, ceil, "
        "round, abs, min, max, sum, factorial, comb, perm, gcd, lcm, hypot, degrees, radians, pi, e, tau, inf. "
        "No variables, strings or imports. Example: {\"expression\": \"(1200 * 1.05**3 - 1200) / 3\"}."
    )
    args_schema: type[BaseModel] = CalculatorArgs
    gta_name: ClassVar[str | None] = "Calculator"
    side_effect_free: ClassVar[bool] = True
    timeout_s: float = 10.0

    def execute(self, args: BaseModel, ctx: ToolContext) -> ToolOutput:
        assert isinstance(args, CalculatorArgs)
        text, data = calculate(args.expression)
        return ToolOutput(text=text, data=data)


def make_tool(config: ToolConfig) -> CalculatorTool:
    return CalculatorTool()
