"""A tiny randomly initialised Llama with a locally trained byte-level BPE tokenizer and a ChatML template.

For tests, demos and benchmark peers: nothing is downloaded. ``build_tiny_llama(folder, texts)`` trains the
tokenizer on ``texts`` (plus the JSON punctuation the forecasts need) and saves model + tokenizer to ``folder``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL = ["<|im_start|>", "<|im_end|>", "<pad>"]
SEED_TEXT = '{"thought": "", "plan": [{"expect": "", "tool": "calculator", "args": {"expression": "1+2"}, ' \
            '"instruction": "", "status": "not done"}, {"tool": "answer", "args": {"text": "3"}, "status": "done"}]}'


def build_tiny_llama(folder: str | Path, texts: Iterable[str] = (), *, vocab_size: int = 512, hidden_size: int = 32,
                     layers: int = 2, heads: int = 2, max_positions: int = 8192, seed: int = 0) -> Path:
    """Train a tokenizer, create a random Llama, save both to ``folder``; returns the folder."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    raw.train_from_iterator([SEED_TEXT, *texts], trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, bos_token="<|im_start|>", eos_token="<|im_end|>",
                                        pad_token="<pad>", model_max_length=max_positions)
    tokenizer.chat_template = CHATML
    tokenizer.save_pretrained(out)
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=hidden_size, intermediate_size=hidden_size * 2,
                         num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=heads,
                         max_position_embeddings=max_positions, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                         tie_word_embeddings=True)
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out)
    return out
