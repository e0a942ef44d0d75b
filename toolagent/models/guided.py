"""Guided (grammar-constrained) decoding of forecasts for local transformers models.

``forecast_schema(tools, horizon)`` is the wire format as a JSON schema in which each step is one of the offered
tools with THAT tool's argument schema (or the answer step). ``compiled_grammar`` compiles it with xgrammar for the
fast decoder (``toolagent.models.decoding``); ``json_logits_processor`` wraps it as a transformers LogitsProcessor
for ``generate``. Either way even a tiny untrained planner emits a forecast that parses and whose steps name real
tools with schema-shaped arguments. Compiled grammars are cached per tokenizer and schema.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from langchain_core.tools import BaseTool

#: bounds on free strings: descriptive fields (thought, expect, instruction) and tool arguments
TEXT_LIMIT = 60
ARG_LIMIT = 120
_CACHE: dict[tuple[int, str], Any] = {}
_CACHE_LOCK = threading.Lock()


def _bounded(schema: dict[str, Any], limit: int = TEXT_LIMIT) -> dict[str, Any]:
    """Bound free strings so a small model cannot ramble inside one field forever."""
    out = dict(schema)
    if out.get("type") == "string" and "enum" not in out and "maxLength" not in out:
        out["maxLength"] = limit
    if "properties" in out:
        out["properties"] = {k: _bounded(v, ARG_LIMIT if k in ("args", "text") else limit)
                             for k, v in out["properties"].items()}
    for key in ("anyOf", "oneOf", "allOf"):
        if key in out:
            out[key] = [_bounded(v, limit) for v in out[key]]
    if isinstance(out.get("items"), dict):
        out["items"] = _bounded(out["items"], limit)
    return out


def _args_schema(tool: BaseTool) -> dict[str, Any]:
    from toolagent.tools.base import tool_schema

    schema = tool_schema(tool)
    props = {}
    for name, spec in schema.get("properties", {}).items():
        spec = {k: v for k, v in spec.items() if k not in ("title", "description", "default", "examples")}
        if "anyOf" in spec:  # Optional[X] → X | null
            spec = {"anyOf": [{k: v for k, v in s.items() if k != "title"} for s in spec["anyOf"]]}
        props[name] = spec
    return {"type": "object", "properties": props, "required": list(schema.get("required", [])),
            "additionalProperties": False}


def _step(tool: dict[str, Any], args: dict[str, Any], status: list[str]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False,
            "properties": {"expect": {"type": "string"}, "tool": tool, "args": args,
                           "instruction": {"type": "string"}, "status": {"enum": status}},
            "required": ["expect", "tool", "args", "instruction", "status"]}


def forecast_schema(tools: list[BaseTool], horizon: int) -> dict[str, Any]:
    """The forecast wire format as a JSON schema specialised to the offered tools."""
    answer = _step({"const": "answer"}, {"type": "object", "additionalProperties": False,
                                         "properties": {"text": {"type": "string"}}, "required": ["text"]},
                   ["done"])
    steps = [_step({"const": t.name}, _args_schema(t), ["not done"]) for t in tools] + [answer]
    schema = {"type": "object", "additionalProperties": False,
              "properties": {"thought": {"type": "string"},
                             "plan": {"type": "array", "minItems": 1, "maxItems": horizon,
                                      "items": {"anyOf": steps}}},
              "required": ["thought", "plan"]}
    return _bounded(schema)


def guided_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("xgrammar") is not None


def compiled_grammar(tokenizer: Any, schema: dict[str, Any], vocab_size: int) -> Any:
    """The xgrammar CompiledGrammar for ``schema`` (compiled once per tokenizer and schema), or None when
    xgrammar is not installed."""
    if not guided_available():
        return None
    import xgrammar as xgr

    key = (id(tokenizer), json.dumps(schema, sort_keys=True))
    with _CACHE_LOCK:
        compiled = _CACHE.get(key)
        if compiled is None:
            info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab_size)
            compiled = xgr.GrammarCompiler(info).compile_json_schema(
                json.dumps(schema), any_whitespace=False, separators=(", ", ": "))
            _CACHE[key] = compiled
    return compiled


def json_logits_processor(tokenizer: Any, schema: dict[str, Any], vocab_size: int) -> Any:
    """A fresh transformers LogitsProcessor constraining ``generate`` to ``schema`` (the fallback path; the
    fast decoder in ``toolagent.models.decoding`` drives a GrammarMatcher itself).

    Returns None when xgrammar is not installed (generation then runs unguided and the reply is parsed)."""
    compiled = compiled_grammar(tokenizer, schema, vocab_size)
    if compiled is None:
        return None
    from xgrammar.contrib.hf import LogitsProcessor

    return LogitsProcessor(compiled)
