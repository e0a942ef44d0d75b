"""Embedded-model benchmark: cache load vs GGUF parse, and HFChatModel decode overhead vs raw generate().

    OMP_NUM_THREADS=1 python bench/decode.py [--tokens 24] [--repeats 5] [--skip-gguf]

(On a machine shared with other busy processes, torch's default intra-op threads spin against each other and
decode can be 10x slower; OMP_NUM_THREADS=1 gives stable numbers there.)

Rows (all measured in this run, same prompt, greedy):
  load: GGUF parse + de-quantise (what every start would cost without the cache) vs the safetensors cache;
  decode: model.generate() on pre-tokenised input vs HFChatModel.invoke (template + tokenise + generate +
  decode + usage), and HFChatModel.invoke with a stop sequence that never matches (stop-check overhead).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

PROMPT = "Write a short list of five fruits and one fact about each."


def _interleaved(fns: dict[str, Callable[[], int]], repeats: int) -> dict[str, tuple[float, int]]:
    """Median seconds and last token count per variant; variants alternate so machine load hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    tokens: dict[str, int] = {}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            tokens[name] = fn()
            times[name].append(time.perf_counter() - start)
    return {name: (statistics.median(times[name]), tokens[name]) for name in fns}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-gguf", action="store_true", help="skip the slow GGUF parse row")
    args = parser.parse_args()

    import torch
    from langchain_core.messages import HumanMessage
    from transformers import AutoModelForCausalLM

    from toolagent.models.embedded import embedded_model_dir, gguf_path
    from toolagent.models.hf import HFChatModel

    folder = embedded_model_dir()
    rows: list[tuple[str, str, float, str]] = []

    HFChatModel.from_path(folder)  # untimed: pays the one-off imports of the tokenizer/model modules
    start = time.perf_counter()
    model = HFChatModel.from_path(folder, max_new_tokens=args.tokens)
    cache_s = time.perf_counter() - start
    if not args.skip_gguf:
        source = gguf_path()
        start = time.perf_counter()
        AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name)
        gguf_s = time.perf_counter() - start
        rows.append(("load", "GGUF parse (peer)", gguf_s, "1.00x"))
        rows.append(("load", "safetensors cache", cache_s, f"{gguf_s / cache_s:.1f}x faster"))
    else:
        rows.append(("load", "safetensors cache", cache_s, "-"))

    messages = [HumanMessage(PROMPT)]
    model.invoke(messages, max_new_tokens=4)  # warm-up
    hf_model, tokenizer = model._model, model._tokenizer  # the same weights, driven directly
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": PROMPT}], add_generation_prompt=True,
                                           tokenize=False)
    encoded = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)

    def raw() -> int:
        with torch.inference_mode():
            out = hf_model.generate(**encoded, max_new_tokens=args.tokens, do_sample=False,
                                    pad_token_id=tokenizer.pad_token_id)
        return int(out.shape[1] - encoded["input_ids"].shape[1])

    def wrapped(stop: list[str] | None = None) -> Callable[[], int]:
        def run() -> int:
            reply = model.invoke(messages, stop=stop)
            assert reply.usage_metadata is not None
            return int(reply.usage_metadata["output_tokens"])
        return run

    results = _interleaved({"raw": raw, "HFChatModel.invoke": wrapped(),
                            "invoke + stop check": wrapped(["<never-emitted>"])}, args.repeats)
    raw_s, raw_n = results.pop("raw")
    rows.append(("decode", f"generate() raw, {raw_n} tok (peer)", raw_s, f"{raw_n / raw_s:.1f} tok/s, 1.00x"))
    for label, (secs, n) in results.items():
        per_token_ratio = (secs / max(n, 1)) / (raw_s / max(raw_n, 1))
        rows.append(("decode", f"{label}, {n} tok", secs, f"{n / secs:.1f} tok/s, {per_token_ratio:.2f}x time/tok"))

    print(f"embedded model: {folder}  threads={torch.get_num_threads()}  repeats={args.repeats}")
    print(f"{'what':<8}{'variant':<40}{'seconds':>9}  vs peer")
    for what, variant, secs, note in rows:
        print(f"{what:<8}{variant:<40}{secs:>9.2f}  {note}")


if __name__ == "__main__":
    main()
