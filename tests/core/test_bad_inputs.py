"""The bad-input matrix, on the real CLI in a subprocess: one line on stderr, exit 2, no traceback, no hang,
and nothing already written is lost.

Each case is something that crashed or hung before: an image over PIL's pixel limit, a FIFO given as an
image or a file, undecodable bytes in the question or the tool arguments, a feedback log that is a folder or
sits under a regular file, GAIA metadata lines that are JSON but not objects, or not UTF-8.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image

from tests.eval.fixtures import build_gaia

ROOT = Path(__file__).resolve().parents[2]
CALC = "py:tests.core.cli_models:calc_model"


def bomb_png(path: Path, width: int = 40_000, height: int = 40_000) -> Path:
    """A valid PNG header claiming width x height pixels (1.6 G, over PIL's limit) with almost no data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
                     + chunk(b"IEND", b""))
    return path


def _cli(*args: str | bytes, timeout: float = 90) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TOOLAGENT_SEARCH": "none"}
    return subprocess.run([sys.executable, "-m", "toolagent", *args], capture_output=True, timeout=timeout,
                          cwd=ROOT, env=env)


def _one_line_exit_2(done: subprocess.CompletedProcess[bytes], fragment: str) -> None:
    stderr = done.stderr.decode("utf-8", errors="replace")
    assert done.returncode == 2, (done.returncode, stderr[-3000:])
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], stderr[-3000:]
    assert "Traceback" not in stderr


def _fifo(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    os.mkfifo(path)
    return path


def test_image_over_the_pixel_limit(tmp_path: Path) -> None:
    bomb = bomb_png(tmp_path / "bomb.png")
    _one_line_exit_2(_cli("ask", "what is this?", "--model", CALC, "--image", str(bomb)), "too large")
    _one_line_exit_2(_cli("tool", "ocr", "--args", json.dumps({"image": "bomb.png"}), "--image", str(bomb)),
                     "too large")


def test_fifo_as_image_or_file_does_not_hang(tmp_path: Path) -> None:
    _one_line_exit_2(_cli("ask", "q", "--model", CALC, "--image", str(_fifo(tmp_path, "pipe.png")), timeout=60),
                     "not a regular file")
    _one_line_exit_2(_cli("ask", "q", "--model", CALC, "--file", str(_fifo(tmp_path, "pipe.csv")), timeout=60),
                     "not a regular file")


def test_undecodable_bytes_in_the_question_or_arguments(tmp_path: Path) -> None:
    _one_line_exit_2(_cli("ask", b"what is \xff\xfe 2+2?", "--model", CALC, "--json"), "not valid UTF-8")
    _one_line_exit_2(_cli("tool", "calculator", "--args", b'{"expression": "1+\xff"}'), "not valid UTF-8")


@pytest.mark.parametrize("where", ["directory", "under a file"])
def test_feedback_log_that_cannot_be_written(tmp_path: Path, where: str) -> None:
    blocker = tmp_path / "plain.txt"
    blocker.write_text("keep me")
    log = tmp_path if where == "directory" else blocker / "log.jsonl"
    done = _cli("ask", "What is 2 + 2?", "--model", CALC, "--feedback-log", str(log), "--json")
    _one_line_exit_2(done, "feedback log")
    assert done.stdout == b""  # refused before the run, so no answer was computed and then lost
    assert blocker.read_text() == "keep me"


def test_feedback_log_that_can_be_written_still_works(tmp_path: Path) -> None:
    log = tmp_path / "new" / "log.jsonl"
    done = _cli("ask", "What is 17 * 23 + 4?", "--model", CALC, "--feedback-log", str(log), "--json")
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert len(log.read_text().splitlines()) == 2


@pytest.mark.parametrize(("line", "fragment"), [
    (b"[1, 2, 3]", "must be a JSON object"),
    (b"42", "must be a JSON object"),
    (b'{"task_id": "x", "Question": "caf\xe9", "Level": 1}', "not UTF-8"),
])
def test_gaia_metadata_lines_that_are_not_objects_or_not_utf8(tmp_path: Path, line: bytes, fragment: str) -> None:
    root = build_gaia(tmp_path / "gaia")
    metadata = root / "2023" / "validation" / "metadata.jsonl"
    metadata.write_bytes(metadata.read_bytes() + line + b"\n")
    done = _cli("eval", "gaia", "--data", str(root), "--model", CALC, "--out", str(tmp_path / "run"), "--quiet")
    _one_line_exit_2(done, fragment)


def test_a_bomb_or_fifo_reaching_a_tool_is_an_observation(tmp_path: Path) -> None:
    from toolagent.tools.base import ToolContext, run_tool
    from toolagent.tools.registry import build_tools

    bomb = bomb_png(tmp_path / "bomb.png")
    pipe = _fifo(tmp_path, "pipe.png")
    tools = {t.name: t for t in build_tools(names=["ocr", "crop_image", "read_file"])}
    ctx = ToolContext(workspace=tmp_path / "ws", images=[str(bomb), str(pipe)], files=[str(pipe)])
    for name, args in (("ocr", {"image": "bomb.png"}), ("crop_image", {"image": "bomb.png", "bbox": "(0,0,5,5)"}),
                       ("ocr", {"image": "pipe.png"}), ("read_file", {"path": "pipe.png"})):
        obs = run_tool(tools[name], args, ctx, timeout_s=20)
        assert obs.error and ("too large" in obs.error or "not a regular file" in obs.error), (name, obs.error)
    Image.new("RGB", (8, 8)).save(tmp_path / "fine.png")  # and a normal image still works
    fine = run_tool(tools["crop_image"], {"image": str(tmp_path / "fine.png"), "bbox": "(0,0,4,4)"},
                    ToolContext(workspace=tmp_path / "ws", images=[str(tmp_path / "fine.png")]))
    assert fine.ok, fine.error
