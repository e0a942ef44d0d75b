"""Trainers: Stage-1 and Stage-2 GRPO (TRL ``GRPOTrainer``) and an SFT warm start (TRL ``SFTTrainer``, its
loss computed by ``shared_prefix``: the batch's common prompt prefix runs once).

- Stage 1: the planner samples ``num_generations`` forecasts per state; each is scored against the reference
  future with ``rewards.make_stage1_reward_func`` (discounted alignment, repetition penalty, format term).
- Stage 2 (offline): rows are logged executed steps with their grounded reward; each sampled forecast's FIRST
  step is scored with ``grounded.make_stage2_reward_func`` — the logged reward when it repeats the logged
  executed step, the answer scorer for answer steps, 1 for a gold step, ``unknown_reward`` otherwise.
- SFT: prompt → reference trajectory (the ``target`` column) as a warm start.

Defaults from TRACER1.md: n = 5 generations, lr 1e-6, KL β 1e-2, temperature 1.0. One optimiser step uses one
prompt group (``per_device_train_batch_size = num_generations``), so the generation batch is always divisible
by ``num_generations``. CPU when no GPU is present (``use_cpu=True``, fp32); bf16 on a GPU that supports it.
Writes to ``output``: the model or LoRA adapter + tokenizer, ``train_config.json``, ``log_history.json`` and a
curve (``reward_curve.csv/png`` for GRPO, ``loss_curve.csv/png`` for SFT).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from toolagent.errors import BadInput, ConfigError
from toolagent.train.rewards import Stage1Weights

Stage = Literal["stage1", "stage2", "sft"]
LLAMA_LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class TrainSettings(BaseModel):
    stage: Stage
    model: str
    data: str
    output: str
    lora: bool = False
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    #: LoRA only on these decoder layers (None: all); frozen lower layers need no backward pass
    lora_layers: list[int] | None = None
    max_steps: int = 100
    num_generations: int = 5
    learning_rate: float = 1e-6
    beta: float = 1e-2
    temperature: float = 1.0
    max_completion_length: int = 256
    gradient_accumulation_steps: int = 1
    horizon: int = 5
    limit: int | None = None
    seed: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    weights: Stage1Weights = Field(default_factory=Stage1Weights)
    unknown_reward: float = 0.0
    fill_from_outcome: bool = False
    #: continue training this LoRA adapter folder (the recipe chains SFT → Stage 1 → Stage 2 on ONE adapter)
    init_adapter: str | None = None
    #: SFT only: whole passes over the data (``max_steps`` is then ignored) and examples per device step
    epochs: float | None = None
    #: SFT examples per device step; above 1 a batch computes its shared prompt prefix once (``shared_prefix``)
    batch_size: int = 1
    #: SFT loss by ``shared_prefix`` (False: TRL's own loss, every row run whole; the benchmark's baseline)
    shared_prefix: bool = True
    #: show the trainer's progress bar
    progress: bool = False


class TrainResult(BaseModel):
    output: str
    steps: int
    seconds: float
    files: dict[str, str]
    final_reward: float | None = None
    final_loss: float | None = None


def model_path(spec: str) -> Path:
    """``embedded`` → the local SmolLM2 folder; ``hf:PATH`` or a bare PATH → that folder (must exist)."""
    if spec == "embedded":
        from toolagent.models.embedded import embedded_model_dir

        return embedded_model_dir()
    path = Path(spec.removeprefix("hf:")).expanduser()
    if not (path / "config.json").is_file():
        raise ConfigError(f"not a local transformers model folder (no config.json): {path} "
                          "(use embedded or hf:PATH; the Hub is not reachable)")
    return path


def _use_cpu(settings: TrainSettings) -> bool:
    import torch

    if settings.device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda asked for, but no CUDA GPU is visible")
    return settings.device == "cpu" or not torch.cuda.is_available()


def load_model(settings: TrainSettings) -> tuple[Any, Any]:
    """Model (fp32 on CPU, bf16 on a bf16 GPU) and tokenizer with a pad token."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = model_path(settings.model)
    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if not getattr(tokenizer, "chat_template", None):
        raise ConfigError(f"{path} has no chat template; the planner prompts are conversational")
    bf16 = not _use_cpu(settings) and torch.cuda.is_bf16_supported()
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.bfloat16 if bf16 else torch.float32)
    if model.generation_config.pad_token_id is None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id
    if settings.init_adapter:
        from peft import PeftModel

        if not (Path(settings.init_adapter) / "adapter_config.json").is_file():
            raise ConfigError(f"not a LoRA adapter folder (no adapter_config.json): {settings.init_adapter}")
        model = PeftModel.from_pretrained(model, settings.init_adapter, is_trainable=True)
    return model, tokenizer


def peft_config(settings: TrainSettings) -> Any:
    if not settings.lora or settings.init_adapter:  # a loaded adapter is trained as it is
        return None
    from peft import LoraConfig

    # PEFT takes a layer subset only with named modules (the linear layers of a Llama block)
    modules: str | list[str] = "all-linear" if settings.lora_layers is None else list(LLAMA_LINEAR)
    return LoraConfig(r=settings.lora_r, lora_alpha=settings.lora_alpha, lora_dropout=settings.lora_dropout,
                      target_modules=modules, task_type="CAUSAL_LM", layers_to_transform=settings.lora_layers)


def seed_everything(seed: int) -> None:
    """Python, NumPy and torch generators (the trainers seed themselves again from their settings)."""
    from transformers import set_seed

    set_seed(seed)


def _common_args(settings: TrainSettings) -> dict[str, Any]:
    import torch

    cpu = _use_cpu(settings)
    return {"output_dir": settings.output, "max_steps": settings.max_steps, "learning_rate": settings.learning_rate,
            "gradient_accumulation_steps": settings.gradient_accumulation_steps, "logging_steps": 1,
            "save_strategy": "no", "report_to": [], "seed": settings.seed, "data_seed": settings.seed,
            "use_cpu": cpu, "bf16": not cpu and torch.cuda.is_bf16_supported(), "fp16": False,
            "disable_tqdm": not settings.progress, "dataloader_num_workers": 0,
            "gradient_checkpointing": False}  # TRL turns it on by default: ~a third more compute, and 135M fits


def grpo_config(settings: TrainSettings) -> Any:
    from trl import GRPOConfig

    if settings.num_generations < 2:
        raise BadInput("GRPO needs at least 2 generations per prompt (--num-generations)")
    try:
        return GRPOConfig(**_common_args(settings), beta=settings.beta, temperature=settings.temperature,
                          num_generations=settings.num_generations,
                          max_completion_length=settings.max_completion_length,
                          per_device_train_batch_size=settings.num_generations, log_completions=False)
    except ValueError as exc:  # TRL's own consistency checks, as one line
        raise BadInput(f"bad GRPO settings: {str(exc).splitlines()[0]}") from None


def _check_rows(dataset: Any, columns: tuple[str, ...]) -> None:
    if len(dataset) == 0:
        raise BadInput("the training dataset is empty")
    missing = [c for c in columns if c not in dataset.column_names]
    if missing:
        raise BadInput(f"the training dataset lacks column(s): {', '.join(missing)}")


def _finish(trainer: Any, settings: TrainSettings, tokenizer: Any, callback: Any, start: float, stem: str,
            metrics: tuple[str, ...]) -> TrainResult:
    from toolagent.train.curves import write_curves

    out = Path(settings.output)
    out.mkdir(parents=True, exist_ok=True)
    trainer.save_model(str(out))
    tokenizer.save_pretrained(str(out))
    (out / "train_config.json").write_text(settings.model_dump_json(indent=2) + "\n", encoding="utf-8")
    (out / "log_history.json").write_text(json.dumps(trainer.state.log_history, indent=1, default=str) + "\n",
                                          encoding="utf-8")
    files = write_curves(callback.rows, out, stem, metrics, f"{settings.stage} ({settings.model})")
    files["config"] = str(out / "train_config.json")
    rewards = [row["reward"] for row in callback.rows if "reward" in row]
    losses = [row["loss"] for row in callback.rows if "loss" in row]
    return TrainResult(output=str(out), steps=trainer.state.global_step, seconds=time.perf_counter() - start,
                       files=files, final_reward=rewards[-1] if rewards else None,
                       final_loss=losses[-1] if losses else None)


def run_grpo(settings: TrainSettings, dataset: Any, reward_funcs: list[Any], rollout_func: Any = None) -> TrainResult:
    """GRPO on ``dataset`` (a ``prompt`` column plus the reward functions' columns). ``rollout_func``: TRL's hook
    for sampling the completions (``guided_rollout.make_guided_rollout``: as the agent decodes)."""
    import os

    from trl import GRPOTrainer

    from toolagent.train.curves import make_curve_callback

    start = time.perf_counter()
    model, tokenizer = load_model(settings)
    callback = make_curve_callback()
    extra: dict[str, Any] = {}
    if rollout_func is not None:
        os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
        extra["rollout_func"] = rollout_func
    trainer = GRPOTrainer(model=model, reward_funcs=reward_funcs, args=grpo_config(settings),
                          train_dataset=dataset, processing_class=tokenizer, peft_config=peft_config(settings),
                          callbacks=[callback], **extra)
    trainer.train()
    return _finish(trainer, settings, tokenizer, callback, start, "reward_curve", ("reward", "reward_std"))


def train_stage1(settings: TrainSettings, dataset: Any = None, rollout_func: Any = None) -> TrainResult:
    from toolagent.train.datasets import load_stage1
    from toolagent.train.rewards import make_stage1_reward_func

    dataset = dataset if dataset is not None else load_stage1(settings.data, horizon=settings.horizon,
                                                              limit=settings.limit)
    _check_rows(dataset, ("prompt", "reference"))
    return run_grpo(settings, dataset, [make_stage1_reward_func(settings.weights)], rollout_func)


def train_stage2(settings: TrainSettings, dataset: Any = None, rollout_func: Any = None) -> TrainResult:
    from toolagent.train.datasets import load_stage2
    from toolagent.train.grounded import make_stage2_reward_func

    dataset = dataset if dataset is not None else load_stage2(settings.data, limit=settings.limit,
                                                              fill_from_outcome=settings.fill_from_outcome)
    _check_rows(dataset, ("prompt", "executed", "reward"))
    return run_grpo(settings, dataset, [make_stage2_reward_func(unknown_reward=settings.unknown_reward)],
                    rollout_func)


def train_sft(settings: TrainSettings, dataset: Any = None) -> TrainResult:
    """Supervised warm start: prompt → reference trajectory (``target`` column, or ``completion``)."""
    from trl import SFTConfig, SFTTrainer

    from toolagent.train.curves import make_curve_callback
    from toolagent.train.datasets import load_stage1
    from toolagent.train.shared_prefix import shared_prefix_trainer

    start = time.perf_counter()
    dataset = dataset if dataset is not None else load_stage1(settings.data, horizon=settings.horizon,
                                                              limit=settings.limit)
    if "completion" not in dataset.column_names:
        _check_rows(dataset, ("prompt", "target"))
        dataset = dataset.rename_column("target", "completion")
    dataset = dataset.select_columns(["prompt", "completion"])
    model, tokenizer = load_model(settings)
    callback = make_curve_callback()
    common = _common_args(settings)
    if settings.epochs is not None:
        common.update(max_steps=-1, num_train_epochs=settings.epochs)
    args = SFTConfig(**common, per_device_train_batch_size=settings.batch_size, max_length=None,
                     completion_only_loss=True)
    make = shared_prefix_trainer if settings.shared_prefix else SFTTrainer
    trainer = make(model=model, args=args, train_dataset=dataset, processing_class=tokenizer,
                   peft_config=peft_config(settings), callbacks=[callback])
    trainer.train()
    return _finish(trainer, settings, tokenizer, callback, start, "loss_curve", ("loss",))


def train(settings: TrainSettings, dataset: Any = None) -> TrainResult:
    runner = {"stage1": train_stage1, "stage2": train_stage2, "sft": train_sft}[settings.stage]
    return runner(settings, dataset)
