"""Queries per request on every analytics route, measured at 1 and at many rows: no N+1."""

import pytest

from analytics import services
from analytics.cache import versions_bump
from tests.analytics.conftest import EVENTS_URL, event
from tests.analytics.factories import ConversationAnalyticsFactory
from tests.conftest import client_for
from tests.factories import ConversationFactory, PropertyFactory

pytestmark = pytest.mark.django_db
ROWS = [1, 30]


def _fresh_answers(tenants):
    """Each measured request computes its answer (nothing from an earlier request's cache)."""
    versions_bump(company_id=tenants.company_a.pk)


@pytest.mark.parametrize("rows", ROWS)
def test_a_propertys_records(tenants, rows, django_assert_max_num_queries):
    for _ in range(rows):
        ConversationAnalyticsFactory(conversation__property=tenants.a1)
    client = client_for(tenants.manager_read.user)
    client.get("/api/amplitude-data/summary")  # the caller's user and access are cached from here on
    # property lookup + page (+ count when the page is full)
    with django_assert_max_num_queries(3):
        response = client.get(f"/api/amplitude-data/property/{tenants.a1.pk}?limit=50")
    assert len(response.json()["data"]) == rows


@pytest.mark.parametrize("rows", ROWS)
@pytest.mark.parametrize("route", ["engagement-scores", "lead-qualification-rates"])
def test_per_property_figures(tenants, rows, route, django_assert_max_num_queries):
    for n in range(rows):
        property_ = PropertyFactory(company=tenants.company_a, name=f"Extra {n:02d}")
        ConversationAnalyticsFactory.create_batch(2, conversation__property=property_)
    client = client_for(tenants.admin_a.user)
    client.get("/api/amplitude-data/summary")
    _fresh_answers(tenants)
    # the page of properties (+ count) + one aggregate for the page
    with django_assert_max_num_queries(3):
        response = client.get(f"/api/amplitude-data/{route}?limit=100")
    assert len(response.json()["data"]) == rows + 2


@pytest.mark.parametrize("rows", ROWS)
def test_summary(tenants, rows, django_assert_max_num_queries):
    ConversationAnalyticsFactory.create_batch(rows, conversation__property=tenants.a1)
    client = client_for(tenants.admin_a.user)
    client.get("/api/amplitude-data/engagement-scores")
    _fresh_answers(tenants)
    with django_assert_max_num_queries(1):
        response = client.get("/api/amplitude-data/summary")
    assert response.json()["data"]["conversations"] == rows


@pytest.mark.parametrize("rows", [1, 20])  # messages (the chat's limit is 30 a minute per browser)
def test_a_conversations_record_read_and_recomputed(tenants, chat, rows, django_assert_max_num_queries):
    for n in range(rows):
        chat.send(tenants.a1, f"Question number {n}?")
    client = client_for(tenants.admin_a.user)
    url = f"/api/amplitude-data/conversation/{chat.conversation_id}"
    # Stale: the conversation + record, the lock (a new record is inserted first), the reads of the
    # rules, the write, their savepoints, and the events of flags that turned true.
    with django_assert_max_num_queries(16):
        assert client.get(url).json()["data"]["user_messages_sent"] == rows
    # Fresh: the conversation and the record only.
    with django_assert_max_num_queries(2):
        client.get(url)


@pytest.mark.parametrize("rows", [1, 50])
def test_reporting_events(tenants, chat, rows, django_assert_max_num_queries):
    services.conversation_analytics_refresh(conversation_id=chat.conversation_id)
    events = [event(f"e{n}") for n in range(rows)]
    client = client_for(tenants.manager_write.user)
    client.get("/api/amplitude-data/summary")
    # conversation + seen ids + one insert + the recomputation (lock, reads, write) + flag events
    with django_assert_max_num_queries(17):
        response = client.post(EVENTS_URL, {"conversation_id": chat.conversation_id, "events": events}, format="json")
    assert response.json()["data"]["accepted"] == rows


@pytest.mark.parametrize("rows", ROWS)
def test_recalculating_a_property_costs_the_same_for_one_conversation_or_many(
    tenants, rows, django_assert_max_num_queries
):
    for _ in range(rows):
        ConversationFactory(property=tenants.a1)
    # the ids, the locks (empty records inserted first), the conversations, four grouped reads, the
    # writes, the first flag events, their savepoints: per chunk of 200, not per conversation
    with django_assert_max_num_queries(15):
        assert services.property_recalculate(property_id=tenants.a1.pk) == rows
