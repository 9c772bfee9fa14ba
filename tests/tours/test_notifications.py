"""Confirmation, reminders (scheduled, withdrawn on cancel or move), and failed sends."""

import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tests.tours.conftest import local_slot
from tours import services, tasks
from tours.models import NotificationKind, NotificationStatus, TourNotification
from tours.notifications import notification_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(tenants, tour_settings, django_capture_on_commit_callbacks):
    def _book(days=3, hour=10, email="jo@example.test"):
        with django_capture_on_commit_callbacks(execute=True):
            return services.tour_schedule(
                property=tenants.a1,
                start=local_slot(tenants.a1, days=days, hour=hour),
                prospect_name="Jo Prospect",
                prospect_email=email,
                unit_interest="Unit 204",
            )

    return _book


def _text(content) -> str:
    return content.decode() if isinstance(content, bytes) else content


def _reminders(tour, status=NotificationStatus.PENDING):
    return list(tour.notifications.filter(kind=NotificationKind.REMINDER, status=status).order_by("send_at"))


def _make_due(tour):
    tour.notifications.filter(status=NotificationStatus.PENDING).update(send_at=timezone.now() - timedelta(seconds=1))


def test_booking_mails_a_confirmation_with_the_manage_link_and_an_invite(book):
    tour = book()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["jo@example.test"]
    assert "is booked" in message.subject and "10:00 AM" in message.subject
    assert "http://localhost:3000/tours/manage/" in message.body and "Unit 204" in message.body
    name, content, mimetype = message.attachments[0]
    assert name == "tour.ics" and mimetype == "text/calendar"
    assert f"UID:tour-{tour.pk}@leasing" in _text(content)
    assert tour.notifications.get(kind=NotificationKind.CONFIRMATION).status == NotificationStatus.SENT


def test_reminders_are_scheduled_at_the_configured_offsets(book, settings):
    tour = book()
    assert [r.send_at for r in _reminders(tour)] == [
        tour.tour_datetime - timedelta(minutes=1440),
        tour.tour_datetime - timedelta(minutes=120),
    ]


def test_reminders_whose_time_has_passed_at_booking_are_not_scheduled(tenants, tour_settings):
    soon = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=3)
    tour = services.tour_record(property=tenants.a1, start=soon, prospect_name="Jo", prospect_email="jo@example.test")
    assert [r.send_at for r in _reminders(tour)] == [soon - timedelta(minutes=120)]


def test_the_sweep_sends_due_reminders_once(book):
    tour = book()
    mail.outbox.clear()
    _make_due(tour)
    assert tasks.dispatch_due_notifications() == 2
    assert len(mail.outbox) == 2 and all(m.subject.startswith("Reminder:") for m in mail.outbox)
    assert len(_reminders(tour, NotificationStatus.SENT)) == 2
    assert tasks.dispatch_due_notifications() == 0
    assert len(mail.outbox) == 2


def test_a_reminder_not_yet_due_is_not_sent(book):
    tour = book()
    mail.outbox.clear()
    assert tasks.dispatch_due_notifications() == 0
    assert notification_send(notification_id=_reminders(tour)[0].pk) == "skipped"
    assert mail.outbox == []


def test_cancelling_withdraws_the_reminders_and_mails_a_cancellation(book, django_capture_on_commit_callbacks):
    tour = book()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.tour_cancel(tour=tour, reason="Changed plans")
    assert [m.subject for m in mail.outbox] == [mail.outbox[0].subject] and "cancelled" in mail.outbox[0].subject
    assert "METHOD:CANCEL" in _text(mail.outbox[0].attachments[0][1])
    assert len(_reminders(tour, NotificationStatus.WITHDRAWN)) == 2
    TourNotification.objects.filter(tour=tour).update(send_at=timezone.now() - timedelta(seconds=1))
    tasks.dispatch_due_notifications()
    assert len(mail.outbox) == 1


def test_moving_the_tour_replaces_its_reminders(book, tenants, django_capture_on_commit_callbacks):
    tour = book()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tour = services.tour_reschedule(tour=tour, start=local_slot(tenants.a1, days=5, hour=15))
    assert len(mail.outbox) == 1 and "has moved" in mail.outbox[0].subject and "3:00 PM" in mail.outbox[0].subject
    assert len(_reminders(tour, NotificationStatus.WITHDRAWN)) == 2
    assert [r.send_at for r in _reminders(tour)] == [
        tour.tour_datetime - timedelta(minutes=1440),
        tour.tour_datetime - timedelta(minutes=120),
    ]


def test_a_reminder_of_a_tour_no_longer_live_is_withdrawn_when_it_comes_due(book):
    tour = book()
    mail.outbox.clear()
    type(tour).objects.filter(pk=tour.pk).update(status="completed")
    _make_due(tour)
    reminder = _reminders(tour)[0]
    assert notification_send(notification_id=reminder.pk) == "withdrawn"
    assert mail.outbox == []


def test_without_an_email_nothing_is_queued(book):
    tour = book(email="")
    assert tour.notifications.count() == 0 and mail.outbox == []


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_failed_send_is_retried_later_then_marked_failed(book, settings):
    tour = book()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _closed_port(), 1
    reminder = _reminders(tour)[0]
    for attempt in range(1, 4):
        TourNotification.objects.filter(pk=reminder.pk).update(send_at=timezone.now() - timedelta(seconds=1))
        outcome = notification_send(notification_id=reminder.pk)
        reminder.refresh_from_db()
        assert reminder.attempts == attempt and "Connection" in reminder.last_error
        if attempt < 3:
            assert outcome == "retry" and reminder.status == NotificationStatus.PENDING
            assert reminder.send_at > timezone.now()
    assert outcome == "failed" and reminder.status == NotificationStatus.FAILED
