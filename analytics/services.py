"""Writes of analytics: events in (from the widget, staff and the chat's domain events), and the
per-conversation record recomputed from them and from what the chat stores.

A record is recomputed whenever something it depends on may have changed: an event arrives, a
domain event names the conversation, a sweep finds the conversation changed since (chat messages
publish no event) or its prospect gone quiet, or someone asks (`calculate-engagement`). A change of
the record is broadcast to the property's analytics socket after commit and makes cached answers
stale; a calculated flag turning true for the first time is itself recorded as an event, so that
Amplitude hears of it once.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from analytics import cache, metrics, realtime, selectors
from analytics.models import (
    AnalyticsEvent,
    ConversationAnalytics,
    EventSource,
    ForwardStatus,
)
from analytics.serializers import AmplitudeAnalyticsSerializer
from conversations.models import Conversation

# Conversations recomputed per transaction by bulk recalculation and the sweep.
RECALCULATE_CHUNK = 200
# What a recomputation writes (the widget's session fields only when it reported them).
METRIC_FIELDS = tuple(metrics.Metrics.__dataclass_fields__)


def abandon_after() -> timedelta:
    return timedelta(minutes=settings.ANALYTICS_ABANDON_MINUTES)


def record_payload(record: ConversationAnalytics) -> dict:
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
    holds the widget's latest device_id, session_id and page_url, when it reported them."""
    calculations = conversations_analytics_refresh(
        conversation_ids=[conversation_id], broadcast=broadcast, session=session
    )
    return calculations[0] if calculations else None


def conversations_analytics_refresh(
    *, conversation_ids: list, broadcast: bool = True, session: dict | None = None
) -> list[Calculation]:
    """Recomputes the records of these conversations (those that still exist) in one transaction,
    reading what the rules need in a few grouped queries.

    The records are locked before anything is read: two recomputations of one conversation (events
    arriving together) run one after the other, and the second reads what the first committed."""
    conversation_ids = [uuid.UUID(str(pk)) for pk in conversation_ids]
    session = {name: value for name, value in (session or {}).items() if value}
    fields = [*METRIC_FIELDS, *session]
    with transaction.atomic():
        records, created = _locked_records(conversation_ids)
        if not records:
            return []
        # Taken before reading: a change that lands while we read leaves the conversation newer
        # than the record, and the sweep recomputes it.
        computed_at = timezone.now()
        conversations = selectors.conversations_for_metrics(conversation_ids=list(records))
        all_inputs = selectors.metric_inputs_many(conversations=list(conversations.values()))
        calculations, changed, flagged = [], [], []
        for conversation_id, record in records.items():
            if conversation_id not in conversations:
                continue  # deleted since (its record goes with it)
            conversation, inputs = conversations[conversation_id], all_inputs[conversation_id]
            values = metrics.compute(inputs, now=computed_at, abandon_after=abandon_after()).as_dict() | session
            before = {} if conversation_id in created else {name: getattr(record, name) for name in fields}
            for name, value in values.items():
                setattr(record, name, value)
            record.computed_at, record.prospect_id, record.updated_at = (
                computed_at,
                conversation.prospect_id,
                computed_at,
            )
            is_changed = before != values
            calculations.append(Calculation(record=record, inputs=inputs, changed=is_changed))
            if is_changed:
                changed.append(record)
                flagged.extend(_flag_events(conversation, before, values))
        if changed:
            # One INSERT ... ON CONFLICT DO UPDATE for the chunk: bulk_update's CASE per field and row
            # cost more in Python than the database spent on the whole chunk.
            ConversationAnalytics.objects.bulk_create(
                changed,
                update_conflicts=True,
                unique_fields=["id"],
                update_fields=[*fields, "computed_at", "prospect", "updated_at"],
            )
        unchanged = {record.pk for record in records.values()} - {record.pk for record in changed}
        if unchanged:
            ConversationAnalytics.objects.filter(pk__in=unchanged).update(computed_at=computed_at)
        if flagged:
            _store(flagged)
        for company_id in {conversations[record.conversation_id].property.company_id for record in changed}:
            cache.versions_bump(company_id=company_id)
        if broadcast:
            for record in changed:
                realtime.broadcast_record(record_payload(record))
    return calculations


def _locked_records(conversation_ids: list) -> tuple[dict, set]:
    """The conversations' records, locked (created empty first where there is none), by
    conversation id, and the ids whose record is new. Conversations that are gone are left out."""
    rows = ConversationAnalytics.objects.select_for_update().order_by("conversation_id")
    records = {record.conversation_id: record for record in rows.filter(conversation_id__in=conversation_ids)}
    missing = [pk for pk in conversation_ids if pk not in records]
    if not missing:
        return records, set()
    now = timezone.now()
    # A record another worker creates at the same moment loses quietly; the lock below waits for it.
    ConversationAnalytics.objects.bulk_create(
        [
            ConversationAnalytics(
                conversation_id=row["pk"],
                property_id=row["property_id"],
                prospect_id=row["prospect_id"],
                started_at=row["start_time"],
                computed_at=now,
            )
            for row in Conversation.objects.filter(pk__in=missing).values(
                "pk", "property_id", "prospect_id", "start_time"
            )
        ],
        ignore_conflicts=True,
    )
    new = {record.conversation_id: record for record in rows.filter(conversation_id__in=missing)}
    return records | new, set(new)


def _flag_events(conversation: Conversation, before: dict, after: dict) -> list[AnalyticsEvent]:
    """Events for the calculated flags that have just turned true (their ids make each happen once)."""
    turned = [event for flag, event in metrics.FLAG_EVENTS.items() if after[flag] and not before.get(flag)]
    return _server_rows(conversation, [{"event_id": event, "event_type": event} for event in turned])


def _forwarding(company) -> str:
    return ForwardStatus.PENDING if company.amplitude_api_key else ForwardStatus.NOT_FORWARDED


def _store(rows: list[AnalyticsEvent]) -> list[AnalyticsEvent]:
    """Stores the events not seen before (per conversation and event id); returns those stored."""
    seen = set(
        AnalyticsEvent.objects.filter(
            conversation_id__in={row.conversation_id for row in rows}, event_id__in={row.event_id for row in rows}
        ).values_list("conversation_id", "event_id")
    )
    fresh = []
    for row in rows:
        key = (row.conversation_id, row.event_id)
        if key not in seen:
            seen.add(key)
            fresh.append(row)
    if not fresh:
        return []
    # A concurrent request storing the same id at the same moment loses quietly: the unique
    # constraint is the judge, and the rows that carry our own primary keys are the ones we stored.
    AnalyticsEvent.objects.bulk_create(fresh, ignore_conflicts=True)
    ours = set(AnalyticsEvent.objects.filter(pk__in=[row.pk for row in fresh]).values_list("pk", flat=True))
    stored = [row for row in fresh if row.pk in ours]
    for company_id in {row.company_id for row in stored if row.forward_status == ForwardStatus.PENDING}:
        _queue_forwarding(company_id)
    return stored


def _queue_forwarding(company_id) -> None:
    from analytics import tasks

    transaction.on_commit(lambda: tasks.forward_company_events.delay(str(company_id)))


def _server_rows(conversation: Conversation, events: list[dict]) -> list[AnalyticsEvent]:
    company = conversation.property.company
    now = timezone.now()
    return [
        AnalyticsEvent(
            conversation_id=conversation.pk,
            property_id=conversation.property_id,
            company_id=company.pk,
            event_id=event["event_id"][:100],
            event_type=event["event_type"],
            source=EventSource.SERVER,
            occurred_at=now,
            properties=event.get("properties") or {},
            forward_status=_forwarding(company),
        )
        for event in events
    ]


def events_record_server(*, conversation: Conversation, events: list[dict]) -> list[AnalyticsEvent]:
    """Events the server saw happen (the chat's domain events). Ids are deterministic, so hearing of
    the same thing twice stores it once."""
    return _store(_server_rows(conversation, events))


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
        stored = _store(rows)
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
    """Recomputes every conversation of a property, a chunk per transaction (quietly: one socket
    frame at the end)."""
    ids = list(
        Conversation.objects.filter(property_id=property_id).order_by("start_time", "id").values_list("pk", flat=True)
    )
    for start in range(0, len(ids), RECALCULATE_CHUNK):
        conversations_analytics_refresh(conversation_ids=ids[start : start + RECALCULATE_CHUNK], broadcast=False)
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
