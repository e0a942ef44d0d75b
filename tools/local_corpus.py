"""A local search corpus for web_search's "local" backend: bm25s over passages of your own documents.

The corpus is a folder of .txt/.md/.html files (searched recursively) or a .jsonl file with one
``{"id" | "url", "title", "text"}`` record per line. Long documents are cut into overlapping passages.
The index lives under ``toolagent.config.home()/index/<key>`` where the key hashes the corpus paths,
sizes and mtimes, so it is built once and rebuilt only when the corpus changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from toolagent.config import home
from toolagent.errors import ConfigError

INDEX_VERSION = 1
TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".rst"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
PASSAGE_WORDS = 160
PASSAGE_OVERLAP = 40


@dataclass
class Passage:
    doc: str  # document key (file path or record id/url)
    title: str
    url: str
    text: str


def stem_words(words: list[str]) -> list[str]:
    """A light English suffix stripper (plurals, -ing, -ed, final -e): "lighthouses" matches "lighthouse"."""
    out = []
    for word in words:
        if word.endswith("ies") and len(word) > 4:
            word = word[:-3] + "y"
        elif word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
            word = word[:-1]
        for suffix in ("ing", "ed"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
        if word.endswith("e") and len(word) > 3:
            word = word[:-1]
        out.append(word)
    return out


def _tokenize(texts: list[str]) -> list[list[str]]:
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=stem_words, return_ids=False, show_progress=False)


def chunk(text: str, words: int = PASSAGE_WORDS, overlap: int = PASSAGE_OVERLAP) -> list[str]:
    tokens = text.split()
    if len(tokens) <= words:
        return [" ".join(tokens)] if tokens else []
    step = words - overlap
    return [" ".join(tokens[i:i + words]) for i in range(0, max(len(tokens) - overlap, 1), step)]


# ------------------------------------------------------------------------------------------ reading ---
def _corpus_files(source: Path) -> list[Path]:
    if source.is_file():
        return [source]
    return sorted(p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES | HTML_SUFFIXES
                  and not any(part.startswith(".") for part in p.relative_to(source).parts))


def _read_file_document(path: Path) -> tuple[str, str]:
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() in HTML_SUFFIXES:
        from toolagent.tools.visit_page import html_to_text

        title, text = html_to_text(raw)
        return title or path.stem, text
    first = next((line.strip().lstrip("#").strip() for line in raw.splitlines() if line.strip()), "")
    return (first[:120] or path.stem), raw


def _read_jsonl(path: Path) -> list[tuple[str, str, str, str]]:
    records, bad = [], 0
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                text = str(record["text"])
            except (json.JSONDecodeError, KeyError, TypeError):
                bad += 1
                continue
            key = str(record.get("url") or record.get("id") or f"{path.name}:{number}")
            records.append((key, str(record.get("title") or ""), str(record.get("url") or key), text))
    if not records:
        raise ConfigError(f"corpus {path} has no usable records ({bad} malformed lines); "
                          'each line must be a JSON object with "text" and "id" or "url"')
    return records


def read_passages(source: Path) -> list[Passage]:
    passages: list[Passage] = []
    if source.is_file() and source.suffix.lower() == ".jsonl":
        documents = _read_jsonl(source)
    else:
        documents = []
        for path in _corpus_files(source):
            title, text = _read_file_document(path)
            documents.append((str(path), title, str(path), text))
    for key, title, url, text in documents:
        passages += [Passage(key, title, url, piece) for piece in chunk(text)]
    return passages


# -------------------------------------------------------------------------------------------- index ---
def corpus_key(source: Path) -> str:
    """Hash of the corpus's file paths, sizes and mtimes (plus the index format)."""
    digest = hashlib.sha256(f"v{INDEX_VERSION}|{PASSAGE_WORDS}|{PASSAGE_OVERLAP}|{source}".encode())
    for path in _corpus_files(source):
        stat = path.stat()
        digest.update(f"\n{path}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:24]


class LocalCorpus:
    """A bm25s index over a corpus; ``built`` tells whether this instance built it or loaded the cache."""

    def __init__(self, source: str | Path, cache_root: Path | None = None) -> None:
        import bm25s

        self.source = Path(source).expanduser().resolve()
        if not self.source.exists():
            raise ConfigError(f"search corpus not found: {self.source}")
        if self.source.is_file() and self.source.suffix.lower() != ".jsonl":
            raise ConfigError(f"search corpus must be a folder or a .jsonl file: {self.source}")
        root = cache_root or home() / "index"
        self.index_dir = root / corpus_key(self.source)
        self.built = False
        if not (self.index_dir / "passages.jsonl").is_file():
            self._build(root)
            self.built = True
        self.retriever = bm25s.BM25.load(str(self.index_dir), show_progress=False)
        with (self.index_dir / "passages.jsonl").open(encoding="utf-8") as handle:
            self.passages = [Passage(**json.loads(line)) for line in handle]

    def _build(self, root: Path) -> None:
        import bm25s

        passages = read_passages(self.source)
        if not passages:
            raise ConfigError(f"search corpus {self.source} has no text (.txt, .md, .html or .jsonl)")
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
        try:
            retriever = bm25s.BM25()
            retriever.index(_tokenize([f"{p.title}\n{p.text}" for p in passages]), show_progress=False)
            retriever.save(str(staging), show_progress=False)
            with (staging / "passages.jsonl").open("w", encoding="utf-8") as handle:
                for passage in passages:
                    handle.write(json.dumps(asdict(passage), ensure_ascii=False) + "\n")
            (staging / "meta.json").write_text(json.dumps({"source": str(self.source), "passages": len(passages)}))
            try:
                os.replace(staging, self.index_dir)  # atomic; a concurrent builder may have won the race
            except OSError:
                if not (self.index_dir / "passages.jsonl").is_file():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def search(self, query: str, k: int = 5) -> list[dict[str, str | float]]:
        """Best passage of each of the top ``k`` documents: ``{"title", "url", "snippet", "score"}``."""
        tokens = _tokenize([query])
        if not any(tokens[0]):
            return []
        depth = min(len(self.passages), max(k * 4, 10))
        ids, scores = self.retriever.retrieve(tokens, k=depth, show_progress=False)
        results: list[dict[str, str | float]] = []
        seen: set[str] = set()
        for index, score in zip(ids[0], scores[0]):
            passage = self.passages[int(index)]
            if score <= 0 or passage.doc in seen:
                continue
            seen.add(passage.doc)
            results.append({"title": passage.title, "url": passage.url, "snippet": _snippet(passage.text),
                            "score": round(float(score), 3)})
            if len(results) == k:
                break
        return results


def _snippet(text: str, limit: int = 600) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " ..."
