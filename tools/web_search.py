"""web_search (GTA ``GoogleSearch(query, k)``): numbered results with title, URL and snippet.

Backends (``ToolConfig.search``):
- ``ddgs``: the live web through the ddgs metasearch library, pinned to ONE engine (``ddgs_backend``; never
  "auto", which walks many engines each with its own timeout) under a hard deadline (``search_timeout_s``);
- ``local``: bm25s over a local corpus (see ``local_corpus.py``), for offline runs and reproducible evals;
- ``none``: unavailable.
"""

from __future__ import annotations

import concurrent.futures
import threading
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from toolagent.errors import ConfigError
from toolagent.tools.base import NOT_CHECKED_NETWORK, Availability, ToolagentTool, ToolContext, ToolError, ToolOutput
from toolagent.tools.config import ToolConfig


class WebSearchArgs(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)  # a model may write 42 for "42"

    query: str = Field(min_length=1, description="what to search for, e.g. 'height of the Eiffel Tower in metres'")
    k: int = Field(default=5, ge=1, le=20, description="how many results to return (the first k)")


def format_results(query: str, results: list[dict[str, Any]]) -> str:
    if not results:
        return f"No results found for {query!r}."
    blocks = []
    for number, result in enumerate(results, 1):
        lines = [f"{number}. {result['title'] or '(no title)'}", f"   URL: {result['url']}"]
        if result.get("snippet"):
            lines.append(f"   {result['snippet']}")
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


class WebSearchTool(ToolagentTool):
    name: str = "web_search"
    description: str = (
        "Search the web and return the top k results (title, URL, snippet). Use short keyword queries; "
        "open a promising URL with visit_page to read the full page.")
    args_schema: type[BaseModel] = WebSearchArgs
    gta_name = "GoogleSearch"
    side_effect_free = True
    backend: str = "ddgs"
    ddgs_backend: str = "duckduckgo"
    search_timeout_s: float = 10.0
    corpus: Path | None = None
    timeout_s: float = 15.0

    _index: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def availability(self) -> Availability:
        if self.backend == "none":
            return Availability(available=False, reason="web search is off (search backend 'none')")
        if self.backend == "local":
            if self.corpus is None:
                return Availability(available=False, reason="local search needs a corpus (TOOLAGENT_CORPUS)")
            if not Path(self.corpus).expanduser().exists():
                return Availability(available=False, reason=f"search corpus not found: {self.corpus}")
            return Availability(available=True)
        problem = _ddgs_backend_problem(self.ddgs_backend)
        if problem:
            return Availability(available=False, reason=problem)
        return Availability(available=True, reason=NOT_CHECKED_NETWORK)  # checked when a search runs

    def execute(self, args: WebSearchArgs, ctx: ToolContext) -> ToolOutput:  # type: ignore[override]  # noqa: ARG002
        status = self.availability()
        if not status.available:
            raise ToolError(f"web_search unavailable: {status.reason}")
        query = " ".join(args.query.split())
        results = self._local(query, args.k) if self.backend == "local" else self._ddgs(query, args.k)
        return ToolOutput(text=format_results(query, results), data=results)

    # -- local corpus -----------------------------------------------------------------------------
    def local_index(self):  # noqa: ANN201 - LocalCorpus, imported lazily
        """The corpus index, loaded (or built) on first use and kept for this tool instance."""
        from toolagent.tools.local_corpus import LocalCorpus

        with self._lock:
            if self._index is None:
                try:
                    self._index = LocalCorpus(Path(self.corpus or ""))
                except ConfigError as exc:
                    raise ToolError(str(exc)) from None
            return self._index

    def _local(self, query: str, k: int) -> list[dict[str, Any]]:
        return self.local_index().search(query, k)

    # -- ddgs -------------------------------------------------------------------------------------
    def _ddgs(self, query: str, k: int) -> list[dict[str, Any]]:
        from ddgs import DDGS
        from ddgs.exceptions import DDGSException

        deadline = self.search_timeout_s

        def search() -> list[dict[str, Any]]:
            client = DDGS(timeout=max(1, int(deadline)))
            return client.text(query, max_results=k, backend=self.ddgs_backend)

        pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="web_search")
        try:
            raw = pool.submit(search).result(timeout=deadline)
        except concurrent.futures.TimeoutError:
            raise ToolError(f"web search failed: no answer from {self.ddgs_backend} within {deadline:g} s") from None
        except DDGSException as exc:
            message = str(exc).strip() or type(exc).__name__
            if message.startswith("No results found"):
                return []
            raise ToolError(f"web search failed: {message}"[:400]) from None
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        results = []
        for item in raw[:k]:
            url = str(item.get("href") or item.get("url") or "")
            if url:
                results.append({"title": str(item.get("title") or "").strip(), "url": url,
                                "snippet": str(item.get("body") or "").strip()})
        return results


def _ddgs_backend_problem(name: str) -> str | None:
    names = [part.strip() for part in name.split(",") if part.strip()]
    if len(names) != 1 or names[0] in ("auto", "all"):
        return f"pin exactly one ddgs engine (TOOLAGENT_DDGS_BACKEND), not {name!r}"
    try:
        from ddgs.engines import ENGINES
    except ImportError:
        return "ddgs not installed: pip install ddgs"
    if names[0] not in ENGINES.get("text", {}):
        known = ", ".join(sorted(ENGINES.get("text", {})))
        return f"unknown ddgs engine {names[0]!r} (known: {known})"
    return None


def make_tool(config: ToolConfig) -> WebSearchTool:
    # a local corpus may need indexing on first use; a live search is bounded by its own deadline
    limit = 300.0 if config.search == "local" else config.search_timeout_s + 5.0
    return WebSearchTool(backend=config.search, ddgs_backend=config.ddgs_backend,
                         search_timeout_s=config.search_timeout_s, corpus=config.corpus, timeout_s=limit)
