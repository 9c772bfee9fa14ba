"""The prospect's tour emails: rendering and sending one persisted TourNotification.

Sending claims the row first (pending -> sending, once), so a notification that was withdrawn, or
already sent by another worker, is never sent again.
"""

import smtplib
from datetime import timedelta
from zoneinfo import ZoneInfo

import icalendar
from django.core.mail import EmailMessage
from django.db.models import F
from django.utils import timezone

from tours.models import NotificationKind, NotificationStatus, TourNotification, TourStatus
from tours.selectors import tour_manage_url

SUBJECTS = {
    NotificationKind.CONFIRMATION: "Your tour of {property} is booked: {when}",
    NotificationKind.RESCHEDULED: "Your tour of {property} has moved to {when}",
    NotificationKind.CANCELLED: "Your tour of {property} on {when} is cancelled",
    NotificationKind.REMINDER: "Reminder: your tour of {property} is {when}",
}


def _local_time(tour) -> str:
    local = tour.tour_datetime.astimezone(ZoneInfo(tour.property.time_zone))
    return local.strftime("%A, %B %-d at %-I:%M %p %Z")


def _invite(tour, *, cancelled: bool) -> bytes:
    """An .ics the prospect's calendar app adds (or, for a cancellation, removes)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Leasing assistant//Tours//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"tour-{tour.pk}@leasing")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", tour.tour_datetime)
    event.add("dtend", tour.ends_at)
    event.add("sequence", tour.reschedule_count + (1 if cancelled else 0))
    event.add("summary", f"Tour of {tour.property.name}")
    event.add("location", f"{tour.property.address}, {tour.property.city}, {tour.property.state}")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()


def _body(notification: TourNotification, when: str) -> str:
    tour = notification.tour
    place = tour.property
    lines = [f"Hello {tour.prospect_name},", ""]
    if notification.kind == NotificationKind.CANCELLED:
        lines.append(f"Your {tour.get_tour_type_display().lower()} tour of {place.name} on {when} is cancelled.")
        lines.append("We would be glad to see you another time: reply to this email or book again on our website.")
    else:
        lines += [
            f"Tour: {tour.get_tour_type_display()} at {place.name}",
            f"When: {when} ({tour.duration_minutes} minutes)",
            f"Where: {place.address}, {place.city}, {place.state} {place.zip_code}",
        ]
        if tour.property_manager_id:
            lines.append(f"With: {tour.property_manager}")
        if tour.unit_interest:
            lines.append(f"Home: {tour.unit_interest}")
        lines += ["", f"Need to reschedule or cancel? {tour_manage_url(tour=tour)}"]
    return "\n".join([*lines, "", place.name])


def notification_send(*, notification_id) -> str:
    """Sends one due notification; returns what happened (sent, skipped, withdrawn, retry, failed)."""
    now = timezone.now()
    claimed = TourNotification.objects.filter(
        pk=notification_id, status=NotificationStatus.PENDING, send_at__lte=now
    ).update(status=NotificationStatus.SENDING, attempts=F("attempts") + 1, updated_at=now)
    if not claimed:
        return "skipped"
    notification = TourNotification.objects.select_related("tour__property", "tour__property_manager__user").get(
        pk=notification_id
    )
    tour = notification.tour
    stale = tour.deleted_at is not None and notification.kind != NotificationKind.CANCELLED
    if stale or (
        notification.kind == NotificationKind.REMINDER
        and tour.status not in (TourStatus.SCHEDULED, TourStatus.CONFIRMED)
    ):
        _finish(notification, NotificationStatus.WITHDRAWN)
        return "withdrawn"
    when = _local_time(tour)
    message = EmailMessage(
        subject=SUBJECTS[notification.kind].format(property=tour.property.name, when=when),
        body=_body(notification, when),
        to=[notification.recipient],
    )
    message.attach(
        "tour.ics", _invite(tour, cancelled=notification.kind == NotificationKind.CANCELLED), "text/calendar"
    )
    try:
        message.send()
    except (OSError, smtplib.SMTPException) as exc:
        final = notification.attempts >= TourNotification.MAX_ATTEMPTS
        notification.status = NotificationStatus.FAILED if final else NotificationStatus.PENDING
        notification.send_at = now + timedelta(minutes=5 * notification.attempts)
        notification.last_error = f"{type(exc).__name__}: {exc}"[:500]
        notification.save(update_fields=["status", "send_at", "last_error", "updated_at"])
        return "failed" if final else "retry"
    _finish(notification, NotificationStatus.SENT)
    return "sent"


def _finish(notification: TourNotification, status: str) -> None:
    notification.status = status
    notification.sent_at = timezone.now() if status == NotificationStatus.SENT else None
    notification.save(update_fields=["status", "sent_at", "updated_at"])


def due_notification_ids(*, limit: int = 500) -> list:
    return list(
        TourNotification.objects.filter(status=NotificationStatus.PENDING, send_at__lte=timezone.now())
        .order_by("send_at")
        .values_list("pk", flat=True)[:limit]
    )
