"""Lead notifications: who is told, preferences (channels, event types, quiet hours), email,
the routes, and the FAQ app's escalation and answer events."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import TestCase

from conversations import notifications
from conversations.models import LeadNotification, Message, NotificationPreference
from tests.conftest import client_for, make_staff
from tests.conversations.conftest import WidgetClient
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db


def _notify(conversation, kind="tour_request", key="k1"):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return notifications.notify_property_managers(
            conversation=conversation, notification_type=kind, title="Tour request", body="Saturday", dedupe_key=key
        )


def test_assigned_managers_are_told_by_websocket_and_email(tenants):
    conversation = ConversationFactory(property=tenants.a1)
    created = _notify(conversation)
    assert {n.property_manager_id for n in created} == {tenants.manager_write.pk, tenants.manager_read.pk}
    assert all(n.status == "sent" and n.sent_at for n in created)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [tenants.manager_write.user.email, tenants.manager_read.user.email]
    )
    assert LeadNotification.objects.filter(delivery__email="sent").count() == 2


def test_a_property_without_managers_tells_the_company_admins(tenants):
    conversation = ConversationFactory(property=tenants.a2)
    created = _notify(conversation)
    assert [n.property_manager_id for n in created] == [tenants.admin_a.pk]


def test_the_same_event_notifies_once(tenants):
    conversation = ConversationFactory(property=tenants.a1)
    _notify(conversation)
    assert _notify(conversation) == []
    assert LeadNotification.objects.count() == 2


def test_event_types_a_manager_turned_off_are_not_stored(tenants):
    NotificationPreference.objects.create(property_manager=tenants.manager_read, event_types=["qualified_lead"])
    created = _notify(ConversationFactory(property=tenants.a1))
    assert [n.property_manager_id for n in created] == [tenants.manager_write.pk]


def test_channels_a_manager_turned_off_are_not_used(tenants):
    NotificationPreference.objects.create(
        property_manager=tenants.manager_read, channels={"websocket": True, "email": False}
    )
    created = _notify(ConversationFactory(property=tenants.a1))
    by_manager = {n.property_manager_id: n for n in created}
    assert by_manager[tenants.manager_read.pk].delivery == {"websocket": "sent", "email": "disabled"}
    assert [m.to[0] for m in mail.outbox] == [tenants.manager_write.user.email]


def test_quiet_hours_hold_emails_until_they_end(tenants):
    preference = NotificationPreference.objects.create(
        property_manager=tenants.manager_read,
        quiet_hours_start=time(0, 0),
        quiet_hours_end=time(23, 59),
        time_zone="UTC",
    )
    created = _notify(ConversationFactory(property=tenants.a1))
    held = next(n for n in created if n.property_manager_id == tenants.manager_read.pk)
    assert held.delivery["email"] == "held"
    assert [m.to[0] for m in mail.outbox] == [tenants.manager_write.user.email]
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert notifications.held_emails_release() == 0
    preference.quiet_hours_start, preference.quiet_hours_end = None, None
    preference.save()
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert notifications.held_emails_release() == 1
    held.refresh_from_db()
    assert held.delivery["email"] == "sent"
    assert len(mail.outbox) == 2


@pytest.mark.parametrize(
    ("start", "end", "clock", "quiet"),
    [
        (time(22), time(7), time(23, 30), True),
        (time(22), time(7), time(6, 59), True),
        (time(22), time(7), time(7, 0), False),
        (time(22), time(7), time(12), False),
        (time(12), time(13), time(12, 30), True),
        (time(12), time(13), time(13, 30), False),
    ],
)
def test_quiet_hours_windows_cross_midnight(start, end, clock, quiet):
    preference = NotificationPreference(quiet_hours_start=start, quiet_hours_end=end, time_zone="America/Chicago")
    moment = datetime.combine(datetime(2026, 11, 24).date(), clock, tzinfo=ZoneInfo("America/Chicago"))
    assert notifications.in_quiet_hours(preference, moment) is quiet


def test_an_explicit_send_ignores_quiet_hours(tenants):
    NotificationPreference.objects.create(
        property_manager=tenants.manager_write, quiet_hours_start=time(0), quiet_hours_end=time(23, 59), time_zone="UTC"
    )
    notification = LeadNotification.objects.create(
        conversation=ConversationFactory(property=tenants.a1),
        property_manager=tenants.manager_write,
        notification_type="manual",
        title="Call back",
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client_for(tenants.admin_a.user).post(f"/api/lead-notifications/{notification.pk}/send")
    assert response.status_code == 200
    assert response.json()["data"]["delivery"]["email"] == "queued"
    assert [m.to[0] for m in mail.outbox] == [tenants.manager_write.user.email]


def test_failing_smtp_is_retried_then_recorded_for_a_human(tenants, settings):
    from conversations.tasks import send_notification_email

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 1
    created = _notify(ConversationFactory(property=tenants.a1))
    notification = created[0]
    notification.refresh_from_db()
    # The first attempt failed and asked for a retry: the email is still queued, with the error.
    assert notification.delivery["email"] == "queued"
    assert "refused" in notification.delivery["email_error"].lower()
    result = send_notification_email.apply(args=[str(notification.pk)], retries=send_notification_email.max_retries)
    assert result.get() == "failed"
    notification.refresh_from_db()
    assert notification.delivery["email"] == "failed"
    assert mail.outbox == []


def test_preferences_round_trip_and_validation(tenants):
    client = client_for(tenants.manager_read.user)
    url = f"/api/lead-notifications/preferences/{tenants.manager_read.pk}"
    defaults = client.get(url).json()["data"]
    assert defaults["channels"] == {"websocket": True, "email": True}
    assert "qualified_lead" in defaults["event_types"]
    body = {
        "channels": {"email": False},
        "quiet_hours_start": "22:00",
        "quiet_hours_end": "07:00",
        "time_zone": "America/Chicago",
    }
    saved = client.put(url, body, format="json").json()["data"]
    assert saved["channels"] == {"websocket": True, "email": False}
    assert saved["quiet_hours_start"] == "22:00:00"
    assert client.put(url, {"quiet_hours_start": "22:00", "quiet_hours_end": None}, format="json").status_code == 400
    assert client.put(url, {"event_types": ["party"]}, format="json").status_code == 400
    assert client.put(url, {"time_zone": "Mars/Base"}, format="json").status_code == 400


def test_manager_inbox_and_mark_read(tenants):
    conversation = ConversationFactory(property=tenants.a1)
    _notify(conversation, key="a")
    _notify(conversation, kind="handoff_request", key="b")
    client = client_for(tenants.manager_write.user)
    base = f"/api/property-managers/{tenants.manager_write.pk}/notifications"
    inbox = client.get(base).json()["data"]
    assert len(inbox) == 2
    spec = {
        "id",
        "conversation_id",
        "property_manager_id",
        "notification_type",
        "status",
        "sent_at",
        "read_at",
        "response_at",
    }
    assert spec <= set(inbox[0])
    one = client.put(f"{base}/{inbox[0]['id']}", {"status": "responded"}, format="json").json()["data"]
    assert one["status"] == "responded" and one["response_at"] and one["read_at"]
    assert client.post(f"{base}/mark-read", {}, format="json").json()["data"]["updated"] == 1
    assert client.get(f"{base}?unread=true").json()["data"] == []


def test_lead_notifications_list_filters(tenants):
    conversation = ConversationFactory(property=tenants.a1)
    _notify(conversation)
    admin = client_for(tenants.admin_a.user)
    mine = admin.get(f"/api/lead-notifications?property_manager_id={tenants.manager_read.pk}").json()["data"]
    assert [n["property_manager_id"] for n in mine] == [str(tenants.manager_read.pk)]
    assert admin.get("/api/lead-notifications?notification_type=qualified_lead").json()["data"] == []


def test_a_manager_cannot_write_notifications_for_another_company(tenants):
    conversation = ConversationFactory(property=tenants.a1)
    body = {"conversation_id": str(conversation.pk), "property_manager_id": str(tenants.admin_b.pk), "title": "x"}
    response = client_for(tenants.platform).post("/api/lead-notifications", body, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize("rows", [1, 20])
def test_notification_list_query_count_is_flat(tenants, django_assert_max_num_queries, rows):
    for n in range(rows):
        LeadNotification.objects.create(
            conversation=ConversationFactory(property=tenants.a1),
            property_manager=tenants.manager_write,
            notification_type="manual",
            title=f"n{n}",
        )
    client = client_for(tenants.admin_a.user)
    with django_assert_max_num_queries(8):
        assert len(client.get("/api/lead-notifications?limit=100").json()["data"]) == rows
    with django_assert_max_num_queries(10):
        url = f"/api/property-managers/{tenants.manager_write.pk}/notifications?limit=100"
        assert len(client.get(url).json()["data"]) == rows


def test_an_unanswerable_question_goes_to_the_faq_queue_and_the_managers(tenants):
    from faqs.models import Faq

    widget = WidgetClient()
    widget.session(tenants.a1)
    with TestCase.captureOnCommitCallbacks(execute=True):
        reply = widget.send(tenants.a1, "Is there a rooftop cinema?").json()["data"]["reply"]["text"]
    assert "a person will follow up" in reply
    faq = Faq.objects.get(property=tenants.a1, status="pending")
    assert faq.question == "Is there a rooftop cinema?"
    kinds = set(LeadNotification.objects.values_list("notification_type", flat=True))
    assert kinds == {"unanswered_question"}
    assert LeadNotification.objects.filter(payload__faq_id=str(faq.pk)).exists()


def test_an_faq_answer_is_posted_back_into_the_waiting_conversation(tenants):
    from faqs.models import Faq
    from faqs.services import faq_answer

    widget = WidgetClient()
    widget.session(tenants.a1)
    with TestCase.captureOnCommitCallbacks(execute=True):
        widget.send(tenants.a1, "Is there a rooftop cinema?")
    faq = Faq.objects.get(property=tenants.a1, status="pending")
    with TestCase.captureOnCommitCallbacks(execute=True):
        faq_answer(faq=faq, answer="Yes, on the 12th floor.", manager=tenants.manager_write)
    answer = Message.objects.get(conversation_id=widget.conversation_id, sender="manager")
    assert answer.text == "Yes, on the 12th floor."
    assert answer.sender_manager_id == tenants.manager_write.pk
    assert set(LeadNotification.objects.values_list("status", flat=True)) == {"responded"}
    # Next time the bot answers from the knowledge base.
    other = WidgetClient("browser-second-0001")
    other.session(tenants.a1)
    reply = other.send(tenants.a1, "Is there a rooftop cinema?").json()["data"]["reply"]["text"]
    assert "12th floor" in reply


def test_manager_of_another_property_is_not_told(tenants):
    other_manager = make_staff(tenants.company_a, properties=[tenants.a2])
    created = _notify(ConversationFactory(property=tenants.a1))
    assert other_manager.pk not in {n.property_manager_id for n in created}


def test_a_handoff_request_notifies(tenants):
    widget = WidgetClient()
    widget.session(tenants.a1)
    widget.send(tenants.a1, "Can I talk to a real person?")
    assert LeadNotification.objects.filter(notification_type="handoff_request").count() == 2


def test_service_level_mark_read_counts_only_unread(tenants):
    conversation = ConversationFactory(property=tenants.a1)
    _notify(conversation)
    assert notifications.notifications_mark_read(manager=tenants.manager_write) == 1
    assert notifications.notifications_mark_read(manager=tenants.manager_write) == 0
