"""GTA scoring, reproducing the official OpenCompass ``GTABenchEvaluator`` (see BENCHMARKS.md).

Per-sample scores are computed when a task finishes (so the runner can show a running accuracy); the metrics
below aggregate the rows of ``results.jsonl``. Quirks kept on purpose:

- whitelist/blacklist aliases are matched with ``\\b(?:a1|a2)\\b`` built from ``re.escape``d aliases, so an alias
  that starts or ends with a non-word character ("-3", "62.5%", "$12") never matches next to a space, and "12"
  matches inside "12.5";
- InstAcc counts every gold step whose type the prediction matched without an error (an unparseable reply, an
  unknown tool or argument names the tool does not take), but its denominator is tool steps + samples with a
  text answer (an image-generation sample's answer turn adds to the numerator only, as upstream);
- ArgAcc compares arguments with Python ``==`` (4 == 4.0, True == 1) and image arguments as written, so only the
  gold's absolute path matches; ``ArgAcc_image_names`` (not upstream) compares an image argument as the image it
  names (``image_0``, a file name or a path);
- tool-call F1 uses upstream's ``+1e-5`` smoothing; a category with no gold call scores 0.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from toolagent.eval.gta_data import (
    CATEGORIES,
    CODE_TOOLS,
    IMAGEGEN_TOOLS,
    GtaData,
    GtaSample,
    category,
)


def _pattern(aliases: Iterable[Any]) -> str:
    return r"\b(?:" + "|".join(re.escape(str(alias)) for alias in aliases) + r")\b"


def is_correct(pred: str, ref: dict[str, Any]) -> bool:
    """Official objective check: every whitelist group matches, no blacklist alias matches."""
    whitelist = ref.get("whitelist") or []
    count = sum(1 for aliases in whitelist if re.search(_pattern(aliases), pred, re.IGNORECASE))
    if count != len(whitelist):
        return False
    blacklist = ref.get("blacklist")
    if not blacklist:
        return True
    return not re.search(_pattern(a for aliases in blacklist for a in aliases), pred, re.IGNORECASE)


def answer_score(pred: str | None, gt_answer: Any) -> float:
    """1/0 for an objective answer, max floored cosine similarity for a subjective one, 0 without a prediction."""
    if not gt_answer or not pred:
        return 0.0
    if isinstance(gt_answer, dict):
        return float(is_correct(pred, gt_answer))
    if isinstance(gt_answer, list):
        from toolagent.eval.similarity import encoder

        return encoder().max_similarity(pred, [str(r) for r in gt_answer])
    return 0.0


def imggen_score(pred_calls: list[dict[str, Any]], gold_calls: list[dict[str, Any]]) -> float:
    """Official "w/ ImgGen" credit: product over gold image-tool calls of sim(json(gold args), json(last pred args))."""
    predicted: dict[str, Any] = {}
    for call in pred_calls:
        if not call.get("error") and call["name"] in IMAGEGEN_TOOLS:
            predicted[call["name"]] = call.get("arguments", {})
    score = 1.0
    for call in gold_calls:
        name = call["name"]
        if name not in IMAGEGEN_TOOLS:
            continue
        if name not in predicted:
            return 0.0
        from toolagent.eval.similarity import encoder

        score *= encoder().similarity(json.dumps(call.get("arguments", {})), json.dumps(predicted[name]))
    return score


def official_args_equal(pred: Any, gold: Any) -> bool:
    """Upstream's ArgAcc test: ``pred_['arguments'] == gt_['arguments']`` (Python equality, paths as written)."""
    return bool(pred == gold)


def normalize_pred_args(args: dict[str, Any], tool: str, data: GtaData, sample: GtaSample) -> dict[str, Any]:
    """Map image-typed arguments that name one of the sample's images (``image_0``, a file name, a path) to the
    absolute path the gold arguments carry, so the comparison is on the image, not on how it was named."""
    from toolagent.errors import BadInput
    from toolagent.images import resolve_image_ref

    out = dict(args)
    by_real = {str(Path(p).resolve()): p for p in sample.images}
    for key in data.image_args(tool):
        value = args.get(key)
        if not isinstance(value, str) or not value.strip():
            continue
        try:
            path = resolve_image_ref(value, sample.images)
        except BadInput:
            continue
        out[key] = by_real.get(str(Path(path).resolve()), value)
    return out


# ------------------------------------------------------------------------------------------------ aggregates


def _pct(num: float, den: float) -> float | None:
    return 100.0 * num / den if den else None


def step_metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """InstAcc / ToolAcc / ArgAcc / SummAcc (percent) over step-mode rows, plus per-category tool accuracy."""
    tool_total = sum(int(r.get("n_gold_tool", 0)) for r in rows)
    answer_total = sum(1 for r in rows if r.get("has_text_answer"))
    inst = tool_ok = arg_ok = arg_named_ok = 0
    answer = 0.0
    calls = call_errors = 0
    per_cat = {c: [0, 0] for c in CATEGORIES}
    for row in rows:
        for cat in row.get("gold_categories", []):
            if cat in per_cat:
                per_cat[cat][1] += 1
        for turn in row.get("turns", []):
            if turn["pred_type"] == turn["gold_type"] and not turn.get("error"):
                inst += 1
            if turn["pred_type"] == "tool":
                calls += 1
                call_errors += bool(turn.get("error"))
            if turn.get("tool_match"):
                tool_ok += 1
                cat = category(turn["gold_name"])
                if cat in per_cat:
                    per_cat[cat][0] += 1
            arg_ok += bool(turn.get("arg_match"))
            arg_named_ok += bool(turn.get("arg_match_image_names", turn.get("arg_match")))
            if turn["gold_type"] == turn["pred_type"] == "answer" and turn.get("answer_score") is not None:
                answer += float(turn["answer_score"])
    return {
        "InstAcc": _pct(inst, tool_total + answer_total), "ToolAcc": _pct(tool_ok, tool_total),
        "ArgAcc": _pct(arg_ok, tool_total), "SummAcc": _pct(answer, answer_total),
        "ArgAcc_image_names": _pct(arg_named_ok, tool_total),
        "tool_call": calls, "tool_call_error": call_errors, "tool_steps": tool_total,
        "answer_samples": answer_total, "samples": len(rows),
        "tool_acc_by_category": {c: _pct(ok, n) for c, (ok, n) in per_cat.items()},
    }


def e2e_metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """AnsAcc, AnsAcc w/ ImgGen, P/O/L/C tool-call F1 (percent) and the TraceR1/T3 ToolAcc and CodeExec."""
    answer_total = sum(1 for r in rows if r.get("has_text_answer"))
    ans = sum(float(r.get("answer_score") or 0.0) for r in rows if r.get("has_text_answer"))
    imggen = sum(float(r.get("imggen_score") or 0.0) for r in rows if not r.get("has_text_answer"))
    predicted = {c: 0 for c in CATEGORIES}
    gold = {c: 0 for c in CATEGORIES}
    hits = {c: 0 for c in CATEGORIES}
    calls = call_errors = code_calls = code_ok = 0
    for row in rows:
        pred_calls = row.get("pred_calls", [])
        names = {c["name"] for c in pred_calls}
        for call in pred_calls:
            calls += 1
            call_errors += bool(call.get("error"))
            if call["name"] in CODE_TOOLS:
                code_calls += 1
                code_ok += not call.get("error")
            if (cat := category(call["name"])) in predicted:
                predicted[cat] += 1
        for call in row.get("gold_calls", []):
            if (cat := category(call["name"])) in gold:
                gold[cat] += 1
                hits[cat] += call["name"] in names
    f1: dict[str, float] = {}
    for cat in CATEGORIES:
        if not gold[cat]:  # upstream: no gold call of the category scores 0
            f1[cat] = 0.0
            continue
        precision = hits[cat] / (predicted[cat] + 1e-5)
        recall = hits[cat] / gold[cat]
        f1[cat] = 100.0 * 2 * precision * recall / (precision + recall + 1e-5)
    gold_calls = sum(gold.values())
    return {
        "AnsAcc": _pct(ans, answer_total), "AnsAcc_w_ImgGen": _pct(ans + imggen, len(rows)),
        "P_F1": f1["perception"], "O_F1": f1["operation"], "L_F1": f1["logic"], "C_F1": f1["creativity"],
        "ToolAcc": _pct(sum(hits.values()), gold_calls), "CodeExec": _pct(code_ok, code_calls),
        "tool_call": calls, "tool_call_error": call_errors, "code_calls": code_calls,
        "answer_samples": answer_total, "samples": len(rows),
        "total_ansacc": ans, "total_ansacc_wimggen": ans + imggen,
    }
