"""The fast decoder (toolagent.models.decoding) against transformers' generate on real (tiny and embedded) models:
same greedy tokens, prefix-cache reuse keyed on exact token ids, drafts that change passes but not tokens."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from toolagent.models.decoding import Decoder, Sampling, common_prefix, lookup_draft, single_token
from toolagent.models.guided import compiled_grammar, forecast_schema, guided_available
from toolagent.models.hf import HFChatModel, estimate_parameters
from toolagent.tools.registry import build_tools

SYSTEM = "plan the next step, then call a tool with json arguments"
QUESTIONS = ["how many apples are on the table?", "describe the image: a cat sits on a mat"]
needs_xgrammar = pytest.mark.skipif(not guided_available(), reason="xgrammar is not installed")


def _messages(system: str, question: str) -> list[BaseMessage]:
    return [SystemMessage(system), HumanMessage(question)]


@pytest.fixture(scope="module")
def pair(tiny_llm_dir: Path) -> tuple[HFChatModel, HFChatModel]:
    fast = HFChatModel.from_path(tiny_llm_dir, max_new_tokens=24)
    plain = HFChatModel.from_path(tiny_llm_dir, max_new_tokens=24, fast_decoding=False)
    assert fast._decoder is not None and plain._decoder is None
    return fast, plain


def _prompt_ids(model: HFChatModel, messages: list[BaseMessage]) -> list[int]:
    return model._inputs(messages)["input_ids"][0].tolist()


def test_greedy_fast_path_equals_generate(pair: tuple[HFChatModel, HFChatModel]) -> None:
    fast, plain = pair
    for question in QUESTIONS * 2:  # the second round reuses the cached prefix
        a, b = fast.invoke(_messages(SYSTEM, question)), plain.invoke(_messages(SYSTEM, question))
        assert a.content == b.content
        assert a.usage_metadata == b.usage_metadata
        assert a.response_metadata["finish_reason"] == b.response_metadata["finish_reason"]


@needs_xgrammar
def test_guided_greedy_equals_generate_with_the_grammar_processor(pair: tuple[HFChatModel, HFChatModel]) -> None:
    fast, plain = pair
    schema = forecast_schema(build_tools(names=["calculator", "ocr"]), 2)
    for question in QUESTIONS:
        a = fast.invoke(_messages(SYSTEM, question), json_schema=schema, max_new_tokens=60)
        b = plain.invoke(_messages(SYSTEM, question), json_schema=schema, max_new_tokens=60)
        assert a.content == b.content and a.usage_metadata == b.usage_metadata


@needs_xgrammar
def test_jump_forward_and_lookup_drafts_change_passes_not_tokens(pair: tuple[HFChatModel, HFChatModel]) -> None:
    fast, _ = pair
    model, tokenizer = fast._model, fast._tokenizer
    grammar = compiled_grammar(tokenizer, forecast_schema(build_tools(names=["calculator"]), 1),
                               model.get_output_embeddings().out_features)
    prompt = _prompt_ids(fast, _messages(SYSTEM, QUESTIONS[0]))
    plain = Decoder(model, tokenizer, [tokenizer.eos_token_id], jump_forward=False, lookup=0)
    drafted = Decoder(model, tokenizer, [tokenizer.eos_token_id], jump_forward=True, lookup=4)
    rows: list[int] = []
    hook = model.get_output_embeddings().register_forward_hook(lambda m, args, out: rows.append(args[0].shape[1]))
    try:
        a = plain.generate(prompt, Sampling(80), grammar=grammar)
        rows.clear()
        b = drafted.generate(prompt, Sampling(80), grammar=grammar)
        b_rows = sum(rows)
        again = drafted.generate(prompt, Sampling(80), grammar=grammar)  # its own last reply is a lookup source
    finally:
        hook.remove()
    assert a.tokens == b.tokens == again.tokens
    assert a.forwards == len(a.tokens) and a.drafted == 0  # one pass per token (prefill included)
    assert b.accepted > 0 and b.forwards < a.forwards  # forced JSON keys were verified in batches
    fed = 1 + (b.forwards - 1) + b.drafted  # rows of every pass, prefill's last row included
    assert b_rows < fed  # no output-head row where the grammar allows one token only
    assert again.forwards < b.forwards
    text = tokenizer.decode(b.tokens, skip_special_tokens=True)
    assert text.startswith('{"thought": "')


def test_prefix_cache_is_keyed_on_exact_token_ids(pair: tuple[HFChatModel, HFChatModel]) -> None:
    fast, _ = pair
    model, tokenizer = fast._model, fast._tokenizer
    decoder = Decoder(model, tokenizer, [tokenizer.eos_token_id])
    first = _prompt_ids(fast, _messages(SYSTEM, QUESTIONS[0]))
    second = _prompt_ids(fast, _messages(SYSTEM, QUESTIONS[1]))
    changed = _prompt_ids(fast, _messages("a red car is parked next to two blue bikes", QUESTIONS[1]))
    assert decoder.generate(first, Sampling(8)).reused == 0
    out = decoder.generate(second, Sampling(8))
    shared = common_prefix(first, second)
    assert out.reused == shared > len(tokenizer(SYSTEM)["input_ids"])  # the system turn came from the cache
    # another system prompt (tool menu): reuse ends at the first differing token, never past it
    held = decoder.cached_ids
    assert held == second + out.tokens[:-1]  # the prompt and every generated token but the last (never fed)
    again = decoder.generate(changed, Sampling(8))
    assert again.reused == common_prefix(held, changed) < shared
    fresh = Decoder(model, tokenizer, [tokenizer.eos_token_id]).generate(changed, Sampling(8))
    assert again.tokens == fresh.tokens  # nothing stale was read
    decoder.reset()
    assert decoder.generate(changed, Sampling(8)).reused == 0


def test_concurrent_threads_with_different_prompts(tiny_llm_dir: Path) -> None:
    model = HFChatModel.from_path(tiny_llm_dir, max_new_tokens=12)
    expected = {q: model.invoke(_messages(SYSTEM, q)).content for q in QUESTIONS}
    got: list[tuple[str, Any]] = []

    def worker(question: str) -> None:
        for _ in range(3):
            got.append((question, model.invoke(_messages(SYSTEM, question)).content))

    threads = [threading.Thread(target=worker, args=(q,)) for q in QUESTIONS * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 12 and all(content == expected[q] for q, content in got)


@needs_xgrammar
def test_sampling_with_drafts_still_follows_the_grammar(tiny_llm_dir: Path) -> None:
    import json

    import torch

    torch.manual_seed(3)
    model = HFChatModel.from_path(tiny_llm_dir, temperature=1.0, top_p=0.9, max_new_tokens=400)
    schema = forecast_schema(build_tools(names=["calculator"]), 1)
    reply = model.invoke(_messages(SYSTEM, QUESTIONS[0]), json_schema=schema)
    assert reply.response_metadata["finish_reason"] == "stop"
    # the tiny byte-level vocabulary can put raw control bytes inside strings, hence strict=False
    data = json.loads(str(reply.content), strict=False)
    assert data["plan"][0]["tool"] in ("calculator", "answer")


def test_int8_option_runs_and_bad_mode_is_config_error(tiny_llm_dir: Path) -> None:
    from toolagent.errors import ConfigError

    model = HFChatModel.from_path(tiny_llm_dir, quantize="int8", max_new_tokens=6)
    reply = model.invoke(_messages(SYSTEM, QUESTIONS[0]))
    assert reply.usage_metadata is not None and 1 <= reply.usage_metadata["output_tokens"] <= 6
    with pytest.raises(ConfigError, match="quantize"):
        HFChatModel(model_path=str(tiny_llm_dir), quantize="int4")


def test_lookup_draft_copies_what_followed_the_last_ngram() -> None:
    assert lookup_draft([5, 6, 7, 8, 9, 1, 5, 6, 7], 3) == [8, 9, 1]
    assert lookup_draft([1, 2, 3, 4], 3) == []
    assert lookup_draft([4, 2, 3, 9, 2, 3], 5) == [9, 2, 3]
    # search order: this reply (context[4:]), then recent replies, then the prompt (context[:4])
    prompt = [1, 2, 3, 9]
    assert lookup_draft(prompt + [7, 1, 2, 3], 2, [[8, 1, 2, 3, 5, 6]], start=4) == [5, 6]
    assert lookup_draft(prompt + [7, 1, 2, 3], 2, (), start=4) == [9, 7]
    assert lookup_draft(prompt + [1, 2, 3, 4, 1, 2, 3], 2, [[1, 2, 3, 5]], start=4) == [4, 1]


def test_single_token_reads_a_bitmask_row() -> None:
    import torch

    row = torch.zeros(4, dtype=torch.int32)
    assert single_token(row) is None
    row[2] = 1 << 5
    assert single_token(row) == 2 * 32 + 5
    row[2] = -(2**31)  # bit 31 of an int32 word
    assert single_token(row) == 2 * 32 + 31
    row[0] = 1
    assert single_token(row) is None
    row[0], row[2] = 0, 0b11
    assert single_token(row) is None


def test_prefers_compact_prompt_from_the_config(tiny_llm_dir: Path) -> None:
    assert HFChatModel(model_path=str(tiny_llm_dir)).prefers_compact_prompt
    smol = {"hidden_size": 576, "num_hidden_layers": 30, "vocab_size": 49152, "intermediate_size": 1536,
            "num_attention_heads": 9, "num_key_value_heads": 3, "head_dim": 64, "tie_word_embeddings": True}
    assert 130e6 < (estimate_parameters(smol) or 0) < 140e6  # SmolLM2-135M
    big = dict(smol, hidden_size=4096, num_hidden_layers=32, intermediate_size=11008, num_attention_heads=32,
               num_key_value_heads=32, head_dim=128, vocab_size=32000, tie_word_embeddings=False)
    assert 6.5e9 < (estimate_parameters(big) or 0) < 7e9  # Llama-2-7B
    assert estimate_parameters({"model_type": "llama"}) is None
    assert 130e6 < (estimate_parameters({"text_config": smol, "vision_config": {}}) or 0) < 140e6


@pytest.mark.slow
@needs_xgrammar
def test_embedded_planner_fast_path_equals_generate() -> None:
    from toolagent.models import embedded
    from toolagent.prompts.render import planner_messages

    folder = embedded.embedded_model_dir()
    fast = HFChatModel.from_path(folder, max_new_tokens=40)
    plain = HFChatModel.from_path(folder, max_new_tokens=40, fast_decoding=False)
    assert fast.prefers_compact_prompt
    tools = build_tools(names=["calculator", "ocr"])
    schema = forecast_schema(tools, 2)
    for question in ("What is 17 * 23 + 4?", "How much is 12 percent of 250?"):
        messages = planner_messages(question=question, images=[], history=[], observation=None, tools=tools,
                                    horizon=2, profile="compact")
        a = fast.invoke(messages, json_schema=schema)
        b = plain.invoke(messages, json_schema=schema)
        assert a.content == b.content and a.usage_metadata == b.usage_metadata
    prompt = _prompt_ids(fast, messages)
    assert fast._decoder.generate(prompt, Sampling(1)).reused == len(prompt) - 1  # the whole turn was cached


def test_sliding_window_models_keep_generate() -> None:
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig, LlamaConfig, LlamaForCausalLM

    from toolagent.models.decoding import supports_fast_path

    small = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
             "num_key_value_heads": 2, "vocab_size": 100}
    assert supports_fast_path(LlamaForCausalLM(LlamaConfig(**small)))
    assert not supports_fast_path(Gemma3ForCausalLM(Gemma3TextConfig(**small, head_dim=8)))  # sliding layers
