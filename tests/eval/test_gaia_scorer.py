"""The official GAIA question_scorer, rule by rule and quirk by quirk (BENCHMARKS.md)."""

from __future__ import annotations

import pytest

from toolagent.eval.gaia import (
    extract_final_answer,
    normalize_number_str,
    normalize_str,
    question_scorer,
    split_string,
)


@pytest.mark.parametrize(("answer", "truth", "expected"), [
    # rule 1: numeric truth -> strip $ % , then float(), exact equality
    ("1,000", "1000", True),
    ("$1000", "1000", True),
    ("12%", "12", True),
    ("$1,234.50", "1234.5", True),
    ("12 km", "12", False),          # units are not stripped
    ("3.14159", "3.14", False),      # no rounding
    ("3.14", "3.14159", False),
    ("17", "17.0", True),
    ("  42 ", "42", True),           # float() tolerates surrounding whitespace
    ("forty-two", "42", False),      # not a number -> not correct
    ("", "0", False),
    ("1e3", "1000", True),
    # rule 2: list truth -> split on [,;], no strip, equal lengths, element-wise
    ("a, b, c", "a,b,c", True),      # whitespace removed in string elements
    ("a,b,c", "a, b, c", True),
    ("1, 2, 3", "1,2,3", True),      # numeric elements use rule 1 (float tolerates the space)
    ("1;2;3", "1,2,3", True),        # , and ; are interchangeable separators
    ("1,2", "1,2,3", False),         # different lengths
    ("3,2,1", "1,2,3", False),       # order matters
    ("$5, 6%", "5,6", True),
    ("Apple, banana", "apple, Banana", True),
    ("st. louis, paris", "St Louis, Paris", False),  # punctuation is KEPT inside list elements
    ("the cat, dog", "cat, dog", False),
    # rule 3: plain string -> no whitespace, lower-case, no punctuation
    ("Sea Gull", "seagull", True),
    ("St. Louis", "St Louis", True),
    ("The Beatles", "Beatles", False),  # articles are NOT removed
    ("a dog", "dog", False),
    ("HELLO-WORLD", "hello world", True),
    ("right", "Right.", True),
])
def test_question_scorer(answer: str, truth: str, expected: bool) -> None:
    assert question_scorer(answer, truth) is expected


def test_rule3_with_comma_in_answer_only() -> None:
    # the truth has no separator, so the comma in the answer is just punctuation and is deleted
    assert question_scorer("Hello, World!", "helloworld") is True


def test_none_answer_is_the_string_none() -> None:
    assert question_scorer(None, "None") is True
    assert question_scorer(None, "5") is False


def test_helpers() -> None:
    assert normalize_number_str("$1,000%") == 1000.0
    assert normalize_number_str("12 km") is None
    assert split_string("a, b;c") == ["a", " b", "c"]  # no strip
    assert normalize_str("St. Louis ") == "stlouis"
    assert normalize_str("St. Louis", remove_punct=False) == "st.louis"


@pytest.mark.parametrize(("text", "expected"), [
    ("FINAL ANSWER: 42", "42"),
    ("I think... Final Answer:  Paris ", "Paris"),
    ("final answer: a\nFINAL ANSWER: b", "b"),
    ("just this", "just this"),
    (None, ""),
])
def test_extract_final_answer(text: str | None, expected: str) -> None:
    assert extract_final_answer(text) == expected
