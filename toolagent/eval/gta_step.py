"""GTA step-by-step mode: for every assistant turn of the gold dialog, give the planner the gold history up to
that turn and score the ONE step it predicts (tool name, exact arguments, or the final answer).

The prompt is the runtime planner prompt (``planner_messages``): history lines come from the gold tool calls and
their gold outputs, the latest gold output is the current observation, and on the gold answer turn a notice asks
the planner to summarise and answer without tools. The planner's first forecast step is the prediction.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from toolagent.eval.gta_data import GoldStep, GtaSample
from toolagent.eval.gta_base import GtaBase
from toolagent.eval.gta_score import (
    answer_score,
    normalize_pred_args,
    official_args_equal,
    step_metrics,
)
from toolagent.eval.job import shared_model
from toolagent.prompts.texts import SUMMARISE



def gold_observation(step: GoldStep) -> Any:
    from toolagent.records import Observation

    if step.output_type == "image" and step.output:
        return Observation(tool=step.name, images=[step.output])
    return Observation(tool=step.name, text=step.output)


def message_key(messages: list[Any]) -> str:
    """A stable key of a prompt (what the gold replay model is keyed by)."""
    parts = [[m.type, m.content] for m in messages]
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def text_of(message: Any) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)


class GtaStepBench(GtaBase):
    def __init__(self, job: Any) -> None:
        super().__init__(job)
        self._model: Any = None
        self._model_lock = threading.Lock()

    # ------------------------------------------------------------------------------------------- prompts
    def tools_for(self, task: GtaSample) -> list[Any]:
        return self.sample_tools(task, self.job.tool_config(), available_only=False)

    def messages(self, task: GtaSample, turn: int, tools: list[Any], refs: list[Any]) -> list[Any]:
        from toolagent.planner import history_line, planner_messages
        from toolagent.records import ToolCall

        history: list[str] = []
        observation = None
        for step in task.steps[:turn]:
            if step.kind != "tool":
                continue
            obs = gold_observation(step)
            call = ToolCall(tool=step.name, args=step.arguments, instruction=step.thought)
            history.append(history_line(len(history) + 1, call, obs))
            observation = obs
        gold = task.steps[turn]
        job = self.job
        return planner_messages(
            question=task.query, images=refs, history=history, observation=observation, tools=tools,
            horizon=job.agent.plan_horizon, multimodal=bool(job.multimodal),
            notices=[SUMMARISE] if gold.kind == "answer" else [], graph=job.graph)

    def image_refs(self, task: GtaSample) -> list[Any]:
        from toolagent.images import load_image_ref

        return [load_image_ref(path) for path in task.images]

    def model(self) -> Any:
        with self._model_lock:
            if self._model is None:
                if self.job.model == "gold":
                    from toolagent.eval.gold import gold_model

                    self._model = gold_model(self)
                else:
                    self._model = shared_model(self.job.model, self.job.base_url)
            return self._model

    # ------------------------------------------------------------------------------------------- scoring
    def score_turn(self, task: GtaSample, gold: GoldStep, text: str, tools: dict[str, Any]) -> dict[str, Any]:
        from toolagent.parsing import ForecastParseError, parse_forecast
        from toolagent.tools.base import ToolError, tool_schema, validate_args

        turn: dict[str, Any] = {"gold_type": gold.kind, "gold_name": gold.name if gold.kind == "tool" else "answer",
                                "pred_type": None, "pred_name": None, "error": False, "tool_match": False,
                                "arg_match": False, "answer_score": None, "raw": text[:4000]}
        try:
            first = parse_forecast(text).first
        except ForecastParseError as exc:
            return {**turn, "error": True, "parse_error": str(exc)}
        if first.is_answer:
            turn.update(pred_type="answer", pred_name="answer", pred_text=str(first.args["text"]))
            if gold.kind == "answer" and task.has_text_answer:
                turn["answer_score"] = answer_score(turn["pred_text"], task.gt_answer)
            return turn
        turn.update(pred_type="tool", pred_name=first.tool, pred_args=first.args)
        tool = tools.get(first.tool)
        if tool is None:
            turn["schema_error"] = f"unknown tool {first.tool!r}"
        else:
            unexpected = sorted(set(first.args) - set(tool_schema(tool).get("properties", {})))
            if unexpected:
                turn["schema_error"] = f"unexpected arguments for {first.tool}: {', '.join(unexpected)}"
            else:
                try:
                    validate_args(tool, first.args)
                except ToolError as exc:
                    turn["schema_error"] = str(exc)
        # upstream's 'error': the call names a tool that is not offered, or arguments the tool does not take
        turn["error"] = bool(turn.get("schema_error")) and not turn["schema_error"].startswith("invalid arguments")
        if gold.kind == "tool" and first.tool == gold.name:
            turn["tool_match"] = True
            turn["arg_match"] = official_args_equal(first.args, gold.arguments)
            named = normalize_pred_args(first.args, first.tool, self.data, task)
            turn["arg_match_image_names"] = official_args_equal(named, gold.arguments)
        return turn

    def run_task(self, task: GtaSample) -> dict[str, Any]:
        import time

        start = time.perf_counter()
        model = self.model()
        tools = self.tools_for(task)
        by_name = {t.name: t for t in tools}
        refs = self.image_refs(task)
        turns = []
        for index, gold in enumerate(task.steps):
            reply = model.invoke(self.messages(task, index, tools, refs))
            turns.append(self.score_turn(task, gold, text_of(reply), by_name))
        return {**self.base_row(task), "status": "ok", "turns": turns, "steps": len(turns),
                "tools": [t["pred_name"] for t in turns if t["pred_type"] == "tool"],
                "schema_invalid": sum(1 for t in turns if t.get("schema_error")),
                "elapsed_s": round(time.perf_counter() - start, 3)}

    # ------------------------------------------------------------------------------------------- report
    def metrics(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        metrics = step_metrics(rows)
        metrics["schema_invalid"] = sum(int(r.get("schema_invalid", 0)) for r in rows)
        return metrics

    def tables(self, metrics: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        pick = lambda *keys: {k: metrics[k] for k in keys}
        return [("GTA step-by-step (official)", pick("InstAcc", "ToolAcc", "ArgAcc", "SummAcc")),
                ("Not upstream: image arguments compared as the image they name", pick("ArgAcc_image_names")),
                ("Counts", pick("samples", "tool_steps", "answer_samples", "tool_call", "tool_call_error",
                                "schema_invalid"))]

    def notes(self) -> list[str]:
        return [*super().notes(),
                ("InstAcc follows upstream: answer turns of image-generation samples count in the numerator but "
                 "not in the denominator (tool steps + samples with a text answer), so it can exceed 100."),
                ("ArgAcc is upstream's: the argument dict must == the gold one (Python equality, so 4 == 4.0) with "
                 "image paths exactly as the gold writes them; ArgAcc_image_names (not upstream) compares an image "
                 "argument as the image it names (image_0, a file name or a path)."),
                ("A predicted call that names a tool the sample does not offer, or arguments the tool does not "
                 "take, is an error as upstream (not an instruction match, counted in tool_call_error); "
                 "schema_invalid also counts calls whose argument values fail the schema (a diagnostic).")]

    def headline(self, rows: list[dict[str, Any]]) -> str:
        tool_total = sum(int(r.get("n_gold_tool", 0)) for r in rows)
        if not tool_total:
            return "ToolAcc -"
        ok = sum(1 for r in rows for t in r.get("turns", []) if t.get("tool_match"))
        return f"ToolAcc {100.0 * ok / tool_total:.1f}"

    def breakdown(self, metrics: dict[str, Any]) -> tuple[str, dict[str, float | None]]:
        return "GTA step-mode ToolAcc per gold tool category (%)", {
            k.title(): v for k, v in metrics["tool_acc_by_category"].items()}
