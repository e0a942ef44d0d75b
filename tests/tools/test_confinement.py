"""File confinement: a tool reads the task's attachments, the run's workspace and what --allow-path opts into.

Anything else (absolute paths, ``~``, ``../``, a symlink planted in the workspace) is refused as an error
observation the planner reads, never a crash; FIFOs and other non-regular files are refused without blocking.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from toolagent.models.scripted import ScriptedChatModel
from toolagent.tools.base import ToolContext, run_tool
from toolagent.tools.config import ToolConfig
from toolagent.tools.registry import build_tools, gta_tools

IMAGE_TOOLS: dict[str, dict[str, Any]] = {
    "ocr": {},
    "crop_image": {"bbox": "(0, 0, 10, 10)"},
    "draw_box": {"bbox": "(0, 0, 10, 10)"},
    "add_text": {"text": "hi", "position": "(1, 1)"},
    "image_qa": {"question": "what is it?"},
}


def _tools(**config: Any) -> dict[str, Any]:
    model = ScriptedChatModel(responses=["a picture"] * 20)
    tools = build_tools(ToolConfig(vlm_model=model, **config), names=[*IMAGE_TOOLS, "read_file"])
    return {t.name: t for t in tools}


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    outside = tmp_path / "outside"
    outside.mkdir()
    Image.new("RGB", (40, 30), "white").save(outside / "secret.png")
    (outside / "secret.txt").write_text("API_KEY=hunter2")
    home = tmp_path / "home"
    home.mkdir()
    Image.new("RGB", (40, 30), "white").save(home / "id.png")
    (home / "id_rsa").write_text("PRIVATE KEY")
    monkeypatch.setenv("HOME", str(home))
    attached = tmp_path / "task"
    attached.mkdir()
    Image.new("RGB", (40, 30), "white").save(attached / "photo.png")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    return {"outside": outside, "home": home, "photo": attached / "photo.png", "ws": workspace}


def _ctx(layout: dict[str, Path]) -> ToolContext:
    return ToolContext(workspace=layout["ws"], images=[str(layout["photo"])])


@pytest.mark.parametrize("name", list(IMAGE_TOOLS))
def test_image_tools_refuse_paths_outside_the_task(name: str, layout: dict[str, Path]) -> None:
    tool, ctx = _tools()[name], _ctx(layout)
    refs = [str(layout["outside"] / "secret.png"), "~/id.png", "../outside/secret.png"]
    for ref in refs:
        obs = run_tool(tool, {"image": ref, **IMAGE_TOOLS[name]}, ctx)
        assert not obs.ok and obs.error.startswith("access refused: "), (ref, obs.error)
    assert run_tool(tool, {"image": "photo.png", **IMAGE_TOOLS[name]}, ctx).ok  # the attachment still works


def test_read_file_refuses_system_home_and_parent_paths(layout: dict[str, Path]) -> None:
    reader, ctx = _tools()["read_file"], _ctx(layout)
    for ref in ("/etc/passwd", "~/id_rsa", "../outside/secret.txt", str(layout["outside"] / "secret.txt")):
        obs = run_tool(reader, {"path": ref}, ctx)
        assert not obs.ok and "access refused" in obs.error and "hunter2" not in obs.error, ref


def test_a_symlink_planted_in_the_workspace_is_followed_before_the_check(layout: dict[str, Path]) -> None:
    (layout["ws"] / "innocent.txt").symlink_to(layout["outside"] / "secret.txt")
    (layout["ws"] / "made.txt").write_text("produced by an earlier step")
    reader, ctx = _tools()["read_file"], _ctx(layout)
    for ref in ("innocent.txt", str(layout["ws"] / "innocent.txt")):
        obs = run_tool(reader, {"path": ref}, ctx)
        assert not obs.ok and "access refused" in obs.error
    assert run_tool(reader, {"path": "made.txt"}, ctx).text == "produced by an earlier step"


def test_produced_images_in_the_workspace_are_readable(layout: dict[str, Path]) -> None:
    tools, ctx = _tools(), _ctx(layout)
    crop = run_tool(tools["crop_image"], {"image": "image_0", "bbox": "(0, 0, 20, 20)"}, ctx)
    assert crop.ok and Path(crop.images[0]).parent == layout["ws"]
    again = run_tool(tools["ocr"], {"image": crop.images[0]}, ctx)
    assert again.ok, again.error


def test_allow_path_opts_a_folder_in(layout: dict[str, Path]) -> None:
    tools = _tools(allow_paths=[str(layout["outside"])])
    ctx = _ctx(layout)
    assert run_tool(tools["read_file"], {"path": str(layout["outside"] / "secret.txt")}, ctx).text == "API_KEY=hunter2"
    assert run_tool(tools["ocr"], {"image": str(layout["outside"] / "secret.png")}, ctx).ok
    still = run_tool(tools["read_file"], {"path": "~/id_rsa"}, ctx)
    assert not still.ok and "access refused" in still.error


def test_gta_adapters_are_confined_too(layout: dict[str, Path]) -> None:
    tools = {t.name: t for t in gta_tools(ToolConfig())}
    obs = run_tool(tools["DrawBox"], {"image": str(layout["outside"] / "secret.png"), "bbox": "(0, 0, 5, 5)"},
                   _ctx(layout))
    assert not obs.ok and "access refused" in obs.error


def test_fifo_and_directories_are_refused_without_blocking(layout: dict[str, Path]) -> None:
    fifo = layout["ws"] / "pipe.txt"
    os.mkfifo(fifo)
    reader = _tools()["read_file"]
    ctx = ToolContext(workspace=layout["ws"], files=[str(fifo)])
    obs = run_tool(reader, {"path": "pipe.txt"}, ctx, timeout_s=10)
    assert not obs.ok and "not a regular file" in obs.error
    folder = run_tool(reader, {"path": str(layout["ws"])}, ctx)
    assert not folder.ok and "directory" in folder.error


def test_paths_typed_on_the_tool_command_line_are_attachments(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from toolagent.cli import app

    notes = tmp_path / "notes.txt"
    notes.write_text("typed by a person")
    result = CliRunner().invoke(app, ["tool", "read_file", "--args", json.dumps({"path": str(notes)})])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["text"] == "typed by a person"
    missing = CliRunner().invoke(app, ["tool", "read_file", "--args", "{}", "--allow-path", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "--allow-path not found" in missing.stderr
