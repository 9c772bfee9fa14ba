"""A conversation's lock (a chat turn, a status change) must not hold up rows that only point at
the conversation: a notification or an analytics event written meanwhile by another connection."""

import threading

import pytest
from django.db import connection, transaction

from conversations import services
from conversations.models import LeadNotification, NotificationType
from tests.factories import ConversationFactory


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock modes are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_locked_conversation_still_takes_rows_that_point_at_it():
    conversation = ConversationFactory()
    locked, release = threading.Event(), threading.Event()

    def hold_the_turn_lock():
        try:
            with transaction.atomic():
                services._locked(conversation.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_turn_lock)
    holder.start()
    try:
        assert locked.wait(10)
        with connection.cursor() as cursor:
            # Under FOR UPDATE the foreign-key check of this insert waits for the holder; give up
            # after a second instead of hanging.
            cursor.execute("SET lock_timeout = '1s'")
        notification = LeadNotification.objects.create(
            conversation=conversation, notification_type=NotificationType.HANDOFF_REQUEST, title="A person, please"
        )
        assert LeadNotification.objects.filter(pk=notification.pk).exists()
    finally:
        release.set()
        holder.join(10)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
