"""read_file: every supported format is built here and read back; refusals are clear one-line errors."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from toolagent.tools.base import ToolContext, ToolError, run_tool
from toolagent.tools.config import ToolConfig
from toolagent.tools.file_reader import ReadFileTool, extract_text, make_tool


@pytest.fixture()
def reader() -> ReadFileTool:
    return make_tool(ToolConfig())


def _read(tool: ReadFileTool, path: Path | str, **kwargs: object) -> str:
    obs = run_tool(tool, {"path": str(path), **kwargs}, ToolContext(files=[str(path)]))
    assert obs.ok, obs.error
    return obs.text


def test_pdf(reader: ReadFileTool, tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    path = tmp_path / "report.pdf"
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(path) as pdf:
        for page, words in enumerate(["Quarterly revenue 1234", "Second page penguins"], 1):
            fig = plt.figure(figsize=(4, 3))
            fig.text(0.1, 0.5, words)
            pdf.savefig(fig)
            plt.close(fig)
    text = _read(reader, path)
    assert "--- page 1 ---" in text and "--- page 2 ---" in text
    assert "Quarterly revenue 1234" in text and "Second page penguins" in text


def test_xlsx_all_sheets_as_tables_with_colours(reader: ReadFileTool, tmp_path: Path) -> None:
    import openpyxl
    from openpyxl.styles import PatternFill

    book = openpyxl.Workbook()
    sales = book.active
    sales.title = "Sales"
    sales.append(["Item", "Price", "Qty"])
    sales.append(["Apple", 1.5, 10])
    sales.append(["Pear", 2, None])
    sales["A2"].fill = PatternFill("solid", fgColor="FF00FF00")
    staff = book.create_sheet("Staff")
    staff.append(["Name", "Role"])
    staff.append(["Ada", "Engineer"])
    path = tmp_path / "data.xlsx"
    book.save(path)
    text = _read(reader, path)
    assert "sheets Sales, Staff" in text
    assert "## sheet: Sales (3 rows x 3 columns)" in text and "## sheet: Staff" in text
    assert "| Item | Price | Qty |" in text and "| Apple | 1.5 | 10 |" in text and "| Pear | 2 |" in text
    assert "| Ada | Engineer |" in text
    assert "FF00FF00: A2" in text


def test_csv_and_tsv(reader: ReadFileTool, tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("city;population\nParis;2100000\nLyon;520000\n")
    assert _read(reader, tmp_path / "t.csv") == "| city | population |\n| Paris | 2100000 |\n| Lyon | 520000 |"
    (tmp_path / "t.tsv").write_text("a\tb\n1\t2\n")
    assert _read(reader, tmp_path / "t.tsv") == "| a | b |\n| 1 | 2 |"


def test_docx_paragraphs_and_tables_in_order(reader: ReadFileTool, tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Meeting notes", level=1)
    document.add_paragraph("The budget is 4500 euros.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Name", "Vote"
    table.cell(1, 0).text, table.cell(1, 1).text = "Bo", "yes"
    document.add_paragraph("Closing remark.")
    path = tmp_path / "notes.docx"
    document.save(path)
    text = _read(reader, path)
    assert text == "# Meeting notes\nThe budget is 4500 euros.\n| Name | Vote |\n| Bo | yes |\nClosing remark."


def test_pptx_slide_by_slide(reader: ReadFileTool, tmp_path: Path) -> None:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[1])
    first.shapes.title.text = "Crustaceans"
    first.placeholders[1].text = "Crabs and lobsters"
    first.notes_slide.notes_text_frame.text = "say hello"
    second = deck.slides.add_slide(deck.slide_layouts[5])
    second.shapes.title.text = "Counts"
    grid = second.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(4), Inches(1)).table
    grid.cell(0, 0).text, grid.cell(0, 1).text = "kind", "n"
    grid.cell(1, 0).text, grid.cell(1, 1).text = "crab", "3"
    path = tmp_path / "deck.pptx"
    deck.save(path)
    text = _read(reader, path)
    assert text.index("--- slide 1 ---") < text.index("Crustaceans") < text.index("--- slide 2 ---")
    assert "Crabs and lobsters" in text and "[notes] say hello" in text
    assert "| kind | n |\n| crab | 3 |" in text


def test_text_formats(reader: ReadFileTool, tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"b": [1, 2], "name": "x"}')
    assert json.loads(_read(reader, tmp_path / "a.json")) == {"b": [1, 2], "name": "x"}
    (tmp_path / "a.jsonld").write_text('{"@context": "https://schema.org", "@type": "Person"}')
    assert '"@type": "Person"' in _read(reader, tmp_path / "a.jsonld")
    (tmp_path / "s.py").write_text("def f():\n    return 42\n")
    assert _read(reader, tmp_path / "s.py") == "def f():\n    return 42"
    (tmp_path / "n.md").write_text("# Title\n\nbody")
    assert _read(reader, tmp_path / "n.md") == "# Title\n\nbody"
    (tmp_path / "x.xml").write_text("<a><b>text</b></a>")
    assert _read(reader, tmp_path / "x.xml") == "<a><b>text</b></a>"
    (tmp_path / "p.html").write_text("<html><head><title>t</title><style>p{}</style></head><body><h1>Hi</h1>"
                                     "<p>Hello <b>world</b></p><script>alert(1)</script>"
                                     "<table><tr><td>a</td><td>b</td></tr></table></body></html>")
    assert _read(reader, tmp_path / "p.html") == "Hi\nHello world\n| a | b"
    (tmp_path / "unknown.dat").write_text("plain words in an odd file")
    assert _read(reader, tmp_path / "unknown.dat") == "plain words in an odd file"


def test_zip_lists_and_reads_members(reader: ReadFileTool, tmp_path: Path) -> None:
    path = tmp_path / "bundle.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("docs/readme.txt", "inside the zip")
        archive.writestr("data.csv", "k,v\n1,2\n")
    text = _read(reader, path)
    assert "2 file(s)" in text and "=== docs/readme.txt ===\ninside the zip" in text and "| k | v |" in text


def test_refusals_are_clear(reader: ReadFileTool, tmp_path: Path) -> None:
    (tmp_path / "song.mp3").write_bytes(b"ID3" + b"\x00" * 100)
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)) * 10)
    (tmp_path / "pic.png").write_bytes(b"\x89PNG\r\n")
    cases = {
        "song.mp3": "audio transcription is unavailable here",
        "blob.bin": "binary file of unknown type",
        "pic.png": "use ocr",
        "missing.txt": "file not found: ",
    }
    for name, message in cases.items():
        obs = run_tool(reader, {"path": str(tmp_path / name)}, ToolContext(files=[str(tmp_path / name)]))
        assert not obs.ok and message in obs.error and "\n" not in obs.error
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    obs = run_tool(reader, {"path": str(broken)}, ToolContext(files=[str(broken)]))
    assert not obs.ok and "cannot read spreadsheet broken.xlsx" in obs.error


def test_truncation_and_offset(reader: ReadFileTool, tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text("".join(f"{i:05d}\n" for i in range(2000)))  # 12000 characters
    ctx = ToolContext(files=[str(path)])
    first = run_tool(reader, {"path": str(path), "max_chars": 600}, ctx)
    assert first.text.startswith("00000\n") and "[showing characters 0-600 of 11999; pass offset=600" in first.text
    nxt = run_tool(reader, {"path": str(path), "max_chars": 600, "offset": 600}, ctx)
    assert nxt.text.startswith("00100\n")
    past = run_tool(reader, {"path": str(path), "offset": 50_000}, ctx)
    assert not past.ok and "past the end" in past.error


def test_resolves_names_via_the_context(reader: ReadFileTool, tmp_path: Path) -> None:
    attachments = tmp_path / "attachments"
    attachments.mkdir()
    (attachments / "notes.txt").write_text("attached text")
    (attachments / "photo.png").write_bytes(b"png")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "made.txt").write_text("produced earlier")
    ctx = ToolContext(workspace=workspace, images=[str(attachments / "photo.png")],
                      files=[str(attachments / "notes.txt")])
    assert run_tool(reader, {"path": "notes.txt"}, ctx).text == "attached text"
    assert run_tool(reader, {"path": "made.txt"}, ctx).text == "produced earlier"
    (attachments / "answers.txt").write_text("the answer key")  # beside an attachment, but not attached
    sibling = run_tool(reader, {"path": "answers.txt"}, ctx)
    assert not sibling.ok and "not found" in sibling.error
    by_path = run_tool(reader, {"path": str(attachments / "answers.txt")}, ctx)
    assert not by_path.ok and "access refused" in by_path.error


def test_extract_text_is_usable_directly(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello")
    assert extract_text(tmp_path / "a.txt") == "hello"


@pytest.mark.parametrize("name, head", [("huge.bin", b"\x00\x01binary"), ("huge.txt", b"plain text\n")])
def test_huge_files_are_refused_before_being_read(reader: ReadFileTool, tmp_path: Path, name: str,
                                                  head: bytes) -> None:
    import tracemalloc

    path = tmp_path / name
    with path.open("wb") as handle:  # sparse: 1.5 GB on paper, a few bytes on disk
        handle.write(head)
        handle.truncate(1_500_000_000)
    tracemalloc.start()
    try:
        obs = run_tool(reader, {"path": str(path)}, ToolContext(files=[str(path)]), timeout_s=30)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not obs.ok and ("1.50 GB" in obs.error or "binary" in obs.error)
    assert peak < 20_000_000, peak


def test_binary_is_detected_from_the_head_alone(tmp_path: Path) -> None:
    import tracemalloc

    path = tmp_path / "blob.dat"
    with path.open("wb") as handle:
        handle.write(b"\x00\x00\x7fELF")
        handle.truncate(150_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(ToolError, match="binary file"):
            extract_text(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000, peak
