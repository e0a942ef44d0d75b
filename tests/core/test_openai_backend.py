"""An OpenAI-compatible server faked at the HTTP layer (a real local HTTP server), so the real `openai` client
code, langchain-openai, JSON mode and the reachability preflight all run."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.core.wire import answer_step, reply, step
from toolagent.agent import run_agent
from toolagent.cli import app
from toolagent.models.resolve import check_reachable, resolve_model
from toolagent.tools.registry import build_tools


class _FakeOpenAI(BaseHTTPRequestHandler):
    requests: list[dict[str, Any]] = []

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def _send(self, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        self._send({"object": "list", "data": [{"id": "fake-planner", "object": "model"}]})

    def do_POST(self) -> None:  # noqa: N802
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append(request)
        user = request["messages"][-1]["content"]
        if "<tool_output" in user:
            value = user.split('<tool_output tool="calculator">\n')[1].split("\n")[0].strip("= ")
            content = reply(answer_step(value), style="bare")
        else:
            content = reply(step("calculator", {"expression": "6 * 7"}), answer_step("?"), style="bare")
        self._send({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": request["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
        })


@pytest.fixture()
def server() -> Iterator[str]:
    _FakeOpenAI.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _FakeOpenAI)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


def test_openai_compatible_server_drives_the_agent(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    model = resolve_model("openai:fake-planner", base_url=server)
    check_reachable(model)
    result = run_agent("What is 6 times 7?", model=model, tools=build_tools(names=["calculator"]))
    assert result.status == "answered" and result.answer == "42"
    first = _FakeOpenAI.requests[0]
    assert first["model"] == "fake-planner"
    assert first["response_format"] == {"type": "json_object"}  # JSON mode is used where the backend has one
    assert first["messages"][0]["role"] == "system" and "calculator" in first["messages"][0]["content"]
    assert result.steps[0].tokens == {"input_tokens": 100, "output_tokens": 20, "total_tokens": 120}


def test_cli_with_base_url(server: str) -> None:
    result = CliRunner().invoke(app, ["ask", "6*7?", "--model", "openai:fake-planner", "--base-url", server,
                                      "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["answer"] == "42"
