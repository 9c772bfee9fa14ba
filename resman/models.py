"""What the ResMan integration keeps on our side.

- `CompanyResManSettings`: the per-company webhook secret (and its connection health).
- `PropertyResManSettings`: per property, the lead-poll cursor, the unit-sync schedule and the
  default prospect source, leasing agent and lost reason used when no mapping applies.
- `ResManReference`: the pick lists pulled from ResMan (prospect sources, employees, lost reasons),
  and `SourceMapping` / `AgentMapping`, which turn our lead sources and managers into their ids.
- `LeadLink`: one of our prospects as one ResMan guest card (ProspectID + PersonID) at one property,
  with the field values both sides last agreed on (the base of conflict detection).
- `OutboxItem`: every write to ResMan, persisted before it is sent, with its idempotency key.
- `SyncConflict`: a field that changed on both sides, with both values, until someone resolves it.
- `ResManEvent`: the events of a guest card (contacts, appointments, cancels) as ResMan has them.
- `TourLink`: a tour of ours sent to ResMan as an appointment event.
- `FloorPlan` / `Unit`: GetMarketing4_0, with availability and offer-term pricing.
- `WebhookDelivery`: each accepted webhook, unique by its event id, so a redelivery is applied once.
"""

import builtins
import secrets

from django.db import models
from django.db.models import Q

from core.fields import EncryptedTextField
from core.models import TimeStampedModel


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class CompanyResManSettings(TimeStampedModel):
    company = models.OneToOneField("companies.Company", on_delete=models.CASCADE, related_name="resman_settings")
    webhook_secret = EncryptedTextField(default=new_webhook_secret)
    # Connection health, written after every call to ResMan (the health check reads it).
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)

    tenant_company_path = "company"

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "company ResMan settings"
        verbose_name_plural = "company ResMan settings"

    def __str__(self):
        return f"ResMan settings of {self.company}"


class SyncFrequency(models.TextChoices):
    OFF = "off", "Off"
    HOURLY = "hourly", "Hourly"
    DAILY = "daily", "Daily"


class PropertyResManSettings(TimeStampedModel):
    property = models.OneToOneField("properties.Property", on_delete=models.CASCADE, related_name="resman_settings")
    default_source_id = models.CharField(max_length=64, blank=True, help_text="ResMan prospect-source ID.")
    default_agent_id = models.CharField(max_length=64, blank=True, help_text="ResMan employee ID.")
    default_lost_reason_id = models.CharField(max_length=64, blank=True, help_text="ResMan lost-reason ID.")
    # Lead poll: everything ResMan changed before the cursor is stored here.
    lead_cursor = models.DateTimeField(null=True, blank=True)
    last_poll_at = models.DateTimeField(null=True, blank=True)
    last_poll_error = models.CharField(max_length=500, blank=True)
    poll_claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    units_sync_frequency = models.CharField(max_length=8, choices=SyncFrequency.choices, default=SyncFrequency.DAILY)
    units_synced_at = models.DateTimeField(null=True, blank=True)
    units_sync_error = models.CharField(max_length=500, blank=True)
    references_synced_at = models.DateTimeField(null=True, blank=True)

    tenant_company_path = "property__company"
    tenant_property_path = "property"

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "property ResMan settings"
        verbose_name_plural = "property ResMan settings"

    def __str__(self):
        return f"ResMan settings of {self.property}"


class ReferenceKind(models.TextChoices):
    SOURCE = "source", "Prospect source"
    EMPLOYEE = "employee", "Employee"
    LOST_REASON = "lost_reason", "Lost reason"


class ResManReference(TimeStampedModel):
    property = models.ForeignKey("properties.Property", on_delete=models.CASCADE, related_name="resman_references")
    kind = models.CharField(max_length=16, choices=ReferenceKind.choices)
    resman_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)

    tenant_company_path = "property__company"
    tenant_property_path = "property"

    class Meta:
        ordering = ["kind", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["property", "kind", "resman_id"], name="one_resman_reference_per_id")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.name} ({self.resman_id})"


class SourceMapping(TimeStampedModel):
    """Our lead source ("chat", "website", ...) as a ResMan prospect source at one property."""

    property = models.ForeignKey("properties.Property", on_delete=models.CASCADE, related_name="resman_sources")
    lead_source = models.CharField(max_length=64)
    resman_source_id = models.CharField(max_length=64)

    tenant_company_path = "property__company"
    tenant_property_path = "property"

    class Meta:
        ordering = ["lead_source", "id"]
        constraints = [models.UniqueConstraint(fields=["property", "lead_source"], name="one_source_mapping")]

    def __str__(self):
        return f"{self.lead_source} → {self.resman_source_id}"


class AgentMapping(TimeStampedModel):
    """A manager as a ResMan employee (leasing agent) at one property."""

    property = models.ForeignKey("properties.Property", on_delete=models.CASCADE, related_name="resman_agents")
    property_manager = models.ForeignKey(
        "properties.PropertyManager", on_delete=models.CASCADE, related_name="resman_agents"
    )
    resman_employee_id = models.CharField(max_length=64)

    tenant_company_path = "property__company"
    tenant_property_path = "property"

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["property", "property_manager"], name="one_agent_mapping")]

    def __str__(self):
        return f"{self.property_manager_id} → {self.resman_employee_id}"


class LeadStatus(models.TextChoices):
    ACTIVE = "active", "Active prospect"
    LOST = "lost", "Lost"


class LeadLink(TimeStampedModel):
    """One prospect of ours as one ResMan guest card at one property.

    The ids are blank until the first push (or the first pull) links it. `synced_values` holds the
    tracked fields as both sides last agreed on them: a field that differs from it on both sides is
    a conflict.
    """

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="+")
    property = models.ForeignKey("properties.Property", on_delete=models.CASCADE, related_name="resman_leads")
    prospect = models.ForeignKey(
        "conversations.Prospect", on_delete=models.CASCADE, null=True, blank=True, related_name="resman_links"
    )
    resman_prospect_id = models.CharField(max_length=64, null=True, blank=True)
    resman_person_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=8, choices=LeadStatus.choices, default=LeadStatus.ACTIVE)
    synced_values = models.JSONField(default=dict, blank=True)
    # The content last read from ResMan; the same content read again (by poll after a webhook) is skipped.
    pulled_fingerprint = models.CharField(max_length=64, blank=True)
    pushed_fingerprint = models.CharField(max_length=64, blank=True)
    resman_modified_at = models.DateTimeField(null=True, blank=True)
    last_pushed_at = models.DateTimeField(null=True, blank=True)
    last_pulled_at = models.DateTimeField(null=True, blank=True)
    # A guest card merged into another (in `contacts_merge`): kept so that polls do not revive it.
    merged_into = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    push_claimed_until = models.DateTimeField(null=True, blank=True, editable=False)

    tenant_company_path = "company"
    tenant_property_path = "property"

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["property", "prospect"], name="one_resman_lead_per_prospect"),
            models.UniqueConstraint(fields=["property", "resman_prospect_id"], name="one_lead_per_resman_prospect"),
        ]
        indexes = [models.Index(fields=["company", "resman_prospect_id"])]

    def __str__(self):
        return f"{self.prospect_id} ↔ {self.resman_prospect_id or 'unlinked'} at {self.property_id}"

    @builtins.property
    def is_linked(self) -> bool:
        return bool(self.resman_prospect_id)


class OutboxKind(models.TextChoices):
    LEAD_PUSH = "lead_push", "Push a lead"
    LEAD_STATUS = "lead_status", "Lost / reactivated"
    TOUR_BOOK = "tour_book", "Book a tour"
    TOUR_UPDATE = "tour_update", "Move a tour"
    TOUR_CANCEL = "tour_cancel", "Cancel a tour"
    CONTACT_MERGE = "contact_merge", "Merge guest cards"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed (needs a human)"
    SKIPPED = "skipped", "Skipped"


class OutboxItem(TimeStampedModel):
    """A write to ResMan, stored before it is sent; its key makes a duplicate request a no-op."""

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="+")
    property = models.ForeignKey("properties.Property", on_delete=models.CASCADE, related_name="resman_outbox")
    kind = models.CharField(max_length=16, choices=OutboxKind.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    prospect = models.ForeignKey(
        "conversations.Prospect", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    tour = models.ForeignKey("tours.Tour", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=8)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(max_length=1000, blank=True)
    last_error_code = models.CharField(max_length=32, blank=True)
    result = models.JSONField(default=dict, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    replay_count = models.PositiveSmallIntegerField(default=0)

    tenant_company_path = "company"
    tenant_property_path = "property"

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["company", "status", "created_at"]),
            models.Index(fields=["kind", "property", "prospect", "status"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.status})"


class ConflictStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class ConflictResolution(models.TextChoices):
    OURS = "ours", "Keep ours"
    THEIRS = "theirs", "Keep ResMan's"
    VALUE = "value", "Use a given value"


class SyncConflict(TimeStampedModel):
    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="+")
    property = models.ForeignKey("properties.Property", on_delete=models.CASCADE, related_name="resman_conflicts")
    lead = models.ForeignKey(LeadLink, on_delete=models.CASCADE, related_name="conflicts")
    field = models.CharField(max_length=64)
    base_value = models.JSONField(null=True, blank=True)
    our_value = models.JSONField(null=True, blank=True)
    their_value = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=ConflictStatus.choices, default=ConflictStatus.OPEN)
    resolution = models.CharField(max_length=8, choices=ConflictResolution.choices, blank=True)
    resolved_value = models.JSONField(null=True, blank=True)
    resolved_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)

    tenant_company_path = "company"
    tenant_property_path = "property"

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "field"], condition=Q(status="open"), name="one_open_conflict_per_field"
            )
        ]

    def __str__(self):
        return f"{self.field} of {self.lead_id} ({self.status})"


class ResManEvent(TimeStampedModel):
    """An event of a guest card as ResMan reports it, stored once (by its content key)."""

    lead = models.ForeignKey(LeadLink, on_delete=models.CASCADE, related_name="events")
    event_key = models.CharField(max_length=64)
    event_type = models.CharField(max_length=32)
    event_date = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=100, blank=True, help_text="EventID, when the event has one.")
    agent_id = models.CharField(max_length=64, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    first_contact = models.BooleanField(default=False)
    comments = models.TextField(blank=True)
    reasons = models.CharField(max_length=500, blank=True)

    tenant_company_path = "lead__company"
    tenant_property_path = "lead__property"

    class Meta:
        ordering = ["event_date", "id"]
        constraints = [models.UniqueConstraint(fields=["lead", "event_key"], name="one_resman_event_per_key")]
        indexes = [models.Index(fields=["event_type", "event_date"])]

    def __str__(self):
        return f"{self.event_type} {self.event_date:%Y-%m-%d %H:%M}" if self.event_date else self.event_type


class TourLink(TimeStampedModel):
    """A tour of ours, sent to ResMan as an appointment event (EventID = the tour's id)."""

    tour = models.OneToOneField("tours.Tour", on_delete=models.CASCADE, related_name="resman_link")
    lead = models.ForeignKey(LeadLink, on_delete=models.CASCADE, related_name="tours")
    pushed_datetime = models.DateTimeField(null=True, blank=True, help_text="The appointment time ResMan has (UTC).")
    cancelled_at = models.DateTimeField(null=True, blank=True, help_text="When the cancellation was recorded.")

    tenant_company_path = "lead__company"
    tenant_property_path = "lead__property"

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"Tour {self.tour_id} on guest card {self.lead_id}"


class FloorPlan(TimeStampedModel):
    property = models.ForeignKey("properties.Property", on_delete=models.CASCADE, related_name="floor_plans")
    resman_id = models.CharField(max_length=64, help_text="Floorplan@IDValue, the floor-plan code.")
    name = models.CharField(max_length=200)
    bedrooms = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    bathrooms = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    square_feet_min = models.PositiveIntegerField(null=True, blank=True)
    square_feet_max = models.PositiveIntegerField(null=True, blank=True)
    market_rent_min = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    market_rent_max = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    effective_rent_min = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    effective_rent_max = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    deposit = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    unit_count = models.PositiveIntegerField(default=0)
    units_available = models.PositiveIntegerField(default=0)

    tenant_company_path = "property__company"
    tenant_property_path = "property"

    class Meta:
        ordering = ["bedrooms", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["property", "resman_id"], name="one_floor_plan_per_code")]

    def __str__(self):
        return self.name


class Unit(TimeStampedModel):
    property = models.ForeignKey("properties.Property", on_delete=models.CASCADE, related_name="units")
    floor_plan = models.ForeignKey(FloorPlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="units")
    resman_id = models.CharField(max_length=64, help_text="ILS_Unit@IDValue, the unit number.")
    marketing_name = models.CharField(max_length=100, blank=True)
    building = models.CharField(max_length=100, blank=True)
    floor = models.CharField(max_length=16, blank=True)
    bedrooms = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    bathrooms = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    square_feet = models.PositiveIntegerField(null=True, blank=True)
    market_rent = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    effective_rent_min = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    effective_rent_max = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    economic_status = models.CharField(max_length=32, blank=True)
    occupancy_status = models.CharField(max_length=32, blank=True)
    leased_status = models.CharField(max_length=32, blank=True)
    is_available = models.BooleanField(default=False, db_index=True)
    available_date = models.DateField(null=True, blank=True)
    # [{"term": 12, "rent": "1850.00"}, ...]: ResMan's offer-term pricing (MITS-OfferTerm).
    offer_terms = models.JSONField(default=list, blank=True)

    tenant_company_path = "property__company"
    tenant_property_path = "property"

    class Meta:
        ordering = ["available_date", "resman_id", "id"]
        constraints = [models.UniqueConstraint(fields=["property", "resman_id"], name="one_unit_per_number")]
        indexes = [models.Index(fields=["property", "is_available", "bedrooms"])]

    def __str__(self):
        return self.marketing_name or self.resman_id


class WebhookStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSING = "processing", "Processing"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Failed"


class WebhookDelivery(TimeStampedModel):
    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="+")
    event_id = models.CharField(max_length=100)
    event_type = models.CharField(max_length=48)
    resman_property_id = models.CharField(max_length=64, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=WebhookStatus.choices, default=WebhookStatus.RECEIVED)
    attempts = models.PositiveSmallIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    last_error = models.CharField(max_length=1000, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    tenant_company_path = "company"

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["company", "event_id"], name="one_delivery_per_event")]

    def __str__(self):
        return f"{self.event_type} {self.event_id} ({self.status})"
