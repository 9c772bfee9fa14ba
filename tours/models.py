"""Tours, their settings and holds, reminders, calendar connections and the busy-time cache.

How double booking is made impossible: a live tour (scheduled or confirmed) occupies its manager at
its start time, and a partial unique constraint over (manager, start) for live tours refuses a second
one in the database itself; self-guided tours have no manager and occupy a numbered seat of the
slot instead, under the same kind of constraint. Both constraints are plain partial unique indexes,
so the same migration applies on SQLite and PostgreSQL. Overlaps that do not share a start time
(a changed slot length, a buffer) are kept out by the booking service, which holds row locks on the
property's tour settings and the chosen manager while it checks and inserts.
"""

import builtins
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from core.fields import EncryptedTextField
from core.models import SoftDeleteModel, TimeStampedModel


class TourType(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    VIRTUAL = "virtual", "Virtual"
    SELF_GUIDED = "self_guided", "Self-guided"


class TourStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CONFIRMED = "confirmed", "Confirmed"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


class TourSource(models.TextChoices):
    CHAT = "chat", "Chat"
    WEBSITE = "website", "Website"
    PHONE = "phone", "Phone"
    WALK_IN = "walk_in", "Walk-in"


class TourOutcome(models.TextChoices):
    INTERESTED = "interested", "Interested"
    APPLIED = "applied", "Applied"
    LEASED = "leased", "Leased"
    NOT_INTERESTED = "not_interested", "Not interested"
    FOLLOW_UP = "follow_up", "Needs follow-up"


LIVE_STATUSES = (TourStatus.SCHEDULED, TourStatus.CONFIRMED)
# Tour types that need a manager's time; self-guided tours need none.
MANAGED_TYPES = (TourType.IN_PERSON, TourType.VIRTUAL)


def default_tour_hours() -> dict:
    weekday = [{"open": "09:00", "close": "17:00"}]
    return {
        "monday": weekday,
        "tuesday": weekday,
        "wednesday": weekday,
        "thursday": weekday,
        "friday": weekday,
        "saturday": [{"open": "10:00", "close": "16:00"}],
    }


def default_tour_types() -> list:
    return [choice.value for choice in TourType]


class TourSettings(TimeStampedModel):
    """When a property gives tours. A property without a row uses these defaults."""

    property = models.OneToOneField("properties.Property", on_delete=models.CASCADE, related_name="tour_settings")
    # In the property's time zone: {"monday": [{"open": "09:00", "close": "17:00"}], ...}; a day left out is closed.
    tour_hours = models.JSONField(default=default_tour_hours, blank=True)
    closed_dates = models.JSONField(default=list, blank=True, help_text='Local dates with no tours: ["2026-12-25"].')
    tour_types = models.JSONField(default=default_tour_types, blank=True, help_text="The tour types offered.")
    slot_minutes = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(10), MaxValueValidator(240)], help_text="Tour length and slot grid."
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(240)], help_text="Free time a manager keeps around each commitment."
    )
    min_notice_minutes = models.PositiveIntegerField(
        default=120, validators=[MaxValueValidator(60 * 24 * 14)], help_text="How soon a tour can be booked."
    )
    horizon_days = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(365)], help_text="How far ahead."
    )
    self_guided_capacity = models.PositiveSmallIntegerField(
        default=2, validators=[MaxValueValidator(50)], help_text="Self-guided tours that may start in one slot."
    )
    change_notice_minutes = models.PositiveIntegerField(
        default=120,
        validators=[MaxValueValidator(60 * 24 * 14)],
        help_text="The prospect's own link stops rescheduling and cancelling this long before the tour.",
    )

    tenant_company_path = "property__company"
    tenant_property_path = "property"

    class Meta:
        verbose_name = "tour settings"
        verbose_name_plural = "tour settings"

    def __str__(self):
        return f"Tour settings of {self.property}"

    @builtins.property  # the `property` field shadows the builtin in these class bodies
    def slot_length(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)

    @builtins.property
    def buffer(self) -> timedelta:
        return timedelta(minutes=self.buffer_minutes)


class Tour(SoftDeleteModel):
    property = models.ForeignKey("properties.Property", on_delete=models.PROTECT, related_name="tours")
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.SET_NULL, null=True, blank=True, related_name="tours"
    )
    property_manager = models.ForeignKey(
        "properties.PropertyManager", on_delete=models.SET_NULL, null=True, blank=True, related_name="tours"
    )
    prospect_name = models.CharField(max_length=200)
    prospect_email = models.EmailField(blank=True)
    prospect_phone = models.CharField(max_length=32, blank=True)
    unit_interest = models.CharField(max_length=200, blank=True)
    tour_datetime = models.DateTimeField(help_text="Start, in UTC.")
    ends_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField()
    tour_type = models.CharField(max_length=16, choices=TourType.choices, default=TourType.IN_PERSON)
    status = models.CharField(max_length=16, choices=TourStatus.choices, default=TourStatus.SCHEDULED)
    source = models.CharField(max_length=16, choices=TourSource.choices, default=TourSource.CHAT)
    # Self-guided tours take a numbered seat of their slot (1..capacity) instead of a manager.
    seat = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    notes = models.TextField(blank=True, max_length=4000)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=500, blank=True)
    cancelled_by_prospect = models.BooleanField(default=False)
    reschedule_count = models.PositiveSmallIntegerField(default=0)
    outcome = models.CharField(max_length=16, choices=TourOutcome.choices, blank=True)
    outcome_notes = models.TextField(blank=True, max_length=4000)
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)

    tenant_company_path = "property__company"
    tenant_property_path = "property"

    class Meta:
        ordering = ["tour_datetime", "id"]
        indexes = [
            models.Index(fields=["property", "tour_datetime"]),
            models.Index(fields=["property_manager", "tour_datetime"]),
            models.Index(fields=["status", "tour_datetime"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["property_manager", "tour_datetime"],
                condition=Q(status__in=LIVE_STATUSES, property_manager__isnull=False),
                name="one_live_tour_per_manager_slot",
            ),
            models.UniqueConstraint(
                fields=["property", "tour_datetime", "seat"],
                condition=Q(status__in=LIVE_STATUSES, seat__isnull=False),
                name="one_live_tour_per_self_guided_seat",
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("tour_datetime")), name="tour_ends_after_start"),
            models.CheckConstraint(
                condition=~Q(tour_type=TourType.SELF_GUIDED) | Q(seat__isnull=False), name="self_guided_tour_has_seat"
            ),
        ]

    def __str__(self):
        return f"{self.prospect_name} at {self.property_id} on {self.tour_datetime:%Y-%m-%d %H:%M} UTC"

    @builtins.property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES


class TourHold(TimeStampedModel):
    """A slot kept for a few minutes for one prospect (e.g. while the chat asks them to confirm)."""

    property = models.ForeignKey("properties.Property", on_delete=models.CASCADE, related_name="tour_holds")
    hold_key = models.CharField(max_length=64, help_text="The holder's key, e.g. the conversation id.")
    tour_type = models.CharField(max_length=16, choices=TourType.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    property_manager = models.ForeignKey(
        "properties.PropertyManager", on_delete=models.CASCADE, null=True, blank=True, related_name="tour_holds"
    )
    seat = models.PositiveSmallIntegerField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    tenant_company_path = "property__company"
    tenant_property_path = "property"

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [models.UniqueConstraint(fields=["property", "hold_key"], name="one_hold_per_key_per_property")]

    def __str__(self):
        return f"Hold {self.hold_key} at {self.starts_at:%Y-%m-%d %H:%M} UTC"


class NotificationKind(models.TextChoices):
    CONFIRMATION = "confirmation", "Booking confirmation"
    RESCHEDULED = "rescheduled", "Reschedule confirmation"
    CANCELLED = "cancelled", "Cancellation notice"
    REMINDER = "reminder", "Reminder"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    WITHDRAWN = "withdrawn", "Withdrawn"
    FAILED = "failed", "Failed"


class TourNotification(TimeStampedModel):
    """One email to the prospect about a tour, persisted before it is sent.

    A reminder is a row with a due time that the beat sweep sends; cancelling or moving the tour
    withdraws it, so a withdrawn reminder is never sent, whatever is queued. The row's status is the
    idempotency key: sending first claims it with a conditional update.
    """

    MAX_ATTEMPTS = 3

    tour = models.ForeignKey(Tour, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    recipient = models.EmailField()
    send_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    tenant_company_path = "tour__property__company"
    tenant_property_path = "tour__property"

    class Meta:
        ordering = ["send_at", "id"]
        indexes = [models.Index(fields=["status", "send_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.tour_id} at {self.send_at:%Y-%m-%d %H:%M}"


class CalendarProvider(models.TextChoices):
    ICAL = "ical", "iCal feed"
    CALENDLY = "calendly", "Calendly"


class SyncStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    ERROR = "error", "Error"


class CalendarIntegration(TimeStampedModel):
    """A manager's calendar, read into the busy-time cache so tours avoid their other appointments."""

    property = models.ForeignKey("properties.Property", on_delete=models.CASCADE, related_name="calendar_integrations")
    property_manager = models.ForeignKey(
        "properties.PropertyManager", on_delete=models.CASCADE, related_name="calendar_integrations"
    )
    provider = models.CharField(max_length=16, choices=CalendarProvider.choices)
    # Calendly: the user's URI (https://api.calendly.com/users/...) and an access token.
    calendly_uri = models.URLField(max_length=500, blank=True)
    calendly_token = EncryptedTextField(blank=True)
    calendly_webhook_uri = models.URLField(max_length=500, blank=True, editable=False)
    webhook_signing_key = EncryptedTextField(blank=True, editable=False)
    # iCal: a private feed address is a credential (whoever has it reads the calendar).
    ical_url = EncryptedTextField(blank=True)
    sync_status = models.CharField(max_length=16, choices=SyncStatus.choices, default=SyncStatus.ACTIVE)
    last_sync = models.DateTimeField(null=True, blank=True, help_text="Last successful sync.")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=1000, blank=True)
    last_event_count = models.PositiveIntegerField(default=0)
    # A worker claims a sync by setting this; another worker skips the integration until it passes.
    sync_claimed_until = models.DateTimeField(null=True, blank=True, editable=False)

    tenant_company_path = "property__company"
    tenant_property_path = "property"

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["property", "property_manager", "provider"], name="one_calendar_per_provider_per_manager"
            )
        ]

    def __str__(self):
        return f"{self.get_provider_display()} of {self.property_manager} at {self.property}"

    @builtins.property
    def webhook_url(self) -> str | None:
        """Where Calendly delivers invitee.created / invitee.canceled for this integration."""
        if self.provider != CalendarProvider.CALENDLY:
            return None
        return f"{settings.PUBLIC_BASE_URL}/api/calendar/webhooks/calendly/{self.pk}"


class BusySource(models.TextChoices):
    """Known sources; other apps may write their own (the column is free text)."""

    ICAL = "ical", "iCal"
    CALENDLY = "calendly", "Calendly"
    RESMAN = "resman", "ResMan"
    MANUAL = "manual", "Manual"


class BusyInterval(TimeStampedModel):
    """A time when a manager (or, without a manager, the whole property) cannot give tours.

    The cache that availability reads: calendar syncs, Calendly webhooks and any other app (the
    ResMan sync, for its appointments) write rows through `tours.calendars.busy_times_replace` /
    `busy_time_upsert` with their own `source`, and availability needs no change to honour them.
    """

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="+")
    property_manager = models.ForeignKey(
        "properties.PropertyManager", on_delete=models.CASCADE, null=True, blank=True, related_name="busy_intervals"
    )
    property = models.ForeignKey(
        "properties.Property", on_delete=models.CASCADE, null=True, blank=True, related_name="busy_intervals"
    )
    integration = models.ForeignKey(
        CalendarIntegration, on_delete=models.CASCADE, null=True, blank=True, related_name="busy_intervals"
    )
    source = models.CharField(max_length=32, help_text="ical, calendly, resman, manual, ...")
    external_id = models.CharField(max_length=500, blank=True, help_text="The source's id of the event.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    tenant_company_path = "company"

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["property_manager", "starts_at"]),
            models.Index(fields=["property", "starts_at"]),
            models.Index(fields=["integration", "external_id"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="busy_ends_after_start"),
            models.CheckConstraint(
                condition=Q(property_manager__isnull=False) | Q(property__isnull=False), name="busy_has_an_owner"
            ),
        ]

    def __str__(self):
        return f"{self.source} busy {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M} UTC"

    @classmethod
    def tenant_limit_to_properties(cls, queryset, property_ids):
        return queryset.filter(
            Q(property_id__in=property_ids) | Q(property_manager__assignments__property_id__in=property_ids)
        ).distinct()
