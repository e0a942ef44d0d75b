"""The synthetic suite's task kinds: each draws its parameters and one of many phrasings from the task's own
``random.Random`` and returns a ``Draft``: the question, the reference steps (each with the substrings the real
tool's output must contain), the answer, the image to draw (if any) and the parameter key that decides the split.

Reference steps are kept short (``expect``/``instruction`` a few words: they are SFT targets), arguments exact.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, Field

from toolagent.records import PlanStep
from toolagent.train.synth_phrasing import money_text, say, sentence_case, spoken

CALC_ARG, OCR_ARG, SEARCH_ARG = "expression", "image", "query"
ITEMS = ("Milk", "Bread", "Apples", "Coffee", "Rice", "Eggs", "Butter", "Cheese", "Tea", "Honey", "Pasta",
         "Soap", "Lemons", "Flour", "Sugar", "Juice", "Yogurt", "Beans", "Onions", "Pears")
STORES = ("Corner Market", "Green Grocer", "Daily Foods", "Fresh Mart", "Sunny Shop", "Oak Store")
STREETS = ("Harbour Rd", "Mill Lane", "High St", "Station Ave", "Park Row", "Bridge St")
RIVERS = ("Alder", "Brook", "Cedar", "Dune", "Elm", "Fern", "Glen", "Heath")
NAMES = ("Sam", "Mia", "Leo", "Ana", "Tom", "Ivy", "Raj", "Zoe", "Ben", "Ida", "Kai", "Eva")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WORDS = ("lantern", "meadow", "copper", "violet", "harbor", "pebble", "orchid", "saddle", "thunder", "walnut")


class SynthStep(BaseModel):
    step: PlanStep
    checks: list[str] = Field(default_factory=list)


class Town(BaseModel):
    name: str
    population: int
    founded: int
    river: str
    river_km: int


@dataclass
class Draft:
    question: str
    steps: list[SynthStep]
    answer: str
    #: the parameter draw, independent of the wording: a draw belongs to exactly one split (None: the draw uses
    #: the split's own towns, which already keep the splits apart)
    key: str | None
    draw: Callable[[Path], None] | None = None


def fmt(value: Decimal | int) -> str:
    """Canonical number text: no exponent, no trailing zeros (``13.50`` → ``13.5``)."""
    value = Decimal(value)
    text = format(value.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")


def money(rng: random.Random, low: int = 100, high: int = 1500, step: int = 25) -> Decimal:
    return Decimal(rng.randrange(low, high, step)) / 100


def calc(expression: str, expect: str, result: Decimal | int) -> SynthStep:
    return SynthStep(step=PlanStep(expect=expect, tool="calculator", args={CALC_ARG: expression},
                                   instruction="calculate"), checks=[fmt(result)])


def ocr(image: str, expect: str, checks: list[str]) -> SynthStep:
    return SynthStep(step=PlanStep(expect=expect, tool="ocr", args={OCR_ARG: image}, instruction="read the image"),
                     checks=checks)


def search(query: str, expect: str, checks: list[str]) -> SynthStep:
    return SynthStep(step=PlanStep(expect=expect, tool="web_search", args={SEARCH_ARG: query},
                                   instruction="search"), checks=checks)


def answer_step(text: str) -> SynthStep:
    return SynthStep(step=PlanStep(expect="the answer", tool="answer", args={"text": text}, instruction="answer",
                                   status="done"))


def param_key(*params: object) -> str:
    return repr(params)


def price_text(value: Decimal) -> str:
    return f"{value:.2f}"


# ---------------------------------------------------------------- calculator only

_EXPR_QUESTIONS = ("What is {e}?", "What is {e}?", "what's {e}?", "Calculate {e}.", "Compute {e}", "How much is {e}?", "{e} = ?",
                   "Work out {e} for me.", "Can you tell me what {e} comes to?", "quick one: what is {e}",
                   "I need the result of {e}.", "Solve {e}.", "{e}?", "What do you get for {e}?")
_PERCENT = ("How much is {p} percent of {n}?", "What is {p}% of {n}?", "Find {p}% of {n}.",
            "what's {p} percent of {n}", "Calculate {p}% of {n}.", "{p}% of {n} is how much?")
_TIP = ("What is a {p}% tip on a {m} bill?", "How big is a {p} percent tip on {m}?",
        "I want to leave a {p}% tip on {m}. How much is the tip?")
_FRACTIONS = (("half", 1, 2), ("a third", 1, 3), ("a quarter", 1, 4), ("three quarters", 3, 4),
              ("two thirds", 2, 3), ("a fifth", 1, 5))


def arith(rng: random.Random, image: str, towns: list[Town]) -> Draft:
    """A plain expression, a percentage or a fraction: one calculator call."""
    form = rng.choice(("expr", "expr", "expr", "divide", "percent", "tip", "fraction"))
    if form == "expr":
        a, b = rng.randrange(2, 60), rng.randrange(2, 40)
        ops = rng.choice((("*", "+"), ("+", "*"), ("*", "-"), ("-", "+"), ("+", "+"), ("+", "-")))
        grouped = ops[0] in "+-" and ops[1] == "*" and rng.random() < 0.4
        if ops == ("-", "+") and a < b:
            a, b = b, a
        # a subtraction never goes below zero: c is drawn under what it is taken from
        c = rng.randrange(1, min(99, a * b if ops[0] == "*" else a + b)) if ops[1] == "-" else rng.randrange(1, 99)
        expression = f"{'(' if grouped else ''}{a}{ops[0]}{b}{')' if grouped else ''}{ops[1]}{c}"
        text = spoken(rng, [a, b, c], list(ops), group_first=grouped)
        question = rng.choice(_EXPR_QUESTIONS).format(e=text)
        key = param_key(expression)
    elif form == "divide":
        b, k = rng.randrange(2, 25), rng.randrange(2, 40)
        expression, text = f"{b * k}/{b}", spoken(rng, [b * k, b], ["/"])
        question, key = rng.choice(_EXPR_QUESTIONS).format(e=text), param_key(expression)
    elif form == "percent":
        p, n = rng.choice((5, 10, 12, 15, 20, 25, 30, 40, 60, 75)), rng.randrange(20, 2000, 10)
        expression, key = f"{n}*{p}/100", param_key("percent", p, n)
        question = rng.choice(_PERCENT).format(p=p, n=n)
    elif form == "tip":
        p, bill = rng.choice((10, 15, 18, 20, 25)), money(rng, 1000, 12000, 100)
        expression, key = f"{fmt(bill)}*{p}/100", param_key("tip", p, bill)
        question = rng.choice(_TIP).format(p=p, m=money_text(rng, bill))
    else:
        name, top, bottom = rng.choice(_FRACTIONS)
        n = bottom * rng.randrange(3, 200)
        expression, key = f"{n}*{top}/{bottom}", param_key("fraction", top, bottom, n)
        question = rng.choice(("What is {f} of {n}?", "How much is {f} of {n}?", "what's {f} of {n}")).format(
            f=name, n=say(rng, n, 0.2))
    result = _evaluate(expression)
    return Draft(sentence_case(question), [calc(expression, "the result", result)], fmt(result), key)


def _evaluate(expression: str) -> Decimal:
    """The exact value of one of the suite's own expressions (numbers, + - * / and parentheses only)."""
    import ast
    import operator
    from fractions import Fraction

    ops = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}

    def walk(node: ast.AST) -> Fraction:
        if isinstance(node, ast.BinOp) and type(node.op) in ops:
            return ops[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return Fraction(str(node.value))
        raise ValueError(f"not a suite expression: {expression}")

    value = walk(ast.parse(expression, mode="eval").body)
    return Decimal(value.numerator) / Decimal(value.denominator)


def _word_problem(rng: random.Random) -> tuple[str, str, str]:
    """(question, expression, key) of one everyday word problem."""
    name = rng.choice(NAMES)
    scenario = rng.randrange(9)
    if scenario == 0:
        t, p = rng.randrange(3, 30), rng.randrange(6, 48)
        s = rng.randrange(1, t * p)
        q = rng.choice(("A bakery packs {t} trays with {p} muffins on each tray and then sells {s} muffins. How many "
                        "muffins are left?", "There are {t} trays of {p} muffins. After {s} are sold, how many "
                        "muffins remain?", "we baked {t} trays of {p} muffins and sold {s}. how many are left over?"))
        return q.format(t=say(rng, t), p=say(rng, p), s=s), f"{t}*{p}-{s}", param_key(0, t, p, s)
    if scenario == 1:
        b, p, extra = rng.randrange(2, 20), rng.choice((6, 10, 12, 18, 30)), rng.randrange(1, 12)
        q = rng.choice(("I have {b} boxes of {p} eggs and {l} loose eggs. How many eggs do I have altogether?",
                        "How many eggs are there altogether in {b} cartons of {p} plus {l} extra eggs?",
                        "{n} buys {b} boxes with {p} eggs each and gets {l} more from a neighbour. How many eggs "
                        "does {n} have in all?"))
        return q.format(b=say(rng, b), p=p, l=say(rng, extra), n=name), f"{b}*{p}+{extra}", param_key(1, b, p, extra)
    if scenario == 2:
        m, c = money(rng, 200, 3000, 50), rng.randrange(2, 12)
        q = rng.choice(("Tickets cost {m} each. What would {c} of these cost?",
                        "How much do {c} tickets at {m} each cost in total?",
                        "If one ticket is {m}, how much are {c} tickets?",
                        "A ticket costs {m}. What do {c} tickets cost altogether?"))
        return q.format(m=money_text(rng, m), c=say(rng, c)), f"{fmt(m)}*{c}", param_key(2, m, c)
    if scenario == 3:
        m, h = rng.randrange(9, 40), rng.randrange(2, 45)
        q = rng.choice(("{n} earns ${m} an hour and works {h} hours. How much does {n} earn?",
                        "At {m} dollars per hour, how much is {h} hours of work?",
                        "How much money does {n} make working {h} hours at ${m} an hour?"))
        return q.format(n=name, m=m, h=say(rng, h)), f"{m}*{h}", param_key(3, m, h)
    if scenario == 4:
        k, teams = rng.randrange(2, 9), rng.randrange(2, 15)
        q = rng.choice(("A class of {n} pupils splits into teams of {k}. How many teams are there?",
                        "How many teams of {k} can {n} players make?",
                        "{n} children are put into groups of {k}. How many groups is that?"))
        return q.format(n=k * teams, k=say(rng, k, 0.5)), f"{k * teams}/{k}", param_key(4, k, teams)
    if scenario == 5:
        a, b, c = rng.randrange(2, 60), rng.randrange(2, 60), rng.randrange(2, 60)
        q = rng.choice(("There are {a} red, {b} blue and {c} green marbles in a jar. How many marbles are there "
                        "altogether?", "A jar holds {a} red marbles, {b} blue ones and {c} green ones. How many in "
                        "total?", "how many marbles altogether if I have {a} red, {b} blue and {c} green?"))
        return q.format(a=say(rng, a), b=say(rng, b), c=say(rng, c)), f"{a}+{b}+{c}", param_key(5, a, b, c)
    if scenario == 6:
        d, days = rng.randrange(10, 60), rng.randrange(2, 9)
        pages = d * days + rng.randrange(5, 300)
        q = rng.choice(("A book has {p} pages. I read {d} pages a day for {n} days. How many pages are left?",
                        "{name} reads {d} pages every day of a {p}-page book. How many pages are still unread "
                        "after {n} days?"))
        return q.format(p=pages, d=d, n=say(rng, days), name=name), f"{pages}-{d}*{days}", param_key(6, pages, d, days)
    if scenario == 7:
        per, litres = rng.randrange(8, 25), rng.randrange(5, 60)
        q = rng.choice(("A car goes {km} km on {l} litres of fuel. How many km does it go per litre?",
                        "How many kilometres per litre does a car get if it drives {km} km on {l} litres?"))
        return q.format(km=per * litres, l=litres), f"{per * litres}/{litres}", param_key(7, per, litres)
    m, w = rng.randrange(3, 60), rng.randrange(2, 52)
    q = rng.choice(("{n} saves ${m} a week. How much has {n} saved after {w} weeks?",
                    "If I put away {m} dollars every week, how much do I have after {w} weeks?"))
    return q.format(n=name, m=m, w=say(rng, w)), f"{m}*{w}", param_key(8, m, w)


def word(rng: random.Random, image: str, towns: list[Town]) -> Draft:
    """An everyday word problem: one calculator call."""
    question, expression, key = _word_problem(rng)
    result = _evaluate(expression)
    return Draft(sentence_case(question), [calc(expression, "the result", result)], fmt(result), key)


def chain(rng: random.Random, image: str, towns: list[Town]) -> Draft:
    """Price, discount, change: three calculator calls."""
    count, price = rng.randrange(3, 20), money(rng, 50, 500, 50)
    discount = rng.choice((10, 20, 50))  # with prices in halves, every amount has at most 2 decimals
    subtotal = count * price
    after = subtotal * (100 - discount) / 100
    paid = next(note for note in (Decimal(20), Decimal(50), Decimal(100), Decimal(200)) if note >= after)
    change = paid - after
    goods, name = rng.choice(("pens", "notebooks", "mugs", "candles", "socks", "stickers")), rng.choice(NAMES)
    question = rng.choice((
        "{G} cost {p} each. {n} buys {c} {g}, gets a {d}% discount on the purchase and pays with a {paid} dollar "
        "note. How much change does {n} get?",
        "{n} buys {c} {g} at {p} each. The shop takes {d}% off the total and {n} hands over {paid} dollars. What "
        "change should {n} get back?",
        "I bought {c} {g} for {p} each with {d} percent off the whole purchase and paid with a ${paid} bill. How "
        "much change did I get?")).format(
        G=goods.capitalize(), g=goods, p=money_text(rng, price), n=name, c=say(rng, count), d=discount,
        paid=fmt(paid))
    steps = [calc(f"{count}*{fmt(price)}", "price before discount", subtotal),
             calc(f"{fmt(subtotal)}*{100 - discount}/100", "discounted price", after),
             calc(f"{fmt(paid)}-{fmt(after)}", "the change", change)]
    return Draft(question, steps, fmt(change), param_key(count, price, discount))


# ---------------------------------------------------------------- no tool: the question holds the answer

def direct(rng: random.Random, image: str, towns: list[Town]) -> Draft:
    form = rng.randrange(6)
    if form == 0:
        code = f"{rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}{rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}-{rng.randrange(1000, 9999)}"
        question = rng.choice(("My order number is {c}. What is my order number?",
                               "Please repeat this reference back to me: {c}",
                               "The code on the door is {c}. What code opens the door?")).format(c=code)
        answer, key = code, param_key(0, code)
    elif form == 1:
        a, b = rng.sample(range(2, 999), 2)
        question = rng.choice(("Which is larger, {a} or {b}?", "which number is bigger: {a} or {b}",
                               "Of {a} and {b}, which is smaller?")).format(a=a, b=b)
        answer, key = str(min(a, b) if "smaller" in question else max(a, b)), param_key(1, a, b, "smaller" in question)
    elif form == 2:
        d1, d2 = rng.sample(DAYS, 2)
        question = rng.choice(("The meeting moved from {a} to {b}. On which day is the meeting now?",
                               "Our lesson was on {a} but is now on {b}. What day is the lesson?")).format(a=d1, b=d2)
        answer, key = d2, param_key(2, d1, d2)
    elif form == 3:
        name = rng.choice([t.name for t in towns])
        question = rng.choice(("What is the capital letter at the start of the name {n}?",
                               "What is the first letter of the word '{n}'?")).format(n=name)
        answer, key = name[0], None
    elif form == 4:
        a, b = rng.sample(NAMES, 2)
        question = rng.choice(("{a} is taller than {b}. Who is shorter?",
                               "{a} finished the race before {b}. Who finished last?")).format(a=a, b=b)
        answer, key = b, param_key(4, a, b)
    else:
        w = rng.choice(WORDS)
        question = rng.choice(("Reply with just the word '{w}'.", "Say the word {w} and nothing else.")).format(w=w)
        answer, key = w, param_key(5, w)
    return Draft(sentence_case(question), [], answer, key)


# ---------------------------------------------------------------- the local encyclopedia

_FACT_QUESTIONS = {
    "founded": ("In which year was the town of {t} founded?", "When was {t} founded?", "What year was {t} founded in?",
                "founding year of {t}?"),
    "population": ("What is the population of the town of {t}?", "How many people live in {t}?",
                   "what's the population of {t}"),
    "river_km": ("How long, in km, is the river near the town of {t}?",
                 "How many kilometres long is the river that runs by {t}?"),
}
_FACT_QUERY = {"founded": "{t} founded", "population": "{t} population", "river_km": "{t} river length"}
_FACT_EXPECT = {"founded": "founding year", "population": "population", "river_km": "river length"}


def lookup(rng: random.Random, image: str, towns: list[Town]) -> Draft:
    town, fact = rng.choice(towns), rng.choice(tuple(_FACT_QUESTIONS))
    value = str(getattr(town, fact))
    steps = [search(_FACT_QUERY[fact].format(t=town.name), _FACT_EXPECT[fact], [value])]
    return Draft(sentence_case(rng.choice(_FACT_QUESTIONS[fact]).format(t=town.name)), steps, value, None)


def lookup_calc(rng: random.Random, image: str, towns: list[Town]) -> Draft:
    town = rng.choice(towns)
    form = rng.randrange(3)
    if form == 0:
        year = rng.randrange(2000, 2030)
        fact, expression, result = "founded", f"{year}-{town.founded}", Decimal(year - town.founded)
        question = rng.choice(("How many years old was the town of {t} in {y}?", "How old was {t} in {y}?",
                               "How many years had passed since {t} was founded by {y}?")).format(t=town.name, y=year)
    elif form == 1:
        extra = rng.randrange(100, 5000, 50)
        fact, expression, result = "population", f"{town.population}+{extra}", Decimal(town.population + extra)
        question = rng.choice(("If {n} people moved to {t}, what would its population be?",
                               "{t} gains {n} new residents. What is its population then?")).format(
            n=extra, t=town.name)
    else:
        fact, expression, result = "river_km", f"2*{town.river_km}", Decimal(2 * town.river_km)
        question = rng.choice(("How many km is it to walk the whole river near {t} and back?",
                               "What is twice the length of the river by {t}, in km?")).format(t=town.name)
    steps = [search(_FACT_QUERY[fact].format(t=town.name), _FACT_EXPECT[fact], [str(getattr(town, fact))]),
             calc(expression, "the result", result)]
    return Draft(question, steps, fmt(result), None)
