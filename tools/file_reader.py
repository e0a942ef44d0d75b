"""read_file — turn an attached file (GAIA attachments) into text the planner can read.

pdf (pypdf), xlsx (openpyxl, every sheet as a table, with cell fill colours), xls (pandas + xlrd when
installed), csv/tsv, docx (paragraphs and tables in order), pptx (slide by slide, with tables and notes),
zip (member list and the readable members), and text formats (txt, md, json, jsonld, py, xml, pdb, ...;
html with its tags stripped). Audio and images are refused with a pointer to what can handle them.
Long results are cut at ``max_chars`` with a note; ``offset`` pages on.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from toolagent.tools.base import ToolContext, ToolError, ToolOutput, ToolagentTool
from toolagent.tools.config import ToolConfig

DEFAULT_MAX_CHARS = 20_000
MAX_TABLE_ROWS = 2_000
MAX_ZIP_MEMBERS = 50
#: read_file's size limit: a bigger file is refused before any byte of it is read
MAX_FILE_BYTES = 200_000_000
AUDIO = {".mp3", ".wav", ".m4a", ".flac", ".ogg", ".aac", ".wma", ".opus", ".aiff"}
IMAGES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"}
VIDEO = {".mp4", ".mov", ".avi", ".mkv", ".webm"}
TEXT = {".txt", ".md", ".markdown", ".py", ".xml", ".pdb", ".log", ".yaml", ".yml", ".ini", ".cfg", ".toml",
        ".tex", ".rst", ".js", ".ts", ".css", ".sql", ".sh", ".c", ".h", ".cpp", ".java", ".rs", ".go", ".r",
        ".srt", ".vtt", ".bib", ".svg"}


class ReadFileArgs(BaseModel):
    path: str = Field(description="The file: an absolute path or the name of a file attached to the task")
    offset: int = Field(0, ge=0, description="Start at this character of the extracted text (to page on)")
    max_chars: int = Field(DEFAULT_MAX_CHARS, ge=200, le=200_000, description="Most characters to return")


# ------------------------------------------------------------------------------------------------ helpers
def render_table(rows: Iterable[Iterable[Any]]) -> str:
    """Rows → a pipe table; empty trailing cells dropped, None shown as empty, long tables cut."""
    lines = []
    for index, row in enumerate(rows):
        if index >= MAX_TABLE_ROWS:
            lines.append(f"[... more rows not shown (first {MAX_TABLE_ROWS})]")
            break
        cells = ["" if c is None else str(c).replace("\n", " ").replace("|", "\\|") for c in row]
        while cells and cells[-1] == "":
            cells.pop()
        lines.append("| " + " | ".join(cells) + " |" if cells else "|")
    return "\n".join(lines)


class _TextFromHTML(HTMLParser):
    _SKIP = {"script", "style", "noscript", "head", "template"}
    _BREAK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section", "article"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self._SKIP:
            self.skip += 1
        elif tag in self._BREAK:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self.skip:
            self.skip -= 1
        elif tag in self._BREAK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextFromHTML()
    parser.feed(html)
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return "\n".join(line for line in lines if line)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig",):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < len(sample) - 4  # a multi-byte character cut at the sample's end is fine
    return False


# ------------------------------------------------------------------------------------------------ readers
def read_pdf(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [f"--- page {i} ---\n{(page.extract_text() or '').strip()}" for i, page in enumerate(reader.pages, 1)]
    except PdfReadError as exc:
        raise ToolError(f"cannot read PDF {path.name}: {exc}") from None
    text = "\n\n".join(pages)
    if not any(p.split("\n", 1)[1].strip() for p in pages):
        text += "\n[no text layer: this PDF may be scanned images; try ocr on a rendered page]"
    return text


def read_xlsx(path: Path) -> str:
    import openpyxl

    try:
        book = openpyxl.load_workbook(str(path), data_only=True)
    except Exception as exc:  # openpyxl raises zip/xml errors of many kinds
        raise ToolError(f"cannot read spreadsheet {path.name}: {type(exc).__name__}: {exc}") from None
    parts = [f"workbook {path.name}: sheets {', '.join(book.sheetnames)}"]
    for sheet in book.worksheets:
        parts.append(f"\n## sheet: {sheet.title} ({sheet.max_row} rows x {sheet.max_column} columns)")
        parts.append(render_table(sheet.iter_rows(values_only=True)))
        colours = _fill_colours(sheet)
        if colours:
            parts.append("cell fill colours (ARGB): " + "; ".join(f"{rgb}: {', '.join(cells)}"
                                                                  for rgb, cells in colours.items()))
    return "\n".join(parts)


def _fill_colours(sheet: Any, limit: int = 500) -> dict[str, list[str]]:
    colours: dict[str, list[str]] = {}
    count = 0
    for row in sheet.iter_rows():
        for cell in row:
            fill = getattr(cell, "fill", None)
            if fill is None or fill.fill_type != "solid":
                continue
            rgb = getattr(fill.fgColor, "rgb", None)
            if isinstance(rgb, str) and rgb not in ("00000000", "FFFFFFFF"):
                colours.setdefault(rgb, []).append(cell.coordinate)
                count += 1
                if count >= limit:
                    return colours
    return colours


def read_xls(path: Path) -> str:
    try:
        import pandas as pd

        sheets = pd.read_excel(str(path), sheet_name=None, header=None)
    except ImportError as exc:
        raise ToolError(f"reading .xls files needs the xlrd package (pip install xlrd): {exc}") from None
    except Exception as exc:
        raise ToolError(f"cannot read spreadsheet {path.name}: {type(exc).__name__}: {exc}") from None
    parts = [f"workbook {path.name}: sheets {', '.join(map(str, sheets))}"]
    for name, frame in sheets.items():
        parts.append(f"\n## sheet: {name} ({frame.shape[0]} rows x {frame.shape[1]} columns)")
        parts.append(render_table(frame.astype(object).where(frame.notna(), None).itertuples(index=False)))
    return "\n".join(parts)


def read_csv(path: Path) -> str:
    text = _decode(path.read_bytes())
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    if path.suffix.lower() != ".tsv":
        try:
            delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|").delimiter
        except csv.Error:
            pass
    return render_table(csv.reader(io.StringIO(text), delimiter=delimiter))


def read_docx(path: Path) -> str:
    import docx
    from docx.table import Table

    try:
        document = docx.Document(str(path))
    except Exception as exc:
        raise ToolError(f"cannot read Word file {path.name}: {type(exc).__name__}: {exc}") from None
    parts = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            parts.append(render_table([cell.text for cell in row.cells] for row in block.rows))
        elif block.text.strip():
            style = (block.style.name if block.style is not None else "") or ""
            prefix = "#" * int(style.split()[-1]) + " " if style.startswith("Heading") and style.split()[-1].isdigit() else ""
            parts.append(prefix + block.text)
    return "\n".join(parts)


def read_pptx(path: Path) -> str:
    from pptx import Presentation

    try:
        deck = Presentation(str(path))
    except Exception as exc:
        raise ToolError(f"cannot read PowerPoint file {path.name}: {type(exc).__name__}: {exc}") from None
    parts = []
    for number, slide in enumerate(deck.slides, 1):
        parts.append(f"--- slide {number} ---")
        for shape in slide.shapes:
            if getattr(shape, "has_table", False) and shape.has_table:
                parts.append(render_table([cell.text for cell in row.cells] for row in shape.table.rows))
            elif getattr(shape, "has_text_frame", False) and shape.has_text_frame and shape.text_frame.text.strip():
                parts.append(shape.text_frame.text)
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            notes = slide.notes_slide.notes_text_frame.text.strip()
            if notes:
                parts.append(f"[notes] {notes}")
    return "\n".join(parts)


def read_json(path: Path) -> str:
    text = _decode(path.read_bytes())
    try:
        return json.dumps(json.loads(text), indent=1, ensure_ascii=False)
    except json.JSONDecodeError:
        return text


def read_html(path: Path) -> str:
    return html_to_text(_decode(path.read_bytes()))


def read_text(path: Path) -> str:
    with path.open("rb") as handle:  # decide from the first 8 KiB, before reading the rest
        if _looks_binary(handle.read(8192)):
            raise ToolError(f"{path.name} is a binary file of unknown type ({path.suffix or 'no extension'}); "
                            "cannot read it as text")
    return _decode(path.read_bytes())


def read_zip(path: Path) -> str:
    import tempfile

    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ToolError(f"cannot open zip {path.name}: {exc}") from None
    with archive, tempfile.TemporaryDirectory(prefix="toolagent-zip-") as tmp:
        members = [m for m in archive.infolist() if not m.is_dir()]
        parts = [f"zip {path.name}: {len(members)} file(s)"] + [f"- {m.filename} ({m.file_size} bytes)" for m in members]
        for member in members[:MAX_ZIP_MEMBERS]:
            name = Path(member.filename).name
            if not name or member.file_size > 50_000_000:
                continue
            target = Path(tmp) / f"{len(parts)}-{name}"
            target.write_bytes(archive.read(member))
            try:
                parts.append(f"\n=== {member.filename} ===\n{extract_text(target)}")
            except ToolError as exc:
                parts.append(f"\n=== {member.filename} === ({exc})")
    return "\n".join(parts)


READERS: dict[str, Callable[[Path], str]] = {
    ".pdf": read_pdf, ".xlsx": read_xlsx, ".xlsm": read_xlsx, ".xls": read_xls, ".csv": read_csv,
    ".tsv": read_csv, ".docx": read_docx, ".pptx": read_pptx, ".json": read_json, ".jsonld": read_json,
    ".html": read_html, ".htm": read_html, ".zip": read_zip,
}


def _human(size: int) -> str:
    return f"{size / 1e9:.2f} GB" if size >= 1e9 else f"{size / 1e6:.1f} MB"


def extract_text(path: Path) -> str:
    """The readable text of a file, by extension; ToolError for audio, images, unknown binaries, huge files."""
    suffix = path.suffix.lower()
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ToolError(f"{path.name} is {_human(size)}, over read_file's {_human(MAX_FILE_BYTES)} limit")
    if suffix in AUDIO:
        raise ToolError(f"{path.name} is audio: audio transcription is unavailable here "
                        "(no speech-to-text model is installed)")
    if suffix in VIDEO:
        raise ToolError(f"{path.name} is a video: video understanding is unavailable here")
    if suffix in IMAGES:
        raise ToolError(f"{path.name} is an image: use ocr to read its text or image_qa to ask about it")
    if suffix in (".doc", ".ppt"):
        raise ToolError(f"{path.name}: old binary Office formats ({suffix}) are not supported; need .docx/.pptx")
    return READERS.get(suffix, read_text)(path)


class ReadFileTool(ToolagentTool):
    name: str = "read_file"
    side_effect_free = True
    description: str = (
        "Read an attached file as text: pdf, xlsx/xls/csv (tables, every sheet, cell colours), docx (with "
        "tables), pptx (slide by slide), json/jsonld, html (tags stripped), zip (lists and reads members), "
        "txt/md/py/xml/pdb and other text. Not for images (use ocr / image_qa) or audio. Long files are cut at "
        "max_chars; pass offset to read on. Example: {\"path\": \"report.pdf\"}."
    )
    args_schema: type[BaseModel] = ReadFileArgs
    timeout_s: float = 60.0

    def execute(self, args: BaseModel, ctx: ToolContext) -> ToolOutput:
        assert isinstance(args, ReadFileArgs)
        path = ctx.resolve_path(args.path)
        text = extract_text(path).strip()
        total = len(text)
        if not text:
            return ToolOutput(text=f"{path.name}: no text found", data={"path": str(path), "chars": 0})
        if args.offset >= total:
            raise ToolError(f"offset {args.offset} is past the end of {path.name} ({total} characters)")
        chunk = text[args.offset:args.offset + args.max_chars]
        end = args.offset + len(chunk)
        if args.offset or end < total:
            chunk += f"\n[showing characters {args.offset}-{end} of {total}"
            chunk += f"; pass offset={end} to read on]" if end < total else "]"
        return ToolOutput(text=chunk, data={"path": str(path), "chars": total, "offset": args.offset, "end": end})


def make_tool(config: ToolConfig) -> ReadFileTool:
    return ReadFileTool()
