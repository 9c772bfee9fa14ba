"""The outbox: every write to ResMan is a row first, then a Celery task.

- `outbox_enqueue` stores the item under its idempotency key (a second request for the same write
  finds the first) and queues its task after commit. Lead pushes coalesce: while one is still
  pending for a prospect at a property, it will send their latest state, so no second is queued.
- `outbox_process` claims the row with a conditional UPDATE (two workers never run one item),
  runs its handler, and records the outcome: success; a transient failure (ResMan unreachable)
  retried with exponential backoff until `max_attempts`; or a final failure (ResMan refused, or a
  mapping is missing) that stays visible in the admin and the API until someone replays it.
- `outbox_replay` puts a failed item back in line.
"""

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from core.errors import DomainError, InvalidStatusTransition
from resman.client import ResManConnectionError, ResManOutcomeUnknown
from resman.models import OutboxItem, OutboxKind, OutboxStatus

logger = logging.getLogger(__name__)
CLAIM_FOR = timedelta(minutes=5)
BUSY_RETRY_SECONDS = 5


class Busy(Exception):
    """Another worker is writing this guest card right now; try again in a few seconds."""


class Skip(Exception):
    """Nothing to send (the prospect is gone, or has no contact details yet)."""


def outbox_enqueue(
    *, kind: str, property, key: str, prospect=None, tour=None, payload: dict | None = None
) -> OutboxItem:
    if kind == OutboxKind.LEAD_PUSH and prospect is not None:
        waiting = OutboxItem.objects.filter(
            kind=kind, property=property, prospect=prospect, status=OutboxStatus.PENDING, attempts=0
        ).first()
        if waiting is not None:
            return waiting
    try:
        with transaction.atomic():
            item, created = OutboxItem.objects.get_or_create(
                idempotency_key=key[:200],
                defaults={
                    "company_id": property.company_id,
                    "property": property,
                    "kind": kind,
                    "prospect": prospect,
                    "tour": tour,
                    "payload": payload or {},
                    "max_attempts": settings.RESMAN_OUTBOX_MAX_ATTEMPTS,
                },
            )
    except IntegrityError:
        return OutboxItem.objects.get(idempotency_key=key[:200])
    if created:
        _queue(item.pk)
    return item


def _queue(item_id, countdown: float | None = None) -> None:
    from resman import tasks

    transaction.on_commit(lambda: tasks.process_outbox_item.apply_async((str(item_id),), countdown=countdown))


def backoff_seconds(attempts: int) -> float:
    base = settings.RESMAN_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    # Up to 20% jitter spreads the retries of a burst that failed together.
    return min(base * (1 + random.random() * 0.2), settings.RESMAN_RETRY_MAX_SECONDS)  # noqa: S311


def outbox_process(*, item_id) -> dict:
    """Runs one item if it is due and nobody else holds it. Returns what happened, with `retry_in`
    (seconds) when it should run again."""
    from resman.services import handlers  # the handlers use this module: imported at call time

    now = timezone.now()
    claimed = (
        OutboxItem.objects.filter(pk=item_id, status=OutboxStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(
            status=OutboxStatus.PROCESSING,
            claimed_until=now + CLAIM_FOR,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    )
    if not claimed:
        return {"status": "not_due"}
    item = OutboxItem.objects.select_related("property__company", "prospect", "tour").get(pk=item_id)
    try:
        result = handlers.HANDLERS[item.kind](item)
    except Busy:
        return _finish(
            item,
            OutboxStatus.PENDING,
            attempts=item.attempts - 1,
            next_attempt_at=now + timedelta(seconds=BUSY_RETRY_SECONDS),
            retry_in=BUSY_RETRY_SECONDS,
        )
    except Skip as exc:
        return _finish(item, OutboxStatus.SKIPPED, last_error=str(exc), completed_at=timezone.now())
    except ResManConnectionError as exc:
        if item.attempts >= item.max_attempts:
            return _finish(item, OutboxStatus.FAILED, error=exc)
        delay = backoff_seconds(item.attempts)
        if isinstance(exc, ResManOutcomeUnknown):
            # ResMan may still be doing the write: the next attempt's dedupe search must see it.
            delay = max(delay, settings.RESMAN_UNKNOWN_OUTCOME_SECONDS)
        return _finish(
            item,
            OutboxStatus.PENDING,
            error=exc,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
            retry_in=delay,
        )
    except DomainError as exc:
        return _finish(item, OutboxStatus.FAILED, error=exc)
    return _finish(
        item, OutboxStatus.SUCCEEDED, result=result, completed_at=timezone.now(), last_error="", last_error_code=""
    )


def _finish(item: OutboxItem, status: str, *, error: DomainError | None = None, retry_in=None, **fields) -> dict:
    if error is not None:
        fields.update(last_error=error.message[:1000], last_error_code=str(error.code))
        if status == OutboxStatus.FAILED:
            logger.warning("ResMan %s %s failed for good: %s", item.kind, item.pk, error.message)
    OutboxItem.objects.filter(pk=item.pk).update(status=status, claimed_until=None, updated_at=timezone.now(), **fields)
    outcome = {"status": status, "item_id": str(item.pk), "result": fields.get("result")}
    if error is not None:
        outcome["error"] = {"code": str(error.code), "message": error.message}
    if retry_in is not None:
        outcome["retry_in"] = retry_in
    return outcome


@transaction.atomic
def outbox_replay(*, item: OutboxItem) -> OutboxItem:
    """A final failure (or a skip) goes back in line with a fresh set of attempts; a push waiting
    for its next attempt is sent now (with eager Celery nothing else would wake it)."""
    replayable = (OutboxStatus.FAILED, OutboxStatus.SKIPPED, OutboxStatus.PENDING)
    waiting = OutboxItem.objects.filter(pk=item.pk, status=OutboxStatus.PENDING).update(
        next_attempt_at=None, updated_at=timezone.now()
    )
    updated = waiting or OutboxItem.objects.filter(pk=item.pk, status__in=replayable).update(
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=None,
        replay_count=F("replay_count") + 1,
        updated_at=timezone.now(),
    )
    if not updated:
        raise InvalidStatusTransition(item.status, OutboxStatus.PENDING, replayable)
    _queue(item.pk)
    item.refresh_from_db()
    return item


def outbox_due_ids(*, limit: int = 500) -> list:
    """Pending items whose time has come, and items a crashed worker left claimed."""
    now = timezone.now()
    OutboxItem.objects.filter(status=OutboxStatus.PROCESSING, claimed_until__lt=now).update(
        status=OutboxStatus.PENDING, claimed_until=None, updated_at=now
    )
    return list(
        OutboxItem.objects.filter(status=OutboxStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
