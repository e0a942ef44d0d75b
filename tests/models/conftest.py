"""Fixtures: tiny random transformers models saved once per session (see tiny.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.models import tiny


@pytest.fixture(scope="session")
def tiny_llm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny.build_tiny_llm(tmp_path_factory.mktemp("tiny-llm"))


@pytest.fixture(scope="session")
def tiny_vlm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny.build_tiny_vlm(tmp_path_factory.mktemp("tiny-vlm"))
