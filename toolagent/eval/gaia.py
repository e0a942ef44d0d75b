"""GAIA: the local-snapshot loader, the official ``question_scorer`` (rule for rule) and answer handling.

Layout: ``<root>/2023/<split>/metadata.jsonl`` (or ``metadata.parquet``) with the attachments beside it, named
by ``file_name``. ``load_gaia`` accepts the snapshot root, the ``2023`` folder or the split folder itself.

Scorer rules (see shared/design/BENCHMARKS.md), reproduced with their quirks:

1. ground truth parses as a float -> strip every ``$ % ,`` from the model answer and ``float()`` it; exact float
   equality ("1,000" = 1000, "12%" = 12, "12 km" != 12, 3.14159 != 3.14);
2. else ground truth has ``,`` or ``;`` -> split both on ``[,;]`` WITHOUT stripping; equal lengths; numeric truth
   elements use rule 1, the others compare with all whitespace removed and lower-cased (punctuation kept);
3. else -> remove all whitespace, lower-case, delete ASCII punctuation, compare (articles are NOT removed).
"""

from __future__ import annotations

import json
import re
import string
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from toolagent.errors import BadInput

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp"})
SPLITS = ("validation", "test")

#: The GAIA answer-format convention (the paper's system prompt), adapted to the agent's answer step.
GAIA_INSTRUCTIONS = (
    "GAIA answer format: put only the final answer in the text of the \"answer\" step, written as "
    "FINAL ANSWER: [YOUR FINAL ANSWER]. YOUR FINAL ANSWER should be a number OR as few words as possible OR a "
    "comma separated list of numbers and/or strings. If you are asked for a number, don't use commas to write "
    "your number and don't use units such as $ or percent sign unless specified otherwise. If you are asked for a "
    "string, don't use articles nor abbreviations (e.g. for cities), and write the digits in plain text unless "
    "specified otherwise. If you are asked for a comma separated list, apply the above rules depending on whether "
    "each element of the list is a number or a string."
)

_FINAL_ANSWER = re.compile(r"final\s*answer\s*:", re.IGNORECASE)


class GaiaTask(BaseModel):
    """One GAIA question with its attachment resolved to images (shown to the planner) or files (read_file)."""

    task_id: str
    question: str
    level: int
    final_answer: str
    file_name: str = ""
    images: list[str] = Field(default_factory=list)
    files: list[str] = Field(default_factory=list)
    missing_file: str | None = None
    #: why the row's attachment was refused (it names a file outside the split folder, or the metadata itself)
    attachment_error: str | None = None
    annotator: dict[str, Any] = Field(default_factory=dict)

    @property
    def has_truth(self) -> bool:
        """Test-split answers are private ("?")."""
        return self.final_answer.strip() not in ("", "?")


# ---------------------------------------------------------------------------------------------------- scorer


def _is_float(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def normalize_number_str(number_str: str) -> float | None:
    """Strip ``$``, ``%`` and ``,`` then ``float()``; None when that fails (the official code returns inf)."""
    for char in ("$", "%", ","):
        number_str = number_str.replace(char, "")
    try:
        return float(number_str)
    except ValueError:
        return None


def split_string(text: str, chars: tuple[str, ...] = (",", ";")) -> list[str]:
    """Split on any of ``chars``; elements are NOT stripped (official behaviour)."""
    return re.split(f"[{''.join(re.escape(c) for c in chars)}]", text)


def normalize_str(text: str, remove_punct: bool = True) -> str:
    """Remove all whitespace, lower-case, and (by default) delete ASCII punctuation."""
    no_spaces = re.sub(r"\s", "", text)
    if remove_punct:
        return no_spaces.lower().translate(str.maketrans("", "", string.punctuation))
    return no_spaces.lower()


def _number_matches(model_answer: str, truth: str) -> bool:
    value = normalize_number_str(model_answer)
    return value is not None and value == float(truth)


def question_scorer(model_answer: str | None, ground_truth: str) -> bool:
    """The official GAIA scorer."""
    if model_answer is None:
        model_answer = "None"
    model_answer = str(model_answer)
    if _is_float(ground_truth):
        return _number_matches(model_answer, ground_truth)
    if any(char in ground_truth for char in (",", ";")):
        truth_elems = split_string(ground_truth)
        answer_elems = split_string(model_answer)
        if len(truth_elems) != len(answer_elems):
            return False
        for answer_elem, truth_elem in zip(answer_elems, truth_elems):
            if _is_float(truth_elem):
                if not _number_matches(answer_elem, truth_elem):
                    return False
            elif normalize_str(answer_elem, remove_punct=False) != normalize_str(truth_elem, remove_punct=False):
                return False
        return True
    return normalize_str(model_answer) == normalize_str(ground_truth)


def extract_final_answer(text: str | None) -> str:
    """The answer to score: the text after the last ``FINAL ANSWER:`` if present, else the whole text, stripped."""
    if not text:
        return ""
    matches = list(_FINAL_ANSWER.finditer(text))
    if matches:
        text = text[matches[-1].end():]
    return text.strip()


# ---------------------------------------------------------------------------------------------------- loader


def find_split_dir(data: Path, split: str) -> Path:
    """Resolve ``data`` (snapshot root, ``2023`` folder, or the split folder) to the folder holding metadata."""
    data = Path(data).expanduser()
    if not data.is_dir():
        raise BadInput(f"GAIA data folder not found: {data}")
    for candidate in (data, data / split, data / "2023" / split):
        if (candidate / "metadata.jsonl").is_file() or (candidate / "metadata.parquet").is_file():
            return candidate
    raise BadInput(f"no GAIA metadata.jsonl/metadata.parquet for split {split!r} under {data} "
                   f"(expected {data}/2023/{split}/metadata.jsonl)")


def _read_rows(folder: Path) -> list[dict[str, Any]]:
    jsonl = folder / "metadata.jsonl"
    if jsonl.is_file():
        rows = []
        for number, raw in enumerate(jsonl.read_bytes().splitlines(), start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise BadInput(f"{jsonl}:{number}: not UTF-8 text (byte {exc.start + 1})") from None
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BadInput(f"{jsonl}:{number}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise BadInput(f"{jsonl}:{number}: a row must be a JSON object, got {type(row).__name__}")
            rows.append(row)
        return rows
    import pandas as pd

    try:
        frame = pd.read_parquet(folder / "metadata.parquet")
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for a corrupt file
        raise BadInput(f"cannot read {folder / 'metadata.parquet'}: {exc}") from None
    return json.loads(frame.to_json(orient="records"))


def _inside(folder: Path, candidate: Path) -> Path | None:
    """The attachment ``candidate`` resolved, when it is a file of the split folder other than its metadata."""
    root = folder.resolve()
    try:
        real = candidate.resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    if not real.is_relative_to(root) or (real.parent == root and real.name.startswith("metadata.")):
        return None
    return real


def _attachment(folder: Path, row: dict[str, Any]) -> tuple[Path | None, str | None, str | None]:
    """(the attachment file, the name when it is missing, why it was refused) for one metadata row."""
    name = str(row.get("file_name") or "").strip()
    if not name:
        return None, None, None
    file_path = str(row.get("file_path") or "").strip()
    candidates = [folder / name]
    if file_path:
        candidates += [folder / Path(file_path).name, folder.parent.parent / file_path, Path(file_path)]
    refused = False
    for candidate in candidates:
        try:
            exists = candidate.is_file()
        except (OSError, ValueError):
            continue
        real = _inside(folder, candidate) if exists else None
        if real is not None:
            return real, None, None
        refused = refused or exists
    if refused:
        return None, None, (f"attachment {name!r} refused: it names a file outside the split folder {folder} "
                            "(or the metadata itself)")
    return None, name, None


def _task(folder: Path, row: dict[str, Any], number: int) -> GaiaTask:
    try:
        task_id, question = str(row["task_id"]), str(row["Question"])
        level = int(str(row["Level"]).strip())
    except (KeyError, ValueError) as exc:
        raise BadInput(f"GAIA row {number} lacks a valid task_id/Question/Level ({exc})") from None
    found, missing, refused = _attachment(folder, row)
    is_image = found is not None and found.suffix.lower() in IMAGE_SUFFIXES
    images = [str(found)] if found is not None and is_image else []
    files = [str(found)] if found is not None and not is_image else []
    annotator = row.get("Annotator Metadata") or {}
    return GaiaTask(task_id=task_id, question=question, level=level,
                    final_answer=str(row.get("Final answer", "?") if row.get("Final answer") is not None else "?"),
                    file_name=str(row.get("file_name") or ""), images=images, files=files, missing_file=missing,
                    attachment_error=refused, annotator=annotator if isinstance(annotator, dict) else {})


def load_gaia(data: str | Path, split: str = "validation", level: int | None = None,
              limit: int | None = None) -> list[GaiaTask]:
    """Load GAIA tasks in file order, optionally filtered by level and cut to ``limit``."""
    if level is not None and level not in (1, 2, 3):
        raise BadInput(f"GAIA level must be 1, 2 or 3 (got {level})")
    if limit is not None and limit < 1:
        raise BadInput(f"--limit must be positive (got {limit})")
    folder = find_split_dir(Path(data), split)
    tasks = [_task(folder, row, n) for n, row in enumerate(_read_rows(folder), start=1)]
    if level is not None:
        tasks = [t for t in tasks if t.level == level]
    ids = [t.task_id for t in tasks]
    if len(set(ids)) != len(ids):
        raise BadInput(f"duplicate task_id in {folder}")
    return tasks[:limit] if limit else tasks


def write_submission(rows: list[dict[str, Any]], path: Path) -> Path:
    """The official submission file: one ``{task_id, model_answer, reasoning_trace}`` per line."""
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps({"task_id": row["task_id"], "model_answer": row.get("model_answer") or "",
                                     "reasoning_trace": row.get("reasoning_trace") or ""},
                                    ensure_ascii=False) + "\n")
    return path
