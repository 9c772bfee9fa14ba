"""Reads of analytics: what the rules need to know of a conversation, records, and aggregates."""

from datetime import datetime

from django.db.models import Avg, Count, Exists, Max, OuterRef, Q, QuerySet, Sum

from analytics.metrics import MetricInputs
from analytics.models import AnalyticsEvent, ConversationAnalytics, EventSource
from conversations.models import Conversation, ConversationStatus, Message, MessageSender
from faqs.models import FaqConversation
from tours.models import Tour

TOUR_REQUEST = "tour_request"
HANDOFF_REQUEST = "handoff_request"
UNANSWERED_QUESTION = "unanswered_question"


def conversations_for_metrics(*, conversation_ids: list) -> dict:
    """The conversations, by id, with what the rules read of them directly."""
    return {
        conversation.pk: conversation
        for conversation in Conversation.objects.select_related("prospect", "property__company")
        .annotate(escalated=Exists(FaqConversation.objects.filter(conversation=OuterRef("pk"))))
        .filter(pk__in=conversation_ids)
    }


def metric_inputs_many(*, conversations: list[Conversation]) -> dict:
    """Everything the rules read of these conversations (from `conversations_for_metrics`), by
    conversation id, in four queries whatever their number."""
    ids = [conversation.pk for conversation in conversations]
    messages = Message.objects.filter(conversation_id__in=ids)
    counts = {
        row.pop("conversation_id"): row
        for row in messages.values("conversation_id")
        .annotate(
            prospect=Count("id", filter=Q(sender=MessageSender.PROSPECT)),
            bot=Count("id", filter=Q(sender=MessageSender.BOT)),
            manager=Count("id", filter=Q(sender=MessageSender.MANAGER)),
            last_prospect=Max("created_at", filter=Q(sender=MessageSender.PROSPECT)),
            last=Max("created_at", filter=~Q(sender=MessageSender.SYSTEM)),
        )
        .order_by()
    }
    # The bot records the intents it heard in each reply's metadata (JSON, not queryable the same
    # way on every database), so they are read here.
    heard: dict = {pk: set() for pk in ids}
    for conversation_id, metadata in messages.filter(sender=MessageSender.BOT).values_list(
        "conversation_id", "metadata"
    ):
        if isinstance(metadata, dict) and isinstance(metadata.get("intents"), list):
            heard[conversation_id].update(str(intent) for intent in metadata["intents"])
    tours: dict = {pk: [] for pk in ids}
    for conversation_id, *tour in (
        Tour.objects.filter(conversation_id__in=ids)
        .order_by("created_at", "id")
        .values_list("conversation_id", "status", "tour_type", "outcome")
    ):
        tours[conversation_id].append(tuple(tour))
    event_counts: dict = {pk: {} for pk in ids}
    last_event_at: dict = {}
    for row in (
        AnalyticsEvent.objects.filter(conversation_id__in=ids, source__in=[EventSource.WIDGET, EventSource.STAFF])
        .values("conversation_id", "event_type")
        .annotate(count=Count("id"), last=Max("created_at"))
        .order_by()
    ):
        conversation_id = row["conversation_id"]
        event_counts[conversation_id][row["event_type"]] = row["count"]
        last_event_at[conversation_id] = max(filter(None, [last_event_at.get(conversation_id), row["last"]]))
    return {
        conversation.pk: _inputs(
            conversation,
            counts.get(conversation.pk, {}),
            heard[conversation.pk],
            tours[conversation.pk],
            event_counts[conversation.pk],
            last_event_at.get(conversation.pk),
        )
        for conversation in conversations
    }


def _inputs(conversation, counts: dict, heard: set, tours: list, event_counts: dict, last_event_at) -> MetricInputs:
    notified = conversation.notification_status or {}
    prospect = conversation.prospect
    return MetricInputs(
        started_at=conversation.start_time,
        prospect_messages=counts.get("prospect", 0),
        bot_messages=counts.get("bot", 0),
        manager_messages=counts.get("manager", 0),
        last_prospect_message_at=counts.get("last_prospect"),
        last_message_at=counts.get("last"),
        has_email=bool(prospect and prospect.email),
        has_phone=bool(prospect and prospect.phone),
        is_qualified=conversation.is_qualified,
        move_in_date=conversation.move_in_date,
        conversation_tour_booked=conversation.is_book_tour,
        conversation_tour_type=conversation.tour_type or "",
        tours=tours,
        tour_requested=TOUR_REQUEST in heard or TOUR_REQUEST in notified,
        handoff_requested=HANDOFF_REQUEST in heard or HANDOFF_REQUEST in notified,
        taken_over=conversation.taken_over_by_id is not None or conversation.status == ConversationStatus.HANDED_OFF,
        escalated=conversation.escalated or UNANSWERED_QUESTION in notified,
        event_counts=event_counts,
        last_event_at=last_event_at,
    )


def record_is_stale(*, record: ConversationAnalytics | None, conversation: Conversation, abandon_before) -> bool:
    """The record misses a change of the conversation, or the prospect has since gone quiet too long."""
    if record is None or conversation.updated_at > record.computed_at:
        return True
    return bool(
        record.chat_session_started
        and not (record.conversation_abandoned or record.contact_captured or record.tour_booked)
        and record.last_prospect_message_at is not None
        and record.last_prospect_message_at < abandon_before
    )


def property_records(*, property, filters: dict) -> QuerySet:
    records = ConversationAnalytics.objects.filter(property=property)
    if filters.get("start") is not None:
        records = records.filter(started_at__gte=filters["start"])
    if filters.get("end") is not None:
        records = records.filter(started_at__lt=filters["end"])
    if filters.get("engagement_score"):
        records = records.filter(engagement_score=filters["engagement_score"])
    for flag in ("qualified", "hot", "signed", "tour_booked", "conversation_abandoned"):
        if filters.get(flag) is not None:
            records = records.filter(**{flag: filters[flag]})
    return records.order_by("-started_at", "id")


def _count(**condition):
    return Count("id", filter=Q(**condition))


FUNNEL = ("contact_captured", "qualified", "pre_lease", "tour_intent", "tour_booked", "hot", "signed")


def _aggregates() -> dict:
    return {
        "conversations": Count("id"),
        "chat_sessions_started": _count(chat_session_started=True),
        **{flag: _count(**{flag: True}) for flag in FUNNEL},
        "abandoned": _count(conversation_abandoned=True),
        "admin_handoffs": _count(admin_handoff_triggered=True),
        "escalations": _count(customer_service_escalated=True),
        "low": _count(engagement_score="low"),
        "medium": _count(engagement_score="medium"),
        "high": _count(engagement_score="high"),
        "average_points": Avg("engagement_points", filter=Q(chat_session_started=True)),
        "average_session_duration": Avg("session_duration"),
        "user_messages_sent": Sum("user_messages_sent"),
        "bot_messages_received": Sum("bot_messages_received"),
        "answer_button_clicks": Sum("answer_button_clicks"),
        "email_office_clicked": Sum("email_office_clicked"),
        "phone_call_clicked": Sum("phone_call_clicked"),
        "widget_minimized": Sum("widget_minimized"),
        "widget_sessions_ended": _count(widget_session_ended=True),
        "incentives_offered": _count(incentive_offered=True),
        "incentives_accepted": _count(incentive_accepted=True),
        "incentives_expired": _count(incentive_expired=True),
    }


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _round(value):
    return round(value, 1) if value is not None else None


def _figures(row: dict) -> dict:
    """Counts with the rates a dashboard shows: each step of the funnel among the prospects who
    chatted (chat_sessions_started), engagement levels among those too."""
    row = {
        key: (value or 0) if key not in ("average_points", "average_session_duration") else value
        for key, value in row.items()
    }
    chatted = row["chat_sessions_started"]
    row["average_points"] = _round(row["average_points"])
    row["average_session_duration"] = _round(row["average_session_duration"])
    for flag in FUNNEL:
        row[f"{flag}_rate"] = _rate(row[flag], chatted)
    for level in ("low", "medium", "high"):
        row[f"{level}_rate"] = _rate(row[level], chatted)
    return row


def _empty() -> dict:
    return dict.fromkeys(_aggregates(), 0) | {"average_points": None, "average_session_duration": None}


def per_property_figures(*, properties: list, start: datetime, end: datetime) -> list[dict]:
    """One row per property (those given, in that order), for conversations started in [start, end)."""
    rows = {
        row.pop("property_id"): row
        for row in ConversationAnalytics.objects.filter(
            property__in=[item.pk for item in properties], started_at__gte=start, started_at__lt=end
        )
        .values("property_id")
        .annotate(**_aggregates())
        .order_by()
    }
    return [
        {"property_id": item.pk, "property_name": item.name, "start": start, "end": end}
        | _figures(rows.get(item.pk, _empty()))
        for item in properties
    ]


def summary_figures(*, records: QuerySet, start: datetime, end: datetime) -> dict:
    in_range = records.filter(started_at__gte=start, started_at__lt=end)
    totals = in_range.aggregate(properties=Count("property", distinct=True), **_aggregates())
    return {"start": start, "end": end} | _figures(totals)
