"""Events of one conversation arriving at the same moment: every one is counted, each id once."""

import threading

import pytest
from django.db import connection, connections

from analytics.models import AnalyticsEvent, ConversationAnalytics
from tests.analytics.conftest import event, widget_events

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL only: SQLite runs one writer at a time anyway"
    ),
]
THREADS = 8


def _together(work) -> list:
    barrier = threading.Barrier(THREADS)
    results: list = [None] * THREADS

    def run(index):
        try:
            barrier.wait(timeout=10)
            results[index] = work(index)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_concurrent_events_are_all_counted(chat, tenants):
    statuses = _together(lambda n: widget_events(chat, tenants.a1, [event(f"click-{n}")]).status_code)
    assert statuses == [201] * THREADS
    record = ConversationAnalytics.objects.get(conversation_id=chat.conversation_id)
    assert record.answer_button_clicks == THREADS


def test_the_same_event_sent_at_once_from_everywhere_is_stored_once(chat, tenants):
    statuses = _together(lambda n: widget_events(chat, tenants.a1, [event("same-click")]).status_code)
    assert sorted(statuses) == [200] * (THREADS - 1) + [201]
    assert AnalyticsEvent.objects.filter(event_id="same-click").count() == 1
    record = ConversationAnalytics.objects.get(conversation_id=chat.conversation_id)
    assert record.answer_button_clicks == 1
