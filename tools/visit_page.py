"""visit_page: fetch a web page and return its main text.

httpx fetches with a timeout and a byte limit (the body is streamed and cut off at ``max_page_bytes``);
redirects are followed by hand, at most ``MAX_REDIRECTS`` hops, and every hop goes through the SSRF guard
(``net_guard.vet_url``) after DNS resolution; the connection goes to the vetted address itself (pinned, with
the URL's host kept for SNI and the Host header), so a second DNS answer cannot redirect it (DNS rebinding).
HTML is reduced to its main text with trafilatura (falling
back to the plain text of the document); text, JSON and XML pass through; PDFs go through pypdf.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from pydantic import BaseModel, Field

from toolagent.tools.base import (NOT_CHECKED_NETWORK, Availability, ToolagentTool, ToolContext, ToolError,
                                  ToolOutput)
from toolagent.tools.config import ToolConfig
from toolagent.tools.net_guard import vet_url

MAX_REDIRECTS = 5
USER_AGENT = "Mozilla/5.0 (compatible; toolagent/0.1; +https://github.com/toolagent)"
HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/ld+json", "application/javascript")
PDF_TYPE = "application/pdf"


# ------------------------------------------------------------------------------- text extraction ---
def _plain_text(tree) -> str:  # noqa: ANN001 - lxml element
    for bad in tree.xpath("//script|//style|//noscript|//template|//svg|//head"):
        bad.drop_tree()
    text = tree.text_content() if hasattr(tree, "text_content") else ""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def html_to_text(html: str, url: str | None = None) -> tuple[str, str]:
    """``(title, main text)`` of an HTML document: trafilatura's main text, else the document's plain text."""
    import trafilatura
    from lxml import html as lxml_html
    from lxml.etree import ParserError

    title, fallback = "", ""
    try:
        tree = lxml_html.fromstring(html)
        title = " ".join((tree.findtext(".//title") or "").split())
        fallback = _plain_text(tree)
    except (ParserError, ValueError):
        fallback = re.sub(r"<[^>]+>", " ", html)
    main = trafilatura.extract(html, url=url, include_comments=False, include_tables=True, favor_recall=True) or ""
    # trafilatura drops short pages and boilerplate-heavy ones; keep whichever says more about the page
    text = main if len(main) >= 0.3 * len(fallback) else fallback
    return title, text.strip()


def pdf_to_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        return "\n\n".join((page.extract_text() or "").strip() for page in reader.pages).strip()
    except (PdfReadError, ValueError, KeyError) as exc:
        raise ToolError(f"could not read the PDF: {exc}") from None


# ---------------------------------------------------------------------------------------- the tool ---
@dataclass
class Fetched:
    body: bytes
    url: str  # after redirects
    content_type: str
    charset: str | None
    truncated: bool


class VisitPageArgs(BaseModel):
    url: str = Field(description="the http(s) URL to open, e.g. a link from web_search")
    max_chars: int = Field(default=6000, ge=200, le=100_000,
                           description="return at most this many characters of the page's text")


class VisitPageTool(ToolagentTool):
    name: str = "visit_page"
    side_effect_free = True
    description: str = (
        "Open a web page (http/https URL, e.g. one returned by web_search) and return its title and main "
        "text. PDFs and plain-text/JSON pages work too. Private and local network addresses are refused.")
    args_schema: type[BaseModel] = VisitPageArgs
    timeout_s: float = 45.0
    fetch_timeout_s: float = 20.0
    max_bytes: int = 2_000_000
    allow_private: bool = False

    def availability(self) -> Availability:
        return Availability(available=True, reason=NOT_CHECKED_NETWORK)

    def execute(self, args: VisitPageArgs, ctx: ToolContext) -> ToolOutput:  # type: ignore[override]  # noqa: ARG002
        page = self._fetch(args.url.strip())
        title, text = self._extract(page)
        final_url, truncated = page.url, page.truncated
        if not text:
            raise ToolError(f"no readable text at {final_url} ({page.content_type or 'unknown type'})")
        shown = text[: args.max_chars]
        notes = []
        if truncated:
            notes.append(f"page cut at the {self.max_bytes}-byte limit")
        if len(text) > len(shown):
            notes.append(f"showing {len(shown)} of {len(text)} characters")
        header = f"Title: {title}\n" if title else ""
        note = f"\n[{'; '.join(notes)}]" if notes else ""
        return ToolOutput(text=f"{header}URL: {final_url}\n\n{shown}{note}",
                          data={"url": args.url, "final_url": final_url, "title": title,
                                "content_type": page.content_type, "chars": len(text), "truncated": truncated})

    def _fetch(self, url: str) -> Fetched:
        import httpx

        timeout = httpx.Timeout(self.fetch_timeout_s)
        headers = {"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5"}
        pins: dict[str, list[str]] = {}
        try:
            with httpx.Client(timeout=timeout, follow_redirects=False, headers=headers,
                              transport=_pinned_transport(pins)) as client:
                for _ in range(MAX_REDIRECTS + 1):
                    host, addresses = vet_url(url, allow_private=self.allow_private)
                    if addresses:
                        pins[host] = addresses
                    with client.stream("GET", url) as response:
                        if response.is_redirect:
                            location = response.headers.get("location", "")
                            if not location:
                                raise ToolError(f"redirect without a location from {url}")
                            url = str(response.url.join(location))
                            continue
                        if response.status_code >= 400:
                            raise ToolError(f"HTTP {response.status_code} {response.reason_phrase} for {url}")
                        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                        _check_type(content_type, url)
                        body, truncated = self._read_limited(response)
                        return Fetched(body, str(response.url), content_type, response.charset_encoding, truncated)
                raise ToolError(f"too many redirects (more than {MAX_REDIRECTS}) starting from {url}")
        except httpx.TimeoutException:
            raise ToolError(f"timed out after {self.fetch_timeout_s:g} s fetching {url}") from None
        except httpx.HTTPError as exc:
            raise ToolError(f"could not fetch {url}: {type(exc).__name__}: {exc}") from None

    def _read_limited(self, response) -> tuple[bytes, bool]:  # noqa: ANN001 - httpx.Response
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_bytes:
                return b"".join(chunks)[: self.max_bytes], True
        return b"".join(chunks), False

    def _extract(self, page: Fetched) -> tuple[str, str]:
        body, url, content_type = page.body, page.url, page.content_type
        if content_type == PDF_TYPE or body[:5] == b"%PDF-":
            if page.truncated:
                raise ToolError(f"the PDF at {url} is larger than the {self.max_bytes}-byte limit")
            return "", pdf_to_text(body)
        text = _decode(body, page.charset)
        if "\x00" in text[:4096]:
            raise ToolError(f"{url} returned binary data ({content_type or 'no content type'}), not text")
        looks_html = bool(re.match(r"\s*(<!doctype html|<html|<head|<body)", text[:512], re.IGNORECASE))
        if content_type in HTML_TYPES or (not content_type and looks_html):
            return html_to_text(text, url)
        return "", text.strip()


def _pinned_transport(pins: dict[str, list[str]]) -> object:
    """An httpx transport that connects to ``pins[host]`` (the addresses the guard vetted) instead of
    resolving the host again; TLS still verifies the certificate for the host name (SNI unchanged)."""
    import httpcore
    import httpx

    class PinnedBackend(httpcore.SyncBackend):
        def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                        local_address: str | None = None, socket_options: object = None) -> object:
            addresses = pins.get(host.rstrip(".").lower())
            if not addresses:
                return super().connect_tcp(host, port, timeout, local_address, socket_options)
            last: Exception | None = None
            for address in addresses:
                try:
                    return super().connect_tcp(address, port, timeout, local_address, socket_options)
                except httpcore.ConnectError as exc:
                    last = exc
            raise last or httpcore.ConnectError(f"cannot connect to {host}")

    transport = httpx.HTTPTransport()
    transport._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(),  # noqa: SLF001
                                              network_backend=PinnedBackend())
    return transport


def _check_type(content_type: str, url: str) -> None:
    if not content_type or content_type == PDF_TYPE:
        return
    if content_type in HTML_TYPES or any(content_type.startswith(t) for t in TEXT_TYPES) \
            or content_type.endswith(("+json", "+xml")):
        return
    raise ToolError(f"{url} is {content_type}, not a web page or text: visit_page reads HTML, text, JSON and PDF")


def _decode(body: bytes, charset: str | None) -> str:
    head = body[:2048].decode("ascii", errors="ignore")
    match = re.search(r"""charset=["']?([\w-]+)""", head, re.IGNORECASE)
    candidates = [c for c in (charset, match.group(1) if match else None) if c]
    for encoding in [*candidates, "utf-8"]:
        try:
            return body.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("utf-8", errors="replace")


def make_tool(config: ToolConfig) -> VisitPageTool:
    return VisitPageTool(max_bytes=config.max_page_bytes, allow_private=config.allow_private_urls)
