"""The packaged all-MiniLM-L6-v2 stand-in for GTA's sentence similarity (real weights from the package)."""

from __future__ import annotations

import pytest

from toolagent.eval.gta_score import answer_score, imggen_score

pytestmark = pytest.mark.slow


def test_encoder_pooling_and_similarity() -> None:
    import torch

    from toolagent.eval.similarity import encoder, model_name

    enc = encoder()
    assert "all-MiniLM-L6-v2" in model_name()
    texts = ["A red square on a white background.", "hi", "The cat sleeps on the warm windowsill all day long."]
    batch = enc.encode(texts)
    assert batch.shape == (3, 384)
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
