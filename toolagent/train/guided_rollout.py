"""GRPO rollouts sampled the way the agent decodes: guided by the forecast grammar, with the fast local decoder.

TRL's own rollouts call ``model.generate`` (no grammar, no KV reuse): on two CPU cores one Stage-1 step with 4
generations took 260 s, and an unguided sample of a barely trained planner is often not a forecast at all
(reward 0 for the whole group: no gradient). This rollout function (TRL's ``rollout_func``) samples each
completion with ``toolagent.models.decoding.Decoder`` under the same xgrammar grammar the runtime compiles
(``guided.forecast_schema(tools, horizon)``): every sample is a well-formed forecast over the offered tools, the
forced JSON structure is verified in a few forward passes instead of one per token, and identical prompts (a
GRPO group) share their prefilled KV. The policy gradient then scores the sampled tokens under the unmasked
policy (standard for constrained sampling; TRL gets no sampling log-probs, so no importance correction).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.tools import BaseTool


def make_guided_rollout(tools: list[BaseTool], horizon: int, max_new_tokens: int,
                        temperature: float = 1.0) -> Callable[[list[Any], Any], dict[str, Any]]:
    """A TRL ``rollout_func``: one guided sample per given prompt (TRL repeats a prompt once per generation)."""
    from toolagent.models.guided import forecast_schema

    schema = forecast_schema(tools, horizon)

    def rollout(prompts: list[Any], trainer: Any) -> dict[str, Any]:
        import torch

        from toolagent.models.decoding import Decoder, Sampling
        from toolagent.models.guided import compiled_grammar

        tokenizer = trainer.processing_class
        model = trainer.model
        inner = model.get_base_model() if hasattr(model, "get_base_model") else model
        grammar = compiled_grammar(tokenizer, schema, int(inner.get_output_embeddings().weight.shape[0]))
        eos = tokenizer.eos_token_id
        # a fresh decoder per call: the weights changed since the last step, so no cached KV may be reused
        decoder = Decoder(inner, tokenizer, [eos])
        training = inner.training
        inner.eval()
        prompt_ids: list[list[int]] = []
        completion_ids: list[list[int]] = []
        try:
            with torch.no_grad():
                for prompt in prompts:
                    text = (tokenizer.apply_chat_template(prompt, add_generation_prompt=True, tokenize=False)
                            if isinstance(prompt, list) else str(prompt))
                    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
                    done = decoder.generate(ids, Sampling(max_new_tokens, temperature), grammar=grammar)
                    tokens = list(done.tokens)
                    if done.finish == "stop" and (not tokens or tokens[-1] != eos):
                        tokens.append(eos)  # the grammar ended the forecast: the model should stop there too
                    prompt_ids.append(ids)
                    completion_ids.append(tokens)
        finally:
            inner.train(training)
        return {"prompt_ids": prompt_ids, "completion_ids": completion_ids, "logprobs": None}

    return rollout
