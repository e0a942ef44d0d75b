"""How people write the synthetic suite's numbers and expressions: digits or words, ``*`` or ``×`` or "times".

Every choice is drawn from the task's own ``random.Random``, so a seed fixes the wording.
"""

from __future__ import annotations

import random
from decimal import Decimal

_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def number_words(n: int) -> str:
    """English words for 0 ≤ n < 1,000,000 (``345`` → ``three hundred forty-five``)."""
    if not 0 <= n < 1_000_000:
        raise ValueError(f"number_words covers 0..999999, got {n}")
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else "-" + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return f"{_ONES[n // 100]} hundred" + ("" if rest == 0 else " " + number_words(rest))
    rest = n % 1000
    return f"{number_words(n // 1000)} thousand" + ("" if rest == 0 else " " + number_words(rest))


def say(rng: random.Random, n: int, words: float = 0.3) -> str:
    """``n`` in digits, or (with probability ``words``, for n ≤ 100) in words."""
    return number_words(n) if n <= 100 and rng.random() < words else str(n)


def money_text(rng: random.Random, value: Decimal) -> str:
    """A price as people type it: ``$4.50``, ``4.50 dollars`` or (whole amounts) ``$12``."""
    whole = value == value.to_integral_value()
    amount = f"{int(value)}" if whole and rng.random() < 0.5 else f"{value:.2f}"
    return rng.choice((f"${amount}", f"{amount} dollars"))


#: how the binary operators are written in a question (symbol, then word form)
_OPS = {"+": (("+",), ("plus",)), "-": (("-", "−"), ("minus",)), "*": (("*", "×", "x"), ("times",)),
        "/": (("/", "÷"), ("divided by",))}


def spoken(rng: random.Random, terms: list[int], ops: list[str], group_first: bool = False) -> str:
    """An expression over ``terms`` joined by ``ops`` as a person might type it (symbols, words or a mix)."""
    in_words = rng.random() < 0.3
    spaced = rng.random() < 0.8
    parts = [say(rng, terms[0], 0.5) if in_words else str(terms[0])]
    for op, term in zip(ops, terms[1:]):
        symbols, names = _OPS[op]
        sign = rng.choice(names) if in_words else rng.choice(symbols)
        number = say(rng, term, 0.5) if in_words else str(term)
        parts.append(f" {sign} {number}" if spaced or in_words else f"{sign}{number}")
    if group_first and len(parts) >= 2:
        parts = ["(" + parts[0] + parts[1] + ")", *parts[2:]]
    return "".join(parts)


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]
