"""The embedded SmolLM2-135M model: GGUF -> safetensors cache in the real home dir, fast reloads, a real reply.

The cache tests deliberately use the real ``toolagent.config.home()`` (CI pre-warms it in its setup step);
the first conversion takes ~20-30 s, later loads well under a second.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from toolagent.errors import ConfigError
from toolagent.models import embedded
from toolagent.models.hf import HFChatModel


@pytest.mark.slow
def test_cache_is_a_plain_safetensors_llama_and_reloads_fast() -> None:
    folder = embedded.embedded_model_dir()  # converts once if this machine has no cache yet
    assert folder == embedded.cache_dir() and embedded.is_cached(folder)
    assert "quantization_config" not in (folder / "config.json").read_text()
    from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: F401 - one-off import cost, not timed

    start = time.perf_counter()
    model = HFChatModel.from_path(folder)
    assert time.perf_counter() - start < 5.0
    assert model.is_loaded and not model.is_multimodal
    assert embedded.embedded_model_dir(convert=False) == folder


@pytest.mark.slow
@pytest.mark.parametrize("load", [embedded.load_embedded_base, embedded.load_embedded])
def test_embedded_model_replies_with_usage(load: Any) -> None:
    model = load(max_new_tokens=12)
    reply = model.invoke([SystemMessage("You are a helpful assistant."),
                          HumanMessage("What is the capital of France? Answer in one word.")])
    assert isinstance(reply.content, str) and reply.content.strip()
    if load is embedded.load_embedded_base:
        # the untrained model chats; the shipped planner adapter is for planner prompts (docs/tiny_planner.md) and
        # answers this through the agent instead (tests/train/test_shipped_planner.py)
        assert "paris" in reply.content.lower()
    usage = reply.usage_metadata
    assert usage is not None and usage["input_tokens"] > 10 and 1 <= usage["output_tokens"] <= 12


def test_gguf_is_found_in_the_installed_wheel() -> None:
    path = embedded.gguf_path()
    assert path.name == embedded.GGUF_FILE and path.stat().st_size > 50_000_000


def test_corrupt_gguf_leaves_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLAGENT_HOME", str(tmp_path / "home"))
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\x00" * 64)
    monkeypatch.setattr(embedded, "gguf_path", lambda: bad)
    with pytest.raises(ConfigError, match="cannot convert"):
        embedded.embedded_model_dir()
    root = embedded.models_root()
    assert not embedded.cache_dir().exists()
    assert list(root.iterdir()) == []  # the temporary folder was removed too


def test_not_prepared_without_convert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLAGENT_HOME", str(tmp_path))
    with pytest.raises(ConfigError, match="python -m toolagent.models.embedded"):
        embedded.embedded_model_dir(convert=False)


def test_first_use_is_true_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLAGENT_HOME", str(tmp_path))
    assert embedded.first_use() is True
    assert embedded.first_use() is False
    assert "135M" in embedded.EMBEDDED_NOTE and "\n" not in embedded.EMBEDDED_NOTE
