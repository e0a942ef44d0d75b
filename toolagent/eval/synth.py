"""The synthetic suite as a benchmark: any model on a suite split, with the REAL tools, through the eval runner.

Tools: the suite's own configuration (calculator, tesseract OCR, ``web_search`` over the suite's ``corpus/`` with
local bm25s), i.e. ``toolagent.train.datasets.suite_tool_config``. Two modes:

- ``agent`` (default): one full agent run per task; scores the first executed step and the final answer;
- ``step``: ONE planner turn on the task's initial state (the prompt the graph builds for its first turn) and no
  tool call; scores the first step only (the cheap row when a metric needs only the first step).

Metrics, overall and per task kind (percentages; errors count as wrong):

- ``first_step_tool_acc``: the first step calls the reference's first tool (``answer`` for a no-tool task);
- ``first_step_arg_acc``: ... and with the reference's arguments (``args_match``);
- ``answer_acc`` (agent mode): the final answer matches the suite answer (``answer_matches``);
- ``mean_steps``: executed tool steps per finished task; ``seconds_per_task``: wall time per finished task.

``evaluate(...)`` is the Python entry point (the training recipe calls it after every stage).
"""

from __future__ import annotations

import re
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from toolagent.errors import BadInput
from toolagent.eval.job import Bench, EvalJob, run_agent_task, shared_model, step_summary

SPLITS = ("train", "heldout")
#: the headline metrics, in report order
HEADLINE = ("first_step_tool_acc", "first_step_arg_acc", "answer_acc", "mean_steps", "seconds_per_task")

_NUMBER = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?")


# ------------------------------------------------------------------------------------------------- matching

def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def _words(text: str) -> str:
    return " ".join(text.casefold().split()).strip(" .!")


def answer_matches(answer: str | None, truth: str) -> bool:
    """Numeric truth: the LAST number in the answer equals it (``$13.50`` = 13.5, ``1,250`` = 1250); text truth:
    equal ignoring case and spacing, or contained in the answer as a whole word (``Gate B12`` holds ``B12``); a
    one-character truth (a letter) must be the answer's last word, case included (``The letter is V.``)."""
    if not answer:
        return False
    value = _decimal(truth.strip()) if _NUMBER.fullmatch(truth.strip()) else None
    if value is not None:
        numbers = _NUMBER.findall(answer)
        return bool(numbers) and _decimal(numbers[-1]) == value
    if _words(answer) == _words(truth):
        return True
    if len(truth.strip()) == 1:
        words = re.findall(r"\w+", answer)
        return bool(words) and words[-1] == truth.strip()
    return re.search(rf"(?<![\w-]){re.escape(truth.strip())}(?![\w-])", answer, re.IGNORECASE) is not None


def _expression_value(expression: Any) -> Decimal | None:
    from toolagent.tools.base import ToolError
    from toolagent.tools.calculator import calculate

    try:
        return _decimal(calculate(str(expression))[1]["decimal"])
    except (ToolError, KeyError, TypeError):
        return None


def args_match(reference: dict[str, Any], args: dict[str, Any]) -> bool:
    """Every reference argument is given and equal: ``expression`` by its value (``4*3`` = ``3*4``), ``image`` by
    file name, ``text`` (an answer) by ``answer_matches``, anything else ignoring case and spacing. Extra optional
    arguments are allowed."""
    for key, want in reference.items():
        if key not in args:
            return False
        got = args[key]
        if key == "expression":
            value = _expression_value(want)
            if value is None or _expression_value(got) != value:
                return False
        elif key == "image":
            if Path(str(got)).name != Path(str(want)).name:
                return False
        elif key == "text":
            if not answer_matches(str(got), str(want)):
                return False
        elif _words(str(got)) != _words(str(want)):
            return False
    return True


# ------------------------------------------------------------------------------------------------- metrics

def _pct(rows: list[dict[str, Any]], key: str) -> float | None:
    return 100.0 * sum(bool(r.get(key)) for r in rows) / len(rows) if rows else None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def group_metrics(rows: list[dict[str, Any]], answers: bool) -> dict[str, float | int | None]:
    """The headline metrics of a group of rows."""
    ok = [r for r in rows if r.get("status") == "ok"]
    return {"tasks": len(rows),
            "first_step_tool_acc": _pct(rows, "first_tool_ok"), "first_step_arg_acc": _pct(rows, "first_args_ok"),
            "answer_acc": _pct(rows, "correct") if answers else None,
            "mean_steps": _mean([float(r.get("steps") or 0) for r in ok]),
            "seconds_per_task": _mean([float(r["elapsed_s"]) for r in ok if r.get("elapsed_s") is not None])}


class SynthBench(Bench):
    """Full agent runs on a synthetic suite split."""

    name = "synth"
    answers = True

    def __init__(self, job: EvalJob) -> None:
        super().__init__(job)
        self.root = Path(job.data).expanduser().resolve()

    def tasks(self) -> list[Any]:
        from toolagent.train.synth import load_suite

        if self.job.split not in SPLITS:
            raise BadInput(f"--split must be train or heldout, got {self.job.split!r}")
        if self.job.limit is not None and self.job.limit < 1:
            raise BadInput(f"--limit must be positive (got {self.job.limit})")
        tasks = load_suite(self.root, self.job.split)  # type: ignore[arg-type]
        if not tasks:
            raise BadInput(f"the suite {self.root} has no {self.job.split} tasks")
        return tasks[:self.job.limit] if self.job.limit else tasks

    def tool_config(self) -> Any:
        """The job's tool settings (cache, OCR backend, ...) with the suite's local search corpus."""
        return self.job.tool_config().model_copy(update={"search": "local", "corpus": self.root / "corpus"})

    def images(self, task: Any) -> list[str]:
        return [str(self.root / p) for p in task.images]

    def base_row(self, task: Any) -> dict[str, Any]:
        first = task.reference[0]
        return {"task_id": task.task_id, "kind": task.kind, "question": task.question, "ground_truth": task.answer,
                "ref_tool": first.tool, "ref_args": first.args}

    def score_first(self, task: Any, tool: str | None, args: dict[str, Any] | None) -> dict[str, Any]:
        first = task.reference[0]
        tool_ok = tool == first.tool
        return {"first_tool": tool, "first_args": args, "first_tool_ok": tool_ok,
                "first_args_ok": tool_ok and args_match(first.args, args or {})}

    def run_task(self, task: Any) -> dict[str, Any]:
        result = run_agent_task(self.job, task_id=task.task_id, question=task.question, images=self.images(task),
                                files=[], ground_truth=task.answer, tool_config=self.tool_config(), pool=self.agents)
        first = result.steps[0].executed if result.steps else None
        answer = result.answer if result.status == "answered" else None
        return {**self.base_row(task), "status": "ok",
                **self.score_first(task, first.tool if first else None, first.args if first else None),
                "answer": answer, "correct": answer_matches(answer, task.answer), **step_summary(result)}

    def metrics(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        metrics: dict[str, Any] = group_metrics(rows, self.answers)
        kinds = sorted({str(r.get("kind")) for r in rows})
        per_kind = {kind: group_metrics([r for r in rows if r.get("kind") == kind], self.answers) for kind in kinds}
        for key in ("tasks", *HEADLINE):
            if key == "answer_acc" and not self.answers:
                continue
            metrics[f"{key}_by_kind"] = {kind: values[key] for kind, values in per_kind.items()}
        return metrics

    def tables(self, metrics: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        return [("Synthetic suite", {k: metrics[k] for k in HEADLINE})]

    def headline(self, rows: list[dict[str, Any]]) -> str:
        m = group_metrics(rows, self.answers)
        text = "tool -" if m["first_step_tool_acc"] is None else f"tool {m['first_step_tool_acc']:.0f}%"
        return text + ("" if m["answer_acc"] is None else f" ans {m['answer_acc']:.0f}%")

    def breakdown(self, metrics: dict[str, Any]) -> tuple[str, dict[str, float | None]]:
        if self.answers:
            return "Answer accuracy per task kind (%)", metrics["answer_acc_by_kind"]
        return "First-step tool accuracy per task kind (%)", metrics["first_step_tool_acc_by_kind"]

    def notes(self) -> list[str]:
        return [("Real tools: calculator, tesseract OCR, web_search over the suite's local corpus. Arguments match "
                 "by value for calculator expressions, by file name for images, else ignoring case and spacing. "
                 "A numeric answer is right when the last number in it equals the suite answer; a text answer "
                 "when it equals the suite answer or holds it as a whole word. Errors count as wrong.")]


class SynthStepBench(SynthBench):
    """One planner turn per task on its initial state (no tool runs): first-step metrics only."""

    answers = False

    def planner(self) -> Any:
        """The graph's own resolved agent (model, tools, menu, prompt profile), built once per job."""
        from toolagent.graphs.runtime import Agent

        def build() -> Any:
            job = self.job
            agent = Agent(job.agent.with_(model=shared_model(job.model, job.base_url), tool_config=self.tool_config()))
            agent.runtime  # resolve once, here
            return agent

        return self.agents.get(("first-turn",), build)

    def run_task(self, task: Any) -> dict[str, Any]:
        from toolagent.graphs.steps import planner_prompt
        from toolagent.images import load_image_ref
        from toolagent.planner import plan

        start = time.perf_counter()
        agent = self.planner()
        refs = [load_image_ref(p).model_dump(mode="json") for p in self.images(task)]
        # the graph's first planner turn: no history, no observation
        messages = planner_prompt(agent, {"question": task.question, "image_refs": refs}, [], [])
        runtime, settings = agent.runtime, agent.settings
        outcome = plan(runtime.planner, messages, runtime.tools, settings.max_retries, settings.plan_horizon)
        first = outcome.forecast.first if outcome.forecast is not None else None
        return {**self.base_row(task), "status": "ok",
                **self.score_first(task, first.tool if first else None, first.args if first else None),
                "planner_error": outcome.error, "steps": 0, "tools": [],
                "elapsed_s": round(time.perf_counter() - start, 3)}


def evaluate(data: str | Path, split: str, model: str, out: str | Path, *, graph: str = "tracer1", horizon: int = 5,
             limit: int | None = None, workers: int = 1, mode: str = "agent", max_steps: int = 6,
             task_timeout: float = 600.0, progress: bool = False, **job_fields: Any) -> dict[str, Any]:
    """Evaluate ``model`` (a model spec) on ``split`` of the suite at ``data``; resumable in ``out``.

    Writes the run folder (results.jsonl, summary.json, summary.md, plots/) and returns the summary metrics:
    the run's settings, ``tasks``/``errors`` and every metric of ``SynthBench.metrics`` (per kind included)."""
    from toolagent.eval.runner import run_eval

    job = EvalJob(bench="synth", mode=mode, data=str(Path(data).expanduser().resolve()),  # type: ignore[arg-type]
                  run_dir=str(Path(out).expanduser().resolve()), split=split, limit=limit, model=model,
                  graph=graph, horizon=horizon, max_steps=max_steps, workers=workers,  # type: ignore[arg-type]
                  task_timeout=task_timeout, **job_fields)
    summary = run_eval(job, progress=progress)
    return {"split": split, "mode": mode, "model": model, "graph": graph, "horizon": horizon,
            "errors": summary["errors"], **summary["metrics"]}
