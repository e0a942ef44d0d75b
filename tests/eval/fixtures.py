"""Tiny GAIA and GTA snapshots in the official layouts, written by the tests (never copies of the real data).

``build_gaia(root)`` -> ``root/2023/validation/metadata.jsonl`` with 6 tasks (levels 1-3) and three attachments
(a drawn PNG, a CSV, a one-page text PDF). ``build_gta(root)`` -> ``root/dataset.json`` (object keyed "0".."5"),
``root/toolmeta.json`` and ``root/image/image_N.jpg`` with objective, subjective and image-generation samples.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.tools.drawing import draw_text_image

# ------------------------------------------------------------------------------------------------------- GAIA

GAIA_TASKS: list[dict[str, Any]] = [
    {"task_id": "t-l1-calc", "Question": "What is 6 times 7?", "Level": 1, "Final answer": "42", "file_name": ""},
    {"task_id": "t-l1-image", "Question": "What number is written in the image?", "Level": 1,
     "Final answer": "1234", "file_name": "t-l1-image.png"},
    {"task_id": "t-l2-csv", "Question": "What is the total price of all items in the file?", "Level": 2,
     "Final answer": "17", "file_name": "t-l2-csv.csv"},
    {"task_id": "t-l2-pdf", "Question": "Which bird is named in the document?", "Level": 2,
     "Final answer": "seagull", "file_name": "t-l2-pdf.pdf"},
    {"task_id": "t-l3-list", "Question": "List the primary colours of light.", "Level": 3,
     "Final answer": "red, green, blue", "file_name": ""},
    {"task_id": "t-l3-city", "Question": "Which city hosted the 1904 Summer Olympics?", "Level": 3,
     "Final answer": "St. Louis", "file_name": ""},
]


def write_pdf(path: Path, text: str) -> Path:
    """A minimal valid one-page PDF with ``text`` in Helvetica (pypdf can extract it)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
         b"/Resources << /Font << /F1 5 0 R >> >> >>"),
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(out)
    return path


def build_gaia(root: Path, parquet: bool = False, split: str = "validation") -> Path:
    """Write the GAIA fixture snapshot under ``root`` (test split: answers are "?"); returns ``root``."""
    folder = root / "2023" / split
    folder.mkdir(parents=True, exist_ok=True)
    draw_text_image(["1234"], font_size=48).save(folder / "t-l1-image.png")
    (folder / "t-l2-csv.csv").write_text("item,price\napple,5\npear,12\n", encoding="utf-8")
    write_pdf(folder / "t-l2-pdf.pdf", "The bird in this report is the seagull.")
    tasks = [{**t, "Final answer": "?"} for t in GAIA_TASKS] if split == "test" else GAIA_TASKS
    rows = [{**task, "Annotator Metadata": {"Steps": "1. think", "Number of steps": "1",
                                            "How long did this take?": "1 minute", "Tools": "None",
                                            "Number of tools": "0"}} for task in tasks]
    if parquet:
        import pandas as pd

        pd.DataFrame(rows).to_parquet(folder / "metadata.parquet")
    else:
        with (folder / "metadata.jsonl").open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row) + "\n")
    return root


# ------------------------------------------------------------------------------------------------------- GTA

TOOLMETA: dict[str, list[tuple[str, str]]] = {
    "OCR": [("image", "image")],
    "Calculator": [("expression", "text")],
    "CountGivenObject": [("image", "image"), ("text", "text")],
    "ImageDescription": [("image", "image")],
    "TextToImage": [("keywords", "text")],
    "DrawBox": [("image", "image"), ("bbox", "text"), ("annotation", "text")],
    "GoogleSearch": [("query", "text"), ("k", "int")],
    "Solver": [("command", "text")],
    "Plot": [("command", "text")],
}


def _call(name: str, arguments: dict[str, Any], thought: str) -> dict[str, Any]:
    return {"role": "assistant", "thought": thought,
            "tool_calls": [{"type": "function", "function": {"name": name, "arguments": arguments}}]}


def _out(name: str, content: str, kind: str = "text") -> dict[str, Any]:
    return {"role": "tool", "name": name, "content": {"type": kind, "content": content}}


def gta_entries() -> dict[str, dict[str, Any]]:
    """The six GTA entries: 0,1,5 objective, 2 subjective, 3,4 image generation."""
    def entry(tools: list[str], files: list[str], query: str, dialog: list[dict[str, Any]], answer: str,
              gt: Any) -> dict[str, Any]:
        return {"tools": [{"name": t, "description": f"{t} tool"} for t in tools],
                "files": [{"type": "image", "path": f, "url": ""} for f in files],
                "dialogs": [{"role": "user", "content": query}, *dialog, {"role": "assistant", "content": answer}],
                "gt_answer": gt}

    return {
        "0": entry(["OCR", "Calculator"], ["image/image_1.jpg"], "What is the receipt total doubled?",
                   [_call("OCR", {"image": "image/image_1.jpg"}, "Read the receipt."),
                    _out("OCR", "TOTAL 12.50"),
                    _call("Calculator", {"expression": "12.5*2"}, "Double it."), _out("Calculator", "25.0")],
                   "The doubled total is 25.", {"whitelist": [["25", "25.0"]], "blacklist": None}),
        "1": entry(["CountGivenObject", "Solver"], ["image/image_2.jpg"], "How many apples are in the picture?",
                   [_call("CountGivenObject", {"image": "image/image_2.jpg", "text": "apple"}, "Count apples."),
                    _out("CountGivenObject", "3")],
                   "There are 3 apples.", {"whitelist": [["3", "three"]], "blacklist": [["4"]]}),
        "2": entry(["ImageDescription"], ["image/image_3.jpg"], "Describe this picture in one sentence.",
                   [_call("ImageDescription", {"image": "image/image_3.jpg"}, "Describe it."),
                    _out("ImageDescription", "A red square on a white background.")],
                   "It shows a red square on a white background.",
                   ["A red square on a white background.", "The picture shows a red square.",
                    "A simple image of a red square."]),
        "3": entry(["TextToImage", "Plot"], ["image/image_4.jpg"], "Draw a cat in watercolor style like this one.",
                   [_call("TextToImage", {"keywords": "cat, watercolor"}, "Generate the image."),
                    _out("TextToImage", "image/generated_cat.png", "image")],
                   "Here is the generated image.", None),
        "4": entry(["DrawBox"], ["image/image_5.jpg"], "Put a box around the top-left corner.",
                   [_call("DrawBox", {"image": "image/image_5.jpg", "bbox": "(0, 0, 50, 50)",
                                      "annotation": "corner"}, "Draw the box."),
                    _out("DrawBox", "image/boxed.png", "image")],
                   "I drew the box.", None),
        "5": entry(["OCR", "GoogleSearch"], ["image/image_6.jpg"], "What is the capital of the country named here?",
                   [_call("OCR", {"image": "image/image_6.jpg"}, "Read the name."), _out("OCR", "FRANCE"),
                    _call("GoogleSearch", {"query": "capital of France", "k": 4}, "Search."),
                    _out("GoogleSearch", "Paris is the capital of France.")],
                   "The capital is Paris.", {"whitelist": [["Paris"]], "blacklist": None}),
    }


def build_gta(root: Path) -> Path:
    """Write the GTA fixture snapshot under ``root``; returns ``root``."""
    from PIL import Image, ImageDraw

    image_dir = root / "image"
    image_dir.mkdir(parents=True, exist_ok=True)
    draw_text_image(["CORNER SHOP", "TOTAL 12.50"], font_size=36).image.save(image_dir / "image_1.jpg")
    apples = Image.new("RGB", (240, 120), "white")
    for i in range(3):
        ImageDraw.Draw(apples).ellipse((10 + 75 * i, 30, 70 + 75 * i, 90), fill="red")
    apples.save(image_dir / "image_2.jpg")
    square = Image.new("RGB", (160, 160), "white")
    ImageDraw.Draw(square).rectangle((40, 40, 120, 120), fill="red")
    square.save(image_dir / "image_3.jpg")
    Image.new("RGB", (128, 128), (200, 180, 150)).save(image_dir / "image_4.jpg")
    Image.new("RGB", (200, 150), "lightblue").save(image_dir / "image_5.jpg")
    draw_text_image(["FRANCE"], font_size=48).image.save(image_dir / "image_6.jpg")
    (root / "dataset.json").write_text(json.dumps(gta_entries(), indent=1), encoding="utf-8")
    toolmeta = {name: {"name": name, "description": f"{name} tool",
                       "inputs": [{"type": kind, "name": arg, "description": None, "optional": False}
                                  for arg, kind in inputs],
                       "outputs": [{"type": "text"}]} for name, inputs in TOOLMETA.items()}
    (root / "toolmeta.json").write_text(json.dumps(toolmeta, indent=1), encoding="utf-8")
    return root
