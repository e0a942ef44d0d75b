"""``toolagent train``: synthetic task suites, Stage-1 / Stage-2 GRPO and an SFT warm start."""

from __future__ import annotations

import json
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
        batch_size: int = typer.Option(1, "--batch-size", min=1,
                                       help="Rows per step; their shared prompt prefix is computed once."),
        limit: int | None = _LIMIT, device: str = _DEVICE) -> None:
    """Supervised warm start on reference trajectories."""
    from toolagent.train.trainers import train

    settings = _settings("sft", data=data, model=model, output=output, lora=lora, max_steps=max_steps,
                         learning_rate=lr, horizon=horizon, batch_size=batch_size, limit=limit, device=device)
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


@app.command()
@one_line_errors
def recipe(out: Path = typer.Option(..., "--out", help="Recipe folder (stages kept there; a re-run resumes)."),
           seed: int = typer.Option(0, "--seed", help="Seed of the suite, sampling and trainers."),
           model: str = _MODEL,
           smallest: bool = typer.Option(False, "--smallest",
                                         help="CI setting: a few examples, 1-2 steps per stage, a tiny random Llama."),
           n_train: int | None = typer.Option(None, "--n-train", min=1, help="Train tasks in the suite."),
           n_heldout: int | None = typer.Option(None, "--n-heldout", min=1, help="Held-out tasks in the suite."),
           sft_epochs: float | None = typer.Option(None, "--sft-epochs", min=0.01, help="SFT passes over the data."),
           sft_batch: int | None = typer.Option(None, "--sft-batch", min=1,
                                                help="SFT rows per step (their shared prompt prefix runs once)."),
           s1_steps: int | None = typer.Option(None, "--s1-steps", min=1, help="Stage-1 GRPO steps."),
           s2_steps: int | None = typer.Option(None, "--s2-steps", min=1, help="Stage-2 GRPO steps."),
           rollout_tasks: int | None = typer.Option(None, "--rollout-tasks", min=1,
                                                    help="Train tasks the SFT+Stage-1 agent answers for Stage 2."),
           eval_limit: int | None = typer.Option(None, "--eval-limit", min=1, help="Held-out tasks per eval row."),
           graphs: str | None = typer.Option(None, "--graphs", help="Graphs evaluated after every stage "
                                                                   "(comma-separated: tracer1,react)."),
           eval_rows: str | None = typer.Option(None, "--eval-rows", help="Stages evaluated at the end "
                                                                         "(comma-separated: stage2,base,stage1,sft)."),
           lora_top_layers: int | None = typer.Option(None, "--lora-top-layers", min=1,
                                                      help="LoRA on the top N layers only (faster backward)."),
           threads: int | None = typer.Option(None, "--threads", min=1, help="torch CPU threads."),
           device: str = _DEVICE) -> None:
    """The whole recipe: suite → SFT → Stage 1 → rollouts → Stage 2, eval synth after every stage."""
    from toolagent.train.recipe import RecipeSettings, run_recipe

    given = {"seed": seed, "model": model, "n_train": n_train, "n_heldout": n_heldout, "sft_epochs": sft_epochs,
             "sft_batch": sft_batch, "s1_steps": s1_steps, "s2_steps": s2_steps, "rollout_tasks": rollout_tasks,
             "eval_limit": eval_limit,
             "lora_top_layers": lora_top_layers, "threads": threads, "device": device,
             "eval_graphs": [g.strip() for g in graphs.split(",") if g.strip()] if graphs else None,
             "eval_rows": [r.strip() for r in eval_rows.split(",") if r.strip()] if eval_rows else None}
    given = {k: v for k, v in given.items() if v is not None}
    settings = (RecipeSettings.smallest_settings(str(out), **given) if smallest
                else RecipeSettings(out=str(out), **given))
    record = run_recipe(settings, echo=typer.echo)
    typer.echo(render_table(record))


def _set_threads(threads: int | None) -> None:
    if threads:
        import torch

        torch.set_num_threads(threads)


def render_table(record: dict[str, object]) -> str:
    from toolagent.train.recipe_table import ablation_table

    return ablation_table(record)


@app.command()
@one_line_errors
def ablate(runs: Path = typer.Option(..., "--runs", help="A recipe folder."),
           stage: str = typer.Option("stage2", "--stage", help="base, sft, stage1 or stage2."),
           graph: str = typer.Option("tracer1", "--graph", help="tracer1 or react."),
           horizon: int | None = typer.Option(None, "--horizon", min=1, max=10, help="Planning horizon T."),
           limit: int | None = typer.Option(None, "--limit", min=1, help="Held-out tasks (default: the recipe's)."),
           mode: str | None = typer.Option(None, "--mode", help="agent (full runs) or step (first planner turn "
                                                                "only: first-step metrics)."),
           variant: str = typer.Option("", "--variant", help="A variant stage folder suffix (e.g. -g1)."),
           quantize: str = typer.Option("none", "--quantize", help="none or int8 (the model's Linear weights)."),
           data: Path | None = typer.Option(None, "--data", help="Another suite folder whose held-out tasks to "
                                                                 "use (e.g. tests/data/checkset)."),
           threads: int | None = typer.Option(None, "--threads", min=1, help="torch CPU threads (default: the "
                                                                             "recipe's; 1 beside a running recipe).")
           ) -> None:
    """One more held-out eval row of a finished recipe stage (another graph, horizon, weights or suite), kept in
    recipe.json."""
    from toolagent.errors import BadInput

    if quantize not in ("none", "int8"):
        raise BadInput(f"--quantize must be none or int8, got {quantize!r}")
    if data is not None and not (data / "tasks.jsonl").is_file():
        raise BadInput(f"--data {data}: no tasks.jsonl there (a suite folder from `toolagent train synth`)")
    from toolagent.train.recipe import Recipe, load_settings

    settings = load_settings(runs)
    _set_threads(threads or settings.threads)
    recipe_obj = Recipe(settings, echo=typer.echo)
    metrics = recipe_obj.evaluate(stage, graph, horizon, variant=variant, limit=limit if limit is not None else -1,
                                  mode=mode, quantize=quantize, data=str(data) if data is not None else None)
    typer.echo(json.dumps({k: metrics.get(k) for k in ("tasks", "first_step_tool_acc", "answer_acc", "mean_steps",
                                                       "seconds_per_task")}))


@app.command()
@one_line_errors
def variant(runs: Path = typer.Option(..., "--runs", help="A recipe folder past its sft stage."),
            gamma: float = typer.Option(1.0, "--gamma", help="Stage-1 discount γ."),
            lambda_rep: float = typer.Option(0.0, "--lambda-rep", help="Stage-1 repetition penalty λ_rep."),
            name: str = typer.Option("-g1", "--name", help="Suffix of the variant's folder (stage1<name>)."),
            threads: int | None = typer.Option(None, "--threads", min=1, help="torch CPU threads (default: the "
                                                                              "recipe's).")) -> None:
    """Stage 1 again from the SFT adapter with other reward weights (then: train ablate --stage stage1
    --variant NAME)."""
    from toolagent.train.recipe import Recipe, load_settings

    settings = load_settings(runs)
    _set_threads(threads or settings.threads)
    info = Recipe(settings, echo=typer.echo).train_variant(gamma, lambda_rep, name)
    typer.echo(json.dumps(info))


@app.command()
@one_line_errors
def table(runs: Path = typer.Option(..., "--runs", help="A recipe folder (its recipe.json)."),
          write: Path | None = typer.Option(None, "--write", help="Replace the table between the markers in this "
                                                                  "Markdown file (else print it).")) -> None:
    """The ablation table (Markdown) from a recipe's eval rows."""
    from toolagent.train.recipe import load_record
    from toolagent.train.recipe_table import ablation_table, write_between_markers

    text = ablation_table(load_record(runs))
    if write is None:
        typer.echo(text)
    else:
        write_between_markers(write, text)
        typer.echo(f"table written to {write}")


@app.command()
@one_line_errors
def ship(runs: Path = typer.Option(..., "--runs", help="A recipe folder."),
         stage: str = typer.Option("stage2", "--stage", help="The stage whose adapter ships: sft, stage1, stage2."),
         dest: Path = typer.Option(Path("toolagent/models/weights/tracer1-tiny"), "--dest",
                                   help="Where the adapter and its model card go.")) -> None:
    """Copy a recipe stage's adapter (fp16) and a model card into the package."""
    from toolagent.train.ship import ship_adapter

    typer.echo(f"shipped {stage} -> {ship_adapter(runs, stage, dest)}")
