"""``toolagent train``: synthetic task suites, Stage-1 / Stage-2 GRPO and an SFT warm start."""

from __future__ import annotations

from pathlib import Path

import typer

from toolagent.cli.common import one_line_errors

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Synthetic tasks and Stage-1 / Stage-2 training.")

_MODEL = typer.Option("embedded", "--model", help="embedded (local SmolLM2-135M) or hf:PATH to a local model.")
_OUTPUT = typer.Option(..., "--output", "-o", help="Folder for the model/adapter, config and curves.")
_LORA = typer.Option(False, "--lora", help="Train a LoRA adapter instead of all weights.")
_STEPS = typer.Option(100, "--max-steps", min=1, help="Optimiser steps.")
_GENS = typer.Option(5, "--num-generations", min=2, help="Sampled forecasts per prompt (GRPO group size).")
_LR = typer.Option(1e-6, "--lr", help="Learning rate.")
_BETA = typer.Option(1e-2, "--beta", help="KL coefficient.")
_TEMP = typer.Option(1.0, "--temperature", help="Sampling temperature.")
_MAXLEN = typer.Option(256, "--max-completion-length", min=8, help="Most tokens per sampled forecast.")
_LIMIT = typer.Option(None, "--limit", min=1, help="Use only the first N examples.")
_DEVICE = typer.Option("auto", "--device", help="auto, cpu or cuda.")
_HORIZON = typer.Option(5, "--horizon", min=1, help="Planning horizon T of the prompts and references.")


def _report(result: object) -> None:
    from toolagent.train.trainers import TrainResult

    assert isinstance(result, TrainResult)
    typer.echo(f"trained {result.steps} step(s) in {result.seconds:.1f} s -> {result.output}")
    if result.final_reward is not None:
        typer.echo(f"last reward: {result.final_reward:.4f}")
    if result.final_loss is not None:
        typer.echo(f"last loss: {result.final_loss:.4f}")
    for kind, path in sorted(result.files.items()):
        typer.echo(f"{kind}: {path}")


def _settings(stage: str, **kwargs: object) -> object:
    from toolagent.train.trainers import TrainSettings

    for key in ("data",):
        if not Path(str(kwargs[key])).expanduser().exists():
            from toolagent.errors import BadInput

            raise BadInput(f"training data not found: {kwargs[key]}")
    return TrainSettings(stage=stage, **{k: str(v) if isinstance(v, Path) else v for k, v in kwargs.items()})


@app.command()
@one_line_errors
def stage1(data: Path = typer.Option(..., "--data", help="A synthetic suite folder or a saved Stage-1 dataset."),
           model: str = _MODEL, output: Path = _OUTPUT, lora: bool = _LORA, max_steps: int = _STEPS,
           num_generations: int = _GENS, lr: float = _LR, beta: float = _BETA, temperature: float = _TEMP,
           max_completion_length: int = _MAXLEN, horizon: int = _HORIZON, limit: int | None = _LIMIT,
           gamma: float = typer.Option(0.8, "--gamma", help="Discount of future steps in the reward."),
           device: str = _DEVICE) -> None:
    """Stage 1: GRPO against reference trajectories (discounted alignment reward)."""
    from toolagent.train.rewards import Stage1Weights
    from toolagent.train.trainers import train

    settings = _settings("stage1", data=data, model=model, output=output, lora=lora, max_steps=max_steps,
                         num_generations=num_generations, learning_rate=lr, beta=beta, temperature=temperature,
                         max_completion_length=max_completion_length, horizon=horizon, limit=limit, device=device,
                         weights=Stage1Weights(gamma=gamma))
    _report(train(settings))  # type: ignore[arg-type]


@app.command()
@one_line_errors
def stage2(data: Path = typer.Option(..., "--data", help="Feedback JSONL log(s) (file or folder) or an exported "
                                                         "dataset (parquet / HF folder)."),
           model: str = _MODEL, output: Path = _OUTPUT, lora: bool = _LORA, max_steps: int = _STEPS,
           num_generations: int = _GENS, lr: float = _LR, beta: float = _BETA, temperature: float = _TEMP,
           max_completion_length: int = _MAXLEN, limit: int | None = _LIMIT,
           unknown_reward: float = typer.Option(0.0, "--unknown-reward",
                                                help="Reward of a first step whose outcome was never observed."),
           fill_from_outcome: bool = typer.Option(False, "--fill-from-outcome",
                                                  help="Unjudged tool steps of correct runs get reward 1."),
           device: str = _DEVICE) -> None:
    """Stage 2: offline GRPO on logged grounded feedback (first-step reward)."""
    from toolagent.train.trainers import train

    settings = _settings("stage2", data=data, model=model, output=output, lora=lora, max_steps=max_steps,
                         num_generations=num_generations, learning_rate=lr, beta=beta, temperature=temperature,
                         max_completion_length=max_completion_length, limit=limit, device=device,
                         unknown_reward=unknown_reward, fill_from_outcome=fill_from_outcome)
    _report(train(settings))  # type: ignore[arg-type]


@app.command()
@one_line_errors
def sft(data: Path = typer.Option(..., "--data", help="A synthetic suite folder or a saved Stage-1 dataset."),
        model: str = _MODEL, output: Path = _OUTPUT, lora: bool = _LORA, max_steps: int = _STEPS,
        lr: float = typer.Option(1e-5, "--lr", help="Learning rate."), horizon: int = _HORIZON,
        limit: int | None = _LIMIT, device: str = _DEVICE) -> None:
    """Supervised warm start on reference trajectories."""
    from toolagent.train.trainers import train

    settings = _settings("sft", data=data, model=model, output=output, lora=lora, max_steps=max_steps,
                         learning_rate=lr, horizon=horizon, limit=limit, device=device)
    _report(train(settings))  # type: ignore[arg-type]


@app.command()
@one_line_errors
def synth(n: int = typer.Option(2000, "--n", min=1, help="Number of train tasks."),
          out: Path = typer.Option(..., "--out", help="Folder for tasks.jsonl, images/ and corpus/."),
          seed: int = typer.Option(0, "--seed", help="Suite seed (same seed, same bytes)."),
          heldout: int | None = typer.Option(None, "--heldout", min=0,
                                             help="Held-out tasks (default n/10).")) -> None:
    """Write a deterministic synthetic tool-task suite with reference trajectories."""
    from toolagent.train.synth import write_suite

    counts = write_suite(out, n, seed=seed, heldout=heldout)
    typer.echo(f"wrote {counts['train']} train + {counts['heldout']} held-out tasks, "
               f"{counts['towns']} corpus documents -> {out}")
    typer.echo(f"solve with: --search local --corpus {Path(out) / 'corpus'}")
