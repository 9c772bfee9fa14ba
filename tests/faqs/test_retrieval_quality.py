"""Retrieval quality on our evaluation sets of one apartment community: 36 FAQs; 108 development
questions and 37 that no FAQ answers (the ranking and its thresholds were chosen on these); 36 +
10 held out when the set was written; 72 + 15 in a second set written before the ranking was tuned
again (retrieval_eval_fresh.json); 72 + 20 in a third (retrieval_eval_heldout2.json), committed
before the alias vocabulary was tuned on the first three and never used to choose anything, so only
its figures are held-out ones now. The floors sit just under what was measured, so a change that
makes retrieval worse fails here; benchmarks/faq_retrieval.py prints the figures. The bot answers
by itself only when it is nearly sure (faqs/ranking.py): no false or wrong answer on any set, at
the price of handing most paraphrases to a person."""

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
    """Measured: top-1 0.963, top-3 1.000, 20 of 108 answered right (84 before the answer rule was
    made conservative), none wrongly, and none of the 37 false answers (2 before: a freight
    elevator got the accessibility FAQ, Christmas opening the office hours). The ranking still
    finds the rest; the bot hands them to a person."""
    property_, data, ids = seeded
    figures = evaluate(property=property_, data=data, ids=ids, split="dev")
    assert figures.top1_rate >= 0.95, figures.summary()
    assert figures.top3_rate >= 0.99, figures.summary()
    assert figures.answered_wrong == 0, figures.failures
    assert figures.false_answers == 0, figures.failures
    assert figures.answered_right >= 19, figures.summary()


def test_first_held_out_questions(seeded):
    """Measured (held out when written, looked at in later tuning): top-1 0.861, top-3 0.944, 4 of 36
    answered right (22 before the conservative rule), none wrongly, no false answer of ten (one
    before: "can I install a washer hookup for a dishwasher" got the washer-and-dryer FAQ)."""
    property_, data, ids = seeded
    figures = evaluate(property=property_, data=data, ids=ids, split="holdout")
    assert figures.top1_rate >= 0.83, figures.summary()
    assert figures.top3_rate >= 0.91, figures.summary()
    assert figures.answered_wrong == 0, figures.failures
    assert figures.false_answers == 0, figures.failures
    assert figures.answered_right >= 4, figures.summary()


def test_fresh_questions(seeded):
    """Measured on the second set (held out when written, used since): top-1 0.903, top-3 0.972, 10
    of 72 answered right (46 before the conservative rule), none wrongly, no false answer of 15
    (4 before: personal trainers at the gym, parking a boat, apartments per building, breaking a
    phone contract, which scored up to 0.71 and set the minimum score)."""
    property_, data, ids = seeded
    figures = evaluate(property=property_, data=data, ids=ids, split="fresh")
    assert figures.top1_rate >= 0.88, figures.summary()
    assert figures.top3_rate >= 0.95, figures.summary()
    assert figures.answered_wrong == 0, figures.failures
    assert figures.false_answers == 0, figures.failures
    assert figures.answered_right >= 9, figures.summary()


def test_held_out_questions(seeded):
    """Measured on the third set, the one held out now (the conservative answer rule was chosen on
    the other three): top-1 0.931, top-3 0.958, 18 of 72 answered right, none wrongly, and no false
    answer of 20 (before: 55 right, one wrong, 8 false, seven of them details near an FAQ's topic
    that it does not cover, one off-topic). Of the rest, 37 get the right FAQ as a labelled
    suggestion beside the escalation and one a wrong one; 8 of the 20 get a suggestion."""
    property_, data, ids = seeded
    figures = evaluate(property=property_, data=data, ids=ids, split="heldout2")
    assert figures.top1_rate >= 0.9, figures.summary()
    assert figures.top3_rate >= 0.94, figures.summary()
    assert figures.answered_wrong == 0, figures.failures
    assert figures.false_answers == 0, figures.failures
    assert figures.answered_right >= 17, figures.summary()
    assert figures.suggested_right >= 35, figures.summary()
    assert figures.suggested_wrong <= 1, figures.summary()


def test_every_faq_asked_in_its_own_words_is_answered_by_it(seeded):
    property_, data, ids = seeded
    from faqs.selectors import faq_retrieve

    for faq in data["faqs"]:
        for query in (faq["question"], faq["question"].lower().rstrip("?")):
            result = faq_retrieve(property=property_, query=query)
            assert result.results[0].faq_id == ids[faq["key"]] and result.answered, (query, result)


def test_the_issue_examples_find_their_faq_first(seeded):
    """Found, though not answered by the bot: words this far from the FAQ's own go to a person."""
    property_, _, ids = seeded
    from faqs.selectors import faq_retrieve

    for query, key in [
        ("can I bring my dog", "pets"),
        ("where would I put my car", "parking"),
        ("do you allow a cosigner", "guarantor"),
    ]:
        result = faq_retrieve(property=property_, query=query)
        assert result.results[0].faq_id == ids[key], (query, result)


def test_a_misspelt_question_finds_its_faq(seeded):
    property_, _, ids = seeded
    from faqs.selectors import faq_retrieve

    for query, key in [("how much is the applicaton fee", "apply"), ("do you acept guarentors", "guarantor")]:
        result = faq_retrieve(property=property_, query=query)
        assert result.results[0].faq_id == ids[key], (query, result)
    result = faq_retrieve(property=property_, query="do you acept guarantors")
    assert result.results[0].faq_id == ids["guarantor"] and result.answered, result


def test_development_questions_with_a_typo(seeded):
    """Measured on 291 typo'd copies of the development questions: top-1 0.921, 46 answered right,
    none wrongly (202 right and 2 wrong before the conservative answer rule: a slip that turns into
    another FAQ's word, "proces" -> "prices"). Without the correction into the FAQs' words it was
    top-1 0.718 (before the latest aliases)."""
    property_, data, ids = seeded
    figures = evaluate(property=property_, data=data, ids=ids, split="dev+typos")
    assert figures.questions == 291
    assert figures.top1_rate >= 0.9, figures.summary()
    assert figures.answered_wrong == 0, figures.failures
    assert figures.answered_right >= 44, figures.summary()
