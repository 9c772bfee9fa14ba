"""Escalations racing each other, with real commits and one database connection per thread."""

import threading

import pytest
from django.db import connection

from faqs import services
from faqs.models import Faq, Task
from tests.conftest import make_staff
from tests.factories import ConversationFactory, PropertyFactory


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite's in-memory test database locks whole tables without waiting; PostgreSQL runs this",
)
@pytest.mark.django_db(transaction=True)
def test_the_same_question_escalated_at_once_opens_one_item():
    property_ = PropertyFactory()
    make_staff(property_.company, properties=[property_])
    conversations = [ConversationFactory(property=property_) for _ in range(4)]
    barrier = threading.Barrier(len(conversations))
    errors = []

    def escalate(conversation):
        try:
            barrier.wait()
            services.question_escalate(
                property=property_, question="Is there a rooftop deck?", conversation=conversation
            )
        except Exception as exc:  # reported below, with the thread's own failure
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=escalate, args=(conversation,)) for conversation in conversations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    faq = Faq.objects.get()
    assert faq.ask_count == 4 and faq.conversation_links.count() == 4
    assert Task.objects.count() == 1
