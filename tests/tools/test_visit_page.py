"""visit_page + the SSRF guard: a real local HTTP server, and respx for hosts that must look public."""

from __future__ import annotations

import http.server
import io
import json
import threading
import time
from collections.abc import Iterator

import pytest
import respx

from toolagent.tools import net_guard
from toolagent.tools.base import ToolContext, ToolError, run_tool
from toolagent.tools.config import ToolConfig
from toolagent.tools.net_guard import UnsafeURL, blocked_reason, check_url
from toolagent.tools.registry import build_tools
from toolagent.tools.visit_page import VisitPageTool, html_to_text, make_tool

ARTICLE = """<!doctype html><html><head><title>Lighthouse keepers</title><style>p {color: red}</style>
<script>var tracking = "do not show";</script></head><body>
<nav><a href="/">Home</a> | <a href="/about">About</a> | <a href="/shop">Shop</a></nav>
<article><h1>The last lighthouse keeper</h1>
<p>The Longstone lighthouse was automated in 1990, ending two centuries of keepers on the Farne Islands.</p>
<p>Grace Darling, the keeper's daughter, rowed out in 1838 to rescue nine survivors of the Forfarshire.</p>
<p>Today the tower is open to visitors arriving by boat from Seahouses between April and October.</p>
</article><footer>Copyright 2024 Coastal Trust. Cookie settings. Privacy policy.</footer></body></html>"""
PUBLIC_IP = "93.184.216.34"


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, str, bytes, dict[str, str]]] = {
        "/article.html": (200, "text/html; charset=utf-8", ARTICLE.encode(), {}),
        "/notes.txt": (200, "text/plain", b"plain notes: 42 apples", {}),
        "/data.json": (200, "application/json", json.dumps({"answer": 42}).encode(), {}),
        "/big.txt": (200, "text/plain", b"0123456789" * 50_000, {}),
        "/photo.png": (200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 400, {}),
        "/hop": (302, "text/plain", b"", {"Location": "/article.html"}),
        "/loop": (302, "text/plain", b"", {"Location": "/loop"}),
        "/gone": (404, "text/plain", b"nope", {}),
    }

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        if self.path == "/slow":
            time.sleep(3)
        status, ctype, body, extra = self.routes.get(self.path, (200, "text/plain", b"slow", {}))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture()
def local_tool() -> VisitPageTool:
    return make_tool(ToolConfig(allow_private_urls=True, max_page_bytes=100_000))


def _visit(tool: VisitPageTool, url: str, **extra: object):
    return run_tool(tool, {"url": url, **extra}, ToolContext())


# ------------------------------------------------------------------------------------------- guard ---
@pytest.mark.parametrize(("url", "why"), [
    ("http://127.0.0.1/", "loopback"),
    ("http://127.1.2.3:8080/x", "loopback"),
    ("http://[::1]/", "loopback"),
    ("http://10.0.0.7/admin", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://172.16.5.4/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://[fd00:ec2::254]/latest/meta-data/", "metadata"),
    ("http://metadata.google.internal/computeMetadata/v1/", "metadata"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://0.0.0.0:8000/", "unspecified"),
    ("http://224.0.0.1/", "multicast"),
    ("http://100.64.0.1/", "not a public"),
    ("http://localhost:8000/", "loopback"),  # a name that resolves (real DNS/hosts file) to loopback
    ("http://2130706433/", "loopback"),  # 127.0.0.1 written as one decimal number
])
def test_guard_refuses_internal_addresses(url: str, why: str) -> None:
    with pytest.raises(UnsafeURL, match=why):
        check_url(url)
    assert check_url(url, allow_private=True)  # the opt-in lets them through


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://x/", "javascript:alert(1)",
                                 "http://", "example.com/page"])
def test_guard_refuses_other_schemes(url: str) -> None:
    with pytest.raises(UnsafeURL):
        check_url(url, allow_private=True)


def test_guard_allows_public_and_checks_every_resolved_address(monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_url(f"http://{PUBLIC_IP}/") == PUBLIC_IP
    assert blocked_reason("8.8.8.8") is None
    monkeypatch.setattr(net_guard, "resolve_host", lambda host, port: [PUBLIC_IP])
    assert check_url("https://public.example/a?b=c") == "public.example"
    # one bad record among good ones (DNS returning a mix) is enough to refuse
    monkeypatch.setattr(net_guard, "resolve_host", lambda host, port: [PUBLIC_IP, "10.1.1.1"])
    with pytest.raises(UnsafeURL, match="private"):
        check_url("https://mixed.example/")


def test_unresolvable_host_is_a_clear_error() -> None:
    with pytest.raises(ToolError, match="cannot resolve host"):
        check_url("http://no-such-host.invalid/")


# -------------------------------------------------------------------------------- redirect checks ---
@pytest.fixture()
def public_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    real = net_guard.resolve_host
    fake = {"public.example": [PUBLIC_IP], "rebind.example": ["127.0.0.1"]}
    monkeypatch.setattr(net_guard, "resolve_host", lambda host, port: fake.get(host) or real(host, port))


@pytest.mark.parametrize("target", ["http://127.0.0.1/secret", "http://localhost/secret",
                                    "http://169.254.169.254/latest/meta-data/", "http://rebind.example/"])
def test_redirect_to_internal_address_is_refused(public_dns: None, target: str) -> None:
    tool = make_tool(ToolConfig())
    with respx.mock(assert_all_called=False) as mock:
        start = mock.get("http://public.example/start").respond(302, headers={"Location": target})
        internal = mock.route(url__startswith=target.rsplit("/", 1)[0]).respond(200, text="SECRET")
        obs = _visit(tool, "http://public.example/start")
    assert start.called and not internal.called
    assert obs.error and obs.error.startswith(f"refusing {target}"), obs.error
    assert "SECRET" not in obs.text


def test_public_redirect_chain_is_followed(public_dns: None) -> None:
    tool = make_tool(ToolConfig())
    with respx.mock() as mock:
        mock.get("http://public.example/old").respond(301, headers={"Location": "/new"})
        mock.get("http://public.example/new").respond(200, html=ARTICLE)
        obs = _visit(tool, "http://public.example/old")
    assert obs.ok, obs.error
    assert "URL: http://public.example/new" in obs.text and "Grace Darling" in obs.text


# ------------------------------------------------------------------------------ real local server ---
def test_extracts_main_text_from_local_server(local_tool: VisitPageTool, server: str) -> None:
    obs = _visit(local_tool, f"{server}/article.html")
    assert obs.ok, obs.error
    assert obs.text.startswith("Title: Lighthouse keepers\n")
    assert "Grace Darling" in obs.text and "automated in 1990" in obs.text
    assert "tracking" not in obs.text and "color: red" not in obs.text
    assert obs.data["content_type"] == "text/html" and obs.data["truncated"] is False


def test_private_urls_refused_by_default(server: str) -> None:
    obs = _visit(make_tool(ToolConfig()), f"{server}/article.html")
    assert obs.error and "loopback" in obs.error and "private URLs are disabled" in obs.error


def test_text_json_redirect_and_http_errors(local_tool: VisitPageTool, server: str) -> None:
    assert "plain notes: 42 apples" in _visit(local_tool, f"{server}/notes.txt").text
    assert '"answer": 42' in _visit(local_tool, f"{server}/data.json").text
    hop = _visit(local_tool, f"{server}/hop")
    assert hop.ok and hop.data["final_url"].endswith("/article.html")
    assert "too many redirects" in _visit(local_tool, f"{server}/loop").error
    assert "HTTP 404" in _visit(local_tool, f"{server}/gone").error


def test_byte_limit_and_char_limit(server: str) -> None:
    tool = make_tool(ToolConfig(allow_private_urls=True, max_page_bytes=20_000))
    obs = _visit(tool, f"{server}/big.txt", max_chars=1000)
    assert obs.ok, obs.error
    assert obs.data["truncated"] is True and obs.data["chars"] == 20_000
    assert "20000-byte limit" in obs.text and "showing 1000 of 20000 characters" in obs.text


def test_binary_content_type_refused(local_tool: VisitPageTool, server: str) -> None:
    obs = _visit(local_tool, f"{server}/photo.png")
    assert obs.error and "image/png" in obs.error and "not a web page" in obs.error


def test_fetch_timeout(server: str) -> None:
    tool = VisitPageTool(allow_private=True, fetch_timeout_s=0.5)
    started = time.perf_counter()
    obs = _visit(tool, f"{server}/slow")
    assert obs.error and "timed out" in obs.error
    assert time.perf_counter() - started < 2.5


def test_pdf_pages_are_read(public_dns: None) -> None:
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(300, 200)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject(
        {NameObject("/F1"): writer._add_object(font)})})
    stream = DecodedStreamObject()
    stream.set_data(b"BT /F1 12 Tf 20 100 Td (Annual rainfall 812 mm) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(stream)
    buffer = io.BytesIO()
    writer.write(buffer)
    with respx.mock() as mock:
        mock.get("http://public.example/report.pdf").respond(
            200, content=buffer.getvalue(), headers={"Content-Type": "application/pdf"})
        obs = _visit(make_tool(ToolConfig()), "http://public.example/report.pdf")
    assert obs.ok, obs.error
    assert "Annual rainfall 812 mm" in obs.text


def test_connection_failure_is_an_observation(local_tool: VisitPageTool) -> None:
    obs = _visit(local_tool, "http://127.0.0.1:9/")  # the discard port: nothing listens
    assert obs.error and "could not fetch" in obs.error


def test_html_to_text_fallback_keeps_short_pages() -> None:
    title, text = html_to_text("<html><head><title>T</title></head><body><p>Open 9-5.</p></body></html>")
    assert title == "T" and "Open 9-5." in text


def test_registry_and_schema() -> None:
    (tool,) = build_tools(ToolConfig(max_page_bytes=1234), names=["visit_page"])
    assert isinstance(tool, VisitPageTool) and tool.max_bytes == 1234 and not tool.allow_private
    assert set(tool.args_schema.model_json_schema()["properties"]) == {"url", "max_chars"}


# ------------------------------------------------------------------------------------ DNS rebinding ---
class _Named(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        payload = self.body + b" host=" + (self.headers.get("Host") or "").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


def _serve(address: str, port: int, body: bytes) -> http.server.ThreadingHTTPServer:
    handler = type("H", (_Named,), {"body": body})
    httpd = http.server.ThreadingHTTPServer((address, port), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def test_the_connection_goes_to_the_vetted_address_not_a_second_dns_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard's lookup says 127.0.0.1 (treated as public here); httpx's own lookup would say 127.0.0.2
    (the "internal" service). The fetch must reach the vetted address."""
    import socket

    vetted = _serve("127.0.0.1", 0, b"public page")
    port = vetted.server_address[1]
    try:
        internal = _serve("127.0.0.2", port, b"INTERNAL SECRET")
    except OSError:
        vetted.shutdown()
        pytest.skip("127.0.0.2 is not usable here")
    real_reason, real_getaddrinfo = net_guard.blocked_reason, socket.getaddrinfo
    monkeypatch.setattr(net_guard, "resolve_host", lambda host, port: ["127.0.0.1"])
    monkeypatch.setattr(net_guard, "blocked_reason",
                        lambda address: None if str(address) == "127.0.0.1" else real_reason(address))

    def rebinding_dns(host: object, *args: object, **kwargs: object) -> object:
        return real_getaddrinfo("127.0.0.2" if host == "rebind.test" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    try:
        obs = _visit(make_tool(ToolConfig()), f"http://rebind.test:{port}/page")
    finally:
        vetted.shutdown()
        internal.shutdown()
    assert obs.ok, obs.error
    assert "public page" in obs.text and "INTERNAL SECRET" not in obs.text
    assert f"host=rebind.test:{port}" in obs.text  # the Host header keeps the name


@pytest.mark.parametrize(("address", "why"), [
    ("2002:7f00:1::", "loopback"),            # 6to4 for 127.0.0.1
    ("2002:a00:1::1", "private"),             # 6to4 for 10.0.0.1
    ("2002:a9fe:a9fe::", "metadata"),         # 6to4 for 169.254.169.254
    ("fec0::1", "site-local"),
    ("64:ff9b::a00:1", "private"),            # NAT64 for 10.0.0.1
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"),  # Teredo, client 127.0.0.1
])
def test_private_addresses_inside_ipv6_forms_are_refused(address: str, why: str) -> None:
    assert why in (blocked_reason(address) or ""), blocked_reason(address)
    with pytest.raises(UnsafeURL, match=why):
        check_url(f"http://[{address}]/")
