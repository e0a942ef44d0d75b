"""A seeded, deterministic suite of synthetic tool tasks, phrased as people write them, with reference
trajectories and answers.

Kinds (taken round-robin; the phrasings are in ``synth_kinds`` and ``synth_image_kinds``):

- ``arith``: a plain expression ("What is 17 * 23 + 4?"), a percentage, a tip, a fraction → calculator;
- ``word``: an everyday word problem ("how many ... altogether", "what would 3 of these cost") → calculator;
- ``chain``: price, discount, change → calculator ×3;
- ``receipt``, ``price_tag``, ``sign``, ``table``: a drawn image with distractor text → ocr → calculator;
- ``read``: a gate, seat, platform, password or code to copy exactly off a drawn image → ocr → answer;
- ``direct``: the question holds the answer ("Which is larger, 42 or 17?") → answer at once, no tool;
- ``lookup``: a fact about a fictional town → web_search (local bm25s corpus); ``lookup_calc``: then calculator.

Numbers come in digits or words. Task ``i`` of a split draws from ``Random(f"{seed}/{split}/{i}")``; a draw whose
parameter key (the numbers and names, not the wording) hashes into the other split is drawn again, so train and
held-out tasks never share a parameter draw. The corpus (one ``.txt`` per fictional town) is shared by both splits;
even-numbered towns serve the train split, odd-numbered towns the held-out split (look-ups, signs, boards).
``write_suite`` writes ``tasks.jsonl``, ``images/``, ``corpus/`` and ``suite.json``; the same seed gives the same
bytes. Each reference step carries ``checks``: substrings the real tool's output must contain for the task to be
solvable (the tests run every reference through the real tools).
"""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from toolagent.records import PlanStep
from toolagent.train.synth_image_kinds import price_tag, read, receipt, sign, table
from toolagent.train.synth_kinds import (
    CALC_ARG,
    OCR_ARG,
    RIVERS,
    SEARCH_ARG,
    Draft,
    SynthStep,
    Town,
    answer_step,
    arith,
    chain,
    direct,
    fmt,
    lookup,
    lookup_calc,
    money,
    word,
)

Split = Literal["train", "heldout"]
#: kind → generator, in round-robin order (the first kinds are the ones the smallest suites must contain)
KIND_MAKERS: dict[str, Callable[[random.Random, str, list[Town]], Draft]] = {
    "arith": arith, "receipt": receipt, "lookup": lookup, "price_tag": price_tag, "word": word, "read": read,
    "chain": chain, "sign": sign, "direct": direct, "table": table, "lookup_calc": lookup_calc,
}
KINDS = tuple(KIND_MAKERS)
#: one parameter key in HELDOUT_SHARE belongs to the held-out split
HELDOUT_SHARE = 4
_SYLLABLES = ("vel", "mor", "ka", "dri", "lo", "sen", "tar", "qui", "bra", "nel", "zo", "fen", "ru", "mi",
              "dal", "gor", "pe", "shan", "ti", "vok")
__all__ = ["CALC_ARG", "KINDS", "OCR_ARG", "SEARCH_ARG", "SynthStep", "SynthTask", "Town", "fmt", "generate",
           "load_suite", "make_task", "money", "write_suite"]


class SynthTask(BaseModel):
    task_id: str
    split: Split
    kind: str
    question: str
    images: list[str] = Field(default_factory=list)  # relative to the suite folder
    answer: str
    reference: list[PlanStep]
    checks: list[list[str]] = Field(default_factory=list)  # per reference step


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


# ---------------------------------------------------------------- the suite

def corpus_towns(seed: int, n_tasks: int) -> list[Town]:
    return towns(seed, max(16, n_tasks // 4))


def split_of(key: str) -> Split:
    """The split a parameter draw belongs to (a stable hash of its key)."""
    return "heldout" if zlib.crc32(key.encode("utf-8")) % HELDOUT_SHARE == 0 else "train"


def _draft(kind: str, rng: random.Random, split: Split, image: str, towns: list[Town]) -> Draft:
    for _ in range(1000):
        draft = KIND_MAKERS[kind](rng, image, towns)
        if draft.key is None or split_of(f"{kind}/{draft.key}") == split:
            return draft
    raise RuntimeError(f"no {kind} draw for the {split} split in 1000 tries")  # pragma: no cover


def make_task(seed: int, split: Split, index: int, root: Path | None, all_towns: list[Town]) -> SynthTask:
    """Task ``index`` of ``split``; draws its image under ``root/images`` when ``root`` is given."""
    rng = random.Random(f"{seed}/{split}/{index}")
    kind = KINDS[index % len(KINDS)]
    task_id = f"synth-{split}-{index:05d}"
    image = f"{task_id}.png"
    draft = _draft(kind, rng, split, image, all_towns[0 if split == "train" else 1::2])
    if root is not None and draft.draw is not None:
        draft.draw(root / "images" / image)
    steps = [*draft.steps, answer_step(draft.answer)]
    return SynthTask(task_id=task_id, split=split, kind=kind, question=draft.question,
                     images=[f"images/{image}"] if draft.draw is not None else [], answer=draft.answer,
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
