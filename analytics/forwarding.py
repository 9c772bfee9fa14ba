"""The Amplitude outbox: stored events go to the company's Amplitude project in batches.

- Work is claimed with a conditional UPDATE (pending and due -> sending, under a claim token), so two
  workers never send the same event; a worker that dies leaves its claim to expire.
- Every event carries its row id as Amplitude's `insert_id`: a batch whose outcome is unknown (a
  timeout, a 5xx after Amplitude stored it) is sent again and Amplitude drops the repeats.
- 429, 5xx, timeouts and answers that are not Amplitude's: the batch waits with exponential backoff,
  until AMPLITUDE_MAX_ATTEMPTS, then fails for good. 400 naming events: those fail, the rest go again
  at once. 400 for a bad key: the batch fails (replay once the key is fixed). 413: halved and resent.
- Failures for good stay visible (admin, health check) until someone replays them.
"""

import logging
import random
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from analytics.clients import AmplitudeClient, AmplitudeRejected, AmplitudeTooLarge, AmplitudeUnavailable
from analytics.models import AmplitudeState, AnalyticsEvent, ForwardStatus
from companies.models import Company
from core.errors import InvalidStatusTransition

logger = logging.getLogger(__name__)
CLAIM_FOR = timedelta(minutes=5)
# Amplitude asks throttled senders to pause about this long.
THROTTLED_PAUSE_SECONDS = 30


@dataclass
class Outcome:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    batches: int = 0
    retry_in: float | None = None
    more: bool = False
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "retrying": self.retrying,
            "batches": self.batches,
            "retry_in": self.retry_in,
            "more": self.more,
            "errors": self.errors[:5],
        }


def backoff_seconds(attempts: int) -> float:
    base = settings.AMPLITUDE_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    # Up to 20% jitter spreads the retries of a burst that failed together.
    return min(base * (1 + random.random() * 0.2), settings.AMPLITUDE_RETRY_MAX_SECONDS)  # noqa: S311


def amplitude_event(row: AnalyticsEvent) -> dict:
    """One event in Amplitude's format. The prospect is the user; the widget's device id (or the
    browser id) the device; a conversation without either is its own device."""
    conversation = row.conversation
    prospect = conversation.prospect
    event = {
        "event_type": row.event_type,
        "time": int(row.occurred_at.timestamp() * 1000),
        "insert_id": str(row.pk),
        "event_properties": {
            **row.properties,
            "conversation_id": str(row.conversation_id),
            "property_id": str(row.property_id),
            "source": row.source,
            **({"session_id": row.session_id} if row.session_id else {}),
        },
    }
    if prospect is not None:
        event["user_id"] = str(prospect.pk)
    device = row.device_id or (prospect.browser_id if prospect is not None else "") or ""
    event["device_id"] = device if len(device) >= 5 else f"conversation-{row.conversation_id}"
    return event


def _due(company_id):
    now = timezone.now()
    return AnalyticsEvent.objects.filter(company_id=company_id, forward_status=ForwardStatus.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def _claim(company_id, size: int) -> list[AnalyticsEvent]:
    ids = list(_due(company_id).order_by("created_at", "id").values_list("pk", flat=True)[:size])
    if not ids:
        return []
    token, now = uuid.uuid4(), timezone.now()
    AnalyticsEvent.objects.filter(pk__in=ids, forward_status=ForwardStatus.PENDING).update(
        forward_status=ForwardStatus.SENDING,
        claim_token=token,
        claimed_until=now + CLAIM_FOR,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    return list(
        AnalyticsEvent.objects.filter(claim_token=token, forward_status=ForwardStatus.SENDING)
        .select_related("conversation__prospect")
        .order_by("created_at", "id")
    )


def _mark(rows: list[AnalyticsEvent], status: str, **fields) -> None:
    AnalyticsEvent.objects.filter(pk__in=[row.pk for row in rows]).update(
        forward_status=status, claim_token=None, claimed_until=None, updated_at=timezone.now(), **fields
    )


def _state(company_id, *, ok: bool, error: str = "", sent: int = 0) -> None:
    now = timezone.now()
    AmplitudeState.objects.get_or_create(company_id=company_id)
    rows = AmplitudeState.objects.filter(company_id=company_id)
    if ok:
        rows.update(last_success_at=now, consecutive_failures=0, events_sent=F("events_sent") + sent, updated_at=now)
    else:
        rows.update(
            last_failure_at=now,
            last_error=error[:500],
            consecutive_failures=F("consecutive_failures") + 1,
            updated_at=now,
        )


def _fail(rows: list[AnalyticsEvent], error: str, outcome: Outcome) -> None:
    if not rows:
        return
    _mark(rows, ForwardStatus.FAILED, last_error=error[:500])
    outcome.failed += len(rows)
    outcome.errors.append(error)
    logger.warning("%d Amplitude event(s) failed for good: %s", len(rows), error)


def _postpone(rows: list[AnalyticsEvent], error: str, outcome: Outcome, *, pause: float = 0) -> None:
    """Transient failure: each event waits its backoff, or fails for good past its attempts."""
    exhausted = [row for row in rows if row.attempts >= settings.AMPLITUDE_MAX_ATTEMPTS]
    waiting = [row for row in rows if row.attempts < settings.AMPLITUDE_MAX_ATTEMPTS]
    _fail(exhausted, f"Gave up after {settings.AMPLITUDE_MAX_ATTEMPTS} attempts: {error}", outcome)
    if not waiting:
        return
    delay = max(backoff_seconds(min(row.attempts for row in waiting)), pause)
    _mark(
        waiting,
        ForwardStatus.PENDING,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        last_error=error[:500],
    )
    outcome.retrying += len(waiting)
    outcome.retry_in = delay if outcome.retry_in is None else min(outcome.retry_in, delay)
    outcome.errors.append(error)


def _send(client: AmplitudeClient, rows: list[AnalyticsEvent], outcome: Outcome, company_id) -> bool:
    """Sends one claimed batch and records what became of each event. False: stop for now."""
    outcome.batches += 1
    try:
        client.send_events([amplitude_event(row) for row in rows])
    except AmplitudeTooLarge:
        if len(rows) == 1:
            _fail(rows, "Amplitude refused the event as too large.", outcome)
            return True
        half = len(rows) // 2
        return _send(client, rows[:half], outcome, company_id) and _send(client, rows[half:], outcome, company_id)
    except AmplitudeRejected as exc:
        if exc.bad_key or not exc.bad_events:
            _fail(rows, f"Amplitude refused the request: {exc.message}", outcome)
            _state(company_id, ok=False, error=exc.message)
            return not exc.bad_key
        bad = [row for index, row in enumerate(rows) if index in exc.bad_events]
        _fail(bad, f"Amplitude refused the event: {exc.message}", outcome)
        rest = [row for index, row in enumerate(rows) if index not in exc.bad_events]
        return _send(client, rest, outcome, company_id) if rest else True
    except AmplitudeUnavailable as exc:
        _postpone(rows, exc.message, outcome, pause=THROTTLED_PAUSE_SECONDS if exc.status == 429 else 0)
        _state(company_id, ok=False, error=exc.message)
        return False
    _mark(rows, ForwardStatus.SENT, sent_at=timezone.now(), last_error="")
    outcome.sent += len(rows)
    _state(company_id, ok=True, sent=len(rows))
    return True


def company_events_forward(*, company_id, max_batches: int | None = None) -> Outcome:
    """Sends the company's due events, a batch at a time, until none is due, Amplitude pushes back,
    or `max_batches` (then `more` says to go on in another task)."""
    outcome = Outcome()
    company = Company.objects.filter(pk=company_id).first()
    if company is None or not company.amplitude_api_key:
        # The key was removed (or the company deleted) since these were stored: they stay here, unsent.
        _due(company_id).update(forward_status=ForwardStatus.NOT_FORWARDED, updated_at=timezone.now())
        return outcome
    client = AmplitudeClient(company.amplitude_api_key)
    max_batches = max_batches or settings.AMPLITUDE_MAX_BATCHES_PER_RUN
    while outcome.batches < max_batches:
        rows = _claim(company_id, settings.AMPLITUDE_BATCH_SIZE)
        if not rows:
            return outcome
        if not _send(client, rows, outcome, company_id):
            return outcome
    outcome.more = _due(company_id).exists()
    return outcome


def companies_due(*, limit: int = 200) -> list:
    """Companies with events due; claims that a dead worker left behind are released first."""
    now = timezone.now()
    AnalyticsEvent.objects.filter(forward_status=ForwardStatus.SENDING, claimed_until__lt=now).update(
        forward_status=ForwardStatus.PENDING, claim_token=None, claimed_until=None, updated_at=now
    )
    return list(
        AnalyticsEvent.objects.filter(forward_status=ForwardStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by()
        .values_list("company_id", flat=True)
        .distinct()[:limit]
    )


@transaction.atomic
def events_replay(*, events) -> int:
    """Failed events go back in line with fresh attempts (after the key or the payload is fixed)."""
    ids = [event.pk for event in events]
    rows = AnalyticsEvent.objects.filter(pk__in=ids, forward_status=ForwardStatus.FAILED)
    companies = set(rows.values_list("company_id", flat=True))
    replayed = rows.update(
        forward_status=ForwardStatus.PENDING,
        attempts=0,
        next_attempt_at=None,
        replay_count=F("replay_count") + 1,
        updated_at=timezone.now(),
    )
    if not replayed and len(ids) == 1:
        raise InvalidStatusTransition(events[0].forward_status, ForwardStatus.PENDING, [ForwardStatus.FAILED])
    from analytics import tasks

    for company_id in companies:
        transaction.on_commit(lambda company_id=company_id: tasks.forward_company_events.delay(str(company_id)))
    return replayed
