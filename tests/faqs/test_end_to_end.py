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
