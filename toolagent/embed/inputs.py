"""LangChain chat input → the agent's input: ``{"messages": [...]}`` becomes ``question`` + image files.

The last human turn is the question: its text blocks are joined, its image blocks are decoded into files in a
fresh temporary folder (images travel as file paths, never pixels). Accepted image blocks:

    {"type": "image_url", "image_url": {"url": "data:image/png;base64,..."}}   (OpenAI style; url may be a str)
    {"type": "image", "base64": "...", "mime_type": "image/png"}                 (LangChain v1 standard block)
    {"type": "image", "source_type": "base64", "data": "...", "mime_type": ...}  (LangChain v0.3 standard block)
    {"type": "image", "source": {"type": "base64", "media_type": ..., "data": ...}}  (Anthropic style)
    any of the above with a local file path or a ``file://`` URL instead of data

Remote ``http(s)`` URLs are refused with one clear line: the agent runs offline and never downloads inputs.
"""

from __future__ import annotations

import base64
import binascii
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from langchain_core.messages import BaseMessage, HumanMessage, convert_to_messages

from toolagent.errors import BadInput

_SUFFIX = {"image/png": ".png", "image/jpeg": ".jpg", "image/jpg": ".jpg", "image/gif": ".gif",
           "image/webp": ".webp", "image/bmp": ".bmp", "image/tiff": ".tiff"}


def _last_human(messages: Sequence[Any]) -> HumanMessage:
    try:
        converted: list[BaseMessage] = convert_to_messages(list(messages))
    except (ValueError, TypeError, NotImplementedError) as exc:
        raise BadInput(f"messages could not be read as chat messages: {exc}") from None
    for message in reversed(converted):
        if isinstance(message, HumanMessage):
            return message
    raise BadInput("messages hold no human message to answer")


def _decode(data: str, mime: str | None, folder: Path, index: int) -> str:
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise BadInput(f"image block {index} holds invalid base64 data") from None
    suffix = _SUFFIX.get((mime or "").lower(), ".png")
    path = folder / f"image_{index}{suffix}"
    path.write_bytes(raw)
    return str(path)


def _from_url(url: str, folder: Path, index: int) -> str:
    if url.startswith("data:"):
        header, _, data = url.partition(",")
        if ";base64" not in header:
            raise BadInput(f"image block {index}: only base64 data URLs are supported")
        return _decode(data, header[5:].split(";")[0], folder, index)
    parsed = urlparse(url)
    if parsed.scheme in ("http", "https"):
        raise BadInput(f"image block {index}: remote image URLs are not fetched ({url[:80]}); "
                       "pass a data: URL or a local file path")
    if parsed.scheme == "file":
        return unquote(parsed.path)
    return url  # a local path; the start node validates it like any image path


def _image_path(block: dict[str, Any], folder: Path, index: int) -> str:
    kind = block.get("type")
    if kind == "image_url":
        url = block.get("image_url")
        url = url.get("url") if isinstance(url, dict) else url
        if not isinstance(url, str) or not url:
            raise BadInput(f"image block {index} has no url")
        return _from_url(url, folder, index)
    source = block.get("source")
    if isinstance(source, dict):  # Anthropic style
        if source.get("type") == "base64":
            return _decode(str(source.get("data", "")), source.get("media_type"), folder, index)
        if source.get("type") == "url":
            return _from_url(str(source.get("url", "")), folder, index)
    mime = block.get("mime_type")
    if block.get("base64"):
        return _decode(str(block["base64"]), mime, folder, index)
    if block.get("source_type") == "base64" and block.get("data"):
        return _decode(str(block["data"]), mime, folder, index)
    url = block.get("url") or (block.get("data") if block.get("source_type") == "url" else None)
    if isinstance(url, str) and url:
        return _from_url(url, folder, index)
    if block.get("path"):
        return str(block["path"])
    raise BadInput(f"image block {index} is not supported (use base64 data, a data: URL or a local path)")


def from_messages(messages: Sequence[Any], folder: str | Path | None = None) -> dict[str, Any]:
    """Convert chat messages to ``{"question": str, "images": [path, ...]}``; raises BadInput when unusable.

    Image data is written to ``folder`` (default: a new temporary folder) as ``image_<n>.<ext>``.
    """
    if isinstance(messages, BaseMessage):
        messages = [messages]
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence):
        raise BadInput("messages must be a list of chat messages")
    message = _last_human(messages)
    if isinstance(message.content, str):
        return {"question": message.content, "images": []}
    texts: list[str] = []
    images: list[str] = []
    target: Path | None = Path(folder) if folder is not None else None
    for block in message.content:
        if isinstance(block, str):
            texts.append(block)
            continue
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text":
            texts.append(str(block.get("text", "")))
        elif kind in ("image_url", "image"):
            if target is None:
                target = Path(tempfile.mkdtemp(prefix="toolagent-input-"))
            target.mkdir(parents=True, exist_ok=True)
            images.append(_image_path(block, target, len(images)))
        else:
            raise BadInput(f"unsupported content block type {kind!r} in the human message")
    return {"question": "\n".join(t for t in texts if t.strip()), "images": images}


def to_agent_input(data: Any) -> dict[str, Any]:
    """Adapt what an LCEL chain hands over to the graph's input dict (use it as ``RunnableLambda(to_agent_input)``).

    A question string → ``{"question": ...}``; a message, a list of messages or a prompt value (the output of a
    ChatPromptTemplate) → ``{"messages": [...]}`` (the start node turns those into question + image files);
    a dict is passed through unchanged.
    """
    from langchain_core.prompt_values import PromptValue

    if isinstance(data, dict):
        return data
    if isinstance(data, str):
        return {"question": data}
    if isinstance(data, PromptValue):
        return {"messages": data.to_messages()}
    if isinstance(data, BaseMessage):
        return {"messages": [data]}
    if isinstance(data, (list, tuple)):
        return {"messages": list(data)}
    raise BadInput(f"agent input must be a dict, a question string or chat messages, got {type(data).__name__}")


def image_block(path: str | Path) -> dict[str, Any]:
    """An OpenAI-style ``image_url`` content block holding a file's bytes as a base64 data URL."""
    from toolagent.planner import image_block as planner_image_block

    return planner_image_block(str(path))
