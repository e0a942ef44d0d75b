"""The shipped planner: a real peft LoRA adapter (made here on the tiny Llama) merged once into a cached
safetensors folder keyed by the adapter's sha256; merged outputs equal peft's; ``embedded-base`` stays the base."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from toolagent.errors import ConfigError
from toolagent.models import embedded
from toolagent.models.hf import HFChatModel

pytest.importorskip("peft")


def _make_adapter(base: Path, dest: Path, seed: int) -> Path:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(base)
    config = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"],
                        init_lora_weights=False)  # random B too, so the adapter really changes the outputs
    get_peft_model(model, config).save_pretrained(dest)
    return dest


@pytest.fixture()
def shipped(tiny_llm_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tiny base as the embedded cache and an adapter folder as the shipped one, in a private home."""
    monkeypatch.setenv("TOOLAGENT_HOME", str(tmp_path / "home"))
    adapter = _make_adapter(tiny_llm_dir, tmp_path / "tracer1-tiny", seed=1)
    monkeypatch.setattr(embedded, "ADAPTER_DIR", adapter)
    monkeypatch.setattr(embedded, "embedded_model_dir", lambda convert=True: tiny_llm_dir)
    return adapter


def test_merged_weights_give_peft_outputs(shipped: Path, tiny_llm_dir: Path) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    folder = embedded.planner_model_dir()
    assert folder.parent == embedded.models_root() and folder.name.startswith("tracer1-tiny-")
    assert embedded.adapter_digest(shipped)[:16] in folder.name
    ids = torch.tensor([[5, 17, 42, 99, 3, 250, 7]])
    with torch.inference_mode():
        reference = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_llm_dir), shipped)
        expected = reference(input_ids=ids).logits
        base = AutoModelForCausalLM.from_pretrained(tiny_llm_dir)(input_ids=ids).logits
        merged = AutoModelForCausalLM.from_pretrained(folder)(input_ids=ids).logits
    assert not torch.allclose(base, expected, atol=1e-3)  # the adapter matters
    torch.testing.assert_close(merged, expected, atol=1e-4, rtol=1e-4)
    loaded = embedded.load_embedded(max_new_tokens=5)
    assert Path(loaded.model_path) == folder and loaded.is_loaded
    from toolagent.models.resolve import resolve_model

    quantized = resolve_model("embedded@int8")
    assert isinstance(quantized, HFChatModel) and Path(quantized.model_path) == folder
    assert quantized.quantize == "int8" and quantized.invoke("hi", max_new_tokens=2).content is not None


def test_merge_runs_once_and_a_new_adapter_gets_a_new_cache(shipped: Path, tiny_llm_dir: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    first = embedded.planner_model_dir()
    merge = embedded.merge_adapter

    def no_merge(*args: object) -> None:
        raise AssertionError("merged again although the cache is there")

    monkeypatch.setattr(embedded, "merge_adapter", no_merge)
    assert embedded.planner_model_dir() == first
    assert embedded.planner_model_dir(prepare=False) == first
    other = _make_adapter(tiny_llm_dir, tmp_path / "retrained", seed=2)
    shutil.copy(other / "adapter_model.safetensors", shipped / "adapter_model.safetensors")
    with pytest.raises(ConfigError, match="not prepared yet"):
        embedded.planner_model_dir(prepare=False)
    monkeypatch.setattr(embedded, "merge_adapter", merge)
    second = embedded.planner_model_dir()
    assert second != first and embedded.is_cached(second)


def test_without_an_adapter_embedded_is_the_base(tmp_path: Path, tiny_llm_dir: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "ADAPTER_DIR", tmp_path / "absent")
    monkeypatch.setattr(embedded, "embedded_model_dir", lambda convert=True: tiny_llm_dir)
    assert embedded.adapter_dir() is None
    assert embedded.planner_model_dir() == tiny_llm_dir
    assert "cannot plan well until trained" in embedded._note()


def test_note_names_the_trained_planner(shipped: Path) -> None:
    note = embedded._note()
    assert "tracer1-tiny" in note and "embedded-base" in note and "135M" in note and "\n" not in note


def test_broken_adapter_is_one_config_error(shipped: Path) -> None:
    (shipped / "adapter_config.json").write_text('{"peft_type": "LORA", "r": 4, "target_modules": ["nope"]}')
    with pytest.raises(ConfigError, match="cannot apply the adapter"):
        embedded.planner_model_dir()
    assert not list(embedded.models_root().glob("tracer1-tiny-*"))  # no half cache left behind


@pytest.mark.slow
def test_embedded_base_spec_is_the_untrained_model() -> None:
    from toolagent.models.resolve import resolve_model

    model = resolve_model("embedded-base")
    assert isinstance(model, HFChatModel) and Path(model.model_path) == embedded.embedded_model_dir()
    assert model.prefers_compact_prompt
