"""Celery tasks of the ResMan integration (queue "resman"): thin, idempotent, bounded, ids only.

Outbox items and webhook deliveries are rows claimed with a conditional update, so a task delivered
twice does the work once. Retries: the row records attempts and the next attempt's time
(exponential backoff); the task re-queues itself for that time, and the beat sweep re-queues any
due item whose message was lost. With eager Celery (the embedded default) a retry waits for the
sweep or a replay instead of blocking the request.
"""

from celery import shared_task

from properties.models import Property
from resman.client import ResManConnectionError
from resman.services import outbox, units, webhooks
from resman.services.leads import properties_due_for_poll, property_poll

# The row, not Celery, counts attempts (RESMAN_OUTBOX_MAX_ATTEMPTS); this only bounds re-queueing.
MAX_REQUEUES = 50


@shared_task(name="resman.process_outbox_item", bind=True, max_retries=MAX_REQUEUES, soft_time_limit=60, time_limit=90)
def process_outbox_item(self, item_id: str) -> dict:
    outcome = outbox.outbox_process(item_id=item_id)
    if outcome.get("retry_in") is not None and not self.request.is_eager:
        raise self.retry(countdown=outcome["retry_in"])
    return outcome


@shared_task(name="resman.dispatch_due_outbox", soft_time_limit=50, time_limit=58)
def dispatch_due_outbox() -> int:
    due = outbox.outbox_due_ids()
    for item_id in due:
        process_outbox_item.delay(str(item_id))
    return len(due)


@shared_task(name="resman.poll_property", soft_time_limit=240, time_limit=300)
def poll_property(property_id: str) -> dict:
    return property_poll(property_id=property_id)


@shared_task(name="resman.poll_due_properties", soft_time_limit=50, time_limit=58)
def poll_due_properties() -> int:
    due = properties_due_for_poll()
    for property_id in due:
        poll_property.delay(str(property_id))
    return len(due)


@shared_task(name="resman.sync_units", bind=True, max_retries=3, soft_time_limit=120, time_limit=150)
def sync_units(self, property_id: str) -> dict:
    try:
        return units.units_sync(property=Property.objects.select_related("company").get(pk=property_id))
    except ResManConnectionError as exc:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            return {"ok": False, "error": exc.message}
        raise self.retry(countdown=60 * 2**self.request.retries) from exc


@shared_task(name="resman.sync_due_units", soft_time_limit=50, time_limit=58)
def sync_due_units() -> int:
    due = units.properties_due_for_units()
    for property_id in due:
        sync_units.delay(str(property_id))
    return len(due)


@shared_task(name="resman.process_webhook", bind=True, max_retries=5, soft_time_limit=120, time_limit=150)
def process_webhook(self, delivery_id: str) -> dict:
    try:
        return webhooks.webhook_process(delivery_id=delivery_id)
    except ResManConnectionError as exc:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            return {"status": "failed", "error": exc.message}
        raise self.retry(countdown=30 * 2**self.request.retries) from exc
