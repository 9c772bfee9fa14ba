"""Per-conversation engagement analytics, the events behind them, and their forwarding to Amplitude.

- `ConversationAnalytics` is the spec's AmplitudeAnalyticsAPI record: one row per conversation,
  recomputed from what we store (messages, contact, tours, escalations) and from the widget's events
  (`analytics.metrics` holds the rules). It is derived data: recomputing it never loses anything.
- `AnalyticsEvent` is one thing that happened, stored once per (conversation, event id): a click the
  widget reported, or a domain event of the chat (contact captured, tour booked, ...). It is also the
  Amplitude outbox: its primary key is the `insert_id` Amplitude deduplicates on, so a retried send
  never counts twice.
- `AmplitudeState` is one company's forwarding health (what the health check reads).
"""

from django.db import models

from core.models import TimeStampedModel


class EngagementLevel(models.TextChoices):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ConversationAnalytics(TimeStampedModel):
    conversation = models.OneToOneField(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="analytics"
    )
    # Copied from the conversation so that per-property, per-period reads need no join.
    property = models.ForeignKey("properties.Property", on_delete=models.CASCADE, related_name="+")
    prospect = models.ForeignKey(
        "conversations.Prospect", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(help_text="When the conversation started.")

    # Core engagement metrics
    chat_session_started = models.BooleanField(default=False)
    user_messages_sent = models.PositiveIntegerField(default=0)
    bot_messages_received = models.PositiveIntegerField(default=0)
    answer_button_clicks = models.PositiveIntegerField(default=0)
    contact_captured = models.BooleanField(default=False)
    contact_method = models.CharField(max_length=16, blank=True)
    tour_booked = models.BooleanField(default=False)
    tour_type = models.CharField(max_length=16, blank=True)
    email_office_clicked = models.PositiveIntegerField(default=0)
    phone_call_clicked = models.PositiveIntegerField(default=0)
    incentive_offered = models.BooleanField(default=False)
    incentive_accepted = models.BooleanField(default=False)
    incentive_expired = models.BooleanField(default=False)
    admin_handoff_triggered = models.BooleanField(default=False)
    customer_service_escalated = models.BooleanField(default=False)
    conversation_abandoned = models.BooleanField(default=False)
    widget_session_ended = models.BooleanField(default=False)
    widget_minimized = models.PositiveIntegerField(default=0)

    # Calculated metrics
    session_duration = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds.")
    engagement_score = models.CharField(max_length=8, choices=EngagementLevel.choices, blank=True)
    engagement_points = models.IntegerField(default=0)
    qualified = models.BooleanField(default=False)
    pre_lease = models.BooleanField(default=False)
    tour_intent = models.BooleanField(default=False)
    hot = models.BooleanField(default=False)
    signed = models.BooleanField(default=False)

    # Session tracking (the widget's latest report)
    device_id = models.CharField(max_length=128, blank=True)
    session_id = models.CharField(max_length=128, blank=True)
    page_url = models.URLField(max_length=1000, blank=True)

    # What the sweeps need: when the prospect last wrote (abandonment) and when this was computed
    # (a conversation changed after it is recomputed).
    last_prospect_message_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField()

    tenant_company_path = "property__company"
    tenant_property_path = "property"

    class Meta:
        ordering = ["-started_at", "id"]
        verbose_name = "conversation analytics"
        verbose_name_plural = "conversation analytics"
        indexes = [
            models.Index(fields=["property", "started_at"]),
            models.Index(
                fields=["last_prospect_message_at"],
                name="analytics_abandon_candidates",
                condition=models.Q(
                    chat_session_started=True,
                    conversation_abandoned=False,
                    contact_captured=False,
                    tour_booked=False,
                ),
            ),
        ]

    def __str__(self):
        return f"Analytics of {self.conversation_id}"


class EventType(models.TextChoices):
    # Reported by the widget (or by staff on its behalf).
    CHAT_SESSION_STARTED = "chat_session_started"
    ANSWER_BUTTON_CLICKED = "answer_button_clicked"
    EMAIL_OFFICE_CLICKED = "email_office_clicked"
    PHONE_CALL_CLICKED = "phone_call_clicked"
    WIDGET_MINIMIZED = "widget_minimized"
    WIDGET_SESSION_ENDED = "widget_session_ended"
    INCENTIVE_OFFERED = "incentive_offered"
    INCENTIVE_ACCEPTED = "incentive_accepted"
    INCENTIVE_EXPIRED = "incentive_expired"
    # Recorded by the server from the chat's domain events.
    CONTACT_CAPTURED = "contact_captured"
    TOUR_BOOKED = "tour_booked"
    TOUR_RESCHEDULED = "tour_rescheduled"
    TOUR_CANCELLED = "tour_cancelled"
    TOUR_COMPLETED = "tour_completed"
    TOUR_NO_SHOW = "tour_no_show"
    QUESTION_ESCALATED = "question_escalated"
    # Recorded by the server when a calculated flag first turns true.
    LEAD_QUALIFIED = "lead_qualified"
    LEAD_PRE_LEASE = "lead_pre_lease"
    TOUR_INTENT = "tour_intent"
    LEAD_HOT = "lead_hot"
    LEAD_SIGNED = "lead_signed"
    ADMIN_HANDOFF_TRIGGERED = "admin_handoff_triggered"
    CONVERSATION_ABANDONED = "conversation_abandoned"


# What a client may report; everything else only the server records (a browser must not be able to
# claim that a tour was booked).
CLIENT_EVENT_TYPES = (
    EventType.CHAT_SESSION_STARTED,
    EventType.ANSWER_BUTTON_CLICKED,
    EventType.EMAIL_OFFICE_CLICKED,
    EventType.PHONE_CALL_CLICKED,
    EventType.WIDGET_MINIMIZED,
    EventType.WIDGET_SESSION_ENDED,
    EventType.INCENTIVE_OFFERED,
    EventType.INCENTIVE_ACCEPTED,
    EventType.INCENTIVE_EXPIRED,
)


class EventSource(models.TextChoices):
    WIDGET = "widget"
    STAFF = "staff"
    SERVER = "server"


class ForwardStatus(models.TextChoices):
    NOT_FORWARDED = "not_forwarded", "Not forwarded (no Amplitude key)"
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (needs a human)"


class AnalyticsEvent(TimeStampedModel):
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="analytics_events"
    )
    property = models.ForeignKey("properties.Property", on_delete=models.CASCADE, related_name="+")
    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="+")
    # The sender's idempotency key: the same id for the same conversation is stored once.
    event_id = models.CharField(max_length=100)
    event_type = models.CharField(max_length=40, choices=EventType.choices)
    source = models.CharField(max_length=8, choices=EventSource.choices)
    occurred_at = models.DateTimeField()
    properties = models.JSONField(default=dict, blank=True)
    device_id = models.CharField(max_length=128, blank=True)
    session_id = models.CharField(max_length=128, blank=True)

    # The Amplitude outbox.
    forward_status = models.CharField(max_length=16, choices=ForwardStatus.choices, default=ForwardStatus.NOT_FORWARDED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    replay_count = models.PositiveSmallIntegerField(default=0)

    tenant_company_path = "company"
    tenant_property_path = "property"

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["conversation", "event_id"], name="one_analytics_event_per_id")]
        indexes = [
            models.Index(fields=["conversation", "event_type"]),
            models.Index(fields=["forward_status", "company", "next_attempt_at"]),
            models.Index(fields=["claim_token"]),
        ]

    def __str__(self):
        return f"{self.event_type} ({self.event_id})"


class AmplitudeState(TimeStampedModel):
    """How forwarding to one company's Amplitude project went lately."""

    company = models.OneToOneField("companies.Company", on_delete=models.CASCADE, related_name="amplitude_state")
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    events_sent = models.PositiveBigIntegerField(default=0)

    tenant_company_path = "company"

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "Amplitude forwarding state"

    def __str__(self):
        return f"Amplitude forwarding of {self.company_id}"
