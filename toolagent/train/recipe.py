"""``toolagent train recipe``: the one reproducible path from nothing to a trained tracer1-tiny planner.

Stages, in order, each writing its output under ``DIR/<stage>/`` and recorded in ``DIR/recipe.json`` (its
seconds and what it made); a stage already recorded as done is skipped on a re-run, so an interrupted recipe
resumes where it stopped:

1. ``suite``      a synthetic task suite (train + held-out split) with reference trajectories;
2. ``base``       the base model folder (SmolLM2-135M from the embedded cache; ``--smallest``: a tiny random
                  Llama built here, for CI);
3. ``data``       every state of every train reference trajectory, executed with the real tools, rendered by
                  ``planner_messages`` with the profile the agent uses at inference → the forecast target;
4. ``sft``        LoRA SFT warm start on ``data`` (loss on the completion only);
5. ``stage1``     GRPO with the Stage-1 trajectory reward, continuing the SFT adapter;
6. ``rollouts``   the SFT+Stage-1 agent answers train tasks (``eval synth --split train``); every executed step
                  is graded into a feedback log with its grounded reward;
7. ``stage2``     GRPO on the grounded rewards of that log, continuing the Stage-1 adapter;
8. ``eval_*``     ``eval synth`` on the held-out split for every stage's model (stage2, base, stage1, sft).

Every trained stage leaves a LoRA adapter in ``DIR/<stage>/``; evaluation runs the adapter merged into the base
(``DIR/<stage>/merged``, made once). Seeds are fixed (suite, sampling, trainer).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from toolagent.errors import BadInput

TRAINED = ("sft", "stage1", "stage2")
EVAL_ROWS = ("base", *TRAINED)


class RecipeSettings(BaseModel):
    """Every knob of the recipe (recorded in recipe.json)."""

    out: str
    seed: int = 0
    model: str = "embedded"
    smallest: bool = False
    n_train: int = 780
    n_heldout: int = 60
    horizon: int = 5
    # SFT
    sft_epochs: float = 1.0
    sft_lr: float = 4e-4
    #: SFT rows per step; a batch computes the shared system prompt once (``shared_prefix``)
    sft_batch: int = 4
    grad_accum: int = 1
    lora_r: int = 16
    lora_alpha: int = 32
    #: LoRA only on the top N decoder layers (None: all); the frozen lower layers then need no backward pass
    lora_top_layers: int | None = 10
    # GRPO
    s1_steps: int = 4
    s2_steps: int = 3
    rl_lr: float = 5e-5
    num_generations: int = 4
    max_completion_length: int = 96
    gamma: float = 0.8
    guided_rollouts: bool = True
    lambda_rep: float = 0.1
    # rollouts and evaluation
    rollout_tasks: int = 8
    max_steps: int = 5
    eval_limit: int | None = 60
    eval_graphs: list[Literal["tracer1", "react"]] = Field(default_factory=lambda: ["tracer1", "react"])
    eval_workers: int = 1
    #: the untrained base fills every string field to its bound (a planner turn takes 15-300 s here), so its row
    #: is left to ``train ablate --stage base --limit N`` unless asked for
    eval_rows: list[Literal["base", "sft", "stage1", "stage2"]] = Field(
        default_factory=lambda: ["sft", "stage1", "stage2"])
    #: ``agent`` (full runs: answer accuracy) or ``step`` (one planner turn: first-step metrics only)
    eval_mode: Literal["agent", "step"] = "agent"
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int | None = None

    @classmethod
    def smallest_settings(cls, out: str, **overrides: Any) -> RecipeSettings:
        """The CI setting: a few examples, one or two steps per stage, a tiny random Llama."""
        # horizon 1: an untrained tiny model fills every string field to its bound, so its (guided) replies are
        # as long as the plan allows; one step keeps a CI planner turn short
        base = {"out": out, "smallest": True, "n_train": 3, "n_heldout": 2, "horizon": 1, "sft_epochs": 1.0,
                "sft_batch": 2, "grad_accum": 1, "s1_steps": 1, "s2_steps": 1, "num_generations": 2,
                "max_completion_length": 16,
                "rollout_tasks": 1, "max_steps": 1, "eval_limit": 1, "eval_mode": "step", "lora_r": 4,
                "lora_alpha": 8, "lora_top_layers": 1, "device": "cpu",
                "eval_rows": ["base", "sft", "stage1", "stage2"], "eval_graphs": ["tracer1"]}
        return cls(**{**base, **overrides})


class Recipe:
    """One recipe folder: settings, stage records, and the stage functions."""

    def __init__(self, settings: RecipeSettings, echo: Callable[[str], None] = print) -> None:
        self.settings = settings
        self.root = Path(settings.out).expanduser().resolve()
        self.echo = echo
        self.record: dict[str, Any] = {"settings": settings.model_dump(mode="json"), "stages": {}, "evals": {}}
        existing = self.root / "recipe.json"
        if existing.is_file():
            old = json.loads(existing.read_text(encoding="utf-8"))
            self._check_same(old.get("settings", {}))
            self.record["stages"] = old.get("stages", {})
            self.record["evals"] = old.get("evals", {})
            self.record["commit"] = old.get("commit")

    # ------------------------------------------------------------------ bookkeeping
    def _check_same(self, old: dict[str, Any]) -> None:
        """A resumed recipe must use the settings that made its finished stages."""
        keep = ("seed", "model", "smallest", "n_train", "n_heldout", "horizon")
        changed = [k for k in keep if k in old and old[k] != getattr(self.settings, k)]
        if changed:
            raise BadInput(f"{self.root} was made with other settings ({', '.join(changed)}); use a new --out")

    def save(self) -> None:
        """Write recipe.json, merged with what another process (``train ablate``) recorded meanwhile."""
        self.root.mkdir(parents=True, exist_ok=True)
        file = self.root / "recipe.json"
        if file.is_file():
            disk = json.loads(file.read_text(encoding="utf-8"))
            for key in ("stages", "evals"):
                self.record[key] = {**disk.get(key, {}), **self.record[key]}
        tmp = self.root / f"recipe.json.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(self.record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(file)

    def done(self, stage: str) -> bool:
        return bool(self.record["stages"].get(stage, {}).get("done"))

    def path(self, stage: str) -> Path:
        return self.root / stage

    def run_stage(self, index: int, total: int, stage: str, fn: Callable[[], dict[str, Any]]) -> None:
        if self.done(stage):
            seconds = self.record["stages"][stage].get("seconds", 0.0)
            self.echo(f"[{index}/{total}] {stage}: done before ({seconds:.0f} s), skipped")
            return
        self.echo(f"[{index}/{total}] {stage} ...")
        start = time.perf_counter()
        info = fn() or {}
        seconds = time.perf_counter() - start
        seconds += float(info.pop("earlier_seconds", 0.0))  # a continued stage counts its earlier run too
        self.record["stages"][stage] = {"done": True, "seconds": round(seconds, 1), **info}
        self.save()
        self.echo(f"[{index}/{total}] {stage}: {seconds:.0f} s")

    # ------------------------------------------------------------------ stages
    def suite_dir(self) -> Path:
        return self.path("suite")

    def stage_suite(self) -> dict[str, Any]:
        from toolagent.train.synth import write_suite

        counts = write_suite(self.suite_dir(), self.settings.n_train, seed=self.settings.seed,
                             heldout=self.settings.n_heldout)
        return {"counts": counts}

    def base_dir(self) -> Path:
        if self.settings.smallest:
            return self.path("base")
        from toolagent.train.trainers import model_path

        return model_path(self.settings.model)

    def stage_base(self) -> dict[str, Any]:
        if not self.settings.smallest:
            return {"model": str(self.base_dir())}
        from toolagent.train.tiny import build_tiny_llama

        texts = [json.dumps(row, ensure_ascii=False) for row in self._rows()]
        build_tiny_llama(self.path("base"), texts, vocab_size=400, seed=self.settings.seed)
        return {"model": str(self.path("base"))}

    def _rows(self) -> list[dict[str, Any]]:
        """Stage-1/SFT rows of the train split (prompts rendered as the agent renders them)."""
        from toolagent.train.datasets import planner_tools, stage1_rows, suite_references

        refs = suite_references(self.suite_dir(), "train")
        rows = stage1_rows(refs, planner_tools(self.suite_dir()), horizon=self.settings.horizon,
                           **prompt_options(self.base_dir()))
        return rows

    def stage_data(self) -> dict[str, Any]:
        from transformers import AutoTokenizer

        from toolagent.train.export import to_dataset

        rows = self._rows()
        tokenizer = AutoTokenizer.from_pretrained(self.base_dir())
        prompt_tokens = [len(tokenizer(tokenizer.apply_chat_template(r["prompt"], add_generation_prompt=True,
                                                                     tokenize=False),
                                       add_special_tokens=False)["input_ids"]) for r in rows]
        target_tokens = [len(tokenizer(r["target"][0]["content"], add_special_tokens=False)["input_ids"])
                         for r in rows]
        to_dataset(rows).save_to_disk(str(self.path("data")))
        return {"rows": len(rows), "prompt_tokens_mean": round(sum(prompt_tokens) / len(rows), 1),
                "prompt_tokens_max": max(prompt_tokens), "target_tokens_mean": round(sum(target_tokens) / len(rows), 1),
                "target_tokens_max": max(target_tokens),
                "sft_tokens": int((sum(prompt_tokens) + sum(target_tokens)) * self.settings.sft_epochs)}

    def _train_settings(self, stage: str, **kw: Any) -> Any:
        from toolagent.train.rewards import Stage1Weights
        from toolagent.train.trainers import TrainSettings

        s = self.settings
        return TrainSettings(stage=stage, model=str(self.base_dir()), output=str(self.path(kw.pop("name", stage))),
                             lora=True, lora_r=s.lora_r, lora_alpha=s.lora_alpha, lora_layers=self._lora_layers(),
                             seed=s.seed, device=s.device, horizon=s.horizon, progress=True,
                             weights=Stage1Weights(gamma=s.gamma, lambda_rep=s.lambda_rep), **kw)

    def _lora_layers(self) -> list[int] | None:
        top = self.settings.lora_top_layers
        if top is None:
            return None
        config = json.loads((self.base_dir() / "config.json").read_text(encoding="utf-8"))
        layers = int(config["num_hidden_layers"])
        return list(range(max(0, layers - top), layers))

    def _dataset(self) -> Any:
        from datasets import load_from_disk

        return load_from_disk(str(self.path("data")))

    def stage_sft(self) -> dict[str, Any]:
        """LoRA SFT. A recipe re-run with more ``--sft-epochs`` continues the recorded adapter for the missing
        epochs (a fresh schedule, the data in a new order), keeping the earlier adapter as ``sft-e<N>``."""
        from toolagent.train.trainers import train_sft

        s = self.settings
        earlier = self.record["stages"].get("sft", {})
        done_epochs = float(earlier.get("epochs_done", 0.0))
        init = None
        if 0 < done_epochs < s.sft_epochs:
            init = self.root / f"sft-e{done_epochs:g}"
            if not init.exists():
                shutil.copytree(self.path("sft"), init, ignore=shutil.ignore_patterns("merged"))
            shutil.rmtree(self.path("sft") / "merged", ignore_errors=True)
        settings = self._train_settings("sft", data=str(self.path("data")), learning_rate=s.sft_lr,
                                        epochs=s.sft_epochs - done_epochs, gradient_accumulation_steps=s.grad_accum,
                                        batch_size=s.sft_batch,
                                        init_adapter=str(init) if init else None)
        result = train_sft(settings, self._dataset().shuffle(seed=s.seed + int(done_epochs)))
        seconds = float(earlier.get("seconds", 0.0)) if init else 0.0
        return {"steps": result.steps + int(earlier.get("steps", 0) if init else 0), "final_loss": result.final_loss,
                "epochs_done": s.sft_epochs, "earlier_seconds": seconds}

    def _grpo_settings(self, stage: str, data: str, steps: int, init: str) -> Any:
        s = self.settings
        return self._train_settings(stage, data=data, learning_rate=s.rl_lr, max_steps=steps, beta=0.0,
                                    num_generations=s.num_generations,
                                    max_completion_length=s.max_completion_length,
                                    init_adapter=str(self.path(init)))

    def _rollout(self) -> Any:
        """GRPO samples drawn as the agent decodes (guided, fast decoder), unless ``--unguided-rollouts``."""
        if not self.settings.guided_rollouts:
            return None
        from toolagent.train.datasets import planner_tools
        from toolagent.train.guided_rollout import make_guided_rollout

        return make_guided_rollout(planner_tools(self.suite_dir()), self.settings.horizon,
                                   self.settings.max_completion_length)

    def stage_stage1(self) -> dict[str, Any]:
        from toolagent.train.trainers import train_stage1

        s = self.settings
        data = self._dataset().shuffle(seed=s.seed + 1)
        result = train_stage1(self._grpo_settings("stage1", str(self.path("data")), s.s1_steps, "sft"), data,
                              self._rollout())
        return {"steps": result.steps, "final_reward": result.final_reward}

    def train_variant(self, gamma: float, lambda_rep: float, name: str) -> dict[str, Any]:
        """Stage 1 again from the SFT adapter with other reward weights (the γ / λ_rep ablation), into
        ``DIR/stage1<name>``; evaluate it with ``evaluate("stage1", variant=name)``."""
        from toolagent.train.rewards import Stage1Weights
        from toolagent.train.trainers import train_stage1

        s = self.settings
        if not self.done("sft"):
            raise BadInput("the variant starts from the SFT adapter: run the recipe through its sft stage first")
        settings = self._grpo_settings("stage1", str(self.path("data")), s.s1_steps, "sft")
        settings = settings.model_copy(update={"output": str(self.path(f"stage1{name}")), "weights": Stage1Weights(
            gamma=gamma, lambda_rep=lambda_rep)})
        start = time.perf_counter()
        result = train_stage1(settings, self._dataset().shuffle(seed=s.seed + 1), self._rollout())
        info = {"done": True, "seconds": round(time.perf_counter() - start, 1), "gamma": gamma,
                "lambda_rep": lambda_rep, "final_reward": result.final_reward}
        self.record["stages"][f"stage1{name}"] = info
        self.save()
        return info

    def stage_rollouts(self) -> dict[str, Any]:
        """The SFT+Stage-1 agent on train tasks (``eval synth --split train``), every step graded."""
        from toolagent.eval.synth import evaluate
        from toolagent.train.rollouts import grounded_log

        s = self.settings
        run_dir = self.path("rollouts") / "run"
        metrics = evaluate(self.suite_dir(), "train", f"hf:{self.merged('stage1')}", run_dir, graph="tracer1",
                           horizon=s.horizon, limit=s.rollout_tasks, workers=s.eval_workers, max_steps=s.max_steps,
                           progress=True)
        stats = grounded_log(run_dir, self.suite_dir(), self.path("rollouts") / "feedback.jsonl")
        return {**stats, "train_answer_acc": metrics.get("answer_acc"),
                "train_first_step_tool_acc": metrics.get("first_step_tool_acc")}

    def stage_stage2(self) -> dict[str, Any]:
        from toolagent.train.datasets import load_stage2
        from toolagent.train.trainers import train_stage2

        s = self.settings
        log = self.path("rollouts") / "feedback.jsonl"
        data = load_stage2(log).shuffle(seed=s.seed + 2)
        # a text planner: TRL would turn an ``images`` column into multimodal prompts
        data = data.remove_columns([c for c in ("images", "image_sha256") if c in data.column_names])
        result = train_stage2(self._grpo_settings("stage2", str(log), s.s2_steps, "stage1"), data, self._rollout())
        return {"steps": result.steps, "final_reward": result.final_reward, "rows": len(data)}

    # ------------------------------------------------------------------ models and evaluation
    def merged(self, stage: str) -> Path:
        """The stage's model as a plain folder: the base itself, or base + the stage's adapter merged (cached)."""
        if stage == "base":
            return self.base_dir()
        from toolagent.models.embedded import is_cached, merge_adapter

        folder = self.path(stage) / "merged"
        if not is_cached(folder):
            merge_adapter(self.base_dir(), self.path(stage), folder)
        return folder

    def eval_key(self, stage: str, graph: str, horizon: int, variant: str = "", mode: str = "agent",
                 quantize: str = "none", data: str | None = None) -> str:
        """``stage[variant][@int8]/graph/T[/mode][/suite]``: the row's name in ``recipe.json``."""
        weights = "" if quantize == "none" else f"@{quantize}"
        return (f"{stage}{variant}{weights}/{graph}/T{horizon}" + ("" if mode == "agent" else f"/{mode}")
                + (f"/{Path(data).name}" if data else ""))

    def evaluate(self, stage: str, graph: str = "tracer1", horizon: int | None = None, variant: str = "",
                 limit: int | None = -1, mode: str | None = None, quantize: str = "none",
                 data: str | None = None) -> dict[str, Any]:
        """``eval synth`` of one stage's model on the held-out split (or on the held-out tasks of another suite
        folder, e.g. the hand-written check set), optionally with int8 weights; recorded under ``evals``."""
        from toolagent.eval.synth import evaluate
        from toolagent.models.resolve import INT8

        horizon = horizon or self.settings.horizon
        limit = self.settings.eval_limit if limit == -1 else limit
        mode = mode or self.settings.eval_mode
        key = self.eval_key(stage, graph, horizon, variant, mode, quantize, data)
        out = self.root / "eval" / key.replace("/", "-").replace("@", "-")
        spec = f"hf:{self.merged(stage + variant)}" + (INT8 if quantize == "int8" else "")
        load = os.getloadavg()[0]
        start = time.perf_counter()
        metrics = evaluate(data or self.suite_dir(), "heldout", spec, out, graph=graph, horizon=horizon, limit=limit,
                           workers=self.settings.eval_workers, max_steps=self.settings.max_steps, mode=mode,
                           progress=True)
        metrics["eval_seconds"] = round(time.perf_counter() - start, 1)
        metrics["load_average"] = round(load, 1)
        self.record["evals"][key] = metrics
        self.save()
        return metrics

    def stage_eval(self, stage: str) -> Callable[[], dict[str, Any]]:
        def run() -> dict[str, Any]:
            self.save()  # picks up rows another process (``train ablate``) measured meanwhile
            done = self.record["evals"]
            horizon = self.settings.horizon
            mode = self.settings.eval_mode
            return {graph: done.get(self.eval_key(stage, graph, horizon, mode=mode)) or self.evaluate(stage, graph)
                    for graph in self.settings.eval_graphs}

        return run

    # ------------------------------------------------------------------ the whole recipe
    def plan(self) -> list[tuple[str, Callable[[], dict[str, Any]]]]:
        """Training first, then one eval per stage (final stage first, so a recipe cut short by a time limit
        still has the row that decides what ships; each stage's model is kept, so the order changes nothing)."""
        training = [("suite", self.stage_suite), ("base", self.stage_base), ("data", self.stage_data),
                    ("sft", self.stage_sft), ("stage1", self.stage_stage1), ("rollouts", self.stage_rollouts),
                    ("stage2", self.stage_stage2)]
        order = ("stage2", "base", "stage1", "sft")
        return training + [(f"eval_{row}", self.stage_eval(row)) for row in order if row in self.settings.eval_rows]

    def run(self) -> dict[str, Any]:
        from toolagent.train.trainers import seed_everything

        if self.settings.threads:
            import torch

            torch.set_num_threads(self.settings.threads)
        seed_everything(self.settings.seed)
        self.record.setdefault("commit", git_commit())
        self.save()
        steps = self.plan()
        for index, (stage, fn) in enumerate(steps, 1):
            self.run_stage(index, len(steps), stage, fn)
        trained = sum(self.record["stages"][s]["seconds"] for s in ("sft", "stage1", "rollouts", "stage2"))
        self.record["training_seconds"] = round(trained, 1)
        self.save()
        self.echo(f"training stages together: {trained / 60:.1f} min -> {self.root / 'recipe.json'}")
        return self.record


def prompt_options(model_dir: Path) -> dict[str, Any]:
    """The planner_messages options the agent uses at inference for this model (training must match them):
    the prompt profile the runtime picks with ``prompt_profile="auto"`` (compact for small local models)."""
    import inspect

    from toolagent import planner
    from toolagent.models.hf import HFChatModel

    if "profile" not in inspect.signature(planner.planner_messages).parameters:
        return {}
    if not (model_dir / "config.json").is_file():  # the tiny CI model, before it is built from these prompts
        return {"profile": "compact"}
    small = getattr(HFChatModel(model_path=str(model_dir)), "prefers_compact_prompt", False)
    return {"profile": "compact" if small else "full"}


def git_commit() -> str | None:
    import subprocess

    here = Path(__file__).resolve().parent
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True,
                                check=False, timeout=10)
    except OSError:
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def run_recipe(settings: RecipeSettings, echo: Callable[[str], None] = print) -> dict[str, Any]:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    return Recipe(settings, echo).run()


def load_record(folder: str | Path) -> dict[str, Any]:
    file = Path(folder).expanduser() / "recipe.json"
    if not file.is_file():
        raise BadInput(f"not a recipe folder (no recipe.json): {file.parent}")
    return json.loads(file.read_text(encoding="utf-8"))


def load_settings(folder: str | Path) -> RecipeSettings:
    settings = RecipeSettings.model_validate(load_record(folder)["settings"])
    return settings.model_copy(update={"out": str(Path(folder).expanduser())})
