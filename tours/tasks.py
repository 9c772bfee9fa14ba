"""Celery tasks of tours: thin, idempotent, bounded. They take ids and call tours' own modules."""

from celery import shared_task

from tours import calendars, notifications


@shared_task(
    name="tours.send_tour_notification",
    bind=True,
    max_retries=3,
    soft_time_limit=30,
    time_limit=45,
)
def send_tour_notification(self, notification_id: str) -> str:
    # The row is the idempotency key: a duplicate delivery of this task finds it claimed and skips.
    # Failed sends go back to pending with a later due time; the sweep below retries them.
    return notifications.notification_send(notification_id=notification_id)


@shared_task(name="tours.dispatch_due_notifications", soft_time_limit=50, time_limit=58)
def dispatch_due_notifications() -> int:
    """Every minute (beat): queue the reminders (and retries) that are due."""
    due = notifications.due_notification_ids()
    for notification_id in due:
        send_tour_notification.delay(str(notification_id))
    return len(due)


@shared_task(
    name="tours.sync_calendar", bind=True, max_retries=3, soft_time_limit=120, time_limit=150, ignore_result=True
)
def sync_calendar(self, integration_id: str):
    """A transient failure (outage, timeout, garbage) is retried with backoff; the failure itself is
    already recorded on the integration, so the request that asked for the sync never sees it."""
    result = calendars.calendar_sync(integration_id=integration_id)
    if not result.ok and result.transient and self.request.retries < self.max_retries:
        # Returned, not raised: a worker has already queued the retry, and eager mode (the embedded
        # default) runs it at once instead of surfacing a Retry exception to the caller.
        return self.retry(countdown=30 * 2**self.request.retries, throw=False)
    return result.as_dict()


@shared_task(name="tours.sync_due_calendars", soft_time_limit=50, time_limit=58)
def sync_due_calendars() -> int:
    """Every five minutes (beat): queue a sync of each calendar not read for a while."""
    due = calendars.calendar_integrations_due()
    for integration_id in due:
        sync_calendar.delay(str(integration_id))
    return len(due)
