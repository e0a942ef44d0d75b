"""web_search: the bm25s local corpus (real index, on-disk cache) and ddgs with its HTTP transport faked.

ddgs 9.x talks HTTP through ``primp.Client``; the fake replaces that class only, so ddgs's own engine code,
HTML parsing (lxml xpaths), result aggregation and ranking all run for real.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import primp
import pytest

from toolagent.tools.base import ToolContext, run_tool
from toolagent.tools.config import ToolConfig
from toolagent.tools.local_corpus import LocalCorpus, chunk
from toolagent.tools.registry import build_tools
from toolagent.tools.web_search import WebSearchTool, make_tool

DOCS = {
    "lighthouse.md": "# Longstone Lighthouse\nThe Longstone lighthouse on the Farne Islands was automated in 1990. "
                     "Grace Darling rowed out from the lighthouse in 1838.",
    "volcano.txt": "Mount Etna\nEtna is an active stratovolcano on the east coast of Sicily, about 3,357 metres tall.",
    "bread.html": "<html><head><title>Sourdough basics</title></head><body><nav>Home | Recipes</nav><article>"
                  "<p>Sourdough bread rises with a starter of wild yeast and lactobacilli instead of baker's yeast."
                  "</p><p>Feed the starter with flour and water every day.</p></article></body></html>",
    "notes/trains.txt": "Rail timetable\nThe first train to Edinburgh leaves Newcastle at 05:42 every weekday.",
    ".hidden/secret.txt": "lighthouse lighthouse lighthouse hidden file must not be indexed",
}


@pytest.fixture()
def toolagent_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("TOOLAGENT_HOME", str(home))
    return home


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    for name, text in DOCS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def _search(tool: WebSearchTool, query: str, k: int = 3):
    return run_tool(tool, {"query": query, "k": k}, ToolContext())


# ----------------------------------------------------------------------------------- local corpus ---
def test_local_corpus_ranks_the_right_document_first(toolagent_home: Path, corpus: Path) -> None:
    tool = make_tool(ToolConfig(search="local", corpus=corpus))
    assert tool.availability().available
    cases = {"when was the lighthouse automated": "lighthouse.md", "how tall is Etna volcano": "volcano.txt",
             "sourdough starter yeast": "bread.html", "first train Edinburgh": "trains.txt"}
    for query, expected in cases.items():
        obs = _search(tool, query)
        assert obs.ok, obs.error
        assert Path(obs.data[0]["url"]).name == expected, (query, obs.data)
        assert obs.text.startswith("1. ")
    top = _search(tool, "sourdough starter yeast").data[0]
    assert top["title"] == "Sourdough basics" and "wild yeast" in top["snippet"]
    assert "Home | Recipes" not in top["snippet"]
    assert all(".hidden" not in r["url"] for r in _search(tool, "lighthouse hidden file", k=5).data)
    assert _search(tool, "zzzqqq unknownword").text == "No results found for 'zzzqqq unknownword'."


def test_index_is_cached_on_disk_and_rebuilt_only_when_corpus_changes(toolagent_home: Path, corpus: Path) -> None:
    first = LocalCorpus(corpus)
    assert first.built and first.index_dir.parent == toolagent_home / "index"
    files = sorted(first.index_dir.iterdir())
    stamps = {p.name: p.stat().st_mtime_ns for p in files}
    assert {"passages.jsonl", "params.index.json", "vocab.index.json"} <= set(stamps)

    second = LocalCorpus(corpus)
    assert not second.built and second.index_dir == first.index_dir
    assert {p.name: p.stat().st_mtime_ns for p in second.index_dir.iterdir()} == stamps

    time.sleep(0.01)
    (corpus / "volcano.txt").write_text("Mount Etna\nEtna erupted again; it is 3,357 metres tall.", encoding="utf-8")
    third = LocalCorpus(corpus)
    assert third.built and third.index_dir != first.index_dir
    assert "erupted again" in third.search("Etna erupted", k=1)[0]["snippet"]


def test_tool_reuses_its_index_between_calls(toolagent_home: Path, corpus: Path) -> None:
    tool = make_tool(ToolConfig(search="local", corpus=corpus))
    _search(tool, "lighthouse")
    index = tool.local_index()
    _search(tool, "volcano")
    assert tool.local_index() is index
    again = make_tool(ToolConfig(search="local", corpus=corpus))
    _search(again, "lighthouse")
    assert not again.local_index().built  # a new tool (new process, same corpus) loads the cached index


def test_jsonl_corpus_with_long_documents(toolagent_home: Path, tmp_path: Path) -> None:
    filler = " ".join(f"word{i}" for i in range(400))
    records = [
        {"id": "doc-a", "title": "Gardening", "text": f"{filler} Tomatoes need six hours of sun. {filler}"},
        {"url": "https://example.org/cheese", "title": "Cheese", "text": "Comte is aged for at least four months."},
        {"title": "no text field"},
        "not an object",
    ]
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\nnot json\n", encoding="utf-8")
    tool = make_tool(ToolConfig(search="local", corpus=path))
    obs = _search(tool, "how many hours of sun do tomatoes need", k=2)
    assert obs.data[0]["url"] == "doc-a" and "six hours of sun" in obs.data[0]["snippet"]
    assert len({r["url"] for r in obs.data}) == len(obs.data)  # one hit per document, not per passage
    assert _search(tool, "aged Comte cheese").data[0]["url"] == "https://example.org/cheese"
    assert len(tool.local_index().passages) > 3  # the long document was cut into passages


def test_chunk_overlaps_and_covers_everything() -> None:
    words = [f"w{i}" for i in range(500)]
    pieces = chunk(" ".join(words), words=160, overlap=40)
    assert all(len(p.split()) <= 160 for p in pieces)
    assert {w for p in pieces for w in p.split()} == set(words)
    assert chunk("") == [] and chunk("short text") == ["short text"]


def test_local_backend_configuration_errors(toolagent_home: Path, tmp_path: Path) -> None:
    assert "needs a corpus" in make_tool(ToolConfig(search="local", corpus=None)).availability().reason
    missing = make_tool(ToolConfig(search="local", corpus=tmp_path / "nope"))
    assert not missing.availability().available
    assert "corpus not found" in _search(missing, "x").error
    empty = tmp_path / "empty"
    empty.mkdir()
    obs = _search(make_tool(ToolConfig(search="local", corpus=empty)), "x")
    assert obs.error and "has no text" in obs.error
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{}\n", encoding="utf-8")
    assert "no usable records" in _search(make_tool(ToolConfig(search="local", corpus=bad)), "x").error


def test_none_backend_and_pinned_ddgs_engine() -> None:
    assert not make_tool(ToolConfig(search="none")).availability().available
    for backend in ("auto", "duckduckgo,bing", "nosuchengine"):
        status = make_tool(ToolConfig(search="ddgs", ddgs_backend=backend)).availability()
        assert not status.available and "ddgs" in status.reason
    (tool,) = build_tools(ToolConfig(search="ddgs", ddgs_backend="duckduckgo"), names=["web_search"])
    assert tool.availability().available and tool.gta_name == "GoogleSearch"
    assert set(tool.args_schema.model_json_schema()["properties"]) == {"query", "k"}


# ------------------------------------------------------------------------------ ddgs, transport faked ---
DDG_HTML = """<!DOCTYPE html><html><body><div id="links" class="results">
{items}
</div></body></html>"""
DDG_ITEM = """<div class="result results_links results_links_deep web-result">
  <div class="links_main links_deep result__body">
    <h2 class="result__title"><a rel="nofollow" class="result__a" href="{url}">{title}</a></h2>
    <a class="result__snippet" href="{url}">{snippet}</a>
  </div>
</div>"""


class FakePrimpClient:
    """Stands in for ``primp.Client`` (ddgs's HTTP layer); answers with canned DuckDuckGo HTML."""

    requests: list[tuple[str, str, dict[str, Any]]] = []
    items: list[tuple[str, str, str]] = []

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs

    def headers_update(self, headers: dict[str, str]) -> None:
        pass

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        FakePrimpClient.requests.append((method, url, kwargs))
        html = DDG_HTML.format(items="\n".join(
            DDG_ITEM.format(url=u, title=t, snippet=s) for u, t, s in FakePrimpClient.items))
        return type("Resp", (), {"status_code": 200, "content": html.encode(), "text": html})()


@pytest.fixture()
def fake_ddg(monkeypatch: pytest.MonkeyPatch) -> type[FakePrimpClient]:
    monkeypatch.setattr(primp, "Client", FakePrimpClient)
    FakePrimpClient.requests = []
    FakePrimpClient.items = [
        ("https://en.wikipedia.org/wiki/Eiffel_Tower", "Eiffel Tower - Wikipedia",
         "The <b>Eiffel Tower</b> is 330 metres tall and stands in Paris."),
        ("https://www.toureiffel.paris/en", "Official website of the Eiffel Tower",
         "Tickets, opening hours and the <b>tower</b>'s history."),
        ("https://duckduckgo.com/y.js?ad_domain=ads.example", "Sponsored: cheap flights", "An ad."),
        ("https://example.com/paris-facts", "Paris facts", "The Eiffel Tower was built for the 1889 fair."),
    ]
    return FakePrimpClient


def test_ddgs_results_parsed_by_real_ddgs_code(fake_ddg: type[FakePrimpClient]) -> None:
    tool = make_tool(ToolConfig(search="ddgs", ddgs_backend="duckduckgo", search_timeout_s=5))
    obs = _search(tool, "eiffel tower height", k=3)
    assert obs.ok, obs.error
    (method, url, kwargs), = fake_ddg.requests  # one engine, one request
    assert (method, url) == ("POST", "https://html.duckduckgo.com/html/")
    assert kwargs["data"]["q"] == "eiffel tower height"
    urls = [r["url"] for r in obs.data]
    assert len(urls) == 3 and "https://duckduckgo.com/y.js?ad_domain=ads.example" not in urls  # ads dropped
    assert set(urls) == {"https://en.wikipedia.org/wiki/Eiffel_Tower", "https://www.toureiffel.paris/en",
                         "https://example.com/paris-facts"}
    wiki = next(r for r in obs.data if "wikipedia" in r["url"])
    assert wiki["title"] == "Eiffel Tower - Wikipedia" and wiki["snippet"].startswith("The Eiffel Tower is 330")
    assert "1. " in obs.text and "   URL: https://en.wikipedia.org/wiki/Eiffel_Tower" in obs.text


def test_ddgs_no_results_is_not_an_error(fake_ddg: type[FakePrimpClient]) -> None:
    fake_ddg.items = []
    obs = _search(make_tool(ToolConfig(search="ddgs")), "qwxzv nothing matches")
    assert obs.ok and obs.data == [] and obs.text.startswith("No results found")


def test_ddgs_hard_deadline(monkeypatch: pytest.MonkeyPatch, fake_ddg: type[FakePrimpClient]) -> None:
    def hang(self: FakePrimpClient, method: str, url: str, **kwargs: Any) -> Any:
        time.sleep(3)
        raise AssertionError("the deadline should have fired first")

    monkeypatch.setattr(FakePrimpClient, "request", hang)
    tool = make_tool(ToolConfig(search="ddgs", search_timeout_s=0.5))
    started = time.perf_counter()
    obs = _search(tool, "anything")
    assert time.perf_counter() - started < 2.0
    assert obs.error and obs.error.startswith("web search failed: no answer from duckduckgo within 0.5 s")


@pytest.mark.skipif(os.environ.get("TOOLAGENT_TEST_ONLINE") == "1", reason="this machine has network access")
def test_ddgs_offline_fails_fast_as_an_observation() -> None:
    tool = make_tool(ToolConfig(search="ddgs", ddgs_backend="duckduckgo", search_timeout_s=8))
    started = time.perf_counter()
    obs = _search(tool, "python programming language")
    assert time.perf_counter() - started < 9
    assert obs.error and obs.error.startswith("web search failed:"), obs
