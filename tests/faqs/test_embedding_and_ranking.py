"""The local model, the alias expansion and the ranking on their own."""

import threading
from pathlib import Path

import numpy as np
import pytest

from faqs import embedding
from faqs.aliases import canonical_terms, expand, lexical_terms
from faqs.ranking import (
    MAX_SENTENCE_PASSAGES,
    Hit,
    IndexedFaq,
    KnowledgeIndex,
    RankingParams,
    faq_passages,
    is_confident,
    is_suggestion,
)

PARAMS = RankingParams(
    lexical_weight=0.1, min_score=0.5, min_margin=0.06, min_phrasing_similarity=0.8, suggest_min_score=0.4
)


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


def _unit(*values):
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def _index(phrasings=None):
    phrasings = phrasings or {}
    faqs = [
        IndexedFaq(
            n,
            f"question {n}",
            f"answer {n}",
            vectors=np.eye(3, 4, dtype=np.float32)[n : n + 1],
            phrasings=np.array(phrasings.get(n, np.zeros((0, 4))), dtype=np.float32),
        )
        for n in range(3)
    ]
    return KnowledgeIndex(faqs)


def test_search_orders_by_score_and_cuts_at_top_k():
    query = np.array([0.2, 0.9, 0.1, 0.0], dtype=np.float32)
    hits = _index().search(query_text="nothing lexical", query_vector=query, top_k=2, params=PARAMS)
    assert [hit.faq_id for hit in hits] == [1, 0]


def test_lexical_matches_break_a_semantic_tie():
    query = np.array([0.5, 0.5, 0.0, 0.0], dtype=np.float32)
    hits = _index().search(query_text="answer 1", query_vector=query, top_k=3, params=PARAMS)
    assert hits[0].faq_id == 1 and hits[0].lexical > hits[1].lexical


def test_an_faq_scores_its_best_passage():
    """A question about one sentence of a long answer matches that sentence's vector."""
    faqs = [
        IndexedFaq(
            "pool",
            "pool?",
            "Open in summer. Heated in winter.",
            vectors=np.stack([_unit(1, 1, 0, 0), _unit(0, 0, 1, 0)]),
        ),
        IndexedFaq("gym", "gym?", "Open all night.", vectors=np.stack([_unit(0.8, 1, 0, 0.6)])),
    ]
    hits = KnowledgeIndex(faqs).search(query_text="x", query_vector=_unit(0, 0.1, 1, 0), top_k=2, params=PARAMS)
    assert hits[0].faq_id == "pool" and hits[0].semantic == pytest.approx(
        float(_unit(0, 0.1, 1, 0) @ _unit(0, 0, 1, 0))
    )


def test_a_close_phrasing_lifts_its_faq_first_and_answers():
    # The question is a little closer to FAQ 0's text, but repeats a wording learned for FAQ 2.
    query = _unit(0.5, 0.0, 0.45, 0.74)
    index = _index(phrasings={2: [_unit(0.0, 0.0, 0.3, 1.0)], 1: [_unit(0, 1, 0, 0)]})
    hits = index.search(query_text="x", query_vector=query, top_k=3, params=PARAMS)
    assert hits[0].faq_id == 2 and hits[0].phrasing >= 0.8 and hits[0].score == pytest.approx(hits[0].phrasing)
    assert hits[1].phrasing < 0  # FAQ 0 has no phrasing
    assert is_confident(hits, PARAMS)


def test_a_phrasing_below_the_threshold_changes_nothing():
    query = _unit(1.0, 0.0, 0.9, 0.0)
    plain = _index().search(query_text="x", query_vector=query, top_k=3, params=PARAMS)
    learned = _index(phrasings={2: [_unit(0.3, 0.0, 0.5, 1.0)]}).search(
        query_text="x", query_vector=query, top_k=3, params=PARAMS
    )
    assert 0 < learned[1].phrasing < 0.8
    assert [(hit.faq_id, hit.score) for hit in learned] == [(hit.faq_id, hit.score) for hit in plain]


def test_an_faqs_own_question_repeated_lifts_it_first_and_answers():
    # FAQ 2's passage is farther from the query than FAQ 0's, but its own question is the query.
    query = _unit(0.5, 0.0, 0.45, 0.74)
    faqs = [
        IndexedFaq(n, f"question {n}", f"answer {n}", vectors=np.eye(3, 4, dtype=np.float32)[n : n + 1])
        for n in range(2)
    ] + [IndexedFaq(2, "question 2", "answer 2", vectors=np.eye(3, 4, dtype=np.float32)[2:3], question_vector=query)]
    hits = KnowledgeIndex(faqs).search(query_text="x", query_vector=query, top_k=3, params=PARAMS)
    assert hits[0].faq_id == 2 and hits[0].phrasing == pytest.approx(1.0) and hits[1].phrasing < 0
    assert is_confident(hits, PARAMS)


def test_an_empty_index_finds_nothing():
    assert KnowledgeIndex([]).search(query_text="x", query_vector=np.ones(4), top_k=3, params=PARAMS) == []


def test_every_faq_needs_a_vector():
    with pytest.raises(ValueError):
        KnowledgeIndex([IndexedFaq(1, "q", "a", vectors=np.zeros((0, 4), dtype=np.float32))])


def test_passages_are_the_whole_text_then_each_sentence_with_the_question():
    assert faq_passages("Pool?", "Open in summer. Heated in winter!") == [
        "Pool? Open in summer. Heated in winter!",
        "Pool? Open in summer.",
        "Pool? Heated in winter!",
    ]
    assert faq_passages("Gym?", "Open all night.") == ["Gym? Open all night."]
    assert faq_passages("Pending?", "") == ["Pending?"]
    many = faq_passages("Q?", " ".join(f"Sentence {n}." for n in range(40)))
    assert len(many) == 1 + MAX_SENTENCE_PASSAGES


def _hit(score, phrasing=-1.0):
    return Hit(faq_id=score, question="", answer="", score=score, semantic=score, lexical=0.0, phrasing=phrasing)


@pytest.mark.parametrize(
    ("hits", "confident"),
    [
        ([_hit(0.7), _hit(0.5)], True),
        ([_hit(0.7), _hit(0.66)], False),  # two FAQs fit about as well: ask a person
        ([_hit(0.45), _hit(0.1)], False),  # clear winner, but not close enough to the question
        ([_hit(0.55)], True),
        ([], False),
        ([_hit(0.85, phrasing=0.85), _hit(0.84)], True),  # a prospect asked this before, in these words
        ([_hit(0.45, phrasing=0.79), _hit(0.1)], False),
    ],
)
def test_confidence_needs_a_repeated_wording_or_a_minimum_score_and_a_margin(hits, confident):
    assert is_confident(hits, PARAMS) is confident


@pytest.mark.parametrize(
    ("hits", "suggested"),
    [
        ([_hit(0.45), _hit(0.1)], True),  # likely, not sure: offered beside the escalation
        ([_hit(0.45), _hit(0.41)], False),  # two FAQs fit about as well
        ([_hit(0.35), _hit(0.1)], False),  # too far from the question even to suggest
        ([_hit(0.7), _hit(0.5)], False),  # sure: answered, not suggested
        ([], False),
    ],
)
def test_a_suggestion_is_a_likely_best_hit_that_is_not_confident(hits, suggested):
    assert is_suggestion(hits, PARAMS) is suggested
