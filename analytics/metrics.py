"""The rules that turn what we know of a conversation into its analytics record. Pure: no database.

Engagement counters and flags

| field                        | rule                                                                   |
|------------------------------|------------------------------------------------------------------------|
| chat_session_started         | the prospect wrote at least once, or the widget reported the chat open |
| user_messages_sent           | messages from the prospect                                             |
| bot_messages_received        | messages from the bot                                                  |
| contact_captured             | the prospect left an email or a phone number                           |
| contact_method               | "email", "phone" or "email_and_phone"                                  |
| tour_booked, tour_type       | a tour of this conversation that is not cancelled (without tour rows:  |
|                              | the conversation's own booking flag and type)                          |
| admin_handoff_triggered      | a manager took the conversation over or wrote in it, or the prospect   |
|                              | asked for a person                                                     |
| customer_service_escalated   | the bot passed one of the prospect's questions on to the managers      |
| conversation_abandoned       | the chat started, the prospect's last message is more than             |
|                              | ANALYTICS_ABANDON_MINUTES old, and neither contact nor tour was had    |
| widget counters and flags    | the widget's events: answer-button clicks, email-office and phone      |
|                              | clicks, minimizes (counts), session ended and incentives (flags)       |

Calculated metrics

| field            | rule                                                                                  |
|------------------|---------------------------------------------------------------------------------------|
| session_duration | seconds from the conversation's start to its last activity (a message that is not a   |
|                  | system notice, or a widget event); none before the chat starts                        |
| engagement_score | the points below: "high" from 12, "medium" from 5, else "low"; none before the chat   |
|                  | starts                                                                                |
| qualified        | the chat's own rule (conversations.scoring): reachable and a lead score of 50 or more |
| pre_lease        | a move-in date more than 60 days after the conversation started (shopping ahead)      |
| tour_intent      | the prospect asked for a tour, or booked one                                          |
| hot              | qualified, and a tour booked or a tour asked for with a move-in within 60 days of the |
|                  | conversation's start                                                                  |
| signed           | a tour of this conversation was recorded with the outcome "leased"                    |

Engagement points

| signal                                    | points        |
|-------------------------------------------|---------------|
| each prospect message                     | 1 (up to 10)  |
| each answer-button click                  | 1 (up to 5)   |
| contact captured                          | 4             |
| tour intent                               | 2             |
| tour booked                               | 4             |
| an email-office or phone-call click       | 3 (once)      |
| incentive accepted                        | 2             |
| a session of 3 minutes or more            | 2             |
| abandoned                                 | -2            |
"""

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

HIGH_POINTS = 12
MEDIUM_POINTS = 5
MESSAGE_POINTS_CAP = 10
BUTTON_POINTS_CAP = 5
LONG_SESSION_SECONDS = 180
PRE_LEASE_DAYS = 60
SOON_DAYS = 60

RULES = {
    "chat_session_started": "The prospect wrote at least once, or the widget reported the chat open.",
    "user_messages_sent": "Messages from the prospect.",
    "bot_messages_received": "Messages from the bot.",
    "contact_captured": "The prospect left an email or a phone number.",
    "contact_method": "'email', 'phone' or 'email_and_phone'.",
    "tour_booked": "A tour of this conversation that is not cancelled (or the conversation's own booking flag).",
    "admin_handoff_triggered": "A manager took over or wrote, or the prospect asked for a person.",
    "customer_service_escalated": "The bot passed a question on to the managers.",
    "conversation_abandoned": (
        "The chat started, the prospect's last message is older than abandon_after_minutes, "
        "and neither contact nor tour was captured."
    ),
    "session_duration": "Seconds from the conversation's start to its last message or widget event.",
    "engagement_score": (
        f"Points: 1 per prospect message (up to {MESSAGE_POINTS_CAP}), 1 per answer-button click (up to "
        f"{BUTTON_POINTS_CAP}), contact 4, tour intent 2, tour booked 4, an email-office or phone click 3, "
        f"incentive accepted 2, a session of {LONG_SESSION_SECONDS // 60} minutes or more 2, abandoned -2. "
        f"high from {HIGH_POINTS}, medium from {MEDIUM_POINTS}, else low; none before the chat starts."
    ),
    "qualified": "The chat's rule: reachable (email or phone) and a lead score of 50 or more.",
    "pre_lease": f"A move-in date more than {PRE_LEASE_DAYS} days after the conversation started.",
    "tour_intent": "The prospect asked for a tour, or booked one.",
    "hot": (
        f"Qualified, and a tour booked or a tour asked for with a move-in within {SOON_DAYS} days "
        "of the conversation's start."
    ),
    "signed": "A tour of this conversation was recorded with the outcome 'leased'.",
}


@dataclass
class MetricInputs:
    """Everything the rules read, gathered by `analytics.selectors.metric_inputs_many`."""

    started_at: datetime
    prospect_messages: int = 0
    bot_messages: int = 0
    manager_messages: int = 0
    last_prospect_message_at: datetime | None = None
    last_message_at: datetime | None = None
    has_email: bool = False
    has_phone: bool = False
    is_qualified: bool = False
    move_in_date: date | None = None
    conversation_tour_booked: bool = False
    conversation_tour_type: str = ""
    # Tours of this conversation, oldest first: (status, tour_type, outcome).
    tours: list[tuple[str, str, str]] = field(default_factory=list)
    tour_requested: bool = False
    handoff_requested: bool = False
    taken_over: bool = False
    escalated: bool = False
    # Widget events by type: how many, and when the last one arrived.
    event_counts: dict[str, int] = field(default_factory=dict)
    last_event_at: datetime | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Metrics:
    chat_session_started: bool
    user_messages_sent: int
    bot_messages_received: int
    answer_button_clicks: int
    contact_captured: bool
    contact_method: str
    tour_booked: bool
    tour_type: str
    email_office_clicked: int
    phone_call_clicked: int
    incentive_offered: bool
    incentive_accepted: bool
    incentive_expired: bool
    admin_handoff_triggered: bool
    customer_service_escalated: bool
    conversation_abandoned: bool
    widget_session_ended: bool
    widget_minimized: int
    session_duration: int | None
    engagement_score: str
    engagement_points: int
    qualified: bool
    pre_lease: bool
    tour_intent: bool
    hot: bool
    signed: bool
    last_prospect_message_at: datetime | None

    def as_dict(self) -> dict:
        return asdict(self)


# Calculated flags whose first turn to true is itself an event (forwarded to Amplitude once).
FLAG_EVENTS = {
    "qualified": "lead_qualified",
    "pre_lease": "lead_pre_lease",
    "tour_intent": "tour_intent",
    "hot": "lead_hot",
    "signed": "lead_signed",
    "admin_handoff_triggered": "admin_handoff_triggered",
    "conversation_abandoned": "conversation_abandoned",
}

CANCELLED = "cancelled"
LEASED = "leased"


def _tour(inputs: MetricInputs) -> tuple[bool, str]:
    if inputs.tours:
        standing = [tour for tour in inputs.tours if tour[0] != CANCELLED]
        return (True, standing[-1][1]) if standing else (False, "")
    if inputs.conversation_tour_booked:
        return True, inputs.conversation_tour_type
    return False, ""


def _contact_method(inputs: MetricInputs) -> str:
    if inputs.has_email and inputs.has_phone:
        return "email_and_phone"
    return "email" if inputs.has_email else "phone" if inputs.has_phone else ""


def _days_to_move_in(inputs: MetricInputs) -> int | None:
    if inputs.move_in_date is None:
        return None
    return (inputs.move_in_date - inputs.started_at.date()).days


def engagement_points(
    *,
    prospect_messages: int,
    button_clicks: int,
    contact: bool,
    tour_intent: bool,
    tour_booked: bool,
    office_contact_clicks: int,
    incentive_accepted: bool,
    session_duration: int | None,
    abandoned: bool,
) -> int:
    points = min(prospect_messages, MESSAGE_POINTS_CAP) + min(button_clicks, BUTTON_POINTS_CAP)
    points += 4 if contact else 0
    points += 2 if tour_intent else 0
    points += 4 if tour_booked else 0
    points += 3 if office_contact_clicks else 0
    points += 2 if incentive_accepted else 0
    points += 2 if session_duration is not None and session_duration >= LONG_SESSION_SECONDS else 0
    points -= 2 if abandoned else 0
    return points


def engagement_level(points: int) -> str:
    if points >= HIGH_POINTS:
        return "high"
    return "medium" if points >= MEDIUM_POINTS else "low"


def compute(inputs: MetricInputs, *, now: datetime, abandon_after: timedelta) -> Metrics:
    counts = inputs.event_counts
    started = inputs.prospect_messages > 0 or counts.get("chat_session_started", 0) > 0
    contact = inputs.has_email or inputs.has_phone
    tour_booked, tour_type = _tour(inputs)
    tour_intent = tour_booked or inputs.tour_requested
    abandoned = (
        started
        and not contact
        and not tour_booked
        and inputs.last_prospect_message_at is not None
        and now - inputs.last_prospect_message_at > abandon_after
    )
    last_activity = max(filter(None, [inputs.last_message_at, inputs.last_event_at]), default=None)
    duration = None
    if started and last_activity is not None:
        duration = max(int((last_activity - inputs.started_at).total_seconds()), 0)
    office_clicks = counts.get("email_office_clicked", 0) + counts.get("phone_call_clicked", 0)
    points = engagement_points(
        prospect_messages=inputs.prospect_messages,
        button_clicks=counts.get("answer_button_clicked", 0),
        contact=contact,
        tour_intent=tour_intent,
        tour_booked=tour_booked,
        office_contact_clicks=office_clicks,
        incentive_accepted=counts.get("incentive_accepted", 0) > 0,
        session_duration=duration,
        abandoned=abandoned,
    )
    days_to_move_in = _days_to_move_in(inputs)
    move_in_soon = days_to_move_in is not None and days_to_move_in <= SOON_DAYS
    qualified = inputs.is_qualified
    return Metrics(
        chat_session_started=started,
        user_messages_sent=inputs.prospect_messages,
        bot_messages_received=inputs.bot_messages,
        answer_button_clicks=counts.get("answer_button_clicked", 0),
        contact_captured=contact,
        contact_method=_contact_method(inputs),
        tour_booked=tour_booked,
        tour_type=tour_type,
        email_office_clicked=counts.get("email_office_clicked", 0),
        phone_call_clicked=counts.get("phone_call_clicked", 0),
        incentive_offered=counts.get("incentive_offered", 0) > 0,
        incentive_accepted=counts.get("incentive_accepted", 0) > 0,
        incentive_expired=counts.get("incentive_expired", 0) > 0,
        admin_handoff_triggered=inputs.taken_over or inputs.manager_messages > 0 or inputs.handoff_requested,
        customer_service_escalated=inputs.escalated,
        conversation_abandoned=abandoned,
        widget_session_ended=counts.get("widget_session_ended", 0) > 0,
        widget_minimized=counts.get("widget_minimized", 0),
        session_duration=duration,
        engagement_score=engagement_level(points) if started else "",
        engagement_points=points if started else 0,
        qualified=qualified,
        pre_lease=days_to_move_in is not None and days_to_move_in > PRE_LEASE_DAYS,
        tour_intent=tour_intent,
        hot=qualified and (tour_booked or (inputs.tour_requested and move_in_soon)),
        signed=any(tour[2] == LEASED for tour in inputs.tours),
        last_prospect_message_at=inputs.last_prospect_message_at,
    )
