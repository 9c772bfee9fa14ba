"""Writes of analytics: events in (from the widget, staff and the chat's domain events), and the
per-conversation record recomputed from them and from what the chat stores.

A record is recomputed whenever something it depends on may have changed: an event arrives, a
domain event names the conversation, a sweep finds the conversation changed since (chat messages
publish no event) or its prospect gone quiet, or someone asks (`calculate-engagement`). A change of
the record is broadcast to the property's analytics socket after commit and makes cached answers
stale; a calculated flag turning true for the first time is itself recorded as an event, so that
Amplitude hears of it once.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from analytics import cache, metrics, realtime, selectors
from analytics.models import (
    AnalyticsEvent,
    ConversationAnalytics,
    EventSource,
    ForwardStatus,
)
from conversations.models import Conversation

logger = logging.getLogger(__name__)


def abandon_after() -> timedelta:
    return timedelta(minutes=settings.ANALYTICS_ABANDON_MINUTES)


def record_payload(record: ConversationAnalytics) -> dict:
    from analytics.serializers import AmplitudeAnalyticsSerializer

    return AmplitudeAnalyticsSerializer(record).data


@dataclass
class Calculation:
    record: ConversationAnalytics
    inputs: metrics.MetricInputs
    changed: bool


def conversation_analytics_refresh(
    *, conversation_id, broadcast: bool = True, session: dict | None = None
) -> Calculation | None:
    """Recomputes one conversation's record from what is stored now; None if it is gone. `session`
    holds the widget's latest device_id, session_id and page_url, when it reported them.

    The record is locked before anything is read: two recomputations of one conversation (events
    arriving together) run one after the other, and the second reads what the first committed."""
    with transaction.atomic():
        locked = _locked_record(conversation_id)
        if locked is None:
            return None
        record, created = locked
        # Taken before reading: a change that lands while we read leaves the conversation newer
        # than the record, and the sweep recomputes it.
        computed_at = timezone.now()
        conversation = selectors.conversation_for_metrics(conversation_id=conversation_id)
        inputs = selectors.metric_inputs(conversation=conversation)
        values = metrics.compute(inputs, now=computed_at, abandon_after=abandon_after()).as_dict()
        values.update({name: value for name, value in (session or {}).items() if value})
        before = {} if created else {name: getattr(record, name) for name in values}
        for name, value in values.items():
            setattr(record, name, value)
        record.computed_at = computed_at
        record.prospect_id = conversation.prospect_id
        record.save(update_fields=[*values, "computed_at", "prospect", "updated_at"])
        changed = before != values
        if changed:
            _flag_events(conversation, before, values)
            cache.versions_bump(company_id=conversation.property.company_id)
            if broadcast:
                realtime.broadcast_record(record_payload(record))
    return Calculation(record=record, inputs=inputs, changed=changed)


def _locked_record(conversation_id) -> tuple[ConversationAnalytics, bool] | None:
    """The conversation's record, locked (created empty first if it has none), and whether it is
    new; None when the conversation is gone."""
    rows = ConversationAnalytics.objects.select_for_update()
    record = rows.filter(conversation_id=conversation_id).first()
    if record is not None:
        return record, False
    conversation = (
        Conversation.objects.filter(pk=conversation_id).values("property_id", "prospect_id", "start_time").first()
    )
    if conversation is None:
        return None
    try:
        with transaction.atomic():
            ConversationAnalytics.objects.create(
                conversation_id=conversation_id,
                property_id=conversation["property_id"],
                prospect_id=conversation["prospect_id"],
                started_at=conversation["start_time"],
                computed_at=timezone.now(),
            )
    except IntegrityError:
        # Another worker is creating it: the lock below waits for it to commit.
        pass
    return rows.get(conversation_id=conversation_id), True


def _flag_events(conversation: Conversation, before: dict, after: dict) -> None:
    turned = [event for flag, event in metrics.FLAG_EVENTS.items() if after[flag] and not before.get(flag)]
    if turned:
        events_record_server(
            conversation=conversation,
            events=[{"event_id": event, "event_type": event, "properties": {}} for event in turned],
        )


def _forwarding(company) -> str:
    return ForwardStatus.PENDING if company.amplitude_api_key else ForwardStatus.NOT_FORWARDED


def _store(conversation: Conversation, rows: list[AnalyticsEvent]) -> list[AnalyticsEvent]:
    """Stores the events not seen before (per conversation and event id); returns those stored."""
    ids = [row.event_id for row in rows]
    seen = set(
        AnalyticsEvent.objects.filter(conversation=conversation, event_id__in=ids).values_list("event_id", flat=True)
    )
    fresh, batch = [], set()
    for row in rows:
        if row.event_id in seen or row.event_id in batch:
            continue
        batch.add(row.event_id)
        fresh.append(row)
    if not fresh:
        return []
    # A concurrent request storing the same id at the same moment loses quietly: the unique
    # constraint is the judge, and the rows that carry our own primary keys are the ones we stored.
    AnalyticsEvent.objects.bulk_create(fresh, ignore_conflicts=True)
    ours = set(AnalyticsEvent.objects.filter(pk__in=[row.pk for row in fresh]).values_list("pk", flat=True))
    stored = [row for row in fresh if row.pk in ours]
    if any(row.forward_status == ForwardStatus.PENDING for row in stored):
        _queue_forwarding(conversation.property.company_id)
    return stored


def _queue_forwarding(company_id) -> None:
    from analytics import tasks

    transaction.on_commit(lambda: tasks.forward_company_events.delay(str(company_id)))


def events_record_server(*, conversation: Conversation, events: list[dict]) -> list[AnalyticsEvent]:
    """Events the server saw happen (domain events, flags turning true). Ids are deterministic, so
    hearing of the same thing twice stores it once."""
    company = conversation.property.company
    now = timezone.now()
    rows = [
        AnalyticsEvent(
            conversation=conversation,
            property_id=conversation.property_id,
            company_id=company.pk,
            event_id=event["event_id"][:100],
            event_type=event["event_type"],
            source=EventSource.SERVER,
            occurred_at=event.get("time") or now,
            properties=event.get("properties") or {},
            forward_status=_forwarding(company),
        )
        for event in events
    ]
    return _store(conversation, rows)


@dataclass
class Ingest:
    accepted: int
    duplicates: int
    calculation: Calculation


def events_ingest(
    *,
    conversation: Conversation,
    events: list[dict],
    source: str,
    device_id: str = "",
    session_id: str = "",
    page_url: str = "",
) -> Ingest:
    """Events reported by the widget or by staff: stored once per event id, then the record is
    recomputed (and broadcast), all in one transaction; Amplitude hears of them after commit."""
    company = conversation.property.company
    now = timezone.now()
    rows = [
        AnalyticsEvent(
            conversation=conversation,
            property_id=conversation.property_id,
            company_id=company.pk,
            event_id=event["event_id"],
            event_type=event["event_type"],
            source=source,
            occurred_at=event.get("time") or now,
            properties=event.get("properties") or {},
            device_id=event.get("device_id") or device_id,
            session_id=event.get("session_id") or session_id,
            forward_status=_forwarding(company),
        )
        for event in events
    ]
    with transaction.atomic():
        stored = _store(conversation, rows)
        calculation = conversation_analytics_refresh(
            conversation_id=conversation.pk,
            session={"device_id": device_id, "session_id": session_id, "page_url": page_url},
        )
    return Ingest(accepted=len(stored), duplicates=len(rows) - len(stored), calculation=calculation)


def domain_event_record(
    *, conversation_id, event_type: str | None, event_id: str | None, properties: dict | None = None
) -> Calculation | None:
    """What a subscriber queued: the event (if it is one Amplitude should hear of), then the record."""
    conversation = Conversation.objects.select_related("property__company").filter(pk=conversation_id).first()
    if conversation is None:
        return None
    with transaction.atomic():
        if event_type is not None and event_id is not None:
            events_record_server(
                conversation=conversation,
                events=[{"event_id": event_id, "event_type": event_type, "properties": properties or {}}],
            )
        return conversation_analytics_refresh(conversation_id=conversation.pk)


def property_recalculate(*, property_id) -> int:
    """Recomputes every conversation of a property (quietly: one socket frame at the end)."""
    ids = list(
        Conversation.objects.filter(property_id=property_id).order_by("start_time", "id").values_list("pk", flat=True)
    )
    for conversation_id in ids:
        conversation_analytics_refresh(conversation_id=conversation_id, broadcast=False)
    realtime.broadcast_recalculated(property_id=property_id, conversations=len(ids))
    return len(ids)


def stale_conversation_ids(*, limit: int = 500) -> list:
    """Conversations whose record misses a change (recent ones: the chat stores messages without an
    event), and records whose prospect went quiet long enough to count as abandoned."""
    now = timezone.now()
    lookback = now - timedelta(hours=settings.ANALYTICS_REFRESH_LOOKBACK_HOURS)
    changed = list(
        Conversation.objects.filter(updated_at__gte=lookback)
        .filter(Q(analytics__isnull=True) | Q(updated_at__gt=F("analytics__computed_at")))
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )
    quiet = list(
        ConversationAnalytics.objects.filter(
            chat_session_started=True,
            conversation_abandoned=False,
            contact_captured=False,
            tour_booked=False,
            last_prospect_message_at__lt=now - abandon_after(),
        )
        .order_by("last_prospect_message_at")
        .values_list("conversation_id", flat=True)[:limit]
    )
    return list(dict.fromkeys([*changed, *quiet]))
