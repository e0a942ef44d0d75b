"""Safe math expressions: parse with ``ast``, walk a whitelist, build sympy objects — never ``eval``.

The calculator and the solver share this evaluator. Nothing here executes Python code: the text is parsed
into an AST, every node is checked against a whitelist, and the tree is interpreted node by node into sympy
values. Each operation that can grow a number (``**``, ``<<``, ``factorial``, ``comb``, ``exp``...) checks
the size of its result *before* computing it, so ``9**9**9`` or ``factorial(10**6)`` fail at once with a
clear message instead of hanging or eating memory.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

from toolagent.tools.base import ToolError

#: longest expression text accepted
MAX_INPUT_CHARS = 4000
#: deepest nesting of sub-expressions (long flat sums do not count as nesting)
MAX_DEPTH = 100
#: largest exact result: digits of an integer (numerator + denominator for a fraction), and the largest
#: decimal exponent of any number (|log10|x|| <= MAX_DIGITS)
MAX_DIGITS = 4000
#: exact roots of integers longer than this are computed in floating point instead (sympy's exact root
#: extraction grows steeply with the size of the radicand)
MAX_ROOT_DIGITS = 500
#: arguments a variadic function (min, max, gcd, ...) may take
MAX_ARGS = 1000

_LOG10_2 = math.log10(2)


class ExpressionError(ToolError):
    """The expression is not allowed or cannot be evaluated; the message says why in one line."""


@dataclass(frozen=True)
class Func:
    """A whitelisted function: the implementation and how many arguments it takes."""

    fn: Callable[..., Any]
    min_args: int = 1
    max_args: int = 1
    #: the function reads the sign of a zero argument (sympy has no -0.0): ``fn(*args, negative_zero=[...])``
    signed_zero: bool = False


# ----------------------------------------------------------------------------------------------- bounds
def _digits(value: sp.Basic) -> float:
    """Decimal digits needed to hold ``value`` exactly (integers and fractions), else 0."""
    if isinstance(value, sp.Rational):
        return _log10_abs(int(value.p)) + _log10_abs(int(value.q))
    return 0.0


def _log10_abs(n: int) -> float:
    return math.log10(abs(n)) if n else 0.0


def _magnitude(value: sp.Basic) -> float:
    """|log10|value|| for a number (0 when it is not a plain number or is 0/±1)."""
    if not value.is_number:
        return 0.0
    if isinstance(value, sp.Rational):
        return max(_digits(value), 0.0) if value != 0 else 0.0
    try:
        number = complex(sp.N(value, 15))
    except (TypeError, ValueError):
        return 0.0
    size = abs(number)
    if size == 0 or math.isinf(size) or math.isnan(size):
        return 0.0
    return abs(math.log10(size))


def _too_large(estimate: float, what: str) -> ExpressionError:
    size = f"about {estimate:.3g}" if math.isfinite(estimate) else "astronomically many"
    return ExpressionError(f"{what} is too large: {size} digits (limit {MAX_DIGITS} digits)")


def _check(value: sp.Basic, what: str = "result") -> sp.Basic:
    if isinstance(value, sp.Rational) and _digits(value) > MAX_DIGITS:
        raise _too_large(_digits(value), what)
    if value.has(sp.zoo) or value.has(sp.nan):
        raise ExpressionError("undefined result (division by zero or an indeterminate form)")
    return value


def _int(value: sp.Basic, what: str) -> int:
    if not isinstance(value, sp.Integer):
        raise ExpressionError(f"{what} needs integer arguments, got {value}")
    return int(value)


# ----------------------------------------------------------------------------------------------- operators
def _pow(base: sp.Basic, exp: sp.Basic) -> sp.Basic:
    if base.is_zero and exp.is_number and exp.is_extended_negative:
        raise ExpressionError("division by zero (0 raised to a negative power)")
    if exp.is_number and base.is_number and base not in (sp.S.Zero, sp.S.One, sp.S.NegativeOne):
        try:
            size = abs(float(sp.re(sp.N(exp, 15))))
        except (TypeError, ValueError):
            size = 0.0
        per_unit = _digits(base) if isinstance(base, sp.Rational) else _magnitude(base)
        estimate = size * per_unit
        if estimate > MAX_DIGITS:
            raise _too_large(estimate, "power")
        if (isinstance(base, sp.Rational) and isinstance(exp, sp.Rational) and not exp.is_integer
                and _digits(base) > MAX_ROOT_DIGITS):
            return _check(sp.Float(base, 30) ** exp)
    return _check(base**exp)


def _div(a: sp.Basic, b: sp.Basic) -> sp.Basic:
    if b.is_zero:
        raise ExpressionError("division by zero")
    return _check(a / b)


def _floordiv(a: sp.Basic, b: sp.Basic) -> sp.Basic:
    if b.is_zero:
        raise ExpressionError("integer division or modulo by zero")
    return _check(sp.floor(a / b))


def _mod(a: sp.Basic, b: sp.Basic) -> sp.Basic:
    if b.is_zero:
        raise ExpressionError("integer division or modulo by zero")
    return _check(sp.Mod(a, b))


def _shift(a: sp.Basic, b: sp.Basic, left: bool) -> sp.Basic:
    value, amount = _int(a, "a shift"), _int(b, "a shift")
    if amount < 0:
        raise ExpressionError("negative shift count")
    if left and (value.bit_length() + amount) * _LOG10_2 > MAX_DIGITS:
        raise _too_large((value.bit_length() + amount) * _LOG10_2, "shift result")
    return sp.Integer(value << amount if left else value >> amount)


_BINOPS: dict[type[ast.operator], Callable[[sp.Basic, sp.Basic], sp.Basic]] = {
    ast.Add: lambda a, b: _check(a + b),
    ast.Sub: lambda a, b: _check(a - b),
    ast.Mult: lambda a, b: _check(a * b),
    ast.Div: _div,
    ast.FloorDiv: _floordiv,
    ast.Mod: _mod,
    ast.Pow: _pow,
    ast.LShift: lambda a, b: _shift(a, b, True),
    ast.RShift: lambda a, b: _shift(a, b, False),
    ast.BitAnd: lambda a, b: sp.Integer(_int(a, "&") & _int(b, "&")),
    ast.BitOr: lambda a, b: sp.Integer(_int(a, "|") | _int(b, "|")),
    ast.BitXor: lambda a, b: sp.Integer(_int(a, "^") ^ _int(b, "^")),
}

_COMPARE: dict[type[ast.cmpop], Callable[[sp.Basic, sp.Basic], Any]] = {
    ast.Eq: sp.Eq, ast.NotEq: sp.Ne, ast.Lt: sp.Lt, ast.LtE: sp.Le, ast.Gt: sp.Gt, ast.GtE: sp.Ge,
}


def _negative_zero(node: ast.AST) -> bool:
    """Whether ``node`` is a float zero that Python would make -0.0 (``-0.0``, ``-(+0.0)``, ``- -(-0.0)``).

    Only signs written on a zero literal are tracked: that is how -0.0 reaches an expression in practice."""
    negative = False
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        negative ^= isinstance(node.op, ast.USub)
        node = node.operand
    return (isinstance(node, ast.Constant) and isinstance(node.value, float) and node.value == 0
            and negative != (math.copysign(1.0, node.value) < 0))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0][:200] if text else "") or type(exc).__name__


# ----------------------------------------------------------------------------------------------- evaluator
_FORBIDDEN = {
    ast.Lambda: "lambda expressions", ast.ListComp: "comprehensions", ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions", ast.GeneratorExp: "generator expressions", ast.Subscript: "subscripts",
    ast.Starred: "star arguments", ast.NamedExpr: "assignment expressions", ast.JoinedStr: "f-strings",
    ast.IfExp: "conditional expressions", ast.BoolOp: "and/or", ast.Dict: "dicts", ast.Set: "sets",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield", ast.Slice: "slices",
}


class SafeEvaluator:
    """Interpret an expression's AST into a sympy value using only whitelisted names.

    ``symbols``: unknown plain names become sympy Symbols (the solver) instead of an error (the calculator).
    ``prefixes``: module names allowed before a whitelisted name (``math.sqrt``).
    """

    def __init__(self, names: Mapping[str, Func | sp.Basic], *, symbols: bool = False,
                 prefixes: tuple[str, ...] = ("math",)) -> None:
        self.names = names
        self.symbols = symbols
        self.prefixes = prefixes

    def parse(self, text: str) -> ast.expr:
        if not isinstance(text, str):
            raise ExpressionError("the expression must be text")
        text = text.strip()
        if not text:
            raise ExpressionError("empty expression")
        if len(text) > MAX_INPUT_CHARS:
            raise ExpressionError(f"expression too long ({len(text)} characters, limit {MAX_INPUT_CHARS})")
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as exc:
            raise ExpressionError(f"not a valid expression: {exc.msg}") from None
        except (ValueError, MemoryError, RecursionError) as exc:
            raise ExpressionError(f"not a valid expression: {str(exc) or type(exc).__name__}") from None
        return tree.body

    def evaluate(self, text: str) -> Any:
        node = self.parse(text)
        try:
            return self._eval(node, 0)
        except ExpressionError:
            raise
        except RecursionError:
            raise ExpressionError("expression nested too deeply") from None
        except Exception as exc:  # sympy/mpmath raise many kinds (PrecisionExhausted, ...): one clear line
            raise ExpressionError(f"cannot evaluate: {_first_line(exc)}") from None

    # -- nodes
    def _eval(self, node: ast.AST, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression nested too deeply (limit {MAX_DEPTH})")
        if isinstance(node, ast.BinOp):
            return self._binop(node, depth)
        if isinstance(node, ast.Constant):
            return self._constant(node.value)
        if isinstance(node, ast.UnaryOp):
            value = self._value(node.operand, depth)
            if isinstance(node.op, ast.USub):
                return -value
            if isinstance(node.op, ast.UAdd):
                return value
            if isinstance(node.op, ast.Invert):
                return sp.Integer(~_int(value, "~"))
            raise ExpressionError("'not' is not allowed in an expression")
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.Attribute):
            return self._name(self._attribute(node))
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        if isinstance(node, ast.Compare):
            return self._compare(node, depth)
        if isinstance(node, (ast.Tuple, ast.List)) and self.symbols:
            return [self._value(item, depth + 1) for item in node.elts]
        what = _FORBIDDEN.get(type(node)) or ("lists and tuples" if isinstance(node, (ast.Tuple, ast.List))
                                             else type(node).__name__)
        raise ExpressionError(f"{what} are not allowed in an expression" if what.endswith("s")
                              else f"{what} is not allowed in an expression")

    def _value(self, node: ast.AST, depth: int) -> sp.Basic:
        value = self._eval(node, depth + 1)
        if isinstance(value, Func):
            raise ExpressionError("a function name must be called, e.g. sqrt(2)")
        if isinstance(value, list):
            raise ExpressionError("a list cannot be used inside arithmetic")
        return value

    def _constant(self, value: object) -> sp.Basic:
        if isinstance(value, bool) or value is None or value is Ellipsis:
            raise ExpressionError(f"{value!r} is not allowed in an expression")
        if isinstance(value, int):
            if value.bit_length() * _LOG10_2 > MAX_DIGITS:
                raise _too_large(value.bit_length() * _LOG10_2, "number")
            return sp.Integer(value)
        if isinstance(value, float):
            if math.isinf(value):
                raise ExpressionError("number out of range")
            return sp.Float(value)
        if isinstance(value, complex):
            return sp.Float(value.real) + sp.Float(value.imag) * sp.I
        if isinstance(value, (str, bytes)):
            raise ExpressionError("strings are not allowed in an expression")
        raise ExpressionError(f"{type(value).__name__} constants are not allowed")

    def _name(self, name: str) -> Any:
        if name.startswith("_"):
            raise ExpressionError(f"names starting with '_' are not allowed: {name}")
        if name in self.names:
            return self.names[name]
        if self.symbols and name.isidentifier():
            return sp.Symbol(name)
        raise ExpressionError(f"unknown name {name!r} (allowed: numbers, + - * / // % **, and "
                              f"{', '.join(sorted(self.names))})")

    def _attribute(self, node: ast.Attribute) -> str:
        if (isinstance(node.value, ast.Name) and node.value.id in self.prefixes
                and not node.attr.startswith("_") and node.attr in self.names):
            return node.attr
        raise ExpressionError("attribute access is not allowed (only math.<function> names like math.sqrt)")

    def _binop(self, node: ast.BinOp, depth: int) -> sp.Basic:
        chain: list[ast.BinOp] = []  # walk the left spine iteratively: long flat sums are not "deep"
        current: ast.AST = node
        while isinstance(current, ast.BinOp) and len(chain) < MAX_INPUT_CHARS:
            chain.append(current)
            current = current.left
        value = self._value(current, depth)
        for item in reversed(chain):
            op = _BINOPS.get(type(item.op))
            if op is None:
                raise ExpressionError(f"operator {type(item.op).__name__} is not allowed")
            value = op(value, self._value(item.right, depth))
        return value

    def _call(self, node: ast.Call, depth: int) -> Any:
        if node.keywords:
            raise ExpressionError("keyword arguments are not allowed in an expression")
        if isinstance(node.func, ast.Name):
            name = node.func.id
        elif isinstance(node.func, ast.Attribute):
            name = self._attribute(node.func)
        else:
            raise ExpressionError("only named functions can be called, e.g. sqrt(2)")
        if self.symbols and name in ("Symbol", "Float") and not name.startswith("_"):
            return self._literal_constructor(name, node)
        func = self._name(name)
        if not isinstance(func, Func):
            raise ExpressionError(f"{name} is not a function")
        if not func.min_args <= len(node.args) <= func.max_args:
            expected = (str(func.min_args) if func.min_args == func.max_args
                        else f"{func.min_args} to {func.max_args}")
            raise ExpressionError(f"{name}() takes {expected} argument(s), got {len(node.args)}")
        args = [self._value(arg, depth) for arg in node.args]
        if func.signed_zero:
            return _check(func.fn(*args, negative_zero=[_negative_zero(arg) for arg in node.args]), f"{name}()")
        return _check(func.fn(*args), f"{name}()")

    def _literal_constructor(self, name: str, node: ast.Call) -> sp.Basic:
        """``Symbol('x')`` / ``Float('1.5')`` as sympy's stringify_expr writes them (solver only)."""
        if len(node.args) != 1 or not isinstance(node.args[0], ast.Constant):
            raise ExpressionError(f"{name}() takes one literal argument")
        raw = node.args[0].value
        if name == "Symbol":
            if not isinstance(raw, str) or not raw.isidentifier() or raw.startswith("_"):
                raise ExpressionError(f"invalid symbol name {raw!r}")
            return sp.Symbol(raw)
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            raise ExpressionError("Float() takes a number")
        try:
            value = sp.Float(raw)
        except (TypeError, ValueError):
            raise ExpressionError(f"invalid number {raw!r}") from None
        if _magnitude(value) > MAX_DIGITS:
            raise _too_large(_magnitude(value), "number")
        return value

    def _compare(self, node: ast.Compare, depth: int) -> Any:
        left = self._value(node.left, depth)
        results = []
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            compare = _COMPARE.get(type(op))
            if compare is None:
                raise ExpressionError(f"comparison {type(op).__name__} is not allowed")
            right = self._value(right_node, depth)
            results.append(compare(left, right))
            left = right
        return results[0] if len(results) == 1 else sp.And(*results)


def calculator_evaluator() -> SafeEvaluator:
    from toolagent.tools.safe_funcs import CALCULATOR_NAMES

    return SafeEvaluator(CALCULATOR_NAMES, symbols=False, prefixes=("math",))


def symbolic_evaluator() -> SafeEvaluator:
    from toolagent.tools.safe_funcs import SYMBOLIC_NAMES

    return SafeEvaluator(SYMBOLIC_NAMES, symbols=True, prefixes=("math", "sympy", "sp"))
