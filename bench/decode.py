"""Local planner decode speed: plain transformers ``generate`` (fp32, the baseline) vs toolagent's decoder, per turn.

    python bench/decode.py [--turns 3] [--tokens 96] [--repeats 1] [--threads N] [--model embedded|embedded-base]

One run, same model and prompts for every row, variants interleaved turn by turn so machine load hits all alike:
  generate fp32                plain ``model.generate`` on the planner prompt, unguided (the baseline)
  generate fp32 + xgrammar     ``generate`` with xgrammar's LogitsProcessor (toolagent's guided path before)
  toolagent fp32               HFChatModel's decoder, unguided: static KV cache, prompt-prefix KV reused
  toolagent fp32 guided        the same with the forecast grammar, verified drafts (jump-forward, then lookup in
                               the reply, the recent replies and the prompt) and logits only for the rows where the
                               grammar leaves the model a choice
    same, no recent replies    ... drafting from this reply and the prompt only (a process's first turn)
    same, no drafts            ... one forward pass per token (what the drafts save)
  toolagent int8 guided        the same on dynamically quantised int8 Linear weights (quantize="int8")
Planner turns are compact-profile prompts for the default tool set (turn 1 of a question, turn 2 with its first
observation, then the next question...); each variant gets one untimed warm-up turn first, so the system prompt
is cached, and a recent reply is there to draft from, as on every turn after a process's first. Seconds per turn
include tokenising and prefill.
Greedy checks: toolagent's rows must produce the same tokens as the generate rows they replace; the int8 row
reports where it first departs from fp32. Memory bandwidth is a 256 MB array copy; the floor is the weight bytes
read per decode step over it. The last line is ``tokens/s vs plain generate: S×`` (toolagent fp32 guided over
generate fp32). On a machine shared with other busy processes, ``--threads 1`` gives steadier numbers.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: (planner messages, turn index) -> (new tokens, forward passes)
Runner = Callable[[list[Any], int], tuple[list[int], int]]
QUESTIONS = ["What is 17 * 23 + 4?", "How much is 12 percent of 250?", "what would 3 of these cost if one is 4.50"]


@dataclass
class Row:
    label: str
    run: Runner
    seconds: list[float] = field(default_factory=list)
    outputs: list[list[int]] = field(default_factory=list)
    forwards: int = 0

    @property
    def tokens(self) -> int:
        return sum(len(o) for o in self.outputs)

    @property
    def rate(self) -> float:
        return self.tokens / max(sum(self.seconds), 1e-9)


def planner_turns(count: int) -> list[list[Any]]:
    from toolagent.prompts.render import planner_messages
    from toolagent.tools.registry import build_tools

    tools = build_tools()
    turns = []
    for i in range(count):
        question = QUESTIONS[(i // 2) % len(QUESTIONS)]
        seen = i % 2 == 1
        turns.append(planner_messages(
            question=question, images=[], tools=tools, horizon=3, profile="compact",
            history=["1. calculator(expression='17 * 23 + 4') -> 395"] if seen else [],
            observation="395" if seen else None))
    return turns


def bandwidth_gbs() -> float:
    """Best of five copies of a 256 MB float32 array (bytes read + written per second)."""
    import torch

    src = torch.ones(64 * 1024 * 1024)
    dst = torch.empty_like(src)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        dst.copy_(src)
        best = min(best, time.perf_counter() - start)
    return 2 * src.numel() * 4 / best / 1e9


def weight_bytes(model: Any) -> int:
    """Bytes of weights one decode step reads (tied embeddings once; int8 packed Linear weights at 1 byte)."""
    import torch
    from torch.ao.nn.quantized.dynamic import Linear as Int8Linear

    seen: set[int] = set()
    total = 0
    for module in model.modules():
        if isinstance(module, Int8Linear):
            total += module.weight().numel()  # one byte each
            continue
        for param in module.parameters(recurse=False):
            if id(param) not in seen and not isinstance(module, torch.nn.Embedding):
                seen.add(id(param))
                total += param.numel() * param.element_size()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=96, help="max new tokens per turn")
    parser.add_argument("--repeats", type=int, default=1, help="passes over the turns")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    parser.add_argument("--model", default="embedded", help="embedded or embedded-base")
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from toolagent.models import embedded
    from toolagent.models.guided import forecast_schema
    from toolagent.models.hf import HFChatModel
    from toolagent.tools.registry import build_tools

    folder = embedded.embedded_model_dir() if args.model == "embedded-base" else embedded.planner_model_dir()
    start = time.perf_counter()
    fast = HFChatModel.from_path(folder, max_new_tokens=args.tokens)
    load_s = time.perf_counter() - start
    plain = HFChatModel.from_path(folder, max_new_tokens=args.tokens, fast_decoding=False)
    int8 = HFChatModel.from_path(folder, max_new_tokens=args.tokens, quantize="int8")
    schema = forecast_schema(build_tools(), 3)
    tokenizer = plain._tokenizer

    def raw_generate(messages: list[Any], turn: int) -> tuple[list[int], int]:
        encoded = plain._inputs(messages)
        with torch.inference_mode():
            out = plain._model.generate(**encoded, max_new_tokens=args.tokens, do_sample=False,
                                        pad_token_id=tokenizer.pad_token_id)
        new = out[0, encoded["input_ids"].shape[1]:].tolist()
        return new, len(new)

    def generate_guided(messages: list[Any], turn: int) -> tuple[list[int], int]:
        new = plain._decode_generate(plain._inputs(messages), [], args.tokens, 0.0, None, schema)
        return new, len(new)

    def decoder(model: HFChatModel, guided: bool, drafts: bool = True, recent: bool = True) -> Runner:
        from toolagent.models.decoding import Decoder, Sampling
        from toolagent.models.guided import compiled_grammar

        vocab = model._model.get_output_embeddings().out_features
        grammar = compiled_grammar(model._tokenizer, schema, vocab) if guided else None
        eos = model._special_ids()[0]
        engine = (model._decoder if drafts and recent else
                  Decoder(model._model, model._tokenizer, eos, recent=0) if drafts else
                  Decoder(model._model, model._tokenizer, eos, jump_forward=False, lookup=0))

        def run(messages: list[Any], turn: int) -> tuple[list[int], int]:
            prompt = model._inputs(messages)["input_ids"][0].tolist()
            result = engine.generate(prompt, Sampling(args.tokens), grammar=grammar)
            return result.tokens, result.forwards
        return run

    rows = [Row("generate fp32 (baseline)", raw_generate), Row("generate fp32 + xgrammar", generate_guided),
            Row("toolagent fp32", decoder(fast, False)), Row("toolagent fp32 guided", decoder(fast, True)),
            Row("  same, no recent replies", decoder(fast, True, recent=False)),
            Row("  same, no drafts", decoder(fast, True, drafts=False)),
            Row("toolagent int8 guided", decoder(int8, True))]
    turns = planner_turns(args.turns)
    warm = planner_turns(args.turns + 1)[-1:]  # another question: warms code paths and the system-prompt KV
    for row in rows:
        row.run(warm[0], -1)
    prompt_tokens = len(plain._inputs(turns[0])["input_ids"][0])
    for _ in range(args.repeats):
        for i, messages in enumerate(turns):
            for row in rows:
                begin = time.perf_counter()
                new, forwards = row.run(messages, i)
                row.seconds.append(time.perf_counter() - begin)
                row.outputs.append(new)
                row.forwards += forwards

    base = rows[0]
    print(f"model: {folder.name}  threads={torch.get_num_threads()}  turns={len(turns)}x{args.repeats}  "
          f"prompt={prompt_tokens} tokens (turn 1)  max_new={args.tokens}  load={load_s:.2f} s  "
          f"load average={os.getloadavg()[0]:.1f}")
    print(f"{'variant':<28}{'tokens':>7}{'s/turn':>8}{'tok/s':>7}{'passes':>7}  {'vs baseline':<12}greedy check")
    checks = {"toolagent fp32": rows[0], "toolagent fp32 guided": rows[1], "  same, no recent replies": rows[1],
              "  same, no drafts": rows[1], "toolagent int8 guided": rows[3]}
    for row in rows:
        check = ""
        if row.label in checks:
            ref = checks[row.label]
            firsts = [next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), None if len(a) == len(b) else
                      min(len(a), len(b))) for a, b in zip(row.outputs, ref.outputs)]
            same = sum(f is None for f in firsts)
            check = f"{same}/{len(firsts)} turns same tokens as {ref.label.split(' (')[0]}"
            if same < len(firsts):
                check += f" (first differing token: {[f for f in firsts if f is not None]})"
        per_turn = sum(row.seconds) / len(row.seconds)
        print(f"{row.label:<28}{row.tokens:>7}{per_turn:>8.2f}{row.rate:>7.1f}{row.forwards / len(row.seconds):>7.1f}"
              f"  {row.rate / base.rate:>5.2f}x      {check}")
    gbs = bandwidth_gbs()
    fp32_bytes, int8_bytes = weight_bytes(fast._model), weight_bytes(int8._model)
    print(f"memory bandwidth (256 MB copy): {gbs:.1f} GB/s; weights read per decode step: fp32 {fp32_bytes / 1e6:.0f} MB "
          f"-> floor {fp32_bytes / gbs / 1e6:.0f} ms/token ({gbs * 1e9 / fp32_bytes:.1f} tok/s), "
          f"int8 {int8_bytes / 1e6:.0f} MB -> {int8_bytes / gbs / 1e6:.0f} ms/token ({gbs * 1e9 / int8_bytes:.1f} tok/s)")
    print(f"guided without recent replies to draft from (a process's first turn): "
          f"{rows[4].rate / base.rate:.2f}×")
    print(f"int8 (opt-in, quantize='int8'; tokens differ from fp32, see the greedy check): "
          f"{rows[6].rate / base.rate:.2f}× plain generate")
    print(f"tokens/s vs plain generate: {rows[3].rate / base.rate:.2f}×")


if __name__ == "__main__":
    main()
