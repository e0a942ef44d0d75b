"""GTA's sentence similarity: the official all-mpnet-base-v2 by default (weights from its split packages), checked
against sentence-transformers itself; the all-MiniLM-L6-v2 package as the named option."""

from __future__ import annotations

import pytest

from toolagent.eval.gta_score import answer_score, imggen_score

pytestmark = pytest.mark.slow


def test_encoder_pooling_and_similarity() -> None:
    import torch

    from toolagent.eval.similarity import encoder, model_name

    enc = encoder()
    assert "all-mpnet-base-v2" in model_name() and "official" in model_name()
    texts = ["A red square on a white background.", "hi", "The cat sleeps on the warm windowsill all day long."]
    batch = enc.encode(texts)
    assert batch.shape == (3, 768)
    assert torch.allclose(batch.norm(dim=1), torch.ones(3), atol=1e-5)
    # padding must not change an embedding: each text alone equals its row in the padded batch
    for index, text in enumerate(texts):
        assert torch.allclose(enc.encode([text])[0], batch[index], atol=1e-5)
    assert enc.similarity("the same words", "the same words") == pytest.approx(1.0, abs=1e-5)
    close = enc.similarity("A red square on white.", "The picture shows a red square.")
    far = enc.similarity("A red square on white.", "Quarterly tax filing deadlines for companies.")
    assert close > 0.6 > far >= 0.0
    refs = ["The picture shows a red square.", "Quarterly tax filing deadlines."]
    assert enc.max_similarity("A red square on white.", refs) == pytest.approx(close, abs=1e-5)
    assert enc.max_similarity("anything", []) == 0.0


def test_answer_and_imggen_scores() -> None:
    from toolagent.eval.similarity import encoder

    refs = ["A red square on a white background.", "The picture shows a red square."]
    assert answer_score("A red square on a white background.", refs) == pytest.approx(1.0, abs=1e-5)
    assert answer_score(None, refs) == 0.0
    assert answer_score("25", {"whitelist": [["25"]], "blacklist": None}) == 1.0
    gold = [{"name": "TextToImage", "arguments": {"keywords": "cat, watercolor"}},
            {"name": "OCR", "arguments": {"image": "x"}}]  # not an image-generation tool: ignored
    same = [{"name": "TextToImage", "arguments": {"keywords": "cat, watercolor"}, "error": None}]
    assert imggen_score(same, gold) == pytest.approx(1.0, abs=1e-5)
    other = [{"name": "TextToImage", "arguments": {"keywords": "dog, oil painting"}, "error": None}]
    expected = encoder().similarity('{"keywords": "cat, watercolor"}', '{"keywords": "dog, oil painting"}')
    assert imggen_score(other, gold) == pytest.approx(expected)
    assert 0 < expected < 1
    # the LAST successful call of the tool counts; failed calls are ignored; a missing tool scores 0
    assert imggen_score([*other, *same], gold) == pytest.approx(1.0, abs=1e-5)
    assert imggen_score([*same, {**other[0], "error": "boom"}], gold) == pytest.approx(1.0, abs=1e-5)
    assert imggen_score([], gold) == 0.0
    assert imggen_score([], []) == 1.0


PAIRS = [("A red square on a white background.", "The picture shows a red square."),
         ("It is 25 degrees.", "The temperature is twenty-five degrees Celsius."),
         ('{"keywords": "cat, watercolor"}', '{"keywords": "dog, oil painting"}'),
         ("Paris", "Quarterly tax filing deadlines for companies in the European Union.")]


def test_default_reproduces_the_official_bert_score() -> None:
    """The official ``bert_score``: SentenceTransformer('all-mpnet-base-v2'), max(cos_sim, 0)."""
    from sentence_transformers import SentenceTransformer, util

    from toolagent.eval.similarity import encoder, official_model_dir

    folder = official_model_dir()
    assert folder is not None and encoder().path == folder
    official = SentenceTransformer(str(folder), device="cpu")
    for pred, gt in PAIRS:
        expected = max(float(util.cos_sim(official.encode(pred, convert_to_tensor=True),
                                          official.encode(gt, convert_to_tensor=True))[0][0]), 0.0)
        assert encoder().similarity(pred, gt) == pytest.approx(expected, abs=1e-6), (pred, gt)


def test_minilm_is_an_option_named_in_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    from toolagent.eval.similarity import encoder, model_name, report_note

    assert "as upstream" in report_note()
    monkeypatch.setenv("TOOLAGENT_SIM_MODEL", "minilm")
    assert "all-MiniLM-L6-v2" in model_name() and "not the official" in model_name()
    assert encoder().encode(["hi"]).shape == (1, 384)
    assert "can differ from upstream" in report_note()
