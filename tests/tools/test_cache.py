"""Record/replay cache: round trip without re-running, replay misses are errors, file args hashed by content."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from pydantic import BaseModel

from toolagent.tools.base import ToolContext, ToolError, ToolOutput, ToolagentTool
from toolagent.tools.cache import ToolCache, cache_from_config, canonical_args
from toolagent.tools.calculator import make_tool as make_calculator
from toolagent.tools.config import ToolConfig


class PaintArgs(BaseModel):
    image: str
    colour: str = "red"


class PaintTool(ToolagentTool):
    """Counts its runs and paints a new image whose size changes every run (so a re-run is detectable)."""

    name: str = "paint"
    description: str = "paint an image"
    args_schema: type[BaseModel] = PaintArgs
    runs: int = 0

    def execute(self, args: BaseModel, ctx: ToolContext) -> ToolOutput:
        assert isinstance(args, PaintArgs)
        self.runs += 1
        if args.colour == "none":
            raise ToolError("no colour given")
        source = ctx.resolve_image(args.image)
        out = ctx.new_file("painted", ".png")
        Image.new("RGB", (10 + self.runs, 10), args.colour).save(out)
        return ToolOutput(text=f"painted {source.name} run {self.runs}", images=[str(out)], data={"run": self.runs})


def _image(path: Path, colour: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), colour).save(path)
    return path


def test_record_then_replay_without_running(tmp_path: Path) -> None:
    picture = _image(tmp_path / "in" / "photo.png", "blue")
    cache_dir = tmp_path / "cache"
    recorder, tool = ToolCache(cache_dir, "record"), PaintTool()
    ctx = ToolContext(workspace=tmp_path / "ws1", images=[str(picture)])
    first = recorder.call(tool, {"image": str(picture)}, ctx)
    again = recorder.call(tool, {"image": str(picture)}, ctx)
    assert tool.runs == 1 and first.ok and not first.cached
    assert again.cached and again.text == first.text == "painted photo.png run 1" and again.data == {"run": 1}

    fresh_tool = PaintTool()
    replay_ctx = ToolContext(workspace=tmp_path / "ws2", images=[str(picture)])
    replayed = ToolCache(cache_dir, "replay").call(fresh_tool, {"image": "photo.png"}, replay_ctx)
    assert fresh_tool.runs == 0
    assert replayed.ok and replayed.cached and replayed.text == "painted photo.png run 1"
    [image] = replayed.images
    assert Path(image).parent == replay_ctx.workspace
    with Image.open(image) as img:  # the recorded pixels, not a new run's (which would be 12 wide)
        assert img.size == (11, 10) and img.getpixel((0, 0)) == (255, 0, 0)


def test_replay_miss_is_an_error(tmp_path: Path) -> None:
    calculator = make_calculator(ToolConfig())
    obs = ToolCache(tmp_path, "replay").call(calculator, {"expression": "1+1"}, ToolContext())
    assert not obs.ok and obs.error == 'replay miss: no recorded result for calculator {"expression":"1+1"}'


def test_failures_are_not_recorded(tmp_path: Path) -> None:
    picture = _image(tmp_path / "p.png", "white")
    tool = PaintTool()
    recorder = ToolCache(tmp_path / "cache", "record")
    for _ in range(2):
        obs = recorder.call(tool, {"image": str(picture), "colour": "none"}, ToolContext())
        assert not obs.ok and obs.error == "no colour given"
    assert tool.runs == 2  # retried, not served from the cache
    assert not list((tmp_path / "cache").glob("*.json"))


def test_same_name_different_content_is_a_different_key(tmp_path: Path) -> None:
    one = _image(tmp_path / "a" / "img.png", "red")
    two = _image(tmp_path / "b" / "img.png", "green")
    same_pixels = _image(tmp_path / "c" / "other-name.png", "red")
    cache = ToolCache(tmp_path / "cache", "record")
    key_one = cache.key("paint", {"image": "img.png"}, ToolContext(images=[str(one)]))
    key_two = cache.key("paint", {"image": "img.png"}, ToolContext(images=[str(two)]))
    key_same = cache.key("paint", {"image": str(same_pixels)}, ToolContext())
    key_index = cache.key("paint", {"image": "image_0"}, ToolContext(images=[str(one)]))
    assert key_one != key_two
    assert key_one == key_same == key_index
    assert cache.key("paint", {"image": "img.png", "colour": "blue"}, ToolContext(images=[str(one)])) != key_one


def test_canonical_args_are_order_independent_json(tmp_path: Path) -> None:
    picture = _image(tmp_path / "x.png", "red")
    ctx = ToolContext(images=[str(picture)])
    canon = canonical_args({"query": "a/b c", "image": "x.png", "k": 3}, ctx)
    assert canon["query"] == "a/b c" and canon["k"] == 3 and set(canon["image"]) == {"sha256"}
    cache = ToolCache(tmp_path / "cache", "record")
    assert cache.key("t", {"a": 1, "b": 2}, ctx) == cache.key("t", {"b": 2, "a": 1}, ctx)


def test_entries_are_single_json_files_and_corrupt_ones_are_misses(tmp_path: Path) -> None:
    calculator = make_calculator(ToolConfig())
    cache = ToolCache(tmp_path, "record")
    cache.call(calculator, {"expression": "6*7"}, ToolContext())
    [entry] = list(tmp_path.glob("*.json"))
    stored = json.loads(entry.read_text())
    assert stored["tool"] == "calculator" and stored["observation"]["text"] == "= 42"
    entry.write_text("{not json")
    obs = ToolCache(tmp_path, "replay").call(calculator, {"expression": "6*7"}, ToolContext())
    assert obs.error and obs.error.startswith("replay miss")


def test_cache_from_config(tmp_path: Path) -> None:
    assert cache_from_config(ToolConfig()) is None
    cache = cache_from_config(ToolConfig(cache_mode="replay", cache_dir=tmp_path))
    assert cache is not None and cache.mode == "replay" and cache.directory == tmp_path
    with pytest.raises(ValueError):
        ToolCache(tmp_path, "off")  # type: ignore[arg-type]
