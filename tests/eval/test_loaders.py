"""GAIA and GTA loaders on fixtures written in the official layouts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.eval.fixtures import build_gaia, build_gta
from toolagent.errors import BadInput
from toolagent.eval.gaia import load_gaia
from toolagent.eval.gta_data import load_gta


@pytest.mark.parametrize("parquet", [False, True])
def test_gaia_loader_layouts(tmp_path: Path, parquet: bool) -> None:
    root = build_gaia(tmp_path / "gaia", parquet=parquet)
    for where in (root, root / "2023", root / "2023" / "validation"):
        tasks = load_gaia(where)
        assert [t.task_id for t in tasks][:2] == ["t-l1-calc", "t-l1-image"]
        assert len(tasks) == 6
    by_id = {t.task_id: t for t in load_gaia(root)}
    image, csv, pdf = by_id["t-l1-image"], by_id["t-l2-csv"], by_id["t-l2-pdf"]
    assert image.images and Path(image.images[0]).is_file() and not image.files
    assert csv.files and csv.files[0].endswith("t-l2-csv.csv") and not csv.images
    assert pdf.files and Path(pdf.files[0]).read_bytes().startswith(b"%PDF")
    assert by_id["t-l1-calc"].images == by_id["t-l1-calc"].files == []
    assert by_id["t-l2-csv"].level == 2 and by_id["t-l1-image"].final_answer == "1234"
    assert by_id["t-l1-calc"].annotator["Number of steps"] == "1"


def test_gaia_filters_and_errors(tmp_path: Path) -> None:
    root = build_gaia(tmp_path / "gaia")
    assert [t.task_id for t in load_gaia(root, level=3)] == ["t-l3-list", "t-l3-city"]
    assert len(load_gaia(root, limit=2)) == 2
    with pytest.raises(BadInput, match="split 'test'"):
        load_gaia(root, split="test")
    with pytest.raises(BadInput, match="level must be"):
        load_gaia(root, level=4)
    with pytest.raises(BadInput, match="not found"):
        load_gaia(tmp_path / "nope")
    (root / "2023" / "validation" / "t-l2-csv.csv").unlink()
    missing = {t.task_id: t for t in load_gaia(root)}["t-l2-csv"]
    assert missing.missing_file == "t-l2-csv.csv" and missing.files == []
    (root / "2023" / "validation" / "metadata.jsonl").write_text('{"task_id": "x"\n')
    with pytest.raises(BadInput, match="not valid JSON"):
        load_gaia(root)


def test_gta_loader(tmp_path: Path) -> None:
    root = build_gta(tmp_path / "gta")
    data = load_gta(root)
    assert [s.task_id for s in data.samples] == ["0", "1", "2", "3", "4", "5"]
    types = [s.answer_type for s in data.samples]
    assert types == ["objective", "objective", "subjective", "imggen", "imggen", "objective"]
    first = data.samples[0]
    assert first.query == "What is the receipt total doubled?"
    assert [s.kind for s in first.steps] == ["tool", "tool", "answer"]
    assert first.steps[0].arguments == {"image": str((root / "image/image_1.jpg").absolute())}  # made absolute
    assert first.steps[0].output == "TOTAL 12.50" and first.steps[1].arguments == {"expression": "12.5*2"}
    assert first.steps[2].text == "The doubled total is 25."
    assert first.images == [str((root / "image/image_1.jpg").absolute())]
    assert data.samples[3].steps[0].output_type == "image"
    assert data.samples[5].steps[1].arguments["k"] == 4
    assert data.image_args("DrawBox") == {"image"} and data.image_args("GoogleSearch") == set()
    assert data.image_args("Unknown") == {"image"}
    assert len(load_gta(root, limit=2).samples) == 2


def test_gta_loader_errors(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no GTA dataset.json"):
        load_gta(tmp_path)
    root = build_gta(tmp_path / "gta")
    raw = json.loads((root / "dataset.json").read_text())
    raw["0"]["files"][0]["path"] = "image/missing.jpg"
    (root / "dataset.json").write_text(json.dumps(raw))
    with pytest.raises(BadInput, match="file not found"):
        load_gta(root)
    (root / "dataset.json").write_text("{broken")
    with pytest.raises(BadInput, match="not valid JSON"):
        load_gta(root)


@pytest.mark.parametrize("row_fields", [
    {"file_name": "../../../../../../../etc/passwd"},
    {"file_name": "metadata.jsonl"},
    {"file_name": "x.txt", "file_path": "/etc/passwd"},
    {"file_name": "passwd", "file_path": "../../../../../../../../etc/passwd"},
])
def test_gaia_attachment_outside_the_split_folder_is_refused(tmp_path: Path, row_fields: dict) -> None:
    root = build_gaia(tmp_path / "gaia")
    metadata = root / "2023" / "validation" / "metadata.jsonl"
    rows = [json.loads(line) for line in metadata.read_text().splitlines()]
    rows[0].update(row_fields)
    metadata.write_text("".join(json.dumps(r) + "\n" for r in rows))
    task = load_gaia(root)[0]
    assert task.images == task.files == [] and task.missing_file is None
    assert task.attachment_error and "refused" in task.attachment_error


def test_gta_file_outside_the_dataset_folder_is_refused(tmp_path: Path) -> None:
    root = build_gta(tmp_path / "gta")
    (tmp_path / "secret.jpg").write_bytes(b"not for the agent")
    raw = json.loads((root / "dataset.json").read_text())
    raw["0"]["files"][0]["path"] = "../secret.jpg"
    (root / "dataset.json").write_text(json.dumps(raw))
    with pytest.raises(BadInput, match="outside the dataset folder"):
        load_gta(root)
