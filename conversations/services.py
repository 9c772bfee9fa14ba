"""Writes of the chat: prospects and their sessions, conversations, messages, the bot's turn.

Every message is stored (in a transaction that also numbers it) before it is broadcast, and the
broadcast leaves only after commit. Domain events for the integrations ("lead.contact_captured",
"lead.updated") are published the same way.
"""

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from conversations import notifications, realtime, scoring
from conversations.bot import BotContext, engine_for
from conversations.bot.base import BOOK_TOUR, CONTACT_FIELDS, ESCALATE_QUESTION, HANDOFF_REQUEST, TOUR_REQUEST
from conversations.bot.knowledge import Knowledge
from conversations.models import (
    OPEN_STATUSES,
    ChatSettings,
    Conversation,
    ConversationStatus,
    Message,
    MessageSender,
    NotificationType,
    Prospect,
    ProspectSession,
)
from core.db import CompiledSelect, insert_rows, update_row
from core.errors import InvalidStatusTransition, RecordNotFound, TourUnavailable, ValidationFailed
from core.events import publish
from faqs.services import question_escalate
from properties.models import Property
from tours.services import tour_schedule

logger = logging.getLogger(__name__)

# The conversation state machine. Staying put is always allowed (PUT is idempotent).
TRANSITIONS = {
    ConversationStatus.ACTIVE: {
        ConversationStatus.QUALIFIED,
        ConversationStatus.TOUR_BOOKED,
        ConversationStatus.HANDED_OFF,
        ConversationStatus.CLOSED,
    },
    ConversationStatus.QUALIFIED: {
        ConversationStatus.TOUR_BOOKED,
        ConversationStatus.HANDED_OFF,
        ConversationStatus.CLOSED,
    },
    ConversationStatus.TOUR_BOOKED: {
        ConversationStatus.QUALIFIED,
        ConversationStatus.HANDED_OFF,
        ConversationStatus.CLOSED,
    },
    ConversationStatus.HANDED_OFF: {
        ConversationStatus.ACTIVE,
        ConversationStatus.QUALIFIED,
        ConversationStatus.TOUR_BOOKED,
        ConversationStatus.CLOSED,
    },
    ConversationStatus.CLOSED: {ConversationStatus.ACTIVE},
}
QUALIFICATION_FIELDS = (
    "apartment_size_preference",
    "move_in_date",
    "price_range_min",
    "price_range_max",
    "occupants_count",
    "has_pets",
    "pet_details",
    "desired_features",
    "work_location",
    "reason_for_moving",
    "ai_intent_summary",
    "source",
)


# --- prospects and browser sessions ---------------------------------------------------------------
@dataclass
class WidgetSession:
    prospect: Prospect
    conversation: Conversation
    session: ProspectSession
    resumed: bool


def _prospect_for_browser(*, property, browser_id: str) -> Prospect:
    try:
        with transaction.atomic():
            prospect, _ = Prospect.objects.get_or_create(
                company_id=property.company_id, browser_id=browser_id, defaults={"lead_source": "chat_widget"}
            )
    except IntegrityError:
        # Two first requests of one browser raced; the other one created the row.
        prospect = Prospect.objects.get(company_id=property.company_id, browser_id=browser_id)
    return prospect


@transaction.atomic
def prospect_session_start(
    *, property, browser_id: str, page_url: str = "", user_agent: str = "", start_new: bool = False
) -> WidgetSession:
    """Starts a widget session: the browser's open conversation at this property resumes, or a new
    one starts. Counts the session and refreshes last_seen."""
    prospect = _prospect_for_browser(property=property, browser_id=browser_id)
    prospect = Prospect.objects.select_for_update().get(pk=prospect.pk)
    now = timezone.now()
    prospect.session_count += 1
    prospect.last_seen = now
    prospect.save(update_fields=["session_count", "last_seen", "updated_at"])
    conversation = None
    if not start_new:
        conversation = (
            Conversation.objects.filter(prospect=prospect, property=property, status__in=OPEN_STATUSES)
            .order_by("-start_time")
            .first()
        )
    resumed = conversation is not None
    if conversation is None:
        conversation = Conversation.objects.create(property=property, prospect=prospect, source="chat_widget")
    session = ProspectSession.objects.create(
        prospect=prospect,
        property=property,
        conversation=conversation,
        page_url=page_url[:1000],
        user_agent=user_agent[:500],
    )
    return WidgetSession(prospect=prospect, conversation=conversation, session=session, resumed=resumed)


def prospect_touch(*, property, browser_id: str) -> Prospect:
    """The widget's heartbeat: last_seen of the prospect and of their latest session."""
    prospect = Prospect.objects.filter(company_id=property.company_id, browser_id=browser_id).first()
    if prospect is None:
        raise RecordNotFound("This browser has no session yet.")
    now = timezone.now()
    Prospect.objects.filter(pk=prospect.pk).update(last_seen=now, updated_at=now)
    latest = ProspectSession.objects.filter(prospect=prospect, property=property).order_by("-started_at").first()
    if latest is not None:
        ProspectSession.objects.filter(pk=latest.pk).update(last_seen=now, updated_at=now)
    prospect.last_seen = now
    return prospect


def prospect_create(*, company, **fields) -> Prospect:
    try:
        with transaction.atomic():
            return Prospect.objects.create(company=company, **fields)
    except IntegrityError:
        raise ValidationFailed(
            "This browser already has a prospect in this company.", details={"browser_id": [fields.get("browser_id")]}
        ) from None


@transaction.atomic
def prospect_update(*, prospect: Prospect, **fields) -> Prospect:
    had_contact = bool(prospect.email or prospect.phone)
    for name, value in fields.items():
        setattr(prospect, name, value)
    try:
        with transaction.atomic():
            prospect.save()
    except IntegrityError:
        raise ValidationFailed(
            "This browser already has a prospect in this company.", details={"browser_id": [prospect.browser_id]}
        ) from None
    _publish_contact(prospect, had_contact=had_contact)
    return prospect


@transaction.atomic
def prospect_delete(*, prospect: Prospect) -> None:
    """Erases the person; their conversations stay (without them) for the property's records."""
    prospect.delete()


def _publish_contact(prospect: Prospect, *, had_contact: bool) -> None:
    if had_contact or not (prospect.email or prospect.phone):
        return
    for conversation_id, property_id in prospect.conversations.values_list("id", "property_id"):
        publish(
            "lead.contact_captured",
            conversation_id=str(conversation_id),
            prospect_id=str(prospect.pk),
            property_id=str(property_id),
        )


# --- conversations --------------------------------------------------------------------------------
def conversation_create(*, property, prospect: Prospect | None = None, source: str = "", **fields) -> Conversation:
    if prospect is not None and prospect.company_id != property.company_id:
        raise ValidationFailed("The prospect belongs to another company.", details={"user_id": [str(prospect.pk)]})
    with transaction.atomic():
        conversation = Conversation.objects.create(property=property, prospect=prospect, source=source)
        if fields:
            conversation = conversation_qualify(conversation=conversation, **fields)
    return conversation


@transaction.atomic
def conversation_delete(*, conversation: Conversation) -> None:
    conversation.delete()


def _locked(conversation_id) -> Conversation:
    # FOR NO KEY UPDATE, like every lock of a conversation here: it orders the writers of the row
    # without holding up rows that only point at it (notifications, analytics events, tasks), whose
    # foreign-key checks a plain FOR UPDATE would make wait.
    return (
        Conversation.objects.select_for_update(of=("self",), no_key=True)
        .select_related("prospect", "property")
        .get(pk=conversation_id)
    )


def _check_transition(current: str, target: str) -> None:
    if current != target and target not in TRANSITIONS[current]:
        raise InvalidStatusTransition(current, target, TRANSITIONS[current])


@transaction.atomic
def conversation_set_status(*, conversation: Conversation, status: str, manager=None) -> Conversation:
    """Moves along the state machine. Into handed_off a manager takes over; out of it the bot is back."""
    conversation = _locked(conversation.pk)
    current = conversation.status
    _check_transition(current, status)
    if current == status:
        return conversation
    if status == ConversationStatus.HANDED_OFF:
        conversation.status_before_handoff = current
        conversation.taken_over_by = manager
    elif current == ConversationStatus.HANDED_OFF:
        conversation.taken_over_by = None
        conversation.status_before_handoff = ""
    conversation.status = status
    conversation.end_time = timezone.now() if status == ConversationStatus.CLOSED else None
    conversation.save()
    _lead_updated(conversation)
    realtime.broadcast_conversation(conversation)
    return conversation


@transaction.atomic
def conversation_take_over(*, conversation: Conversation, manager) -> Conversation:
    """From now on the bot is silent here until the conversation is handed back."""
    conversation = _locked(conversation.pk)
    if conversation.status == ConversationStatus.CLOSED:
        raise InvalidStatusTransition(
            conversation.status, ConversationStatus.HANDED_OFF, TRANSITIONS[conversation.status]
        )
    if conversation.status != ConversationStatus.HANDED_OFF:
        conversation.status_before_handoff = conversation.status
        conversation.status = ConversationStatus.HANDED_OFF
    conversation.taken_over_by = manager
    conversation.save()
    _append(conversation, sender=MessageSender.SYSTEM, text=f"{_manager_name(manager)} joined the conversation.")
    _lead_updated(conversation)
    realtime.broadcast_conversation(conversation)
    return conversation


@transaction.atomic
def conversation_hand_back(*, conversation: Conversation, manager=None) -> Conversation:
    conversation = _locked(conversation.pk)
    if conversation.status != ConversationStatus.HANDED_OFF:
        raise InvalidStatusTransition(conversation.status, "active", {ConversationStatus.HANDED_OFF})
    conversation.status = conversation.status_before_handoff or ConversationStatus.ACTIVE
    conversation.status_before_handoff = ""
    conversation.taken_over_by = None
    conversation.save()
    _append(conversation, sender=MessageSender.SYSTEM, text="The assistant is back in the conversation.")
    _lead_updated(conversation)
    realtime.broadcast_conversation(conversation)
    return conversation


def _manager_name(manager) -> str:
    return (manager.user.get_full_name() or "A leasing agent") if manager is not None else "A leasing agent"


def _lead_dict(conversation: Conversation) -> dict:
    return {
        name: getattr(conversation, name)
        for name in (*QUALIFICATION_FIELDS, "is_book_tour", "tour_type", "tour_datetime")
    }


def _lead_state(conversation: Conversation) -> tuple:
    """What integrations and dashboards care about, to tell whether anything changed."""
    return (
        tuple(sorted(_lead_dict(conversation).items(), key=lambda item: item[0])),
        tuple(sorted(_contact_dict(conversation.prospect).items())),
        conversation.status,
        conversation.lead_score,
        conversation.is_qualified,
        conversation.pre_qualified,
    )


def _contact_dict(prospect: Prospect | None) -> dict:
    return {name: getattr(prospect, name) for name in CONTACT_FIELDS} if prospect else {}


def _today(conversation: Conversation):
    return timezone.now().astimezone(ZoneInfo(conversation.property.time_zone)).date()


def _rescore(conversation: Conversation) -> bool:
    """Recomputes score and qualification; True when the lead has just become qualified."""
    was_qualified = conversation.is_qualified
    lead, contact = _lead_dict(conversation), _contact_dict(conversation.prospect)
    conversation.lead_score = scoring.lead_score(lead=lead, contact=contact, today=_today(conversation))
    conversation.pre_qualified = scoring.is_pre_qualified(lead=lead)
    conversation.is_qualified = scoring.is_qualified(score=conversation.lead_score, contact=contact)
    if conversation.is_qualified and conversation.status == ConversationStatus.ACTIVE:
        conversation.status = ConversationStatus.QUALIFIED
    return conversation.is_qualified and not was_qualified


def _lead_updated(conversation: Conversation) -> None:
    """A lead is a prospect we can reach: before an email or phone is known there is nothing an
    integration could push, so most chat turns (which come before contact capture) publish nothing.
    Capturing the contact publishes lead.contact_captured, then every change lead.updated."""
    prospect = conversation.prospect
    if prospect is None or not (prospect.email or prospect.phone):
        return
    publish(
        "lead.updated",
        conversation_id=str(conversation.pk),
        prospect_id=str(conversation.prospect_id) if conversation.prospect_id else None,
        property_id=str(conversation.property_id),
    )


def _apply_contact(conversation: Conversation, contact: dict) -> None:
    contact = {name: value for name, value in contact.items() if value not in (None, "")}
    if not contact:
        return
    if conversation.prospect is None:
        conversation.prospect = Prospect.objects.create(company_id=conversation.property.company_id, lead_source="chat")
    prospect_update(prospect=conversation.prospect, **contact)


# What a change of qualification writes on the conversation row.
QUALIFICATION_WRITE_FIELDS = (
    *QUALIFICATION_FIELDS,
    "lead_score",
    "is_qualified",
    "pre_qualified",
    "status",
    "prospect",
)


def _check_qualification(conversation: Conversation, fields: dict) -> None:
    unknown = set(fields) - set(QUALIFICATION_FIELDS) - {"is_qualified", "pre_qualified"}
    if unknown:
        raise ValidationFailed(
            "These fields cannot be set here.", details={name: ["Unknown field."] for name in unknown}
        )
    low = fields.get("price_range_min", conversation.price_range_min)
    high = fields.get("price_range_max", conversation.price_range_max)
    if low is not None and high is not None and low > high:
        raise ValidationFailed(
            "The price range is reversed.", details={"price_range_min": ["Must not exceed price_range_max."]}
        )


def _qualify_in_place(conversation: Conversation, *, contact: dict, fields: dict) -> tuple[bool, bool]:
    """Sets the fields (and saves the prospect's new contact details) on the locked conversation,
    without writing the conversation. Returns (changed, newly qualified)."""
    fields = dict(fields)
    forced = {name: fields.pop(name) for name in ("is_qualified", "pre_qualified") if name in fields}
    before = _lead_state(conversation)
    for name, value in fields.items():
        setattr(conversation, name, value)
    _apply_contact(conversation, contact)
    newly_qualified = _rescore(conversation)
    for name, value in forced.items():
        # A manager's judgement overrides the rules.
        newly_qualified = newly_qualified or (name == "is_qualified" and value and not conversation.is_qualified)
        setattr(conversation, name, value)
    return _lead_state(conversation) != before, newly_qualified


def _after_qualification(conversation: Conversation, *, newly_qualified: bool, announce: bool = True) -> None:
    _lead_updated(conversation)
    if newly_qualified:
        _notify_qualified(conversation)
    if announce:
        realtime.broadcast_conversation(conversation)


def _notify_qualified(conversation: Conversation) -> None:
    notifications.notify_property_managers(
        conversation=conversation,
        notification_type=NotificationType.QUALIFIED_LEAD,
        title=f"New qualified lead at {conversation.property.name}",
        body=_lead_summary(conversation),
        dedupe_key=f"qualified:{conversation.pk}",
    )


@transaction.atomic
def conversation_qualify(*, conversation: Conversation, contact: dict | None = None, **fields) -> Conversation:
    """Fills qualification fields (and the prospect's contact details), recomputes the lead score,
    and moves an active conversation to qualified when the rules say so. A change that changes
    nothing writes nothing and publishes nothing."""
    _check_qualification(conversation, fields)
    conversation = _locked(conversation.pk)
    changed, newly_qualified = _qualify_in_place(conversation, contact=contact or {}, fields=fields)
    if changed:
        conversation.save()
        _after_qualification(conversation, newly_qualified=newly_qualified)
    return conversation


def _lead_summary(conversation: Conversation) -> str:
    prospect = conversation.prospect
    lines = [
        f"Name: {prospect}" if prospect else "Name: unknown",
        f"Email: {prospect.email or '-'}  Phone: {prospect.phone or '-'}" if prospect else "",
        f"Move-in: {conversation.move_in_date or '-'}  Size: {conversation.apartment_size_preference or '-'}",
        f"Budget: {conversation.price_range_min or '-'} to {conversation.price_range_max or '-'}",
        f"Lead score: {conversation.lead_score}",
    ]
    return "\n".join(line for line in lines if line)


@dataclass
class TourBooking:
    conversation: Conversation
    tour: object | None  # tours.models.Tour when the tours app booked it


def conversation_book_tour(
    *,
    conversation: Conversation,
    start: datetime,
    tour_type: str = "in_person",
    prospect_name: str = "",
    prospect_email: str = "",
    prospect_phone: str = "",
    unit_interest: str = "",
    manager=None,
    source: str = "chat",
) -> TourBooking:
    """Books through the tours app (which refuses taken or closed times with TOUR_UNAVAILABLE) and
    records the tour on the conversation, in one transaction."""
    if start <= timezone.now():
        raise ValidationFailed("A tour must start in the future.", details={"tour_datetime": ["In the past."]})
    with transaction.atomic():
        conversation = _locked(conversation.pk)
        if conversation.status == ConversationStatus.CLOSED:
            raise InvalidStatusTransition(
                conversation.status, ConversationStatus.TOUR_BOOKED, TRANSITIONS[conversation.status]
            )
        prospect = conversation.prospect
        contact = {"email": prospect_email, "phone": prospect_phone}
        if prospect_name and not (prospect and prospect.first_name):
            first, _, last = prospect_name.strip().partition(" ")
            contact.update(first_name=first, last_name=last)
        _apply_contact(conversation, contact)
        prospect = conversation.prospect
        name = prospect_name or (str(prospect) if prospect and (prospect.first_name or prospect.last_name) else "")
        tour = tour_schedule(
            property=conversation.property,
            start=start,
            tour_type=tour_type,
            prospect_name=name,
            prospect_email=(prospect.email if prospect else "") or "",
            prospect_phone=(prospect.phone if prospect else "") or "",
            conversation=conversation,
            manager=manager,
            source=source,
            unit_interest=unit_interest,
        )
        start = tour.tour_datetime
        conversation.is_book_tour = True
        conversation.tour_type = tour_type
        conversation.tour_datetime = start
        conversation.tour_unit_interest = unit_interest
        if conversation.status == ConversationStatus.HANDED_OFF:
            conversation.status_before_handoff = ConversationStatus.TOUR_BOOKED
        else:
            conversation.status = ConversationStatus.TOUR_BOOKED
        newly_qualified = _rescore(conversation)
        conversation.save()
        _lead_updated(conversation)
        local = start.astimezone(ZoneInfo(conversation.property.time_zone))
        notifications.notify_property_managers(
            conversation=conversation,
            notification_type=NotificationType.TOUR_REQUEST,
            title=f"Tour booked at {conversation.property.name}",
            body=f"{name or 'A prospect'}: {tour_type.replace('_', ' ')} tour on {local:%a %b %d at %I:%M %p}.\n"
            + _lead_summary(conversation),
            dedupe_key=f"tour:{conversation.pk}:{start.isoformat()}",
        )
        if newly_qualified:
            _notify_qualified(conversation)
        realtime.broadcast_conversation(conversation)
    return TourBooking(conversation=conversation, tour=tour)


# --- messages -------------------------------------------------------------------------------------
COUNTER_FIELDS = ("message_count", "last_message_at", "awaiting_reply_since")


def _new_message(
    conversation: Conversation,
    *,
    sender: str,
    text: str,
    manager=None,
    client_message_id: str | None = None,
    metadata: dict | None = None,
) -> Message:
    """Numbers a message of the locked conversation (unsaved) and moves its counters in memory."""
    now = timezone.now()
    response_ms = None
    if sender == MessageSender.PROSPECT:
        if conversation.awaiting_reply_since is None:
            conversation.awaiting_reply_since = now
    elif sender in (MessageSender.BOT, MessageSender.MANAGER) and conversation.awaiting_reply_since is not None:
        response_ms = max(int((now - conversation.awaiting_reply_since).total_seconds() * 1000), 0)
        conversation.awaiting_reply_since = None
    conversation.message_count += 1
    return Message(
        conversation=conversation,
        sender=sender,
        sender_manager=manager,
        text=text,
        client_message_id=client_message_id,
        metadata=metadata or {},
        seq=conversation.message_count,
        response_ms=response_ms,
    )


def _store(conversation: Conversation, messages: list[Message], *, fields=()) -> None:
    """One INSERT for the messages and one UPDATE for the conversation's counters and `fields`
    (statements built once per shape: this runs on every chat message)."""
    insert_rows(messages)
    conversation.last_message_at = messages[-1].created_at
    conversation.updated_at = timezone.now()
    update_row(conversation, list(dict.fromkeys(("updated_at", *COUNTER_FIELDS, *fields))))


def _append(conversation: Conversation, **message) -> Message:
    stored = _new_message(conversation, **message)
    _store(conversation, [stored])
    realtime.broadcast_message(stored)
    return stored


def _validate_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("A message needs text.", details={"text": ["This field may not be blank."]})
    if len(text) > 4000:
        raise ValidationFailed("A message holds at most 4000 characters.", details={"text": ["Too long."]})
    return text


def message_send(
    *,
    conversation: Conversation,
    sender: str,
    text: str,
    manager=None,
    client_message_id: str | None = None,
    metadata: dict | None = None,
) -> tuple[Message, bool]:
    """Stores a message once per client_message_id: (message, created)."""
    text = _validate_text(text)
    with transaction.atomic():
        locked = Conversation.objects.select_for_update(no_key=True).get(pk=conversation.pk)
        if client_message_id:
            existing = Message.objects.filter(conversation=locked, client_message_id=client_message_id).first()
            if existing is not None:
                return existing, False
        message = _append(
            locked, sender=sender, text=text, manager=manager, client_message_id=client_message_id, metadata=metadata
        )
    return message, True


def manager_message_send(
    *, conversation: Conversation, manager, text: str, client_message_id: str | None = None
) -> tuple[Message, bool]:
    """A manager writing in a conversation that the bot runs takes it over first, so the bot does
    not talk over them."""
    with transaction.atomic():
        current = _locked(conversation.pk)
        if manager is not None and current.taken_over_by_id is None and current.status != ConversationStatus.CLOSED:
            current = conversation_take_over(conversation=current, manager=manager)
        return message_send(
            conversation=current,
            sender=MessageSender.MANAGER,
            text=text,
            manager=manager,
            client_message_id=client_message_id,
        )


@transaction.atomic
def message_update(*, message: Message, text: str) -> Message:
    if message.sender == MessageSender.PROSPECT:
        raise ValidationFailed("A prospect's own words cannot be edited.", details={"sender": [message.sender]})
    message.text = _validate_text(text)
    message.edited_at = timezone.now()
    message.save(update_fields=["text", "edited_at", "updated_at"])
    realtime.broadcast_message(message, event="message_updated")
    return message


@transaction.atomic
def message_delete(*, message: Message) -> None:
    conversation_id, message_id = message.conversation_id, message.pk
    message.delete()
    realtime.broadcast_message_deleted(conversation_id=conversation_id, message_id=message_id)


# --- the bot's turn -------------------------------------------------------------------------------
@dataclass
class Turn:
    """What one prospect message produced: itself, and the bot's reply if the bot spoke."""

    message: Message
    created: bool
    reply: Message | None = None


def prospect_message_handle(*, conversation: Conversation, text: str, client_message_id: str | None = None) -> Turn:
    """The widget's send: store the prospect's message (once per client_message_id), and let the
    bot answer unless a manager has taken over. The local engine answers inside the same
    transaction (one write for both messages); an engine that calls out (OpenAI) answers after the
    message is committed, so a slow answer holds no lock. A retried send gets the stored message
    and reply back."""
    text = _validate_text(text)
    client_message_id = client_message_id or None
    with transaction.atomic():
        locked = _TURN_LOCK.first(pk=conversation.pk, client_message_id=client_message_id or _NO_CLIENT_MESSAGE_ID)
        if locked is None:
            raise Conversation.DoesNotExist("The conversation no longer exists.")
        locked.property = chat_property(locked.property_id)
        if locked.stored_id is not None:
            existing = Message.objects.get(pk=locked.stored_id)
            reply = (
                Message.objects.filter(conversation=locked, seq__gt=existing.seq, sender=MessageSender.BOT)
                .order_by("seq")
                .first()
            )
            return Turn(message=existing, created=False, reply=reply)
        fields = []
        if locked.status == ConversationStatus.CLOSED:
            locked.status, locked.end_time = ConversationStatus.ACTIVE, None
            fields = ["status", "end_time"]
        engine = _answering_engine(locked)
        message = _new_message(locked, sender=MessageSender.PROSPECT, text=text, client_message_id=client_message_id)
        if engine is not None and engine.name == "local":
            reply = engine.reply(_context(locked, text, with_history=False))
            return Turn(
                message=message, created=True, reply=_bot_turn(locked, reply, message, pending=[message], fields=fields)
            )
        _store(locked, [message], fields=fields)
        realtime.broadcast_message(message)
    if engine is None:
        return Turn(message=message, created=True)
    return Turn(message=message, created=True, reply=bot_respond(conversation_id=conversation.pk, message=message))


# The lock of a prospect's turn, with the retry check riding on it (one round trip instead of two);
# compiled once per process, as it runs on every chat message.
_TURN_LOCK = CompiledSelect(
    lambda pk, client_message_id: (
        Conversation.objects.select_for_update(of=("self",), no_key=True)
        .select_related("prospect")
        .annotate(
            stored_id=Subquery(
                Message.objects.filter(conversation=OuterRef("pk"), client_message_id=client_message_id).values("pk")[
                    :1
                ]
            )
        )
        .filter(pk=pk)
    ),
    parameters={"pk": Conversation._meta.pk, "client_message_id": Message._meta.get_field("client_message_id")},
)
# Matches no stored message: client ids hold at most 64 characters.
_NO_CLIENT_MESSAGE_ID = "-" * 65

_chat_properties: dict = {}
_chat_properties_lock = threading.Lock()


def chat_property(property_id) -> Property:
    """The property with its company and chat settings, as the bot needs them on every message.
    Kept per process for CHAT_PROPERTY_CACHE_SECONDS: joining them into each message's lock query
    cost as much as the rest of the turn. A change of chatbot settings or OpenAI key reaches open
    conversations within that time."""
    now = time.monotonic()
    cached = _chat_properties.get(property_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    property_ = Property.all_objects.select_related("company__chat_settings").get(pk=property_id)
    with _chat_properties_lock:
        if len(_chat_properties) > 10_000:
            _chat_properties.clear()
        _chat_properties[property_id] = (now + settings.CHAT_PROPERTY_CACHE_SECONDS, property_)
    return property_


def _answering_engine(conversation: Conversation):
    """The engine that answers in this conversation, or None while the bot must stay silent (a
    manager has taken over, or the property switched its chatbot off)."""
    if conversation.taken_over_by_id or conversation.status == ConversationStatus.HANDED_OFF:
        return None
    if not conversation.property.chatbot_is_active:
        return None
    company = conversation.property.company
    return engine_for(company, _chat_settings(company))


def _chat_settings(company) -> ChatSettings | None:
    try:
        return company.chat_settings
    except ChatSettings.DoesNotExist:
        return None


def _context(conversation: Conversation, text: str, *, with_history: bool) -> BotContext:
    property_ = conversation.property
    history = []
    if with_history:
        recent = list(
            conversation.messages.exclude(sender=MessageSender.SYSTEM)
            .order_by("-seq")
            .values_list("sender", "text")[:13]
        )
        history = list(reversed(recent))[:-1]  # without the message being answered
    return BotContext(
        property=property_,
        text=text,
        now=timezone.now().astimezone(ZoneInfo(property_.time_zone)),
        lead=_lead_dict(conversation),
        contact=_contact_dict(conversation.prospect),
        history=history,
        state=dict(conversation.bot_state or {}),
        knowledge=Knowledge(property_),
    )


def bot_respond(*, conversation_id, message: Message) -> Message | None:
    """An engine that calls out answers a stored prospect message, outside any lock; its reply is
    applied only if no manager took over meanwhile."""
    conversation = Conversation.objects.select_related("property__company__chat_settings", "prospect").get(
        pk=conversation_id
    )
    engine = _answering_engine(conversation)
    if engine is None:
        return None
    realtime.broadcast_typing(conversation_id=conversation.pk, sender=MessageSender.BOT)
    reply = engine.reply(_context(conversation, message.text, with_history=True))
    with transaction.atomic():
        locked = (
            Conversation.objects.select_for_update(of=("self",), no_key=True)
            .select_related("prospect", "property")
            .get(pk=conversation_id)
        )
        if locked.taken_over_by_id or locked.status == ConversationStatus.HANDED_OFF:
            return None  # a manager took over while the bot was thinking
        return _bot_turn(locked, reply, message)


def _bot_turn(conversation: Conversation, reply, message: Message, *, pending=None, fields=()) -> Message:
    """Applies an engine's reply in the locked conversation and stores the bot's message, with the
    `pending` messages not stored yet, in one INSERT and one UPDATE. Broadcasts follow the order of
    events: the prospect's message, what the bot learnt, the bot's answer."""
    pending = pending if pending is not None else []
    texts = [reply.text] if reply.text else []
    changed = newly_qualified = False
    learnt = {k: v for k, v in reply.conversation_updates.items() if k in QUALIFICATION_FIELDS}
    if "desired_features" in learnt:
        learnt["desired_features"] = sorted(set(conversation.desired_features or []) | set(learnt["desired_features"]))
    low = learnt.get("price_range_min", conversation.price_range_min)
    high = learnt.get("price_range_max", conversation.price_range_max)
    if low is not None and high is not None and low > high:
        # A new figure contradicts the old range: the new message wins, the old end goes.
        learnt.setdefault("price_range_min" if "price_range_max" in learnt else "price_range_max", None)
    shown = realtime.conversation_payload(conversation)
    if learnt or reply.prospect_updates:
        changed, newly_qualified = _qualify_in_place(conversation, contact=reply.prospect_updates, fields=learnt)
    texts += _run_actions(conversation, reply, message, pending=pending)
    conversation.bot_state = reply.state
    metadata = {"engine": reply.engine, "intents": reply.intents, "in_reply_to": str(message.pk)}
    if reply.fell_back:
        metadata.update(fell_back=True, error=reply.error[:300])
    answer = _new_message(
        conversation,
        sender=MessageSender.BOT,
        text=" ".join(texts) or "Could you tell me a bit more?",
        metadata=metadata,
    )
    written = [*fields, "bot_state", *(QUALIFICATION_WRITE_FIELDS if changed else ())]
    _store(conversation, [*pending, answer], fields=written)
    for stored in pending:
        realtime.broadcast_message(stored)
    if changed:
        # Sockets hear of the conversation only when what they show of it changed (status, flags).
        announce = realtime.conversation_payload(conversation) != shown
        _after_qualification(conversation, newly_qualified=newly_qualified, announce=announce)
    realtime.broadcast_message(answer)
    return answer


def _run_actions(conversation: Conversation, reply, message: Message, *, pending) -> list[str]:
    """Runs what the engine asked for; returns text to add to its reply."""
    extra: list[str] = []
    for action in reply.actions:
        if action.kind == ESCALATE_QUESTION:
            _escalate(conversation, action.data.get("question") or message.text)
        elif action.kind == HANDOFF_REQUEST:
            notifications.notify_property_managers(
                conversation=conversation,
                notification_type=NotificationType.HANDOFF_REQUEST,
                title=f"A prospect at {conversation.property.name} asks for a person",
                body=f'"{action.data.get("message", message.text)[:500]}"',
                dedupe_key=f"handoff:{message.pk}",
            )
        elif action.kind == TOUR_REQUEST:
            notifications.notify_property_managers(
                conversation=conversation,
                notification_type=NotificationType.TOUR_REQUEST,
                title=f"Tour request at {conversation.property.name}",
                body=f'The prospect would like a tour: "{message.text[:500]}"',
                dedupe_key=f"tour-request:{conversation.pk}",
            )
        elif action.kind == BOOK_TOUR:
            extra.append(_bot_book_tour(conversation, action.data, pending=pending))
    return extra


def _escalate(conversation: Conversation, question: str) -> None:
    # The FAQ app creates the pending FAQ and its task, then publishes "faq.question_escalated";
    # our subscriber turns that into the managers' notifications.
    question_escalate(property=conversation.property, question=question, conversation=conversation)


def _bot_book_tour(conversation: Conversation, data: dict, *, pending) -> str:
    """Books through conversation_book_tour, which locks and writes the row itself: what this turn
    changed so far is written first (pending messages included), and read back after."""
    if pending:
        Message.objects.bulk_create(pending)
        for stored in pending:
            realtime.broadcast_message(stored)
        pending.clear()
    conversation.save()
    start = datetime.fromisoformat(data["start"])
    tour_type = data.get("tour_type") or "in_person"
    try:
        with transaction.atomic():
            conversation_book_tour(conversation=conversation, start=start, tour_type=tour_type, source="chat")
    except TourUnavailable as exc:
        logger.info("The bot could not book a tour: %s", exc)
        return "I'm sorry, that time isn't available. Could you suggest another day or time?"
    except ValidationFailed as exc:
        logger.info("The bot could not book a tour: %s", exc)
        if "prospect_name" in (exc.details or {}):
            return "I can book that for you. What name should I put the tour under?"
        return "I couldn't book that time. Could you suggest another day or time?"
    conversation.refresh_from_db()
    local = conversation.tour_datetime.astimezone(ZoneInfo(conversation.property.time_zone))
    when = f"{local:%A, %B} {local.day} at {local:%I:%M %p}".replace(" 0", " ")
    return f"You're booked for a {tour_type.replace('_', '-')} tour on {when}."


def chatbot_test(*, property, message: str, history: list[dict] | None = None, lead: dict | None = None) -> dict:
    """Runs the company's engine on a message without storing anything: the staff's sandbox."""
    message = _validate_text(message)
    company = property.company
    engine = engine_for(company, _chat_settings(company))
    context = BotContext(
        property=property,
        text=message,
        now=timezone.now().astimezone(ZoneInfo(property.time_zone)),
        lead=dict(lead or {}),
        history=[(item.get("sender", "prospect"), item.get("text", "")) for item in history or []],
        knowledge=Knowledge(property),
    )
    reply = engine.reply(context)
    return {
        "reply": reply.text,
        "engine": reply.engine,
        "fell_back": reply.fell_back,
        "intents": reply.intents,
        "extracted": {**reply.conversation_updates, **reply.prospect_updates},
        "actions": [{"kind": action.kind, "data": action.data} for action in reply.actions],
    }


def chat_settings_update(*, company, **fields) -> ChatSettings:
    chat_settings, _ = ChatSettings.objects.get_or_create(company=company)
    for name, value in fields.items():
        setattr(chat_settings, name, value)
    chat_settings.save()
    cache.delete_many([f"widget-origins:{key}" for key in company.properties.values_list("widget_key", flat=True)])
    return chat_settings
