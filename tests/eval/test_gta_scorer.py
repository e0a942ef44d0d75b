"""GTA official scoring: whitelist/blacklist with the upstream ``\\b`` quirks, exact-argument equality and the
step / end-to-end aggregates on hand-made rows."""

from __future__ import annotations

import pytest

from toolagent.eval.gta_data import category
from toolagent.eval.gta_score import e2e_metrics, is_correct, official_args_equal, step_metrics


def ref(whitelist: list[list[str]], blacklist: list[list[str]] | None = None) -> dict:
    return {"whitelist": whitelist, "blacklist": blacklist}


@pytest.mark.parametrize(("pred", "gt", "expected"), [
    ("The answer is 12", ref([["12"]]), True),
    ("THE ANSWER IS PARIS", ref([["paris"]]), True),                 # case-insensitive
    ("The answer is 12.5", ref([["12"]]), True),                     # quirk: "12" matches inside "12.5"
    ("12.5", ref([["12.5"]]), True),
    ("it is -3 degrees", ref([["-3"]]), False),                      # quirk: leading non-word char never matches
    ("-3", ref([["-3"]]), False),
    ("about 62.5% of them", ref([["62.5%"]]), False),                # quirk: trailing non-word char
    ("it costs $12 today", ref([["$12"]]), False),
    ("it costs $12 today", ref([["12"]]), True),
    ("concatenate", ref([["cat"]]), False),                          # whole words only
    ("there are 2 cats", ref([["two", "2"]]), True),                 # any alias of a group
    ("there are two cats", ref([["two", "2"]]), True),
    ("a red car", ref([["red"], ["blue"]]), False),                  # every group must match
    ("a red and blue car", ref([["red"], ["blue"]]), True),
    ("axb", ref([["a.b"]]), False),                                  # aliases are re.escape'd
    ("a.b", ref([["a.b"]]), True),
    ("3", ref([["3"]], [["13"]]), True),
    ("3 or 13", ref([["3"]], [["13"]]), False),                      # a blacklist alias vetoes
    ("3 or 13", ref([["3"]], [["14"], ["13"]]), False),              # any blacklist group
    ("3", ref([["3"]], []), True),                                   # empty blacklist is ignored
    ("no digits", ref([]), True),                                    # no whitelist group -> nothing to miss
])
def test_is_correct(pred: str, gt: dict, expected: bool) -> None:
    assert is_correct(pred, gt) is expected


def test_args_compare_as_upstream_python_equality() -> None:
    """``pred_['arguments'] == gt_['arguments']``: 4 == 4.0 and True == 1 match; "4" != 4; paths as written."""
    assert official_args_equal({"a": 1, "b": ["x"]}, {"b": ["x"], "a": 1})
    assert official_args_equal({"k": 4}, {"k": 4.0})
    assert official_args_equal({"k": True}, {"k": 1})
    assert not official_args_equal({"k": "4"}, {"k": 4})
    assert not official_args_equal({"k": 4}, {"k": 4, "extra": None})
    assert not official_args_equal({"image": "image_1.jpg"}, {"image": "/data/gta/image/image_1.jpg"})


def test_categories() -> None:
    assert [category(n) for n in ("OCR", "GoogleSearch", "Solver", "ImageStylization", "ocr")] == [
        "perception", "operation", "logic", "creativity", "none"]


def _turn(gold_type: str, gold_name: str, pred_type: str | None, pred_name: str | None = None, *,
          error: bool = False, tool_match: bool = False, arg_match: bool = False,
          answer_score: float | None = None) -> dict:
    return {"gold_type": gold_type, "gold_name": gold_name, "pred_type": pred_type, "pred_name": pred_name,
            "error": error, "tool_match": tool_match, "arg_match": arg_match, "answer_score": answer_score}


def test_step_metrics_by_hand() -> None:
    rows = [
        # objective sample: 2 tool steps (both right tool, one right args), answer right
        {"task_id": "0", "has_text_answer": True, "n_gold_tool": 2, "gold_categories": ["perception", "logic"],
         "turns": [_turn("tool", "OCR", "tool", "OCR", tool_match=True, arg_match=True),
                   _turn("tool", "Calculator", "tool", "Calculator", tool_match=True),
                   _turn("answer", "answer", "answer", "answer", answer_score=1.0)]},
        # subjective sample: 1 tool step answered instead (type mismatch), answer scored 0.5
        {"task_id": "1", "has_text_answer": True, "n_gold_tool": 1, "gold_categories": ["operation"],
         "turns": [_turn("tool", "GoogleSearch", "answer", "answer"),
                   _turn("answer", "answer", "answer", "answer", answer_score=0.5)]},
        # image-generation sample: 1 tool step with a parse error; its answer turn still counts in InstAcc
        {"task_id": "2", "has_text_answer": False, "n_gold_tool": 1, "gold_categories": ["creativity"],
         "turns": [_turn("tool", "TextToImage", None, error=True),
                   _turn("answer", "answer", "answer", "answer")]},
        # a task that failed entirely still counts in the denominators
        {"task_id": "3", "status": "error", "has_text_answer": True, "n_gold_tool": 2,
         "gold_categories": ["perception", "perception"]},
    ]
    m = step_metrics(rows)
    tool_steps, answer_samples = 2 + 1 + 1 + 2, 3
    assert (m["tool_steps"], m["answer_samples"]) == (tool_steps, answer_samples)
    # type matches without error: 3 (row 0) + 1 (row 1 answer) + 1 (row 2 answer turn) = 5
    assert m["InstAcc"] == pytest.approx(100 * 5 / (tool_steps + answer_samples))
    assert m["ToolAcc"] == pytest.approx(100 * 2 / tool_steps)
    assert m["ArgAcc"] == pytest.approx(100 * 1 / tool_steps)
    assert m["SummAcc"] == pytest.approx(100 * 1.5 / answer_samples)
    assert (m["tool_call"], m["tool_call_error"]) == (2, 0)
    assert m["tool_acc_by_category"]["perception"] == pytest.approx(100 * 1 / 3)
    assert m["tool_acc_by_category"]["logic"] == pytest.approx(100.0)
    assert m["tool_acc_by_category"]["creativity"] == pytest.approx(0.0)


def test_e2e_metrics_by_hand() -> None:
    rows = [
        {"task_id": "0", "has_text_answer": True, "answer_score": 1.0,
         "gold_calls": [{"name": "OCR"}, {"name": "Calculator"}],
         "pred_calls": [{"name": "OCR", "error": None}, {"name": "OCR", "error": None},
                        {"name": "Solver", "error": "boom"}]},
        {"task_id": "1", "has_text_answer": True, "answer_score": 0.4,
         "gold_calls": [{"name": "GoogleSearch"}],
         "pred_calls": [{"name": "GoogleSearch", "error": None}, {"name": "Plot", "error": None}]},
        {"task_id": "2", "has_text_answer": False, "imggen_score": 0.5,
         "gold_calls": [{"name": "TextToImage"}], "pred_calls": []},
    ]
    m = e2e_metrics(rows)
    assert m["AnsAcc"] == pytest.approx(100 * 1.4 / 2)
    assert m["AnsAcc_w_ImgGen"] == pytest.approx(100 * 1.9 / 3)
    # perception: hit 1 (OCR), predicted 2, gold 1 -> P=0.5, R=1
    p, r = 1 / (2 + 1e-5), 1.0
    assert m["P_F1"] == pytest.approx(100 * 2 * p * r / (p + r + 1e-5))
    # logic: gold Calculator not called -> hit 0 -> F1 0 (Solver, Plot predicted)
    assert m["L_F1"] == pytest.approx(0.0)
    p = 1 / (1 + 1e-5)
    assert m["O_F1"] == pytest.approx(100 * 2 * p / (p + 1 + 1e-5))
    assert m["C_F1"] == pytest.approx(0.0)
    assert m["ToolAcc"] == pytest.approx(100 * 2 / 4)  # OCR and GoogleSearch of 4 gold calls
    assert m["CodeExec"] == pytest.approx(100 * 1 / 2)  # Solver failed, Plot ran
    assert (m["tool_call"], m["tool_call_error"]) == (5, 1)


def test_f1_without_gold_calls_is_zero_as_upstream() -> None:
    m = e2e_metrics([{"task_id": "0", "has_text_answer": True, "answer_score": 0.0, "gold_calls": [],
                      "pred_calls": []}])
    assert (m["P_F1"], m["O_F1"], m["L_F1"], m["C_F1"]) == (0.0, 0.0, 0.0, 0.0)
    assert m["ToolAcc"] is None and m["CodeExec"] is None


def test_upstream_errors_unknown_tool_unexpected_arguments_bad_json(tmp_path) -> None:  # noqa: ANN001
    """Each is an upstream 'error': no instruction match, counted in tool_call_error; a value that fails the
    schema (k="4" for an int) is not."""
    import json

    from tests.eval.fixtures import build_gta
    from toolagent.eval.gta_step import GtaStepBench
    from toolagent.eval.job import EvalJob

    root = build_gta(tmp_path / "gta")
    bench = GtaStepBench(EvalJob(bench="gta", mode="step", data=str(root), run_dir=str(tmp_path / "run"),
                                 model="gold"))
    task = bench.data.samples[5]  # tools: OCR, GoogleSearch; turn 1 is GoogleSearch
    gold = task.steps[1]
    tools = {t.name: t for t in bench.tools_for(task)}

    def reply(tool: str, args: object) -> str:
        return json.dumps({"plan": [{"tool": tool, "args": args}]})

    cases = {
        "unknown": reply("DrawBox", {"image": "x.jpg", "bbox": "(0, 0, 1, 1)"}),
        "unexpected": reply("GoogleSearch", {"query": "capital of France", "k": 4, "lang": "en"}),
        "bad json": '{"plan": [{"tool": "GoogleSearch", "args": {"query": "capital of France", "k": 4}',
        "value": reply("GoogleSearch", {"query": "capital of France", "k": "four"}),
        "float": reply("GoogleSearch", {**gold.arguments, "k": float(gold.arguments["k"])}),
    }
    turns = {name: bench.score_turn(task, gold, text, tools) for name, text in cases.items()}
    assert turns["unknown"]["error"] and turns["unexpected"]["error"] and turns["bad json"]["error"]
    assert not turns["value"]["error"] and turns["value"]["schema_error"]
    assert turns["float"]["tool_match"] and turns["float"]["arg_match"]  # 4.0 == 4, as upstream
    rows = [{"task_id": "5", "has_text_answer": False, "n_gold_tool": len(turns), "gold_categories": [],
             "turns": list(turns.values())}]
    m = step_metrics(rows)
    assert m["InstAcc"] == pytest.approx(100 * 2 / 5)  # only "value" and "float" match without error
    assert (m["tool_call"], m["tool_call_error"]) == (4, 2)  # the bad-JSON reply is no tool call
