"""HFChatModel over tiny random transformers models built in the test session (real tokenizer/processor/generate)."""

from __future__ import annotations

import base64
import io
import threading
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from PIL import Image

from toolagent.errors import BadInput, ConfigError
from toolagent.models.hf import HFChatModel, load_image, split_content

PROMPT = [SystemMessage("You answer briefly."), HumanMessage("how many apples are on the table?")]


def _png_b64(color: str = "red", size: tuple[int, int] = (48, 40)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture(scope="module")
def llm(tiny_llm_dir: Path) -> HFChatModel:
    return HFChatModel.from_path(tiny_llm_dir, max_new_tokens=16)


@pytest.fixture(scope="module")
def vlm(tiny_vlm_dir: Path) -> HFChatModel:
    return HFChatModel(model_path=str(tiny_vlm_dir), max_new_tokens=4)


def test_text_invoke_returns_message_with_usage(llm: HFChatModel, tiny_llm_dir: Path) -> None:
    reply = llm.invoke(PROMPT)
    assert isinstance(reply, AIMessage)
    assert isinstance(reply.content, str) and reply.content
    usage = reply.usage_metadata
    assert usage is not None
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_llm_dir)
    rendered = tokenizer.apply_chat_template(
        [{"role": "system", "content": "You answer briefly."},
         {"role": "user", "content": "how many apples are on the table?"}], add_generation_prompt=True, tokenize=False)
    assert usage["input_tokens"] == len(tokenizer(rendered, add_special_tokens=False)["input_ids"])
    assert 1 <= usage["output_tokens"] <= 16
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert not llm.is_multimodal


def test_greedy_is_deterministic_and_max_new_tokens_respected(llm: HFChatModel) -> None:
    first = llm.invoke(PROMPT)
    assert llm.invoke(PROMPT).content == first.content
    short = llm.invoke(PROMPT, max_new_tokens=3)
    assert short.usage_metadata is not None and short.usage_metadata["output_tokens"] <= 3
    assert first.usage_metadata is not None
    if first.usage_metadata["output_tokens"] > 3:
        assert short.response_metadata["finish_reason"] == "length"
        assert len(short.content) < len(first.content)


def test_stop_sequence_cuts_reply_and_generation(llm: HFChatModel) -> None:
    full = llm.invoke(PROMPT)
    text = str(full.content)
    # a non-blank 2-character piece from the first half whose first occurrence is past the start
    stop = next(text[i:i + 2] for i in range(2, len(text) // 2)
                if text[i:i + 2].strip() == text[i:i + 2] and text.find(text[i:i + 2]) > 0)
    cut = llm.invoke(PROMPT, stop=[stop])
    assert cut.content == text[:text.find(stop)].strip()
    assert stop not in str(cut.content)
    assert cut.usage_metadata is not None and full.usage_metadata is not None
    assert cut.usage_metadata["output_tokens"] < full.usage_metadata["output_tokens"]  # generation stopped early
    assert cut.response_metadata["finish_reason"] == "stop"


def test_sampling_path_runs(llm: HFChatModel) -> None:
    reply = llm.invoke(PROMPT, temperature=0.9, top_p=0.8, max_new_tokens=5)
    assert reply.usage_metadata is not None and 1 <= reply.usage_metadata["output_tokens"] <= 5


def test_concurrent_calls_share_one_instance(tiny_llm_dir: Path) -> None:
    model = HFChatModel(model_path=str(tiny_llm_dir), max_new_tokens=8)
    assert not model.is_loaded  # lazy until the first call
    expected = HFChatModel.from_path(tiny_llm_dir, max_new_tokens=8).invoke(PROMPT).content
    results: list[str] = []

    def worker() -> None:
        results.append(str(model.invoke(PROMPT).content))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 3
    assert model.is_loaded


def test_text_model_replaces_images_with_placeholder(llm: HFChatModel) -> None:
    message = HumanMessage(content=[{"type": "text", "text": "what is in "},
                                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{_png_b64()}"}}])
    reply = llm.invoke([message], max_new_tokens=2)
    assert reply.usage_metadata is not None and reply.usage_metadata["output_tokens"] >= 1


def test_missing_or_empty_model_dir_is_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        HFChatModel(model_path=str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match="config.json missing"):
        HFChatModel.from_path(tmp_path)
    (tmp_path / "config.json").write_text('{"model_type": "llama"}')
    with pytest.raises(ConfigError, match="no model weights"):
        HFChatModel.from_path(tmp_path)


def test_broken_model_dir_is_config_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"model_type": "no-such-architecture"}')
    (tmp_path / "model.safetensors").write_bytes(b"not weights")
    with pytest.raises(ConfigError, match="cannot load model"):
        HFChatModel.from_path(tmp_path)


def test_vlm_runs_processor_with_image_blocks(vlm: HFChatModel, tmp_path: Path) -> None:
    assert vlm.is_multimodal and not vlm.is_loaded
    image_file = tmp_path / "blue.png"
    Image.new("RGB", (64, 50), "blue").save(image_file)
    text_only = vlm.invoke([HumanMessage("what colour is it?")])
    forms = [
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{_png_b64()}"}},
        {"type": "image_url", "image_url": {"url": image_file.as_uri()}},
        {"type": "image", "source_type": "base64", "data": _png_b64("green"), "mime_type": "image/png"},
        {"type": "image", "source_type": "url", "url": str(image_file)},
    ]
    for block in forms:
        reply = vlm.invoke([HumanMessage(content=[block, {"type": "text", "text": "what colour is it?"}])])
        assert isinstance(reply.content, str)
        assert reply.usage_metadata is not None and text_only.usage_metadata is not None
        # the processor expanded <image> into 16 patch tokens (32 px image, 8 px patches)
        assert reply.usage_metadata["input_tokens"] == text_only.usage_metadata["input_tokens"] + 16
        assert 1 <= reply.usage_metadata["output_tokens"] <= 4


def test_vlm_bad_image_is_bad_input(vlm: HFChatModel) -> None:
    bad = HumanMessage(content=[{"type": "image_url", "image_url": {"url": "data:image/png;base64,aGVsbG8="}},
                                {"type": "text", "text": "?"}])
    with pytest.raises(BadInput, match="cannot read image"):
        vlm.invoke([bad])


def test_load_image_sources(tmp_path: Path) -> None:
    path = tmp_path / "x.png"
    Image.new("RGB", (5, 4), "red").save(path)
    assert load_image(str(path)).size == (5, 4)
    assert load_image(path.as_uri()).size == (5, 4)
    assert load_image(f"data:image/png;base64,{_png_b64(size=(7, 3))}").size == (7, 3)
    with pytest.raises(BadInput, match="remote image URLs"):
        load_image("https://example.com/cat.png")
    with pytest.raises(BadInput, match="image not found"):
        load_image(str(tmp_path / "missing.png"))
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(BadInput):
        load_image(str(tmp_path / "bad.png"))


def test_split_content_orders_text_and_images() -> None:
    parts = split_content(["a", {"type": "image", "url": "/x.png"}, {"type": "text", "text": "b"},
                           {"type": "image", "base64": "QUJD", "mime_type": "image/jpeg"}])
    assert parts == [("text", "a"), ("image", "/x.png"), ("text", "b"), ("image", "data:image/jpeg;base64,QUJD")]
    with pytest.raises(BadInput, match="unsupported image content block"):
        split_content([{"type": "image", "file_id": "abc"}])
