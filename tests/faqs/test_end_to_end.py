"""The whole human-in-the-loop loop, with the chat app's bot on the other side:

prospect asks what no FAQ answers -> pending FAQ + task + the manager's notification -> the manager
answers over the API -> the answer appears in the prospect's conversation -> another prospect asks
the same and the bot answers it itself.
"""

import pytest

from conversations.models import LeadNotification, Message, MessageSender
from conversations.services import prospect_message_handle
from faqs.models import Faq, FaqStatus, Task, TaskStatus
from tests.conftest import client_for
from tests.factories import ConversationFactory
from tests.faqs.factories import make_faq

pytestmark = pytest.mark.django_db

QUESTION = "Do you have EV charging stations?"
ANSWER = "Yes: six EV chargers in the north garage, free for residents."


def test_an_unanswered_question_is_answered_by_a_manager_and_then_by_the_bot(
    tenants, django_capture_on_commit_callbacks
):
    property_ = tenants.a1
    make_faq(property=property_, question="What is your pet policy?", answer="Two cats or dogs per apartment.")
    first = ConversationFactory(property=property_)

    with django_capture_on_commit_callbacks(execute=True):
        prospect_message_handle(conversation=first, text=QUESTION)

    faq = Faq.objects.get(status=FaqStatus.PENDING)
    assert faq.question == QUESTION and list(faq.conversation_links.values_list("conversation_id", flat=True)) == [
        first.pk
    ]
    task = Task.objects.get(faq=faq)
    assert task.assigned_to_id == tenants.manager_write.pk
    notification = LeadNotification.objects.get(conversation=first)
    assert notification.property_manager_id == tenants.manager_write.pk

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenants.manager_write.user).put(
            f"/api/faqs/{faq.pk}/answer", {"answer": ANSWER}, format="json"
        )
    assert response.status_code == 200
    posted = Message.objects.get(conversation=first, sender=MessageSender.MANAGER)
    assert posted.text == ANSWER and posted.sender_manager_id == tenants.manager_write.pk
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED

    second = ConversationFactory(property=property_)
    with django_capture_on_commit_callbacks(execute=True):
        turn = prospect_message_handle(conversation=second, text="do you have EV chargers?")
    assert ANSWER in turn.reply.text
    assert Faq.objects.filter(status=FaqStatus.PENDING).count() == 0


def test_a_likely_but_unsure_match_is_offered_as_a_suggestion_while_a_person_is_asked(tenants):
    property_ = tenants.a1
    make_faq(property=property_, question="What is your pet policy?", answer="Two cats or dogs per apartment.")
    make_faq(
        property=property_,
        question="Is there parking?",
        answer="Yes: a garage with assigned spaces for $75 a month, and open guest parking.",
    )
    make_faq(property=property_, question="Do you have a pool?", answer="Yes, a heated saltwater pool.")

    paraphrase = prospect_message_handle(
        conversation=ConversationFactory(property=property_), text="Where would I put my car?"
    ).reply
    assert 'This may help, from our FAQ "Is there parking": Yes: a garage' in paraphrase.text
    assert "passed it to our leasing team" in paraphrase.text
    assert Faq.objects.filter(status=FaqStatus.PENDING, question="Where would I put my car?").exists()

    unrelated = prospect_message_handle(
        conversation=ConversationFactory(property=property_), text="Who is the mayor of Austin?"
    ).reply
    assert "This may help" not in unrelated.text
    assert "I don't have that answer yet" in unrelated.text

    sure = prospect_message_handle(
        conversation=ConversationFactory(property=property_), text="What is your pet policy?"
    ).reply
    assert sure.text.startswith("Two cats or dogs per apartment.")
    assert Faq.objects.filter(status=FaqStatus.PENDING).count() == 2
