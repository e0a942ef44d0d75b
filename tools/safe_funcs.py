"""The safe evaluator's whitelisted math: functions and constants, each checking the size of its result first.

Operators, bounds and the evaluator itself are in ``safe_expr``; ``calculator_evaluator`` and
``symbolic_evaluator`` there use ``CALCULATOR_NAMES`` and ``SYMBOLIC_NAMES`` from here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import sympy as sp

from toolagent.tools.safe_expr import (
    MAX_ARGS,
    MAX_DIGITS,
    ExpressionError,
    Func,
    _LOG10_2,
    _check,
    _div,
    _int,
    _mod,
    _pow,
    _too_large,
)


def _log_gamma_digits(n: float) -> float:
    """log10(n!) (= log10 Gamma(n + 1)); inf when n is beyond floats."""
    try:
        return math.lgamma(n + 1) / math.log(10) if n > 0 else 0.0
    except OverflowError:
        return math.inf


def _factorial(x: sp.Basic) -> sp.Basic:
    n = _int(x, "factorial")
    if n < 0:
        raise ExpressionError("factorial is only defined for non-negative integers")
    if _log_gamma_digits(n) > MAX_DIGITS:
        raise _too_large(_log_gamma_digits(n), f"factorial({n})" if n.bit_length() < 64 else "factorial")
    return sp.factorial(n)


def _comb(n: sp.Basic, k: sp.Basic) -> sp.Basic:
    nn, kk = _int(n, "comb"), _int(k, "comb")
    if nn < 0 or kk < 0:
        raise ExpressionError("comb needs non-negative integers")
    if kk > nn:
        return sp.Integer(0)
    if nn.bit_length() * min(kk, nn - kk) * _LOG10_2 > MAX_DIGITS and (
            _log_gamma_digits(nn) - _log_gamma_digits(kk) - _log_gamma_digits(nn - kk) > MAX_DIGITS):
        raise _too_large(_log_gamma_digits(nn) - _log_gamma_digits(kk) - _log_gamma_digits(nn - kk), "comb")
    return sp.Integer(math.comb(nn, kk))


def _perm(n: sp.Basic, k: sp.Basic | None = None) -> sp.Basic:
    nn = _int(n, "perm")
    kk = nn if k is None else _int(k, "perm")
    if nn < 0 or kk < 0:
        raise ExpressionError("perm needs non-negative integers")
    if kk > nn:
        return sp.Integer(0)
    if nn.bit_length() * kk * _LOG10_2 > MAX_DIGITS and _log_gamma_digits(nn) - _log_gamma_digits(nn - kk) > MAX_DIGITS:
        raise _too_large(_log_gamma_digits(nn) - _log_gamma_digits(nn - kk), "perm")
    return sp.Integer(math.perm(nn, kk))


def _real_size(x: sp.Basic) -> float:
    """|Re(x)| as a float for a number (inf when beyond floats), 0 for symbolic values."""
    if not x.is_number:
        return 0.0
    try:
        return abs(float(sp.re(sp.N(x, 15))))
    except (OverflowError, TypeError, ValueError):
        return math.inf


def _exp_like(name: str, fn: Callable[[sp.Basic], sp.Basic]) -> Callable[[sp.Basic], sp.Basic]:
    """exp, sinh, cosh: |result| ~ e^|x|, so bound |x| before building (evaluating it would take ages)."""

    def call(x: sp.Basic) -> sp.Basic:
        size = _real_size(x)
        if size > MAX_DIGITS * math.log(10):
            raise _too_large(size / math.log(10), f"{name}()")
        return _check(fn(x))

    return call


def _gamma(x: sp.Basic) -> sp.Basic:
    if x.is_number and x.is_extended_real:
        size = _real_size(x)
        if _log_gamma_digits(size) > MAX_DIGITS:
            raise _too_large(_log_gamma_digits(size), "gamma()")
    return _check(sp.gamma(x))


def _binomial(n: sp.Basic, k: sp.Basic) -> sp.Basic:
    if isinstance(n, sp.Integer) and isinstance(k, sp.Integer):
        return _comb(n, k)
    return _check(sp.binomial(n, k))


def _log(x: sp.Basic, base: sp.Basic | None = None) -> sp.Basic:
    if x.is_zero:
        raise ExpressionError("math domain error: log(0)")
    return _check(sp.log(x) if base is None else sp.log(x, base))


def _round(x: sp.Basic, ndigits: sp.Basic | None = None) -> sp.Basic:
    places = 0 if ndigits is None else _int(ndigits, "round")
    if abs(places) > MAX_DIGITS:
        raise ExpressionError(f"round: too many digits ({places})")
    if not x.is_number or not x.is_extended_real:
        raise ExpressionError("round needs a real number")
    exact = isinstance(x, sp.Rational)
    value = Fraction(int(x.p), int(x.q)) if exact else Fraction(str(sp.N(x, 30)))
    rounded = round(value, places)  # ties to even, like Python's round
    if ndigits is None:
        return sp.Integer(int(rounded))
    result = sp.Rational(rounded.numerator, rounded.denominator)
    return result if exact else sp.Float(result, 15)


def _integer_fn(name: str, fn: Callable[..., int]) -> Callable[..., sp.Basic]:
    def call(*args: sp.Basic) -> sp.Basic:
        return sp.Integer(fn(*(_int(a, name) for a in args)))

    return call


def _minmax(pick: Callable[..., Any]) -> Callable[..., sp.Basic]:
    def call(*args: sp.Basic) -> sp.Basic:
        if not all(a.is_number and a.is_extended_real for a in args):
            raise ExpressionError("min/max need real numbers")
        return pick(*args)

    return call


def _isqrt(x: sp.Basic) -> sp.Basic:
    n = _int(x, "isqrt")
    if n < 0:
        raise ExpressionError("isqrt needs a non-negative integer")
    return sp.Integer(math.isqrt(n))


def _sqrt(x: sp.Basic) -> sp.Basic:
    return _pow(x, sp.Rational(1, 2))


def _cbrt(x: sp.Basic) -> sp.Basic:
    """The real cube root, as Python's math.cbrt (cbrt(-8) = -2, not sympy's complex principal root)."""
    if x.is_number and x.is_extended_negative:
        return -_pow(-x, sp.Rational(1, 3))
    return _pow(x, sp.Rational(1, 3))


def _copysign(a: sp.Basic, b: sp.Basic, negative_zero: list[bool]) -> sp.Basic:
    negative = bool(b.is_extended_negative) or (bool(b.is_zero) and negative_zero[1])
    return -sp.Abs(a) if negative else sp.Abs(a)


def _atan2(y: sp.Basic, x: sp.Basic, negative_zero: list[bool]) -> sp.Basic:
    """atan2 with Python's signed-zero rules: atan2(-0.0, -1) = -pi, atan2(0.0, -0.0) = pi."""
    if y.is_zero:
        if x.is_extended_negative or (x.is_zero and negative_zero[1]):
            return -sp.pi if negative_zero[0] else sp.pi
        return sp.S.Zero
    return sp.atan2(y, x)


_MATH_FUNCS: dict[str, Func] = {
    "sqrt": Func(_sqrt), "cbrt": Func(_cbrt), "isqrt": Func(_isqrt),
    "exp": Func(_exp_like("exp", sp.exp)), "exp2": Func(lambda x: _pow(sp.Integer(2), x)),
    "expm1": Func(lambda x: _exp_like("expm1", sp.exp)(x) - 1),
    "log": Func(_log, 1, 2), "ln": Func(_log), "log10": Func(lambda x: _log(x, sp.Integer(10))),
    "log2": Func(lambda x: _log(x, sp.Integer(2))), "log1p": Func(lambda x: _log(x + 1)),
    "sin": Func(sp.sin), "cos": Func(sp.cos), "tan": Func(sp.tan),
    "asin": Func(sp.asin), "acos": Func(sp.acos), "atan": Func(sp.atan), "atan2": Func(_atan2, 2, 2, True),
    "sinh": Func(_exp_like("sinh", sp.sinh)), "cosh": Func(_exp_like("cosh", sp.cosh)), "tanh": Func(sp.tanh),
    "asinh": Func(sp.asinh), "acosh": Func(sp.acosh), "atanh": Func(sp.atanh),
    "floor": Func(sp.floor), "ceil": Func(sp.ceiling), "trunc": Func(lambda x: sp.sign(x) * sp.floor(sp.Abs(x))),
    "factorial": Func(_factorial), "comb": Func(_comb, 2, 2), "perm": Func(_perm, 1, 2),
    "gcd": Func(_integer_fn("gcd", math.gcd), 1, MAX_ARGS), "lcm": Func(_integer_fn("lcm", math.lcm), 1, MAX_ARGS),
    "abs": Func(sp.Abs), "fabs": Func(sp.Abs), "round": Func(_round, 1, 2),
    "min": Func(_minmax(sp.Min), 1, MAX_ARGS), "max": Func(_minmax(sp.Max), 1, MAX_ARGS),
    "pow": Func(_pow, 2, 2), "hypot": Func(lambda *a: _sqrt(_check(sum((_pow(x, sp.Integer(2)) for x in a), sp.S.Zero))), 1, MAX_ARGS),
    "degrees": Func(lambda x: x * 180 / sp.pi), "radians": Func(lambda x: x * sp.pi / 180),
    "fmod": Func(lambda a, b: _check(sp.sign(a) * _mod(sp.Abs(a), sp.Abs(b))), 2, 2),
    "copysign": Func(_copysign, 2, 2, True),
    "gamma": Func(_gamma), "sum": Func(lambda *a: _check(sum(a, sp.S.Zero)), 1, MAX_ARGS),
}

_MATH_CONSTANTS: dict[str, sp.Basic] = {"pi": sp.pi, "e": sp.E, "tau": 2 * sp.pi, "inf": sp.oo}

#: names the calculator accepts (bare or ``math.``-prefixed)
CALCULATOR_NAMES: dict[str, Func | sp.Basic] = {**_MATH_FUNCS, **_MATH_CONSTANTS}

#: extra names for symbolic work (solver): sympy spellings, and constructors stringify_expr emits
SYMBOLIC_NAMES: dict[str, Func | sp.Basic] = {
    **CALCULATOR_NAMES,
    "E": sp.E, "I": sp.I, "oo": sp.oo, "Abs": Func(sp.Abs), "ceiling": Func(sp.ceiling), "sign": Func(sp.sign),
    "cot": Func(sp.cot), "sec": Func(sp.sec), "csc": Func(sp.csc), "acot": Func(sp.acot),
    "root": Func(lambda x, n: _pow(x, 1 / n), 2, 2), "binomial": Func(_binomial, 2, 2),
    "Integer": Func(lambda x: sp.Integer(x)), "Rational": Func(lambda a, b=sp.S.One: _div(a, b), 1, 2),
    "Eq": Func(sp.Eq, 2, 2), "re": Func(sp.re), "im": Func(sp.im), "conjugate": Func(sp.conjugate),
}
