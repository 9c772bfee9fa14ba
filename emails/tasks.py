"""Celery tasks of the emails app (queue "emails"): thin, idempotent, bounded, ids only.

An email is claimed with a conditional UPDATE before it is sent and every attempt is a row written
first, so a task delivered twice sends once. A transient failure puts the email back in line with
its next time (exponential backoff): the task re-queues itself for then, and the beat sweep sends
anything due whose message was lost. With eager Celery (the embedded default) a retry waits for
the sweep or a manual send instead of blocking the request.
"""

from celery import shared_task

from emails import selectors, services

# The email row counts attempts (EMAIL_SEND_MAX_ATTEMPTS); this only bounds re-queueing.
MAX_REQUEUES = 20


@shared_task(name="emails.send_email", bind=True, max_retries=MAX_REQUEUES, soft_time_limit=60, time_limit=90)
def send_email(self, draft_id: str) -> dict:
    outcome = services.email_deliver(draft_id=draft_id)
    if outcome.get("retry_in") is not None and not self.request.is_eager:
        raise self.retry(countdown=outcome["retry_in"])
    return outcome


@shared_task(name="emails.dispatch_due_emails", soft_time_limit=50, time_limit=58)
def dispatch_due_emails() -> int:
    """Every minute (beat): queue the scheduled emails (and retries) that are due."""
    due = selectors.due_email_ids()
    for draft_id in due:
        send_email.delay(str(draft_id))
    return len(due)


@shared_task(name="emails.dispatch_campaign", soft_time_limit=120, time_limit=150)
def dispatch_campaign(campaign_id: str) -> int:
    """Queue a campaign's due emails at once, rather than leaving them to the next sweep."""
    due = selectors.due_email_ids(campaign_id=campaign_id, limit=None)
    for draft_id in due:
        send_email.delay(str(draft_id))
    return len(due)


@shared_task(name="emails.draft_for_trigger", soft_time_limit=30, time_limit=45)
def draft_for_trigger(trigger: str, conversation_id: str, tour_id: str | None = None) -> str | None:
    draft = services.email_draft_for_trigger(trigger=trigger, conversation_id=conversation_id, tour_id=tour_id)
    return str(draft.pk) if draft is not None else None
