"""The local model, the alias expansion and the ranking on their own."""

import threading
from pathlib import Path

import numpy as np
import pytest

from faqs import embedding
from faqs.aliases import canonical_terms, expand, lexical_terms
from faqs.ranking import Hit, IndexedFaq, KnowledgeIndex, RankingParams, is_confident

PARAMS = RankingParams(lexical_weight=0.1, min_score=0.5, min_margin=0.06)


def test_the_model_loads_once_for_concurrent_first_callers(monkeypatch):
    monkeypatch.setattr(embedding, "_embedder", None)
    seen = []
    barrier = threading.Barrier(4)

    def first_use():
        barrier.wait()
        seen.append(embedding.local_embedder())

    threads = [threading.Thread(target=first_use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 4 and len({id(model) for model in seen}) == 1


def test_vectors_are_unit_length_deterministic_and_independent_of_batching():
    model = embedding.local_embedder()
    texts = ["Do you allow pets?", "What parking options are available for residents with two cars?", "Hi"]
    together = model.embed(texts)
    alone = np.stack([model.embed([text])[0] for text in texts])
    assert together.shape == (3, embedding.DIMENSIONS) and together.dtype == np.float32
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert np.allclose(together, alone, atol=1e-4)
    assert model.embed([]).shape == (0, embedding.DIMENSIONS)


def test_similar_meaning_scores_higher_than_another_topic():
    dog, pets, parking = embedding.local_embedder().embed(
        ["can I bring my dog", "What is your pet policy?", "What parking options are available?"]
    )
    assert dog @ pets > dog @ parking + 0.2


def test_vectors_survive_the_database_bytes():
    vector = embedding.local_embedder().embed(["hello"])[0]
    assert np.array_equal(embedding.vector_from_bytes(embedding.vector_to_bytes(vector)), vector)


def test_a_missing_or_altered_model_file_is_refused(tmp_path: Path):
    with pytest.raises(embedding.EmbeddingModelMissing):
        embedding.LocalEmbedder(
            model_path=tmp_path / "absent.onnx",
            tokenizer_path=embedding.TOKENIZER_PATH,
            threads=1,
            expected_sha256=None,
        )
    altered = tmp_path / "model.onnx"
    altered.write_bytes(b"not a model")
    with pytest.raises(embedding.EmbeddingModelMissing):
        embedding.LocalEmbedder(
            model_path=altered, tokenizer_path=embedding.TOKENIZER_PATH, threads=1, expected_sha256="0" * 64
        )


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("Can my parents co-sign?", ["guarantor"]),
        ("Do you accept guarantors?", ["guarantor"]),
        ("I have two cats and a puppy", ["pet"]),
        ("Is there a washing machine in the unit?", ["washer and dryer", "apartment"]),
        ("What's the weather tomorrow?", []),
    ],
)
def test_aliases_name_the_faq_words(text, terms):
    assert canonical_terms(text) == terms


def test_expansion_adds_only_what_the_text_does_not_say():
    assert expand("can my parents co-sign the lease") == "can my parents co-sign the lease (guarantor)"
    assert expand("Do you accept a guarantor?") == "Do you accept a guarantor?"


def test_lexical_terms_drop_stopwords_and_fold_plurals():
    assert lexical_terms("Do you have any garages?") == ["garage", "~parking"]


def _index():
    faqs = [IndexedFaq(n, f"question {n}", f"answer {n}") for n in range(3)]
    vectors = np.eye(3, 4, dtype=np.float32)
    return KnowledgeIndex(faqs, vectors)


def test_search_orders_by_score_and_cuts_at_top_k():
    query = np.array([0.2, 0.9, 0.1, 0.0], dtype=np.float32)
    hits = _index().search(query_text="nothing lexical", query_vector=query, top_k=2, params=PARAMS)
    assert [hit.faq_id for hit in hits] == [1, 0]


def test_lexical_matches_break_a_semantic_tie():
    query = np.array([0.5, 0.5, 0.0, 0.0], dtype=np.float32)
    hits = _index().search(query_text="answer 1", query_vector=query, top_k=3, params=PARAMS)
    assert hits[0].faq_id == 1 and hits[0].lexical > hits[1].lexical


def test_an_empty_index_finds_nothing():
    index = KnowledgeIndex([], np.zeros((0, 4), dtype=np.float32))
    assert index.search(query_text="x", query_vector=np.ones(4), top_k=3, params=PARAMS) == []


def _hit(score):
    return Hit(faq_id=score, question="", answer="", score=score, semantic=score, lexical=0.0)


@pytest.mark.parametrize(
    ("scores", "confident"),
    [
        ([0.7, 0.5], True),
        ([0.7, 0.66], False),  # two FAQs fit about as well: ask a person
        ([0.45, 0.1], False),  # clear winner, but not close enough to the question
        ([0.55], True),
        ([], False),
    ],
)
def test_confidence_needs_a_minimum_score_and_a_margin(scores, confident):
    assert is_confident([_hit(score) for score in scores], PARAMS) is confident
