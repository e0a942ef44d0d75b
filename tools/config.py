"""Tool configuration: which backends the frozen tools use. Environment variables give the defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value else default


class ToolConfig(BaseModel):
    """How to build the frozen tools. ``vlm_model`` is a live chat model (not serialised)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    #: web_search backend: "ddgs" (live web), "local" (bm25s over ``corpus``), "none".
    search: Literal["ddgs", "local", "none"] = Field(
        default_factory=lambda: _env("TOOLAGENT_SEARCH", "ddgs"))  # type: ignore[arg-type]
    #: the one ddgs engine to use (never "auto": it walks several engines, each with its own timeout).
    ddgs_backend: str = Field(default_factory=lambda: _env("TOOLAGENT_DDGS_BACKEND", "duckduckgo") or "duckduckgo")
    #: local corpus: a folder of .txt/.md/.html files or a .jsonl file ({"id", "title", "text"} per line).
    corpus: Path | None = Field(default_factory=lambda: Path(p) if (p := _env("TOOLAGENT_CORPUS")) else None)
    search_timeout_s: float = 10.0
    ocr_backend: Literal["tesseract", "rapidocr"] = Field(
        default_factory=lambda: _env("TOOLAGENT_OCR", "tesseract"))  # type: ignore[arg-type]
    ocr_lang: str = "eng"
    #: a model spec for image QA (``hf:PATH``, ``openai:MODEL``, ...); falls back to ``vlm_model``.
    vlm: str | None = Field(default_factory=lambda: _env("TOOLAGENT_VLM"))
    vlm_base_url: str | None = None
    #: a live multimodal chat model to use for image QA (e.g. the agent's own model when it takes images).
    vlm_model: Any = None
    #: the python tool runs code in a subprocess; off unless enabled.
    enable_python: bool = Field(default_factory=lambda: _env("TOOLAGENT_PYTHON", "0") in ("1", "true", "yes"))
    python_timeout_s: float = 30.0
    python_memory_mb: int = 1024
    #: the solver's worker process is capped at this much address space
    solver_memory_mb: int = 2048
    #: files and folders the file-reading tools may read beyond the task's attachments and the run's workspace
    #: (``--allow-path DIR``); everything else is refused.
    allow_paths: list[str] = Field(default_factory=list)
    #: visit_page refuses loopback/private/link-local/metadata addresses unless this is set.
    allow_private_urls: bool = False
    max_page_bytes: int = 2_000_000
    #: record/replay cache of tool calls: "off", "record", "replay" (replay-only: a miss is an error).
    cache_mode: Literal["off", "record", "replay"] = "off"
    cache_dir: Path | None = None
