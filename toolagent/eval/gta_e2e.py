"""GTA end-to-end mode: the agent runs the real GTA tools (official names) on each query; scored as upstream."""

from __future__ import annotations

from typing import Any

from toolagent.eval.gta_base import GtaBase
from toolagent.eval.gta_data import GtaSample
from toolagent.eval.gta_score import (
    answer_score,
    e2e_metrics,
    imggen_score,
)
from toolagent.eval.job import run_agent_task, step_summary


class GtaE2EBench(GtaBase):
    def run_task(self, task: GtaSample) -> dict[str, Any]:
        config = self.job.tool_config()
        tools = self.sample_tools(task, config, available_only=True)
        result = run_agent_task(self.job, task_id=task.task_id, question=task.query, images=task.images, files=[],
                                ground_truth=task.gt_answer, tools=tools, tool_config=config, pool=self.agents)
        pred_calls = [{"name": s.executed.tool,
                       "arguments": s.executed.args,  # as upstream: compared as written
                       "error": s.observation.error}
                      for s in result.steps if s.executed.tool != "answer"]
        answer = result.answer if result.status == "answered" else None
        row = {**self.base_row(task), "status": "ok", "answer": answer, "pred_calls": pred_calls,
               **step_summary(result)}
        if task.has_text_answer:
            row["answer_score"] = answer_score(answer, task.gt_answer)
        else:
            gold = row["gold_calls"]
            row["imggen_score"] = imggen_score(pred_calls, gold)
        return row

    def metrics(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        metrics = e2e_metrics(rows)
        by_type: dict[str, float | None] = {}
        for kind in ("objective", "subjective"):
            group = [r for r in rows if r.get("answer_type") == kind]
            by_type[kind] = (100.0 * sum(float(r.get("answer_score") or 0) for r in group) / len(group)
                             if group else None)
        group = [r for r in rows if r.get("answer_type") == "imggen"]
        by_type["imggen"] = (100.0 * sum(float(r.get("imggen_score") or 0) for r in group) / len(group)
                             if group else None)
        metrics["score_by_answer_type"] = by_type
        return metrics

    def tables(self, metrics: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        pick = lambda *keys: {k: metrics[k] for k in keys}
        return [("GTA end-to-end (official)", pick("AnsAcc", "AnsAcc_w_ImgGen", "P_F1", "O_F1", "L_F1", "C_F1")),
                ("TraceR1 / T3-Agent protocol", pick("AnsAcc", "ToolAcc", "CodeExec")),
                ("Counts", pick("samples", "answer_samples", "tool_call", "tool_call_error", "code_calls"))]

    def notes(self) -> list[str]:
        return [*super().notes(),
                ("TraceR1/T3-Agent protocol: ToolAcc = gold tool calls whose tool was called in the run / gold tool "
                 "calls; CodeExec = generated Plot/Solver/python calls that ran without error / such calls."),
                ("Tool-call F1 uses upstream's +1e-5 smoothing; a category without gold calls scores 0 as upstream. "
                 "Image-generation arguments are compared as written (image paths included), as upstream.")]

    def headline(self, rows: list[dict[str, Any]]) -> str:
        answered = [r for r in rows if r.get("has_text_answer")]
        if not answered:
            return "AnsAcc -"
        return f"AnsAcc {100.0 * sum(float(r.get('answer_score') or 0) for r in answered) / len(answered):.1f}"

    def breakdown(self, metrics: dict[str, Any]) -> tuple[str, dict[str, float | None]]:
        return "GTA tool-call F1 per category (%)", {
            "Perception": metrics["P_F1"], "Operation": metrics["O_F1"], "Logic": metrics["L_F1"],
            "Creativity": metrics["C_F1"]}
