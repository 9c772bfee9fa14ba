import secrets

from django.db import models

from core.models import TimeStampedModel


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


class TourType(models.TextChoices):
    IN_PERSON = "in_person"
    VIRTUAL = "virtual"
    SELF_GUIDED = "self_guided"


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

    tenant_company_path = "conversation__property__company"
    tenant_property_path = "conversation__property"

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "created_at"])]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "client_message_id"], name="one_message_per_client_id")
        ]

    def __str__(self):
        return f"{self.sender}: {self.text[:40]}"
