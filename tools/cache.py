"""Record/replay cache of tool calls: rerun evaluations and training without the web or slow models.

A call's key is the sha256 of the tool name and the canonical JSON of its arguments, where every argument
that refers to a file (an image, a path) is replaced by the sha256 of that file's content: the same file
name with different pixels is a different call, the same pixels under another name the same call.

- ``record``: a hit returns the stored observation (``cached=True``); a miss runs the tool and stores the
  observation if it succeeded (errors are not stored, so a transient failure is retried next time).
- ``replay``: a hit returns the stored observation; a miss is an error observation
  ("replay miss: ...") — nothing runs.

One JSON file per key, written atomically; produced image files are copied into the cache, and a replay
copies them into the run's workspace so later steps get usable paths.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

from langchain_core.tools import BaseTool

from toolagent.images import file_sha256
from toolagent.records import Observation
from toolagent.tools.base import ToolContext, run_tool
from toolagent.tools.config import ToolConfig

CacheMode = Literal["record", "replay"]
_FORMAT = 1
_FILE_KEYS = ("image", "file", "path")


def _refers_to_file(key: str) -> bool:
    key = key.lower()
    return any(word in key for word in _FILE_KEYS)


def _resolve(value: str, ctx: ToolContext, file_key: bool) -> Path | None:
    if file_key:
        try:
            return ctx.resolve_image(value)
        except Exception:  # not an image reference; maybe a plain path
            pass
    try:
        path = Path(value).expanduser()
        return path if len(value) < 4096 and path.is_file() else None
    except (OSError, ValueError):
        return None


def canonical_args(args: Any, ctx: ToolContext, file_key: bool = False) -> Any:
    """Arguments with file references replaced by ``{"sha256": <content hash>}``; JSON-native."""
    if isinstance(args, dict):
        return {str(k): canonical_args(v, ctx, file_key or _refers_to_file(str(k))) for k, v in args.items()}
    if isinstance(args, (list, tuple)):
        return [canonical_args(v, ctx, file_key) for v in args]
    if isinstance(args, str):
        path = _resolve(args, ctx, file_key) if (file_key or os.sep in args) else None
        return {"sha256": file_sha256(path)} if path is not None else args
    if args is None or isinstance(args, (bool, int, float)):
        return args
    return str(args)


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class ToolCache:
    """A directory of recorded tool observations; ``call`` is a drop-in for ``run_tool``."""

    def __init__(self, directory: Path, mode: CacheMode) -> None:
        if mode not in ("record", "replay"):
            raise ValueError(f"cache mode must be 'record' or 'replay', not {mode!r}")
        self.directory = Path(directory).expanduser()
        self.mode = mode
        self.directory.mkdir(parents=True, exist_ok=True)

    def key(self, tool_name: str, args: dict[str, Any], ctx: ToolContext) -> str:
        material = _dumps({"tool": tool_name, "args": canonical_args(args, ctx)})
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def _entry_path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def lookup(self, key: str) -> dict[str, Any] | None:
        path = self._entry_path(key)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
            return None
        files = entry.get("files", [])
        if entry.get("format") != _FORMAT or not all((self.directory / f).is_file() for f in files):
            return None
        return entry

    def call(self, tool: BaseTool, args: dict[str, Any], ctx: ToolContext) -> Observation:
        start = time.perf_counter()
        key = self.key(tool.name, args, ctx)
        entry = self.lookup(key)
        if entry is not None:
            return self._replay(entry, ctx, time.perf_counter() - start)
        if self.mode == "replay":
            shown = _dumps(args)
            shown = shown if len(shown) <= 300 else shown[:300] + "..."
            return Observation(tool=tool.name, error=f"replay miss: no recorded result for {tool.name} {shown}",
                               latency_s=time.perf_counter() - start)
        obs = run_tool(tool, args, ctx)
        if obs.ok:
            self._store(key, tool.name, args, obs)
        return obs

    def _replay(self, entry: dict[str, Any], ctx: ToolContext, latency_s: float) -> Observation:
        stored = dict(entry["observation"])
        images = []
        for name in entry.get("files", []):
            source = self.directory / name
            target = ctx.new_file("cached", source.suffix)
            shutil.copyfile(source, target)
            images.append(str(target))
        stored.update(images=images, cached=True, latency_s=latency_s)
        return Observation(**stored)

    def _store(self, key: str, tool_name: str, args: dict[str, Any], obs: Observation) -> None:
        files_dir = self.directory / "files"
        files = []
        for index, image in enumerate(obs.images):
            source = Path(image)
            if not source.is_file():
                return  # an observation whose files are gone cannot be replayed faithfully
            name = f"files/{key[:16]}-{index}{source.suffix}"
            files_dir.mkdir(parents=True, exist_ok=True)
            _atomic_copy(source, self.directory / name)
            files.append(name)
        observation = obs.model_dump(mode="json", exclude={"images", "cached"})
        entry = {"format": _FORMAT, "key": key, "tool": tool_name, "args": _jsonable(args),
                 "observation": observation, "files": files, "recorded_at": time.time()}
        _atomic_write(self._entry_path(key), json.dumps(entry, ensure_ascii=False, indent=1))


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _atomic_write(path: Path, text: str) -> None:
    handle = tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=".tmp-", suffix=".json", delete=False,
                                         encoding="utf-8")
    try:
        with handle:
            handle.write(text)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def _atomic_copy(source: Path, target: Path) -> None:
    handle = tempfile.NamedTemporaryFile(dir=target.parent, prefix=".tmp-", suffix=target.suffix, delete=False)
    handle.close()
    try:
        shutil.copyfile(source, handle.name)
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def cache_from_config(config: ToolConfig) -> ToolCache | None:
    """The cache a ToolConfig asks for (None when ``cache_mode`` is "off"); default dir: <home>/tool-cache."""
    if config.cache_mode == "off":
        return None
    from toolagent.config import home

    return ToolCache(config.cache_dir or home() / "tool-cache", config.cache_mode)
