"""Reads of the chat: the widget's lookups, message history and replay, analytics."""

from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import Avg, Count, Max, Min, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from conversations.models import OPEN_STATUSES, ChatSettings, Conversation, Message, MessageSender, Prospect
from core.errors import Forbidden, RecordNotFound, ValidationFailed
from properties.models import Property

ORIGINS_CACHE_SECONDS = 60
HISTORY_LIMIT = 100


def origin_of(url: str) -> str | None:
    """scheme://host[:port] of a URL, lower-cased; None when it is not an http(s) URL."""
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default_port = {"http": 80, "https": 443}[parts.scheme]
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def widget_property(*, widget_key: str | None) -> Property:
    """The live property behind a public widget key (the key is public: it is in the page source)."""
    if not widget_key:
        raise ValidationFailed("The widget key is missing.", details={"widget_key": ["This field is required."]})
    property_ = Property.objects.select_related("company").filter(widget_key=widget_key).first()
    if property_ is None or property_.company.deleted_at is not None:
        raise RecordNotFound("No chat widget has this key.")
    return property_


def allowed_origins(*, widget_key: str) -> frozenset[str]:
    """Origins that may embed this widget: the property's website, the origins its company added,
    and this backend itself (the demo page). Cached briefly: it is asked on every public request."""
    key = f"widget-origins:{widget_key}"
    cached = cache.get(key)
    if cached is not None:
        return frozenset(cached)
    row = (
        Property.objects.filter(widget_key=widget_key)
        .values_list("website_url", "company__chat_settings__allowed_origins")
        .first()
    )
    origins = set()
    if row is not None:
        website, extra = row
        origins.update(filter(None, [origin_of(website), origin_of(settings.PUBLIC_BASE_URL)]))
        origins.update(filter(None, (origin_of(item) for item in extra or [])))
    cache.set(key, sorted(origins), ORIGINS_CACHE_SECONDS)
    return frozenset(origins)


def origin_allowed(*, widget_key: str, origin: str | None, own_origin: str | None = None) -> bool:
    """A request without an Origin (not a browser's cross-site call) is judged by its other
    credentials; a page this server serves itself (same origin) is ours."""
    if not origin:
        return True
    origin = origin_of(origin)
    if own_origin and origin == origin_of(own_origin):
        return True
    return origin in allowed_origins(widget_key=widget_key)


def check_widget_origin(*, widget_key: str, origin: str | None, own_origin: str | None = None) -> None:
    if not origin_allowed(widget_key=widget_key, origin=origin, own_origin=own_origin):
        raise Forbidden("This website may not use this chat widget.")


def widget_conversation(*, property: Property, conversation_id, token: str | None) -> Conversation:
    """A conversation of this widget, for the browser holding its secret token; else 404."""
    conversation = Conversation.objects.select_related("prospect").filter(pk=conversation_id, property=property).first()
    if conversation is None or not token or not _same(conversation.token, token):
        raise RecordNotFound("No such conversation for this browser.")
    return conversation


def _same(a: str, b: str) -> bool:
    return constant_time_compare(a, b)


def browser_prospect(*, property: Property, browser_id: str) -> Prospect:
    prospect = Prospect.objects.filter(company_id=property.company_id, browser_id=browser_id).first()
    if prospect is None:
        raise RecordNotFound("This browser has no session yet.")
    return prospect


def open_conversation(*, prospect: Prospect, property: Property) -> Conversation | None:
    return (
        Conversation.objects.filter(prospect=prospect, property=property, status__in=OPEN_STATUSES)
        .order_by("-start_time")
        .first()
    )


def messages_of(conversation: Conversation) -> QuerySet:
    return conversation.messages.select_related("sender_manager__user").order_by("seq", "created_at")


def messages_after(*, conversation: Conversation, after_id=None, limit: int = HISTORY_LIMIT) -> list[Message]:
    """Messages after the one the client saw last (all of the latest `limit` when it saw none)."""
    queryset = messages_of(conversation)
    if after_id:
        seen = Message.objects.filter(pk=after_id, conversation=conversation).values_list("seq", flat=True).first()
        if seen is None:
            raise ValidationFailed("Unknown last message id.", details={"after": [str(after_id)]})
        return list(queryset.filter(seq__gt=seen)[:limit])
    return list(reversed(queryset.order_by("-seq")[:limit]))


def chat_settings_of(company) -> ChatSettings:
    try:
        return company.chat_settings
    except ChatSettings.DoesNotExist:
        return ChatSettings(company=company)


# --- analytics ----------------------------------------------------------------------------------
def conversation_analytics(*, conversation: Conversation) -> dict:
    counts = conversation.messages.aggregate(
        total=Count("id"),
        prospect=Count("id", filter=Q(sender=MessageSender.PROSPECT)),
        bot=Count("id", filter=Q(sender=MessageSender.BOT)),
        manager=Count("id", filter=Q(sender=MessageSender.MANAGER)),
        system=Count("id", filter=Q(sender=MessageSender.SYSTEM)),
        bot_avg=Avg("response_ms", filter=Q(sender=MessageSender.BOT)),
        manager_avg=Avg("response_ms", filter=Q(sender=MessageSender.MANAGER)),
        first_seq=Min("seq", filter=Q(response_ms__isnull=False)),
        last_at=Max("created_at"),
    )
    first_response = None
    if counts["first_seq"] is not None:
        first_response = (
            conversation.messages.filter(seq=counts["first_seq"]).values_list("response_ms", flat=True).first()
        )
    end = conversation.end_time or counts["last_at"] or conversation.start_time
    return {
        "conversation_id": conversation.pk,
        "message_count": counts["total"],
        "prospect_messages": counts["prospect"],
        "bot_messages": counts["bot"],
        "manager_messages": counts["manager"],
        "system_messages": counts["system"],
        "first_response_ms": first_response,
        "avg_bot_response_ms": _round(counts["bot_avg"]),
        "avg_manager_response_ms": _round(counts["manager_avg"]),
        "duration_seconds": max(int((end - conversation.start_time).total_seconds()), 0),
        "lead_score": conversation.lead_score,
        "is_qualified": conversation.is_qualified,
        "pre_qualified": conversation.pre_qualified,
        "is_book_tour": conversation.is_book_tour,
        "status": conversation.status,
        "taken_over": conversation.taken_over_by_id is not None,
    }


def _round(value):
    return round(value, 1) if value is not None else None


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def date_range(*, start: date | None, end: date | None) -> tuple[datetime, datetime]:
    """[start, end] as whole UTC days; the last 30 days by default."""
    today = timezone.now().astimezone(ZoneInfo("UTC")).date()
    end = end or today
    start = start or end - timedelta(days=29)
    if start > end:
        raise ValidationFailed("The range starts after it ends.", details={"start_date": ["After end_date."]})
    if (end - start).days > 366:
        raise ValidationFailed("The range spans more than a year.", details={"start_date": ["Range too long."]})
    zone = ZoneInfo("UTC")
    return datetime.combine(start, time.min, tzinfo=zone), datetime.combine(
        end + timedelta(days=1), time.min, tzinfo=zone
    )


def analytics_summary(*, conversations: QuerySet, start: datetime, end: datetime) -> dict:
    """Per property and in total: conversations, messages, response times, qualification and tour
    rates, for conversations started in [start, end)."""
    scoped = conversations.filter(start_time__gte=start, start_time__lt=end)
    rows = list(
        scoped.values("property_id", "property__name")
        .annotate(
            conversations=Count("id"),
            messages=Sum("message_count"),
            qualified=Count("id", filter=Q(is_qualified=True)),
            tours=Count("id", filter=Q(is_book_tour=True)),
            handed_off=Count("id", filter=Q(taken_over_by__isnull=False)),
            avg_lead_score=Avg("lead_score"),
        )
        .order_by("property__name", "property_id")
    )
    response = {
        row["conversation__property_id"]: row
        for row in Message.objects.filter(conversation__in=scoped.values("id"), response_ms__isnull=False)
        .values("conversation__property_id")
        .annotate(
            bot=Avg("response_ms", filter=Q(sender=MessageSender.BOT)),
            manager=Avg("response_ms", filter=Q(sender=MessageSender.MANAGER)),
        )
        .order_by()
    }
    properties = []
    for row in rows:
        times = response.get(row["property_id"], {})
        properties.append(
            {
                "property_id": row["property_id"],
                "property_name": row["property__name"],
                "conversations": row["conversations"],
                "messages": row["messages"] or 0,
                "qualified": row["qualified"],
                "qualification_rate": _rate(row["qualified"], row["conversations"]),
                "tours_booked": row["tours"],
                "tour_rate": _rate(row["tours"], row["conversations"]),
                "handed_off": row["handed_off"],
                "avg_lead_score": _round(row["avg_lead_score"]),
                "avg_bot_response_ms": _round(times.get("bot")),
                "avg_manager_response_ms": _round(times.get("manager")),
            }
        )
    total = sum(row["conversations"] for row in properties)
    qualified = sum(row["qualified"] for row in properties)
    tours = sum(row["tours_booked"] for row in properties)
    return {
        "start": start,
        "end": end,
        "totals": {
            "conversations": total,
            "messages": sum(row["messages"] for row in properties),
            "qualified": qualified,
            "qualification_rate": _rate(qualified, total),
            "tours_booked": tours,
            "tour_rate": _rate(tours, total),
        },
        "properties": properties,
    }
