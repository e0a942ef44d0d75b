"""Shared-prefix SFT loss: the same loss and gradients as the plain forward, with the system prompt run once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from toolagent.train.shared_prefix import shared_prefix_length, shared_prefix_loss
from toolagent.train.trainers import LLAMA_LINEAR

SYSTEM = "You answer questions by calling tools. Tools: calculator(expression), ocr(image)."


def _batch(tokenizer: Any, questions: list[str], targets: list[str]) -> dict[str, Any]:
    """Right-padded rows with labels on the assistant reply only (as TRL's completion-only collator makes them)."""
    import torch

    rows, labels = [], []
    for question, target in zip(questions, targets, strict=True):
        prompt = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": f"Question: {question}"}]
        head = tokenizer.apply_chat_template(prompt, add_generation_prompt=True, tokenize=False)
        head_ids = tokenizer(head, add_special_tokens=False)["input_ids"]
        tail_ids = tokenizer(target + "<|im_end|>\n", add_special_tokens=False)["input_ids"]
        rows.append(head_ids + tail_ids)
        labels.append([-100] * len(head_ids) + tail_ids)
    width = max(len(r) for r in rows)
    pad = tokenizer.pad_token_id
    return {"input_ids": torch.tensor([r + [pad] * (width - len(r)) for r in rows]),
            "attention_mask": torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows]),
            "labels": torch.tensor([lab + [-100] * (width - len(lab)) for lab in labels])}


def _plain_loss(model: Any, batch: dict[str, Any]) -> Any:
    import torch.nn.functional as F

    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits[:, :-1]
    targets = batch["labels"][:, 1:]
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100,
                           reduction="sum") / (targets != -100).sum()


@pytest.fixture(scope="module")
def lora_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from toolagent.train.tiny import build_tiny_llama

    folder: Path = build_tiny_llama(tmp_path_factory.mktemp("tiny") / "m", [SYSTEM, "Question: 17 * 23 + 4?"],
                                    vocab_size=300, layers=3)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(folder),
                           LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=list(LLAMA_LINEAR),
                                      layers_to_transform=[1, 2]))
    torch.manual_seed(0)
    for name, param in model.named_parameters():
        if "lora_B" in name:  # a trained adapter: B is no longer zero, so LoRA changes the prefix's keys too
            torch.nn.init.normal_(param, std=0.05)
    model.train()
    return model, tokenizer


def test_loss_and_gradients_equal_the_plain_forward(lora_model: tuple[Any, Any]) -> None:
    import torch

    model, tokenizer = lora_model
    batch = _batch(tokenizer, ["What is 17 * 23 + 4?", "Read the receipt total.", "How far is it?"],
                   ['{"plan": [{"tool": "calculator"}]}', '{"plan": [{"tool": "ocr"}]}', '{"plan": []}'])
    shared = shared_prefix_length(batch["input_ids"], batch["labels"])
    prompt_ids = tokenizer(tokenizer.apply_chat_template([{"role": "system", "content": SYSTEM}], tokenize=False),
                           add_special_tokens=False)["input_ids"]
    assert shared >= len(prompt_ids)  # the whole system prompt is shared
    first_label = int((batch["labels"] != -100).any(dim=0).nonzero()[0])
    assert shared < first_label

    model.zero_grad()
    ours = shared_prefix_loss(model, batch)
    ours.backward()
    ours_grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    model.zero_grad()
    plain = _plain_loss(model, batch)
    plain.backward()
    plain_grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    assert torch.allclose(ours, plain, rtol=1e-5, atol=1e-6)
    assert ours_grads.keys() == plain_grads.keys() and any("layers.1." in n for n in ours_grads)
    for name, grad in plain_grads.items():
        assert torch.allclose(ours_grads[name], grad, rtol=1e-4, atol=1e-7), name


def test_one_row_or_no_shared_prefix_runs_plain(lora_model: tuple[Any, Any]) -> None:
    import torch

    model, tokenizer = lora_model
    batch = _batch(tokenizer, ["What is 17 * 23 + 4?"], ['{"plan": [{"tool": "calculator"}]}'])
    assert torch.allclose(shared_prefix_loss(model, batch), _plain_loss(model, batch), rtol=1e-5)
    batch = _batch(tokenizer, ["a", "b"], ["x", "y"])
    batch["input_ids"][1, 0] = batch["input_ids"][1, 0] + 1  # rows differ from the first token
    batch["labels"][1, :] = torch.where(batch["labels"][1] == -100, -100, batch["input_ids"][1])
    assert shared_prefix_length(batch["input_ids"], batch["labels"]) == 0
    assert torch.allclose(shared_prefix_loss(model, batch), _plain_loss(model, batch), rtol=1e-5)
    normalised = shared_prefix_loss(model, batch, num_items_in_batch=torch.tensor(1000))
    assert torch.allclose(normalised * 1000 / (batch["labels"][:, 1:] != -100).sum(), _plain_loss(model, batch),
                          rtol=1e-5)
