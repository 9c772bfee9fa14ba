"""Learned phrasings: the prospects' own wordings of a question, kept when they escalate it, and
answered by the bot once a manager has answered the question."""

import pytest

from faqs.models import FaqPhrasing, FaqStatus
from faqs.selectors import faq_retrieve
from faqs.services import (
    MAX_PHRASINGS_PER_FAQ,
    faq_answer,
    faq_flag_for_review,
    faq_update,
    faqs_reindex,
    phrasing_delete,
    question_escalate,
)
from tests.conftest import client_for
from tests.factories import ConversationFactory
from tests.faqs.factories import make_faq, make_phrasing

pytestmark = pytest.mark.django_db

ASKED = "my kid wants to know if there's somewhere to shoot hoops"
REWORDED = "is there somewhere my kid can shoot some hoops?"
ANSWER = "Yes, a full-size basketball court next to the pool, open 7 am to 10 pm."


@pytest.fixture
def property_(tenants):
    """A property whose bot knows a few other things already."""
    for question, answer in [
        ("What is your pet policy?", "Up to two cats or dogs per apartment, $35 monthly pet rent."),
        ("What parking options are available?", "One surface spot per apartment; carports rent for $40."),
        ("Is there a fitness center?", "Our 24-hour fitness center has cardio machines and free weights."),
        ("Do you have a swimming pool?", "Yes, a saltwater pool open from May through September."),
    ]:
        make_faq(property=tenants.a1, question=question, answer=answer)
    return tenants.a1


def test_an_escalated_question_keeps_the_prospects_wording(property_):
    conversation = ConversationFactory(property=property_)
    faq = question_escalate(property=property_, question=f"  {ASKED}  ", conversation=conversation)
    (phrasing,) = faq.phrasings.all()
    assert phrasing.text == ASKED and phrasing.conversation_id == conversation.pk
    assert phrasing.embedding is not None and phrasing.embedding_model


def test_a_near_duplicate_that_joins_adds_its_wording_once(property_):
    faq = question_escalate(property=property_, question=ASKED, conversation=ConversationFactory(property=property_))
    joined = question_escalate(
        property=property_, question=REWORDED, conversation=ConversationFactory(property=property_)
    )
    again = question_escalate(
        property=property_, question=REWORDED.upper(), conversation=ConversationFactory(property=property_)
    )
    assert joined.pk == again.pk == faq.pk and joined.ask_count == 3
    assert list(faq.phrasings.values_list("text", flat=True)) == [ASKED, REWORDED]


def test_a_rewording_of_an_answered_question_is_answered_afterwards(property_):
    faq = question_escalate(property=property_, question=ASKED)
    pending = faq_retrieve(property=property_, query=REWORDED)
    assert not pending.answered  # a pending question is not knowledge yet

    # The manager words the question for the FAQ list and answers it.
    faq = faq_update(faq=faq, question="Is there a basketball court?")
    faq_answer(faq=faq, answer=ANSWER, manager=None)

    result = faq_retrieve(property=property_, query=REWORDED)
    assert result.answered and result.results[0].faq_id == str(faq.pk) and result.results[0].answer == ANSWER
    # It is the learned wording that answers: without it the FAQ's own text does not reach as far.
    for phrasing in faq.phrasings.all():
        phrasing_delete(phrasing=phrasing)
    assert faq_retrieve(property=property_, query=REWORDED).results[0].score < 0.8


def test_a_question_flagged_for_review_stops_answering_its_phrasings(property_):
    faq = faq_answer(faq=question_escalate(property=property_, question=ASKED), answer=ANSWER, manager=None)
    assert faq_retrieve(property=property_, query=REWORDED).answered
    faq_flag_for_review(faq=faq, note="Court closed for repairs.")
    result = faq_retrieve(property=property_, query=REWORDED)
    assert str(faq.pk) not in [hit.faq_id for hit in result.results]


def test_a_question_asked_in_ever_new_words_keeps_a_bounded_number(property_):
    faq = question_escalate(property=property_, question="Do you have EV chargers?")
    FaqPhrasing.objects.bulk_create(
        [FaqPhrasing(faq=faq, text=f"wording {n}", normalized=f"wording {n}") for n in range(MAX_PHRASINGS_PER_FAQ - 1)]
    )
    joined = question_escalate(property=property_, question="do you have EV chargers here?")
    assert joined.pk == faq.pk and joined.ask_count == 2
    assert faq.phrasings.count() == MAX_PHRASINGS_PER_FAQ
    assert not faq.phrasings.filter(text="do you have EV chargers here?").exists()


def test_phrasings_without_vectors_are_searched_and_reindexed(property_):
    faq = faq_answer(faq=question_escalate(property=property_, question=ASKED), answer=ANSWER, manager=None)
    FaqPhrasing.objects.filter(faq=faq).update(embedding=None, embedding_model="")
    assert faq_retrieve(property=property_, query=REWORDED).answered  # embedded on the fly
    assert faqs_reindex(queryset=faq.__class__.objects.filter(pk=faq.pk)) == 1
    assert FaqPhrasing.objects.get(faq=faq).embedding is not None


def test_a_shared_faqs_phrasings_answer_for_every_property_of_the_company(tenants):
    shared = make_faq(company=tenants.company_a, question="Is there a basketball court?", answer=ANSWER)
    make_phrasing(faq=shared, text=ASKED)
    for property_ in (tenants.a1, tenants.a2):
        result = faq_retrieve(property=property_, query=REWORDED)
        assert result.answered and result.results[0].faq_id == str(shared.pk)
    assert not faq_retrieve(property=tenants.b1, query=REWORDED).results


# --- the API ----------------------------------------------------------------------------------
def test_managers_list_the_phrasings_of_a_question(tenants):
    conversation = ConversationFactory(property=tenants.a1)
    faq = question_escalate(property=tenants.a1, question=ASKED, conversation=conversation)
    question_escalate(property=tenants.a1, question=REWORDED)
    response = client_for(tenants.manager_read.user).get(f"/api/faqs/{faq.pk}/phrasings")
    assert response.status_code == 200
    body = response.json()
    assert [item["text"] for item in body["data"]] == [ASKED, REWORDED]
    assert set(body["data"][0]) == {"id", "faq_id", "text", "conversation_id", "created_at"}
    assert body["data"][0]["conversation_id"] == str(conversation.pk) and body["data"][1]["conversation_id"] is None
    assert body["meta"]["pagination"]["total"] == 2


def test_deleting_a_phrasing_makes_the_bot_forget_that_wording(tenants):
    faq = question_escalate(property=tenants.a1, question=ASKED)
    faq = faq_answer(faq=faq_update(faq=faq, question="Is there a basketball court?"), answer=ANSWER, manager=None)
    make_faq(property=tenants.a1, question="What is your pet policy?", answer="Two cats or dogs per apartment.")
    assert faq_retrieve(property=tenants.a1, query=REWORDED).answered
    phrasing = faq.phrasings.get()
    response = client_for(tenants.manager_write.user).delete(f"/api/faqs/{faq.pk}/phrasings/{phrasing.pk}")
    assert response.status_code == 200 and response.json()["success"] is True
    assert not FaqPhrasing.objects.filter(pk=phrasing.pk).exists()
    assert faq_retrieve(property=tenants.a1, query=REWORDED).results[0].score < 0.8
    faq.refresh_from_db()
    assert faq.status == FaqStatus.ANSWERED  # the question itself is untouched


def test_a_phrasing_is_only_reached_through_its_own_question(tenants):
    first = question_escalate(property=tenants.a1, question=ASKED)
    other = question_escalate(property=tenants.a1, question="Do you have EV chargers?")
    phrasing = other.phrasings.get()
    response = client_for(tenants.admin_a.user).delete(f"/api/faqs/{first.pk}/phrasings/{phrasing.pk}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "RECORD_NOT_FOUND"
    assert FaqPhrasing.objects.filter(pk=phrasing.pk).exists()


@pytest.mark.parametrize("rows", [1, 30])
def test_the_phrasing_list_query_count_does_not_grow(tenants, django_assert_max_num_queries, rows):
    faq = make_faq(property=tenants.a1, question="Is there a basketball court?", answer=ANSWER)
    FaqPhrasing.objects.bulk_create(
        [FaqPhrasing(faq=faq, text=f"wording {n}", normalized=f"wording {n}") for n in range(rows)]
    )
    client = client_for(tenants.manager_write.user)
    client.get(f"/api/faqs/{faq.pk}/phrasings")  # warms the per-user caches, as any later request finds them
    with django_assert_max_num_queries(4):
        response = client.get(f"/api/faqs/{faq.pk}/phrasings?limit=100")
    assert len(response.json()["data"]) == rows
