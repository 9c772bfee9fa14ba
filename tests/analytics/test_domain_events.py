"""The chat's domain events and stored data reach the per-conversation record: contact capture, tours,
escalated questions, takeovers, messages (by the sweep and on read) and abandonment."""

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics import tasks
from analytics.models import AnalyticsEvent, ConversationAnalytics, EventSource
from conversations import services as chat_services
from conversations.models import Conversation, Message
from tests.conftest import client_for
from tours.models import Tour

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs what waits for the commit (domain events, tasks, broadcasts) when the block ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def record_of(widget) -> ConversationAnalytics:
    return ConversationAnalytics.objects.get(conversation_id=widget.conversation_id)


def server_events(widget) -> list[str]:
    return sorted(
        AnalyticsEvent.objects.filter(conversation_id=widget.conversation_id, source=EventSource.SERVER).values_list(
            "event_type", flat=True
        )
    )


def test_messages_reach_the_record_through_the_sweep(chat, tenants):
    chat.send(tenants.a1, "Hi there")
    chat.send(tenants.a1, "Do you have 2 bedroom apartments?")
    assert tasks.refresh_stale() == 1
    record = record_of(chat)
    assert (record.chat_session_started, record.user_messages_sent, record.bot_messages_received) == (True, 2, 2)
    assert record.engagement_score == "low"
    # Nothing changed since: the next sweep has nothing to do.
    assert tasks.refresh_stale() == 0
    chat.send(tenants.a1, "And parking?")
    assert tasks.refresh_stale() == 1
    assert record_of(chat).user_messages_sent == 3


def test_reading_a_conversation_recomputes_a_stale_record(chat, tenants):
    reader = client_for(tenants.manager_read.user)
    url = f"/api/amplitude-data/conversation/{chat.conversation_id}"
    assert reader.get(url).json()["data"]["user_messages_sent"] == 0
    chat.send(tenants.a1, "Hello")
    data = reader.get(url).json()["data"]
    assert (data["user_messages_sent"], data["chat_session_started"]) == (1, True)


def qualify(widget, contact=None, **fields):
    conversation = Conversation.objects.get(pk=widget.conversation_id)
    return chat_services.conversation_qualify(conversation=conversation, contact=contact, **fields)


def test_capturing_contact_records_the_event_and_the_flag(chat, tenants, committed):
    with committed():
        chat.send(tenants.a1, "I'm looking for a 2br")
        qualify(chat, contact={"email": "jo@prospect.test"})
    record = record_of(chat)
    assert (record.contact_captured, record.contact_method) == (True, "email")
    assert "contact_captured" in server_events(chat)


def test_a_qualified_lead_is_recorded_once(chat, tenants, committed):
    move_in = (timezone.now() + timedelta(days=20)).date()
    with committed():
        chat.send(tenants.a1, "Hi")
        qualify(chat, contact={"email": "jo@prospect.test", "phone": "+15125550100", "first_name": "Jo"})
        qualify(chat, move_in_date=move_in, apartment_size_preference="2br")
    assert record_of(chat).qualified is True
    with committed():
        qualify(chat, occupants_count=2)
    assert record_of(chat).qualified is True
    assert server_events(chat).count("lead_qualified") == 1


def _bookable_slot(property_):
    from tours.selectors import tour_available_slots

    slots = tour_available_slots(
        property=property_, start=timezone.now() + timedelta(days=1), end=timezone.now() + timedelta(days=8)
    )
    return slots[0].start


def test_booking_and_cancelling_a_tour(chat, tenants, committed):
    conversation = Conversation.objects.get(pk=chat.conversation_id)
    with committed():
        chat.send(tenants.a1, "Can I come see the place?")
        booking = chat_services.conversation_book_tour(
            conversation=conversation,
            start=_bookable_slot(tenants.a1),
            tour_type="in_person",
            prospect_name="Jo Doe",
            prospect_email="jo@prospect.test",
        )
    record = record_of(chat)
    assert (record.tour_booked, record.tour_type, record.tour_intent) == (True, "in_person", True)
    assert {"tour_booked", "tour_intent", "contact_captured"} <= set(server_events(chat))

    from tours.services import tour_cancel

    with committed():
        tour_cancel(tour=booking.tour, reason="Changed my mind")
    record = record_of(chat)
    assert (record.tour_booked, record.tour_type) == (False, "")
    assert "tour_cancelled" in server_events(chat)


def test_a_tour_that_ends_in_a_lease_is_signed(chat, tenants, committed):
    conversation = Conversation.objects.get(pk=chat.conversation_id)
    with committed():
        booking = chat_services.conversation_book_tour(
            conversation=conversation,
            start=_bookable_slot(tenants.a1),
            prospect_name="Jo Doe",
            prospect_email="jo@prospect.test",
        )
    # The tour has happened: its start moves into the past, as time would have moved it.
    Tour.objects.filter(pk=booking.tour.pk).update(tour_datetime=timezone.now() - timedelta(hours=1))
    from tours.services import tour_record_outcome

    with committed():
        tour_record_outcome(tour=Tour.objects.get(pk=booking.tour.pk), status="completed", outcome="leased")
    record = record_of(chat)
    assert record.signed is True
    assert {"tour_completed", "lead_signed"} <= set(server_events(chat))


def test_an_escalated_question_marks_customer_service(chat, tenants, committed):
    from faqs.services import question_escalate

    conversation = Conversation.objects.get(pk=chat.conversation_id)
    with committed():
        question_escalate(property=tenants.a1, question="Is there a rooftop pool?", conversation=conversation)
    assert record_of(chat).customer_service_escalated is True
    assert "question_escalated" in server_events(chat)


def test_a_takeover_is_a_handoff(chat, tenants):
    chat.send(tenants.a1, "Hello")
    manager = client_for(tenants.manager_write.user)
    assert manager.post(f"/api/conversations/{chat.conversation_id}/takeover").status_code == 200
    assert tasks.refresh_stale() == 1
    assert record_of(chat).admin_handoff_triggered is True


def test_asking_for_a_person_is_a_handoff(chat, tenants):
    chat.send(tenants.a1, "Can I talk to a real person please?")
    tasks.refresh_stale()
    assert record_of(chat).admin_handoff_triggered is True


def _age_messages(widget, minutes):
    Message.objects.filter(conversation_id=widget.conversation_id).update(
        created_at=timezone.now() - timedelta(minutes=minutes)
    )


def test_a_prospect_who_goes_quiet_is_abandoned_by_the_sweep(chat, tenants, settings, committed):
    chat.send(tenants.a1, "Hi, what's the rent?")
    # The messages were written 40 minutes ago, as far as the database knows.
    _age_messages(chat, 40)
    settings.ANALYTICS_ABANDON_MINUTES = 60
    tasks.refresh_stale()
    assert record_of(chat).conversation_abandoned is False
    settings.ANALYTICS_ABANDON_MINUTES = 30
    with committed():
        # The conversation did not change: only the quiet prospect brings it back to the sweep.
        assert tasks.refresh_stale() == 1
    assert record_of(chat).conversation_abandoned is True
    assert "conversation_abandoned" in server_events(chat)


def test_leaving_a_phone_number_is_not_abandoning(chat, tenants, settings, committed):
    with committed():
        chat.send(tenants.a1, "Hi")
        qualify(chat, contact={"phone": "+15125550100"})
    _age_messages(chat, 90)
    tasks.refresh_stale()
    assert record_of(chat).conversation_abandoned is False


def test_an_abandoned_prospect_who_returns_is_no_longer_abandoned(chat, tenants):
    chat.send(tenants.a1, "Hi")
    _age_messages(chat, 45)
    tasks.refresh_stale()
    assert record_of(chat).conversation_abandoned is True
    chat.send(tenants.a1, "Sorry, I'm back")
    tasks.refresh_stale()
    assert record_of(chat).conversation_abandoned is False


def test_a_deleted_conversation_has_nothing_to_refresh(chat, tenants):
    chat.send(tenants.a1, "Hi")
    tasks.refresh_stale()
    Conversation.objects.filter(pk=chat.conversation_id).delete()
    assert not ConversationAnalytics.objects.exists()
    assert tasks.record_domain_event(chat.conversation_id) is None
