"""Fast local decoding for text causal LMs (the path HFChatModel takes instead of ``model.generate``).

``Decoder(model, tokenizer, eos_ids).generate(prompt_ids, Sampling(...), grammar=..., stops=...)`` returns the new
token ids. Callers serialise calls (HFChatModel holds its lock): the decoder owns one KV cache.

- **Static KV cache, reused across calls.** One preallocated ``transformers.StaticCache`` (whose attention reads
  only the filled positions) lives as long as the decoder, with the exact token ids whose keys/values it holds. A new prompt reuses the KV of its longest common prefix with
  those ids (the system prompt and tool menu that repeat on every planner turn) and prefills only the rest. The
  reuse is keyed on token ids, so a change anywhere (another tool menu) ends it at the first differing token:
  a stale entry can never be read. Prefill computes logits for the last position only.
- **Guided decoding at one bitmask per token.** An xgrammar ``GrammarMatcher`` is driven directly: fill the
  next-token bitmask, mask the logits row in place, choose, accept.
- **Verified drafts.** Where the grammar forces a continuation (``", "tool": "``, ``"}, "instruction": "``) its
  tokens, followed by the continuation of the latest earlier occurrence of the last n-gram (lookup: in this
  reply, then in the decoder's recent replies — the same forecast structure, turn after turn — then in the
  prompt, e.g. an expression copied from the question), are fed with the chosen token in ONE forward pass and
  then checked against the model's own rows: greedy keeps a draft token only when it is the (masked) argmax;
  sampling keeps it with its probability and otherwise samples from the rest (speculative sampling with a
  deterministic draft). Drafts therefore change how many forward passes run, not which tokens are chosen (up to
  the float rounding of a several-row matmul against a one-row one); rejected drafts are cut from the cache.
- **Logits only where the model chooses.** Before a pass the grammar is walked along the draft: a row where it
  allows exactly one token needs no output head (that token is the choice, greedy or sampled), so the pass
  computes logits only for the other rows (``logits_to_keep`` as row indices) and reuses the masks it filled.
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

#: most draft tokens verified in one forward pass
MAX_DRAFT = 12
#: n-gram sizes tried for lookup drafts (longest first), and the most lookup tokens per pass
LOOKUP_NGRAMS = (3, 2)
LOOKUP_DRAFT = 6
#: recent replies kept as lookup sources (most recent first)
RECENT_REPLIES = 4
_CACHE_STEP = 512


@dataclass(frozen=True)
class Sampling:
    max_new_tokens: int
    temperature: float = 0.0  # 0 = greedy
    top_p: float | None = None


@dataclass
class Decoded:
    tokens: list[int]
    finish: str  # "stop" (eos, grammar complete, stop string) | "length"
    reused: int = 0  # prompt tokens whose KV came from the cache
    forwards: int = 0  # forward passes, prefill included
    drafted: int = 0  # draft tokens fed
    accepted: int = 0  # draft tokens kept


def supports_fast_path(model: Any) -> bool:
    """Whether the decoder can drive ``model``: a text LM whose architecture supports a static cache and whose
    layers all attend to the full context (sliding-window caches cannot be rolled back by truncation)."""
    if not getattr(type(model), "_can_compile_fullgraph", False) or not hasattr(model, "get_output_embeddings"):
        return False
    text = model.config.get_text_config()
    if any(kind != "full_attention" for kind in getattr(text, "layer_types", None) or []):
        return False
    return not (getattr(text, "sliding_window", None) and getattr(text, "use_sliding_window", True))


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def stop_window(stops: Sequence[str]) -> int:
    """Tokens to decode to see the longest stop string even at one byte per token."""
    return 4 * max((len(s.encode()) for s in stops), default=0) + 4


def tail_has_stop(tokenizer: Any, ids: Sequence[int], stops: Sequence[str], window: int) -> bool:
    """Whether the decoded last ``window`` ids contain a stop string (O(1) per token)."""
    text = tokenizer.decode(list(ids[-window:]), skip_special_tokens=True)
    return any(s in text for s in stops)


def lookup_draft(context: Sequence[int], limit: int, recent: Sequence[Sequence[int]] = (),
                 start: int = 0) -> list[int]:
    """Lookup: what followed the latest earlier occurrence of the context's last n-gram, searched in
    ``context[start:]`` (this reply), then in ``recent`` (earlier replies, most recent first), then in
    ``context[:start]`` (the prompt); longer n-grams first."""
    if limit <= 0:
        return []
    end = len(context)
    for n in LOOKUP_NGRAMS:
        if end <= n:
            continue
        tail = list(context[end - n:])
        found = _latest(context, tail, max(start, 0), end)
        if found is not None:
            return list(context[found + n:min(found + n + limit, end)])
        for reply in recent:
            found = _latest(reply, tail, 0, len(reply))
            if found is not None:
                return list(reply[found + n:found + n + limit])
        found = _latest(context, tail, 0, min(start + n, end))
        if found is not None:
            return list(context[found + n:min(found + n + limit, end)])
    return []


def _latest(seq: Sequence[int], gram: list[int], lo: int, hi: int) -> int | None:
    """Start of the latest occurrence of ``gram`` at or after ``lo`` that ends, with one more token, by ``hi``."""
    n = len(gram)
    for begin in range(min(hi, len(seq)) - n - 1, lo - 1, -1):
        if list(seq[begin:begin + n]) == gram:
            return begin
    return None


def single_token(mask_row: Any) -> int | None:
    """The one token a bitmask row allows, or None when it allows several (or none)."""
    import torch

    words = torch.nonzero(mask_row).flatten()
    if words.numel() != 1:
        return None
    word = int(mask_row[words[0]]) & 0xFFFFFFFF
    if word & (word - 1):
        return None
    return int(words[0]) * 32 + word.bit_length() - 1


@functools.cache
def _filled_layer_class() -> type:
    from transformers.cache_utils import StaticLayer

    class FilledStaticLayer(StaticLayer):
        """Preallocated in place like StaticLayer, but attention reads only the filled positions: no masked tail
        of empty slots, and no mask at all for a one-token step (as with transformers' dynamic cache)."""

        is_compileable = False

        def update(self, key_states: Any, value_states: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
            keys, values = super().update(key_states, value_states, *args, **kwargs)
            filled = int(self.cumulative_length)
            return keys[:, :, :filled], values[:, :, :filled]

        def get_mask_sizes(self, query_length: int) -> tuple[int, int]:
            return int(self.get_seq_length()) + query_length, 0

    return FilledStaticLayer


class Decoder:
    """Greedy/sampled decoding over one model with a reusable static KV cache (see module docstring)."""

    def __init__(self, model: Any, tokenizer: Any, eos_ids: Iterable[int], jump_forward: bool = True,
                 lookup: int = LOOKUP_DRAFT, recent: int = RECENT_REPLIES) -> None:
        self.model, self.tokenizer = model, tokenizer
        self.eos = {int(e) for e in eos_ids}
        self.jump_forward = jump_forward
        self.lookup = lookup  # most lookup draft tokens per pass where nothing is forced (0 = none)
        self._cache: Any = None
        self._size = 0
        self._ids: list[int] = []  # tokens whose KV is valid in cache positions [0, len)
        self._recent: collections.deque[list[int]] = collections.deque(maxlen=recent)  # lookup sources

    # ------------------------------------------------------------------------------------------- cache
    @property
    def cached_ids(self) -> list[int]:
        return list(self._ids)

    def reset(self) -> None:
        """Forget the cached KV (the next call prefills its whole prompt)."""
        import torch

        with torch.inference_mode():
            self._truncate(0)

    def _ensure_cache(self, needed: int) -> None:
        if self._cache is not None and needed <= self._size:
            return
        from transformers import StaticCache
        from transformers.cache_utils import StaticLayer

        self._size = -(-needed // _CACHE_STEP) * _CACHE_STEP
        cache = StaticCache(config=self.model.config, max_cache_len=self._size)
        grown = _filled_layer_class()
        cache.layers = [grown(max_cache_len=self._size) if type(layer) is StaticLayer else layer
                        for layer in cache.layers]
        self._cache = cache
        self._ids = []

    def _truncate(self, n: int) -> None:
        if self._cache is not None:
            for layer in self._cache.layers:
                if layer.is_initialized:
                    layer.cumulative_length.fill_(n)
        del self._ids[n:]

    def _forward(self, ids: list[int], rows: Sequence[int] | None = None) -> Any:
        """Feed ``ids``; logits of the last position (``rows`` None) or of the given positions only."""
        import torch

        tensor = torch.tensor([ids], dtype=torch.long, device=self.model.device)
        keep: Any = 1 if rows is None else torch.tensor(list(rows), dtype=torch.long, device=self.model.device)
        out = self.model(input_ids=tensor, cache=self._cache, use_cache=True, logits_to_keep=keep)
        self._ids.extend(ids)
        return out.logits[0].float()

    # ------------------------------------------------------------------------------------------ choose
    @staticmethod
    def _choose(row: Any, sampling: Sampling, draft: int | None) -> int:
        """The next token from a (masked) logits row; with a draft, the speculative-sampling rule."""
        import torch

        if sampling.temperature <= 0:
            return int(row.argmax())
        probs = torch.softmax(row / sampling.temperature, dim=-1)
        if sampling.top_p is not None and sampling.top_p < 1.0:
            ordered, order = probs.sort(descending=True)
            drop = (ordered.cumsum(-1) - ordered) >= sampling.top_p
            probs[order[drop]] = 0.0
            probs /= probs.sum()
        if draft is not None:
            kept = float(probs[draft])
            if float(torch.rand(())) < kept:
                return draft
            if kept >= 1.0:
                return draft
            probs[draft] = 0.0
            probs /= probs.sum()
        return int(torch.multinomial(probs, 1))

    def _propose(self, matcher: Any, context: list[int], start: int, limit: int) -> list[int]:
        """Draft tokens: a lookup guess (this reply, recent replies, the prompt) where it agrees with the grammar's
        forced continuation, else that continuation alone; with nothing forced, the lookup guess."""
        limit = min(limit, MAX_DRAFT)
        if limit <= 0:
            return []
        forced = matcher.find_jump_forward_string() if matcher is not None and self.jump_forward else ""
        guess = lookup_draft(context, limit if forced else min(limit, self.lookup), self._recent, start)
        if not forced:
            return guess
        text = self.tokenizer.decode(guess)
        if guess and (text.startswith(forced) or forced.startswith(text)):
            return guess  # the model's own tokenization of the forced text, and what followed it last time
        return list(self.tokenizer.encode(forced, add_special_tokens=False))[:limit]

    @staticmethod
    def _walk(matcher: Any, masks: Any, drafts: list[int]) -> tuple[list[int | None], list[bool]]:
        """Per row of the coming pass (row i follows ``drafts[:i]``): the one token the grammar allows there, or
        None where the model chooses; and whether the row's mask (``masks[i]``, filled here) restricts anything.
        Rows after a certain rejection are left out; the matcher ends where it started."""
        forced: list[int | None] = []
        restricted: list[bool] = []
        moved = 0
        for i in range(len(drafts) + 1):
            if matcher.is_terminated():
                break
            restricted.append(bool(matcher.fill_next_token_bitmask(masks, i)))
            forced.append(single_token(masks[i]) if restricted[i] else None)
            if i == len(drafts) or forced[i] not in (None, drafts[i]) or not matcher.accept_token(drafts[i]):
                break
            moved += 1
        if moved:
            matcher.rollback(moved)
        return forced, restricted

    # ---------------------------------------------------------------------------------------- generate
    def generate(self, prompt: list[int], sampling: Sampling, grammar: Any = None,
                 stops: Sequence[str] = ()) -> Decoded:
        """New tokens for ``prompt`` (eos included when produced), guided by a compiled xgrammar grammar."""
        import torch

        if not prompt:
            raise ValueError("empty prompt")
        limit = max(1, int(sampling.max_new_tokens))
        with torch.inference_mode():
            self._ensure_cache(len(prompt) + limit + MAX_DRAFT + 2)
            reused = min(common_prefix(self._ids, prompt), len(prompt) - 1)
            self._truncate(reused)
            result = Decoded(tokens=[], finish="length", reused=reused, forwards=1)
            row = self._forward(prompt[reused:])[-1]
            self._decode(prompt, row, sampling, grammar, list(stops), result)
        self._recent.appendleft(prompt[-LOOKUP_NGRAMS[0]:] + result.tokens)  # with the reply's opening context
        return result

    def _decode(self, prompt: list[int], row: Any, sampling: Sampling, grammar: Any, stops: list[str],
                result: Decoded) -> None:
        matcher = masks = None
        if grammar is not None:
            import xgrammar as xgr

            matcher = xgr.GrammarMatcher(grammar)
            masks = xgr.allocate_token_bitmask(MAX_DRAFT + 1, grammar.tokenizer_info.vocab_size)
        out = result.tokens
        limit = max(1, int(sampling.max_new_tokens))
        window = stop_window(stops)

        def accept(token: int) -> bool:
            """Append ``token``; True when generation is over."""
            out.append(token)
            if matcher is not None:
                matcher.accept_token(token)
            if token in self.eos or (matcher is not None and matcher.is_terminated()):
                result.finish = "stop"
                return True
            if stops and tail_has_stop(self.tokenizer, out, stops, window):
                result.finish = "stop"
                return True
            return len(out) >= limit

        if matcher is not None and matcher.fill_next_token_bitmask(masks, 0):
            self._apply(row, masks, 0)
        choice = self._choose(row, sampling, None)
        while not accept(choice):
            drafts = self._propose(matcher, prompt + out, len(prompt), limit - len(out))
            if matcher is None:
                forced: list[int | None] = [None] * (len(drafts) + 1)
                restricted = [False] * len(forced)
            else:
                forced, restricted = self._walk(matcher, masks, drafts)
            needed = [i for i, token in enumerate(forced) if token is None]
            logits = self._forward([choice] + drafts, needed)
            rows = dict(zip(needed, logits))
            result.forwards += 1
            result.drafted += len(drafts)

            def pick(i: int, draft: int | None) -> int:
                if forced[i] is not None:
                    return forced[i]
                if restricted[i]:
                    self._apply(rows[i], masks, i)
                return self._choose(rows[i], sampling, draft)

            kept, done = 0, False
            for i, draft in enumerate(drafts):
                choice = pick(i, draft)
                if choice != draft:
                    break
                kept += 1
                if accept(draft):
                    done = True
                    break
            result.accepted += kept
            self._truncate(len(self._ids) - (len(drafts) - kept))
            if done:
                return
            if kept == len(drafts):
                choice = pick(len(drafts), None)

    @staticmethod
    def _apply(row: Any, masks: Any, i: int) -> None:
        import xgrammar as xgr

        xgr.apply_token_bitmask_inplace(row.view(1, -1), masks[i:i + 1])
