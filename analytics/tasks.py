"""Celery tasks of analytics: thin, idempotent, bounded, ids only.

Recomputing a record is idempotent by nature (it is derived from stored data); events are stored
once per (conversation, event id); forwarding claims rows with a conditional update, and the rows,
not Celery, count attempts. With eager Celery (the embedded default) a postponed batch waits for the
beat sweep instead of blocking the request.
"""

from celery import shared_task

from analytics import forwarding, services
from properties.models import Property

# The rows count attempts (AMPLITUDE_MAX_ATTEMPTS); this only bounds re-queueing of one task.
MAX_REQUEUES = 50


@shared_task(name="analytics.record_domain_event", soft_time_limit=30, time_limit=45, ignore_result=True)
def record_domain_event(
    conversation_id: str, event_type: str | None = None, event_id: str | None = None, properties: dict | None = None
) -> None:
    services.domain_event_record(
        conversation_id=conversation_id, event_type=event_type, event_id=event_id, properties=properties
    )


@shared_task(name="analytics.recalculate_property", soft_time_limit=600, time_limit=660)
def recalculate_property(property_id: str) -> int:
    return services.property_recalculate(property_id=property_id)


@shared_task(name="analytics.recalculate_company", soft_time_limit=50, time_limit=58)
def recalculate_company(company_id: str) -> int:
    """Fans out one task per property, so a large company is recomputed by several workers."""
    property_ids = list(Property.objects.filter(company_id=company_id).order_by("id").values_list("pk", flat=True))
    for property_id in property_ids:
        recalculate_property.delay(str(property_id))
    return len(property_ids)


@shared_task(name="analytics.refresh_stale", soft_time_limit=50, time_limit=58)
def refresh_stale() -> int:
    """Every minute (beat): records whose conversation changed since, or whose prospect went quiet."""
    due = services.stale_conversation_ids()
    for start in range(0, len(due), services.RECALCULATE_CHUNK):
        services.conversations_analytics_refresh(conversation_ids=due[start : start + services.RECALCULATE_CHUNK])
    return len(due)


@shared_task(
    name="analytics.forward_company_events", bind=True, max_retries=MAX_REQUEUES, soft_time_limit=60, time_limit=90
)
def forward_company_events(self, company_id: str) -> dict:
    outcome = forwarding.company_events_forward(company_id=company_id)
    if not self.request.is_eager:
        if outcome.more:
            forward_company_events.delay(company_id)
        elif outcome.retry_in is not None and self.request.retries < self.max_retries:
            raise self.retry(countdown=outcome.retry_in)
    return outcome.as_dict()


@shared_task(name="analytics.dispatch_due_forwarding", soft_time_limit=50, time_limit=58)
def dispatch_due_forwarding() -> int:
    """Every minute (beat): queue forwarding for companies whose events are due (a retry's time has
    come, or a task was lost)."""
    due = forwarding.companies_due()
    for company_id in due:
        forward_company_events.delay(str(company_id))
    return len(due)
