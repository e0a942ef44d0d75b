"""Export feedback logs to a dataset TRL reads: a parquet file or an HF ``save_to_disk`` folder.

One row per executed step: ``prompt`` (conversational, rebuilt from ``planner_input.messages``), ``completion``
(the logged forecast as one assistant message), ``forecast`` / ``executed`` / ``ground_truth`` (JSON text),
``tool``, ``observation``, ``error``, ``reward`` (float or null), ``run_id``, ``task_id``, ``step``,
``question``, ``images``, ``image_sha256``, latencies.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from toolagent.errors import BadInput
from toolagent.records import StepRecord
from toolagent.train.chat import chat_messages, forecast_completion, forecast_json
from toolagent.train.logs import read_records

ExportFormat = Literal["parquet", "hf"]


def record_row(record: StepRecord) -> dict[str, Any]:
    """One StepRecord as a flat, JSON-native dataset row."""
    pin = record.planner_input
    return {
        "prompt": chat_messages(pin.messages),
        "completion": forecast_completion(record.forecast),
        "forecast": forecast_json(record.forecast),
        "executed": record.executed.model_dump_json(),
        "tool": record.executed.tool,
        "observation": record.observation.text,
        "error": record.observation.error or "",
        "reward": record.reward,
        "ground_truth": "" if record.ground_truth is None else json.dumps(record.ground_truth, default=str),
        "run_id": record.run_id,
        "task_id": record.task_id or "",
        "step": record.step,
        "question": pin.question,
        "images": [ref.path for ref in pin.images],
        "image_sha256": [ref.sha256 for ref in pin.images],
        "planner_latency_s": record.planner_latency_s,
        "tool_latency_s": record.tool_latency_s,
    }


def rows_from_logs(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    rows = [record_row(r) for r in read_records(paths)]
    if not rows:
        raise BadInput("no step records in the given feedback logs")
    return rows


def to_dataset(rows: list[dict[str, Any]]):
    from datasets import Dataset

    return Dataset.from_list(rows)


def export_logs(paths: Iterable[str | Path], out: str | Path, fmt: ExportFormat = "parquet") -> int:
    """Write the dataset; returns the number of rows."""
    rows = rows_from_logs(paths)
    dataset = to_dataset(rows)
    target = Path(out).expanduser()
    if fmt == "parquet":
        target.parent.mkdir(parents=True, exist_ok=True)
        dataset.to_parquet(str(target))
    elif fmt == "hf":
        dataset.save_to_disk(str(target))
    else:
        raise BadInput(f"unknown export format {fmt!r} (use parquet or hf)")
    return len(rows)


def load_rows_dataset(path: str | Path):
    """Load an exported dataset: a parquet file, an HF folder, or JSONL feedback logs (exported on the fly)."""
    from datasets import Dataset, load_from_disk

    p = Path(path).expanduser()
    if p.is_file() and p.suffix == ".parquet":
        return Dataset.from_parquet(str(p))
    if p.is_dir() and ((p / "dataset_info.json").exists() or (p / "dataset_dict.json").exists()):
        return load_from_disk(str(p))
    if p.is_file() and p.suffix == ".jsonl" or p.is_dir() and any(p.glob("*.jsonl")):
        return to_dataset(rows_from_logs([p]))
    raise BadInput(f"not a dataset: {p} (expected a .parquet file, an HF dataset folder or feedback .jsonl logs)")
