"""A seeded, deterministic suite of synthetic tool tasks with reference trajectories and answers.

Kinds (taken round-robin, parameters drawn per task from ``Random(f"{seed}/{split}/{index}")``):

- ``arith``: a word problem → calculator → answer;
- ``chain``: a multi-step word problem → calculator, calculator, calculator → answer;
- ``receipt``, ``price_tag``, ``sign``, ``table``: a drawn image → ocr → calculator → answer;
- ``lookup``: a question about a fictional town → web_search (local bm25s corpus) → answer;
- ``lookup_calc``: web_search → calculator → answer.

The corpus (one ``.txt`` per fictional town, plus its population, founding year and river length) is shared by
both splits; even-numbered towns serve the train split, odd-numbered towns the held-out split, so held-out
look-ups ask about towns never seen in training. ``write_suite`` writes ``tasks.jsonl``, ``images/``,
``corpus/`` and ``suite.json``; the same seed gives the same bytes. Each reference step carries ``checks``:
substrings the real tool's output must contain for the task to be solvable (used by the tests and by
``verify_task``).
"""

from __future__ import annotations

import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from toolagent.records import PlanStep
from toolagent.train import synth_draw

Split = Literal["train", "heldout"]
KINDS = ("arith", "receipt", "lookup", "price_tag", "chain", "sign", "table", "lookup_calc")
CALC_ARG, OCR_ARG, SEARCH_ARG = "expression", "image", "query"
ITEMS = ("Milk", "Bread", "Apples", "Coffee", "Rice", "Eggs", "Butter", "Cheese", "Tea", "Honey", "Pasta",
         "Soap", "Lemons", "Flour", "Sugar", "Juice", "Yogurt", "Beans", "Onions", "Pears")
STORES = ("Corner Market", "Green Grocer", "Daily Foods", "Fresh Mart", "Sunny Shop", "Oak Store")
RIVERS = ("Alder", "Brook", "Cedar", "Dune", "Elm", "Fern", "Glen", "Heath")
_SYLLABLES = ("vel", "mor", "ka", "dri", "lo", "sen", "tar", "qui", "bra", "nel", "zo", "fen", "ru", "mi",
              "dal", "gor", "pe", "shan", "ti", "vok")


class SynthStep(BaseModel):
    step: PlanStep
    checks: list[str] = Field(default_factory=list)


class SynthTask(BaseModel):
    task_id: str
    split: Split
    kind: str
    question: str
    images: list[str] = Field(default_factory=list)  # relative to the suite folder
    answer: str
    reference: list[PlanStep]
    checks: list[list[str]] = Field(default_factory=list)  # per reference step


class Town(BaseModel):
    name: str
    population: int
    founded: int
    river: str
    river_km: int


def fmt(value: Decimal | int) -> str:
    """Canonical number text: no exponent, no trailing zeros (``13.50`` → ``13.5``)."""
    value = Decimal(value)
    text = format(value.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")


def money(rng: random.Random, low: int = 100, high: int = 1500, step: int = 25) -> Decimal:
    return Decimal(rng.randrange(low, high, step)) / 100


def _calc(expression: str, expect: str, result: Decimal | int, instruction: str = "") -> SynthStep:
    return SynthStep(step=PlanStep(expect=expect, tool="calculator", args={CALC_ARG: expression},
                                   instruction=instruction or f"compute {expression}"), checks=[fmt(result)])


def _ocr(image: str, expect: str, checks: list[str]) -> SynthStep:
    return SynthStep(step=PlanStep(expect=expect, tool="ocr", args={OCR_ARG: image},
                                   instruction="read all the text on the image"), checks=checks)


def _search(query: str, expect: str, checks: list[str]) -> SynthStep:
    return SynthStep(step=PlanStep(expect=expect, tool="web_search", args={SEARCH_ARG: query},
                                   instruction=f"search the local encyclopedia for {query}"), checks=checks)


def _answer(text: str) -> SynthStep:
    return SynthStep(step=PlanStep(expect="the question is answered", tool="answer", args={"text": text},
                                   instruction="give the final answer", status="done"))


# ---------------------------------------------------------------- corpus

def towns(seed: int, count: int) -> list[Town]:
    """``count`` fictional towns with unique names, deterministic in ``seed``."""
    rng = random.Random(f"{seed}/towns")
    names: set[str] = set()
    out = []
    while len(out) < count:
        name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 3)))).capitalize()
        if name in names or len(name) < 5:
            continue
        names.add(name)
        out.append(Town(name=name, population=rng.randrange(1200, 98000), founded=rng.randrange(1620, 1960),
                        river=rng.choice(RIVERS), river_km=rng.randrange(12, 480)))
    return out


def town_document(town: Town) -> str:
    return (f"{town.name}\n\n{town.name} is a small town on the {town.river} river. "
            f"{town.name} was founded in {town.founded}. "
            f"The population of {town.name} is {town.population} people. "
            f"The {town.river} river near {town.name} is {town.river_km} km long.\n")


# ---------------------------------------------------------------- task kinds

def _arith(rng: random.Random) -> tuple[str, list[SynthStep], Decimal]:
    boxes, per_box, sold = rng.randrange(3, 30), rng.randrange(6, 48), rng.randrange(1, 60)
    total = Decimal(boxes * per_box - sold)
    question = (f"A bakery packs {boxes} trays with {per_box} muffins on each tray and then sells {sold} "
                "muffins. How many muffins are left?")
    return question, [_calc(f"{boxes}*{per_box}-{sold}", "the number of muffins left is known", total)], total


def _chain(rng: random.Random) -> tuple[str, list[SynthStep], Decimal]:
    count, price = rng.randrange(3, 20), money(rng, 50, 500, 50)
    discount = rng.choice((10, 20, 50))  # with prices in halves, every amount has at most 2 decimals
    paid = Decimal(rng.choice((50, 100, 200)))
    subtotal = count * price
    after = subtotal * (100 - discount) / 100
    change = paid - after
    question = (f"Pens cost {fmt(price)} dollars each. Sam buys {count} pens, gets a {discount}% discount on "
                f"the purchase and pays with a {fmt(paid)} dollar note. How much change does Sam get?")
    steps = [_calc(f"{count}*{fmt(price)}", "the price before discount is known", subtotal),
             _calc(f"{fmt(subtotal)}*{100 - discount}/100", "the discounted price is known", after),
             _calc(f"{fmt(paid)}-{fmt(after)}", "the change is known", change)]
    return question, steps, change


def _receipt(rng: random.Random, image: str, path: Path | None) -> tuple[str, list[SynthStep], Decimal]:
    names = rng.sample(ITEMS, rng.randrange(2, 5))
    prices = [money(rng) for _ in names]
    if path is not None:
        synth_draw.receipt(path, rng.choice(STORES), [(n, f"{p:.2f}") for n, p in zip(names, prices)])
    total = sum(prices, Decimal(0))
    steps = [_ocr(image, "the item prices on the receipt are read", [f"{p:.2f}" for p in prices]),
             _calc("+".join(f"{p:.2f}" for p in prices), "the receipt total is known", total)]
    return "What is the total of all the item prices on this receipt?", steps, total


def _price_tag(rng: random.Random, image: str, path: Path | None) -> tuple[str, list[SynthStep], Decimal]:
    item, price, count = rng.choice(ITEMS), money(rng), rng.randrange(2, 13)
    if path is not None:
        synth_draw.price_tag(path, item, f"${price:.2f}")
    steps = [_ocr(image, "the unit price on the tag is read", [f"{price:.2f}"]),
             _calc(f"{price:.2f}*{count}", "the cost of all items is known", price * count)]
    return f"How much do {count} of the items on this price tag cost in total, in dollars?", steps, price * count


def _sign(rng: random.Random, image: str, path: Path | None, names: list[str]) -> tuple[str, list[SynthStep], Decimal]:
    far, near = sorted(rng.sample(range(5, 400), 2), reverse=True)
    towns_on_sign = rng.sample(names, 2)
    rows = [(towns_on_sign[0], far), (towns_on_sign[1], near)]
    if path is not None:
        synth_draw.road_sign(path, rows)
    steps = [_ocr(image, "the distances on the sign are read", [f"{far} km", f"{near} km"]),
             _calc(f"{far}-{near}", "the difference of the two distances is known", Decimal(far - near))]
    return ("The road sign shows the distances to two towns. How many kilometres farther is the first town "
            "than the second?"), steps, Decimal(far - near)


def _table(rng: random.Random, image: str, path: Path | None) -> tuple[str, list[SynthStep], Decimal]:
    names = rng.sample(ITEMS, rng.randrange(2, 4))
    rows = [(n, rng.randrange(1, 10), money(rng, 50, 900)) for n in names]
    if path is not None:
        synth_draw.small_table(path, ("Item", "Qty", "Price"), [(n, str(q), f"{p:.2f}") for n, q, p in rows])
    total = sum((q * p for _, q, p in rows), Decimal(0))
    steps = [_ocr(image, "the quantities and unit prices are read", [f"{p:.2f}" for _, _, p in rows]),
             _calc("+".join(f"{q}*{p:.2f}" for _, q, p in rows), "the order total is known", total)]
    return "The table lists items with quantity and unit price. What is the total cost of the order?", steps, total


def _lookup(rng: random.Random, town: Town) -> tuple[str, list[SynthStep], Decimal]:
    fact = rng.choice(("founded", "population", "river_km"))
    value = Decimal(getattr(town, fact))
    question = {"founded": f"In which year was the town of {town.name} founded?",
                "population": f"What is the population of the town of {town.name}?",
                "river_km": f"How long, in km, is the river near the town of {town.name}?"}[fact]
    query = {"founded": f"{town.name} founded", "population": f"{town.name} population",
             "river_km": f"{town.name} river length"}[fact]
    return question, [_search(query, f"the {fact.replace('_km', ' length')} of {town.name} is found",
                              [str(value)])], value


def _lookup_calc(rng: random.Random, town: Town) -> tuple[str, list[SynthStep], Decimal]:
    year = rng.randrange(2000, 2030)
    steps = [_search(f"{town.name} founded", f"the founding year of {town.name} is found", [str(town.founded)]),
             _calc(f"{year}-{town.founded}", "the town's age is known", Decimal(year - town.founded))]
    return f"How many years old was the town of {town.name} in {year}?", steps, Decimal(year - town.founded)


# ---------------------------------------------------------------- the suite

def corpus_towns(seed: int, n_tasks: int) -> list[Town]:
    return towns(seed, max(16, n_tasks // 4))


def make_task(seed: int, split: Split, index: int, root: Path | None, all_towns: list[Town]) -> SynthTask:
    """Task ``index`` of ``split``; draws its image under ``root/images`` when ``root`` is given."""
    rng = random.Random(f"{seed}/{split}/{index}")
    kind = KINDS[index % len(KINDS)]
    task_id = f"synth-{split}-{index:05d}"
    image = f"{task_id}.png"
    path = root / "images" / image if root is not None else None
    own_towns = all_towns[0 if split == "train" else 1::2]
    if kind == "arith":
        question, steps, answer = _arith(rng)
    elif kind == "chain":
        question, steps, answer = _chain(rng)
    elif kind == "receipt":
        question, steps, answer = _receipt(rng, image, path)
    elif kind == "price_tag":
        question, steps, answer = _price_tag(rng, image, path)
    elif kind == "sign":
        question, steps, answer = _sign(rng, image, path, [t.name for t in all_towns])
    elif kind == "table":
        question, steps, answer = _table(rng, image, path)
    elif kind == "lookup":
        question, steps, answer = _lookup(rng, rng.choice(own_towns))
    else:
        question, steps, answer = _lookup_calc(rng, rng.choice(own_towns))
    steps = [*steps, _answer(fmt(answer))]
    uses_image = any(s.step.tool == "ocr" for s in steps)
    return SynthTask(task_id=task_id, split=split, kind=kind, question=question,
                     images=[f"images/{image}"] if uses_image else [], answer=fmt(answer),
                     reference=[s.step for s in steps], checks=[s.checks for s in steps])


def generate(n: int, seed: int = 0, split: Split = "train", root: Path | None = None,
             n_total: int | None = None) -> list[SynthTask]:
    """``n`` tasks of one split (images drawn under ``root`` when given)."""
    all_towns = corpus_towns(seed, n_total if n_total is not None else n)
    return [make_task(seed, split, i, root, all_towns) for i in range(n)]


def write_suite(out: str | Path, n: int, seed: int = 0, heldout: int | None = None) -> dict[str, int]:
    """Write ``n`` train tasks and ``heldout`` (default n // 10, at least 1) held-out tasks under ``out``."""
    root = Path(out).expanduser()
    heldout = max(1, n // 10) if heldout is None else heldout
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "corpus").mkdir(parents=True, exist_ok=True)
    all_towns = corpus_towns(seed, n + heldout)
    for town in all_towns:
        (root / "corpus" / f"{town.name.lower()}.txt").write_text(town_document(town), encoding="utf-8")
    tasks = [make_task(seed, "train", i, root, all_towns) for i in range(n)]
    tasks += [make_task(seed, "heldout", i, root, all_towns) for i in range(heldout)]
    with (root / "tasks.jsonl").open("w", encoding="utf-8") as handle:
        for task in tasks:
            handle.write(task.model_dump_json() + "\n")
    manifest = {"seed": seed, "train": n, "heldout": heldout, "towns": len(all_towns),
                "tool_config": {"search": "local", "corpus": "corpus"}}
    (root / "suite.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return {"train": n, "heldout": heldout, "towns": len(all_towns)}


def load_suite(root: str | Path, split: Split | None = None) -> list[SynthTask]:
    """Read ``tasks.jsonl`` of a suite folder (optionally one split)."""
    from toolagent.errors import BadInput

    file = Path(root).expanduser() / "tasks.jsonl"
    if not file.is_file():
        raise BadInput(f"not a synthetic suite (no tasks.jsonl): {file.parent}")
    tasks = [SynthTask.model_validate_json(line) for line in file.read_text(encoding="utf-8").splitlines()
             if line.strip()]
    return [t for t in tasks if split is None or t.split == split]
