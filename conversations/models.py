import secrets

from django.db import models

from core.models import TimeStampedModel
from tours.models import TourType


class Prospect(TimeStampedModel):
    """A person chatting in the widget (the spec's "user"). Not a staff login.

    Identified anonymously by the browser id the widget keeps in localStorage, until they leave
    contact details.
    """

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="prospects")
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    email = models.EmailField(blank=True, db_index=True)
    phone = models.CharField(max_length=32, blank=True, db_index=True)
    age = models.PositiveSmallIntegerField(null=True, blank=True)
    lead_source = models.CharField(max_length=100, blank=True)
    hubspot_contact_id = models.CharField(max_length=64, blank=True)
    browser_id = models.CharField(max_length=64, null=True, blank=True)
    session_count = models.PositiveIntegerField(default=0)
    last_seen = models.DateTimeField(null=True, blank=True)

    tenant_company_path = "company"

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "browser_id"], name="one_prospect_per_browser_per_company")
        ]

    def __str__(self):
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.email or self.phone or f"Prospect {str(self.pk)[:8]}"

    @classmethod
    def tenant_limit_to_properties(cls, queryset, property_ids):
        """A manager sees the prospects who talked to one of their properties."""
        return queryset.filter(pk__in=Conversation.objects.filter(property_id__in=property_ids).values("prospect_id"))


class ConversationStatus(models.TextChoices):
    ACTIVE = "active"
    QUALIFIED = "qualified"
    TOUR_BOOKED = "tour_booked"
    HANDED_OFF = "handed_off"
    CLOSED = "closed"


# A browser coming back resumes its conversation while it is in one of these.
OPEN_STATUSES = (
    ConversationStatus.ACTIVE,
    ConversationStatus.QUALIFIED,
    ConversationStatus.TOUR_BOOKED,
    ConversationStatus.HANDED_OFF,
)


def new_conversation_token() -> str:
    return secrets.token_urlsafe(32)


class Conversation(TimeStampedModel):
    """One chat between a prospect and a property's bot (and, after a takeover, its managers)."""

    property = models.ForeignKey("properties.Property", on_delete=models.PROTECT, related_name="conversations")
    prospect = models.ForeignKey(
        Prospect, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversations"
    )
    # The widget's secret for this conversation's WebSocket and public routes.
    token = models.CharField(max_length=64, unique=True, default=new_conversation_token, editable=False)
    start_time = models.DateTimeField(auto_now_add=True)
    end_time = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=ConversationStatus.choices, default=ConversationStatus.ACTIVE, db_index=True
    )

    is_qualified = models.BooleanField(default=False)
    pre_qualified = models.BooleanField(default=False)
    lead_score = models.PositiveSmallIntegerField(null=True, blank=True)
    is_book_tour = models.BooleanField(default=False)
    tour_type = models.CharField(max_length=16, choices=TourType.choices, blank=True)
    tour_datetime = models.DateTimeField(null=True, blank=True)
    ai_intent_summary = models.TextField(blank=True)
    apartment_size_preference = models.CharField(max_length=32, blank=True)
    move_in_date = models.DateField(null=True, blank=True)
    price_range_min = models.PositiveIntegerField(null=True, blank=True)
    price_range_max = models.PositiveIntegerField(null=True, blank=True)
    occupants_count = models.PositiveSmallIntegerField(null=True, blank=True)
    has_pets = models.BooleanField(null=True, blank=True)
    pet_details = models.JSONField(default=dict, blank=True)
    desired_features = models.JSONField(default=list, blank=True)
    work_location = models.CharField(max_length=255, blank=True)
    reason_for_moving = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=64, blank=True)
    notification_status = models.JSONField(default=dict, blank=True)

    # Human takeover: while set, the bot stays silent in this conversation.
    taken_over_by = models.ForeignKey(
        "properties.PropertyManager",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="taken_over_conversations",
    )
    last_message_at = models.DateTimeField(null=True, blank=True)
    # Messages get consecutive numbers per conversation, so a reconnecting client asks for "after n".
    message_count = models.PositiveIntegerField(default=0)
    # Where the conversation stood when a manager took it over, to return there on hand-back.
    status_before_handoff = models.CharField(max_length=16, choices=ConversationStatus.choices, blank=True)
    # The local engine's memory between turns (what it last asked, a tour it is arranging).
    bot_state = models.JSONField(default=dict, blank=True)
    tour_unit_interest = models.CharField(max_length=100, blank=True)
    # Set by the first prospect message nobody has answered yet; replies measure their response time.
    awaiting_reply_since = models.DateTimeField(null=True, blank=True)

    tenant_company_path = "property__company"
    tenant_property_path = "property"

    class Meta:
        ordering = ["-start_time", "id"]
        indexes = [models.Index(fields=["property", "status", "start_time"])]

    def __str__(self):
        return f"Conversation {str(self.pk)[:8]} at {self.property_id}"


class MessageSender(models.TextChoices):
    PROSPECT = "prospect"
    BOT = "bot"
    MANAGER = "manager"
    SYSTEM = "system"


class Message(TimeStampedModel):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.CharField(max_length=16, choices=MessageSender.choices)
    sender_manager = models.ForeignKey(
        "properties.PropertyManager", on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    text = models.TextField(max_length=4000)
    # The client's idempotency key: a retried send is stored once.
    client_message_id = models.CharField(max_length=64, null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    # Position in the conversation, from 1 (see Conversation.message_count).
    seq = models.PositiveIntegerField(null=True, editable=False)
    # For bot and manager replies: how long the prospect had been waiting for an answer.
    response_ms = models.PositiveIntegerField(null=True, blank=True)

    tenant_company_path = "conversation__property__company"
    tenant_property_path = "conversation__property"

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "created_at"])]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "client_message_id"], name="one_message_per_client_id"),
            models.UniqueConstraint(fields=["conversation", "seq"], name="one_message_per_position"),
        ]

    def __str__(self):
        return f"{self.sender}: {self.text[:40]}"


class ProspectSession(TimeStampedModel):
    """One visit of a browser to a property's widget (the spec's user sessions)."""

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="sessions")
    property = models.ForeignKey("properties.Property", on_delete=models.CASCADE, related_name="prospect_sessions")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now_add=True)
    page_url = models.URLField(max_length=1000, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)

    tenant_company_path = "property__company"
    tenant_property_path = "property"

    class Meta:
        ordering = ["-started_at", "id"]
        indexes = [models.Index(fields=["prospect", "started_at"])]

    def __str__(self):
        return f"Session of {self.prospect_id} at {self.started_at:%Y-%m-%d %H:%M}"


class NotificationType(models.TextChoices):
    QUALIFIED_LEAD = "qualified_lead", "New qualified lead"
    TOUR_REQUEST = "tour_request", "Tour request"
    HANDOFF_REQUEST = "handoff_request", "Handoff request"
    UNANSWERED_QUESTION = "unanswered_question", "Unanswered question"
    MANUAL = "manual", "Sent by staff"


class NotificationStatus(models.TextChoices):
    PENDING = "pending"
    SENT = "sent"
    READ = "read"
    RESPONDED = "responded"
    FAILED = "failed"


class DeliveryState(models.TextChoices):
    """Per channel, in LeadNotification.delivery."""

    DISABLED = "disabled"
    QUEUED = "queued"
    HELD = "held"  # waiting for the manager's quiet hours to end
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class LeadNotification(TimeStampedModel):
    """Something a manager should act on, stored, pushed live and emailed per their preferences."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notifications")
    property_manager = models.ForeignKey(
        "properties.PropertyManager",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="lead_notifications",
    )
    notification_type = models.CharField(max_length=32, choices=NotificationType.choices)
    status = models.CharField(
        max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING, db_index=True
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, max_length=4000)
    payload = models.JSONField(default=dict, blank=True)
    # {"websocket": DeliveryState, "email": DeliveryState}
    delivery = models.JSONField(default=dict, blank=True)
    # Makes event handling idempotent: the same event never notifies the same manager twice.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    response_at = models.DateTimeField(null=True, blank=True)

    tenant_company_path = "conversation__property__company"
    tenant_property_path = "conversation__property"

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["property_manager", "status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["property_manager", "dedupe_key"], name="one_notification_per_manager_and_event"
            )
        ]

    def __str__(self):
        return f"{self.get_notification_type_display()} for {self.property_manager_id}"


def all_notification_types() -> list[str]:
    return [choice.value for choice in NotificationType]


def default_channels() -> dict:
    return {"websocket": True, "email": True}


class NotificationPreference(TimeStampedModel):
    """How one manager wants to hear of leads. Without a row, every type on every channel."""

    property_manager = models.OneToOneField(
        "properties.PropertyManager", on_delete=models.CASCADE, related_name="notification_preference"
    )
    channels = models.JSONField(default=default_channels)
    event_types = models.JSONField(default=all_notification_types)
    # Emails wait while the manager's local clock is inside [start, end) (the span may cross midnight).
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="America/New_York")

    tenant_company_path = "property_manager__company"

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"Notification preferences of {self.property_manager_id}"


class ReplyEngineChoice(models.TextChoices):
    AUTO = "auto", "OpenAI when the company has a key, else local"
    LOCAL = "local", "Local engine only"


class ChatSettings(TimeStampedModel):
    """A company's chat settings that are not the properties' own (kept here, beside the chat)."""

    company = models.OneToOneField("companies.Company", on_delete=models.CASCADE, related_name="chat_settings")
    # Extra origins (scheme://host[:port]) that may embed every property's widget, beside each
    # property's own website_url.
    allowed_origins = models.JSONField(default=list, blank=True)
    reply_engine = models.CharField(max_length=16, choices=ReplyEngineChoice.choices, default=ReplyEngineChoice.AUTO)
    openai_model = models.CharField(max_length=64, default="gpt-4o-mini")

    tenant_company_path = "company"

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "chat settings"

    def __str__(self):
        return f"Chat settings of {self.company_id}"
