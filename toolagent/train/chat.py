"""Conversions between LangChain messages / logged message dicts and TRL's conversational format.

TRL's conversational format is a list of ``{"role": "system" | "user" | "assistant", "content": str}``.
Logged messages may be plain role/content dicts, ``BaseMessage.model_dump()`` dicts (``type`` + ``content``) or
``messages_to_dict`` dicts (``type`` + ``data``). Multimodal content is flattened to its text parts (the images
of a step are kept in the dataset's ``images`` column); an image part becomes the marker ``<image>``.
"""

from __future__ import annotations

import json
from typing import Any

from toolagent.records import Forecast

_ROLES = {"human": "user", "user": "user", "system": "system", "ai": "assistant", "assistant": "assistant",
          "AIMessageChunk": "assistant", "tool": "user", "developer": "system"}


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and part.get("type") == "text":
                parts.append(str(part.get("text", "")))
            elif isinstance(part, dict) and part.get("type") in ("image", "image_url", "input_image"):
                parts.append("<image>")
        return "\n".join(parts)
    return "" if content is None else str(content)


def chat_message(message: Any) -> dict[str, str]:
    """One message (BaseMessage or logged dict) as ``{"role", "content"}``."""
    if hasattr(message, "type") and hasattr(message, "content") and not isinstance(message, dict):
        return {"role": _ROLES.get(message.type, "user"), "content": _text(message.content)}
    if not isinstance(message, dict):
        raise TypeError(f"not a chat message: {type(message).__name__}")
    if "role" in message:
        return {"role": _ROLES.get(str(message["role"]), str(message["role"])), "content": _text(message.get("content"))}
    data = message.get("data") if isinstance(message.get("data"), dict) else message
    kind = str(message.get("type", data.get("type", "human")))
    return {"role": _ROLES.get(kind, "user"), "content": _text(data.get("content"))}


def chat_messages(messages: list[Any]) -> list[dict[str, str]]:
    return [chat_message(m) for m in messages]


def forecast_json(forecast: Forecast | dict[str, Any] | list[Any]) -> str:
    """The wire-format JSON of a forecast (or of a bare plan: ``{"plan": [...]}``)."""
    if isinstance(forecast, Forecast):
        value: Any = forecast.model_dump(mode="json")
    elif isinstance(forecast, list):
        value = {"thought": "", "plan": [s.model_dump(mode="json") if hasattr(s, "model_dump") else s
                                         for s in forecast]}
    else:
        value = forecast
    return json.dumps(value, ensure_ascii=False)


def decoder_target(steps: list[Any]) -> str:
    """The SFT target for a reference future: exactly the text guided decoding produces at inference.

    Raw JSON (no ``<think>``/``<answer>`` tags), keys in the schema order (thought, plan[expect, tool, args,
    instruction, status]), ``", "`` / ``": "`` separators (``guided.json_logits_processor`` compiles the grammar
    with the same ones), and the free-text fields left empty: a small model on a CPU decodes a few tokens a
    second, so every token of prose costs latency and carries no information the metrics or the tools use.
    """
    plan = []
    for step in steps:
        data = step.model_dump(mode="json") if hasattr(step, "model_dump") else dict(step)
        plan.append({"expect": "", "tool": data["tool"], "args": data.get("args") or {}, "instruction": "",
                     "status": data.get("status", "not done")})
    return json.dumps({"thought": "", "plan": plan}, ensure_ascii=False, separators=(", ", ": "))


def forecast_completion(forecast: Forecast | dict[str, Any] | list[Any]) -> list[dict[str, str]]:
    """A forecast as a conversational completion (one assistant message holding the JSON)."""
    return [{"role": "assistant", "content": forecast_json(forecast)}]
