"""SFT with a shared prompt prefix: the system prompt (tool list, reply format) is computed once per batch.

Every planner prompt starts with the same ~345 tokens (system prompt, ``<|im_start|>user\\nQuestion:``); the rows
differ only after it. TRL's ``SFTTrainer`` runs every row whole, so on a CPU two thirds of the SFT compute is the
same prefix again. Here a batch's longest common token prefix runs once (one row, through the decoder only — no
output head, since it carries no labels) and each row's own tokens run on top of its key/value cache, unpadded.
The output head runs only at positions that predict a label.

The loss and its gradients are exactly those of the plain forward (the prefix's activations stay in the graph,
so LoRA weights in the prefix's layers get their full gradient); a test compares both. Rows are tokenized,
collated and normalised by TRL as before (``num_items_in_batch`` across gradient accumulation).
"""

from __future__ import annotations

from typing import Any

#: fewer shared tokens than this: run the batch the plain way
MIN_SHARED = 16


def shared_prefix_length(input_ids: Any, labels: Any) -> int:
    """The longest prefix common to every row that ends before any row's first label's predecessor."""
    same = (input_ids == input_ids[:1]).all(dim=0)
    common = int(same.long().cumprod(dim=0).sum())
    labelled = (labels != -100).any(dim=0).nonzero()
    first_label = int(labelled[0]) if len(labelled) else input_ids.shape[1]
    # the label at position j is predicted by position j-1, which must be in the rows' own part
    return max(0, min(common, first_label - 1, input_ids.shape[1] - 1))


def _decoder_and_head(model: Any) -> tuple[Any, Any]:
    """The decoder stack and output head of a (PEFT-wrapped) causal LM; LoRA layers sit inside the decoder."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return base.model, base.lm_head


def _row_loss(decoder: Any, head: Any, ids: Any, labels: Any, cache: Any) -> Any:
    """Summed loss of one unpadded row (its tokens after the cached prefix, if any)."""
    import torch.nn.functional as F

    hidden = decoder(input_ids=ids, cache=cache, use_cache=cache is not None).last_hidden_state[0]
    targets = labels[1:]
    keep = targets != -100
    return F.cross_entropy(head(hidden[:-1][keep]).float(), targets[keep], reduction="sum")


def shared_prefix_loss(model: Any, inputs: dict[str, Any], num_items_in_batch: Any = None) -> Any:
    """Summed next-token loss over the labels / ``num_items_in_batch`` (or the label count), sharing the prefix.

    Each row runs on its own (no padding: padded positions cost real compute on a CPU) on a fresh cache that
    holds the prefix's key/value tensors, so the prefix's graph is shared and its gradient summed over the rows.
    """
    import torch
    from transformers import DynamicCache

    ids, labels = inputs["input_ids"], inputs["labels"]
    mask = inputs.get("attention_mask")
    lengths = [int(n) for n in (mask.sum(dim=1) if mask is not None else [ids.shape[1]] * len(ids))]
    decoder, head = _decoder_and_head(model)
    shared = shared_prefix_length(ids, labels) if len(ids) > 1 else 0
    prefix = decoder(input_ids=ids[:1, :shared], use_cache=True).cache if shared >= MIN_SHARED else None
    start = shared if prefix is not None else 0
    total = sum(_row_loss(decoder, head, ids[i:i + 1, start:n], labels[i, start:n],
                          None if prefix is None else DynamicCache(ddp_cache_data=list(prefix), config=decoder.config))
                for i, n in enumerate(lengths))
    count = (labels[:, 1:] != -100).sum() if num_items_in_batch is None else num_items_in_batch
    return total / torch.as_tensor(count, device=ids.device).clamp(min=1)


def shared_prefix_trainer(**kwargs: Any) -> Any:
    """A TRL ``SFTTrainer`` whose training loss is ``shared_prefix_loss`` (evaluation stays TRL's)."""
    from trl import SFTTrainer

    class SharedPrefixSFTTrainer(SFTTrainer):  # type: ignore[misc]
        def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False,
                         num_items_in_batch: Any = None) -> Any:
            if return_outputs or not model.training:
                return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            return shared_prefix_loss(model, inputs, num_items_in_batch)

    return SharedPrefixSFTTrainer(**kwargs)
