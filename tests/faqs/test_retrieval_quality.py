"""Retrieval quality on our evaluation sets of one apartment community: 36 FAQs; 108 development
questions and 37 that no FAQ answers (the ranking and its thresholds were chosen on these); 36 +
10 held out when the set was written; 72 + 15 in a second set written before the ranking was tuned
again (retrieval_eval_fresh.json); 72 + 20 in a third (retrieval_eval_heldout2.json), committed
before the alias vocabulary was tuned on the first three and never used to choose anything, so only
its figures are held-out ones now. The floors sit just under what was measured, so a change that
makes retrieval worse fails here; benchmarks/faq_retrieval.py prints the figures."""

import pytest

from tests.factories import PropertyFactory
from tests.faqs.evaluation import evaluate, load_evaluation_set, seed_faqs

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db):
    data = load_evaluation_set()
    property_ = PropertyFactory(name=data["community"])
    return property_, data, seed_faqs(property=property_, data=data)


def test_the_evaluation_set_is_as_large_as_promised():
    data = load_evaluation_set()
    assert len(data["faqs"]) >= 30
    assert all(len(faq["queries"]) + len(faq["holdout"]) >= 3 for faq in data["faqs"])
    assert all(len(faq["fresh"]) == 2 and len(faq["heldout2"]) == 2 for faq in data["faqs"])
    assert len(data["must_not_answer"]) + len(data["must_not_answer_holdout"]) >= 20
    assert len(data["must_not_answer_fresh"]) == 15
    assert len(data["must_not_answer_heldout2"]) == 20


def test_the_fresh_set_repeats_no_question_of_the_first():
    data = load_evaluation_set()
    first = {query.lower() for faq in data["faqs"] for query in faq["queries"] + faq["holdout"]}
    first |= {query.lower() for query in data["must_not_answer"] + data["must_not_answer_holdout"]}
    fresh = {query.lower() for faq in data["faqs"] for query in faq["fresh"]} | {
        query.lower() for query in data["must_not_answer_fresh"]
    }
    assert len(fresh) == 87 and not first & fresh


def test_the_third_set_repeats_no_earlier_question():
    data = load_evaluation_set()
    earlier = {query.lower() for faq in data["faqs"] for query in faq["queries"] + faq["holdout"] + faq["fresh"]} | {
        query.lower()
        for query in data["must_not_answer"] + data["must_not_answer_holdout"] + data["must_not_answer_fresh"]
    }
    third = {query.lower() for faq in data["faqs"] for query in faq["heldout2"]}
    third |= {query.lower() for query in data["must_not_answer_heldout2"]}
    assert len(third) == 92 and not earlier & third


def test_development_questions(seeded):
    """Measured: top-1 0.963, top-3 1.000, 84 of 108 answered right, none wrongly, and 2 of 37
    false answers (a freight elevator gets the accessibility FAQ, which says every building has an
    elevator; Christmas opening gets the office hours)."""
    property_, data, ids = seeded
    figures = evaluate(property=property_, data=data, ids=ids, split="dev")
    assert figures.top1_rate >= 0.95, figures.summary()
    assert figures.top3_rate >= 0.99, figures.summary()
    assert figures.answered_wrong == 0, figures.failures
    assert figures.false_answers <= 2, figures.failures
    assert figures.answered_right >= 82, figures.summary()


def test_first_held_out_questions(seeded):
    """Measured (held out when written, looked at in later tuning): top-1 0.861, top-3 0.944, 22 of 36
    answered right, one false answer of ten ("can I install a washer hookup for a dishwasher" gets
    the washer-and-dryer FAQ)."""
    property_, data, ids = seeded
    figures = evaluate(property=property_, data=data, ids=ids, split="holdout")
    assert figures.top1_rate >= 0.83, figures.summary()
    assert figures.top3_rate >= 0.91, figures.summary()
    assert figures.answered_wrong == 0, figures.failures
    assert figures.false_answers <= 1, figures.failures
    assert figures.answered_right >= 20, figures.summary()


def test_fresh_questions(seeded):
    """Measured on the second set (held out when written, its misses looked at in the alias tuning
    since): top-1 0.903, top-3 0.972, 46 of 72 answered right, none wrongly, and 4 false answers of
    15, all questions near an FAQ's topic that it does not answer (personal trainers at the gym,
    parking a boat, apartments per building, breaking a phone contract)."""
    property_, data, ids = seeded
    figures = evaluate(property=property_, data=data, ids=ids, split="fresh")
    assert figures.top1_rate >= 0.88, figures.summary()
    assert figures.top3_rate >= 0.95, figures.summary()
    assert figures.answered_wrong == 0, figures.failures
    assert figures.false_answers <= 4, figures.failures
    assert figures.answered_right >= 44, figures.summary()


def test_held_out_questions(seeded):
    """Measured on the third set, the one held out now: top-1 0.931, top-3 0.958, 55 of 72 answered
    right, one wrongly, and 8 false answers of 20, short of the aim of none. Seven are details near
    an FAQ's topic that it does not cover (a tanning bed at the gym, a dishwasher against the washer
    and dryer, choosing a floor or the buildings' stories against the floor plans, the pool open to
    the public, a guest suite against the parking FAQ's guest spaces, sending returns from the
    package lockers); one is off-topic ("who is the mayor of Austin" gets the utilities FAQ, which
    names Austin Energy). The MiniLM similarity scores these like the questions those FAQs answer."""
    property_, data, ids = seeded
    figures = evaluate(property=property_, data=data, ids=ids, split="heldout2")
    assert figures.top1_rate >= 0.9, figures.summary()
    assert figures.top3_rate >= 0.94, figures.summary()
    assert figures.answered_wrong <= 1, figures.failures
    assert figures.false_answers <= 8, figures.failures
    assert figures.answered_right >= 53, figures.summary()


def test_the_issue_examples_are_answered_by_their_faq(seeded):
    property_, _, ids = seeded
    from faqs.selectors import faq_retrieve

    for query, key in [
        ("can I bring my dog", "pets"),
        ("where would I put my car", "parking"),
        ("do you allow a cosigner", "guarantor"),
    ]:
        result = faq_retrieve(property=property_, query=query)
        assert result.results[0].faq_id == ids[key] and result.answered, (query, result)


def test_a_misspelt_question_finds_its_faq(seeded):
    property_, _, ids = seeded
    from faqs.selectors import faq_retrieve

    for query, key in [("how much is the applicaton fee", "apply"), ("do you acept guarentors", "guarantor")]:
        result = faq_retrieve(property=property_, query=query)
        assert result.results[0].faq_id == ids[key] and result.answered, (query, result)


def test_development_questions_with_a_typo(seeded):
    """Measured on 291 typo'd copies of the development questions: top-1 0.921, 202 answered right,
    2 wrongly (a slip that turns into another FAQ's word: "proces" -> "prices"). Without the
    correction into the FAQs' words it was top-1 0.718, 117 right and 5 wrong (before the latest
    aliases)."""
    property_, data, ids = seeded
    figures = evaluate(property=property_, data=data, ids=ids, split="dev+typos")
    assert figures.questions == 291
    assert figures.top1_rate >= 0.9, figures.summary()
    assert figures.answered_wrong <= 2, figures.failures
    assert figures.answered_right >= 196, figures.summary()
