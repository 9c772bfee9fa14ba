from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from rest_framework import serializers

from conversations.models import Conversation
from core.api.fields import SecretField
from core.tenancy import TenantRelatedField
from properties.models import PropertyManager
from properties.validators import validate_business_hours
from tours.models import (
    CalendarIntegration,
    CalendarProvider,
    SyncStatus,
    Tour,
    TourOutcome,
    TourSettings,
    TourSource,
    TourStatus,
    TourType,
)
from tours.selectors import tour_manage_url

MAX_AVAILABILITY_DAYS = 62


def _local(moment: datetime | None, zone: str) -> str | None:
    return moment.astimezone(ZoneInfo(zone)).isoformat() if moment else None


# --- tours ------------------------------------------------------------------------------------------
class TourSerializer(serializers.ModelSerializer):
    """A tour (the spec's TourAPI). Times are UTC; `tour_datetime_local` carries the property's offset."""

    conversation_id = serializers.UUIDField(allow_null=True)
    property_id = serializers.UUIDField()
    property_name = serializers.CharField(source="property.name")
    time_zone = serializers.CharField(source="property.time_zone")
    property_manager_id = serializers.UUIDField(allow_null=True)
    property_manager_name = serializers.SerializerMethodField()
    tour_datetime_local = serializers.SerializerMethodField()
    manage_url = serializers.SerializerMethodField(help_text="The prospect's own reschedule/cancel link.")

    class Meta:
        model = Tour
        fields = [
            "id",
            "conversation_id",
            "property_id",
            "property_name",
            "property_manager_id",
            "property_manager_name",
            "prospect_name",
            "prospect_email",
            "prospect_phone",
            "unit_interest",
            "tour_datetime",
            "tour_datetime_local",
            "ends_at",
            "time_zone",
            "duration_minutes",
            "tour_type",
            "status",
            "source",
            "notes",
            "confirmed_at",
            "cancelled_at",
            "cancel_reason",
            "cancelled_by_prospect",
            "reschedule_count",
            "outcome",
            "outcome_notes",
            "outcome_recorded_at",
            "manage_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_property_manager_name(self, tour) -> str | None:
        return str(tour.property_manager) if tour.property_manager_id else None

    def get_tour_datetime_local(self, tour) -> str:
        return _local(tour.tour_datetime, tour.property.time_zone)

    def get_manage_url(self, tour) -> str:
        return tour_manage_url(tour=tour)


class TourListQuerySerializer(serializers.Serializer):
    property_id = serializers.UUIDField(required=False)
    conversation_id = serializers.UUIDField(required=False)
    property_manager_id = serializers.UUIDField(required=False)
    status = serializers.ChoiceField(TourStatus.choices, required=False)
    tour_type = serializers.ChoiceField(TourType.choices, required=False)
    source = serializers.ChoiceField(TourSource.choices, required=False)
    start = serializers.DateTimeField(required=False, help_text="Tours starting at or after this time.")
    end = serializers.DateTimeField(required=False, help_text="Tours starting before this time.")


class _TourPeopleInput(serializers.Serializer):
    prospect_name = serializers.CharField(max_length=200)
    prospect_email = serializers.EmailField(required=False, allow_blank=True, default="")
    prospect_phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    unit_interest = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    property_manager_id = TenantRelatedField(
        source="manager",
        queryset=PropertyManager.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Omit to let the least busy free manager take the tour.",
    )
    conversation_id = TenantRelatedField(
        source="conversation", queryset=Conversation.objects.all(), required=False, allow_null=True, default=None
    )


class TourScheduleInputSerializer(_TourPeopleInput):
    property_id = serializers.UUIDField()
    tour_datetime = serializers.DateTimeField(help_text="A slot start from the availability route, with an offset.")
    tour_type = serializers.ChoiceField(TourType.choices, default=TourType.IN_PERSON)
    source = serializers.ChoiceField(TourSource.choices, default=TourSource.WEBSITE)
    hold_key = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class TourCreateInputSerializer(_TourPeopleInput):
    """A tour agreed elsewhere (phone, walk-in): any time, but never on a busy manager or full slot."""

    property_id = serializers.UUIDField()
    tour_datetime = serializers.DateTimeField()
    tour_type = serializers.ChoiceField(TourType.choices, default=TourType.IN_PERSON)
    source = serializers.ChoiceField(TourSource.choices, default=TourSource.PHONE)
    notes = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class TourEditInputSerializer(serializers.Serializer):
    prospect_name = serializers.CharField(max_length=200)
    prospect_email = serializers.EmailField(allow_blank=True)
    prospect_phone = serializers.CharField(max_length=32, allow_blank=True)
    unit_interest = serializers.CharField(max_length=200, allow_blank=True)
    notes = serializers.CharField(max_length=4000, allow_blank=True)
    property_manager_id = TenantRelatedField(
        source="manager", queryset=PropertyManager.objects.all(), required=False, help_text="Reassign the tour."
    )

    ROUTED = {
        "tour_datetime": "PUT /api/tours/:id/reschedule",
        "status": "the cancel, confirm and outcome routes",
        "tour_type": "a new booking",
    }

    def validate(self, attrs):
        misplaced = {
            name: [f"Change it with {route}."] for name, route in self.ROUTED.items() if name in self.initial_data
        }
        if misplaced:
            raise serializers.ValidationError(misplaced)
        return attrs


class TourRescheduleInputSerializer(serializers.Serializer):
    tour_datetime = serializers.DateTimeField()
    property_manager_id = TenantRelatedField(
        source="manager", queryset=PropertyManager.objects.all(), required=False, allow_null=True, default=None
    )


class TourCancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class TourOutcomeInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField([TourStatus.COMPLETED, TourStatus.NO_SHOW])
    outcome = serializers.ChoiceField(TourOutcome.choices, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class OutcomeSummarySerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Tours whose time has passed.")
    completed = serializers.IntegerField()
    no_show = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    awaiting_outcome = serializers.IntegerField(help_text="Past tours still scheduled or confirmed.")
    show_rate = serializers.FloatField(allow_null=True, help_text="completed / (completed + no_show)")
    outcomes = serializers.DictField(child=serializers.IntegerField())


class TourOutcomesSerializer(serializers.Serializer):
    property_id = serializers.UUIDField()
    summary = OutcomeSummarySerializer()
    results = TourSerializer(many=True, help_text="Past tours, newest first (paginated).")


class OutcomesQuerySerializer(serializers.Serializer):
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)
    status = serializers.ChoiceField(TourStatus.choices, required=False)


# --- availability -----------------------------------------------------------------------------------
class RangeQuerySerializer(serializers.Serializer):
    """`start` and `end` are ISO dates (local to the property, `end` inclusive) or datetimes."""

    start = serializers.CharField(required=False, help_text="YYYY-MM-DD or an ISO datetime; default now.")
    end = serializers.CharField(required=False, help_text="YYYY-MM-DD (inclusive) or an ISO datetime; default +7 days.")

    def _moment(self, raw: str, name: str, *, end: bool) -> datetime:
        zone = ZoneInfo(self.context["time_zone"])
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            pass
        else:
            return datetime.combine(day + timedelta(days=1) if end else day, time(), tzinfo=zone)
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise serializers.ValidationError({name: ["Use YYYY-MM-DD or an ISO 8601 datetime."]}) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=zone)

    def validate(self, attrs):
        start = self._moment(attrs["start"], "start", end=False) if attrs.get("start") else timezone.now()
        end = self._moment(attrs["end"], "end", end=True) if attrs.get("end") else start + timedelta(days=7)
        if end <= start:
            raise serializers.ValidationError({"end": ["The end must come after the start."]})
        if end - start > timedelta(days=MAX_AVAILABILITY_DAYS):
            raise serializers.ValidationError({"end": [f"Ask for at most {MAX_AVAILABILITY_DAYS} days at a time."]})
        return {**attrs, "start": start, "end": end}


class AvailabilityQuerySerializer(RangeQuerySerializer):
    tour_type = serializers.ChoiceField(TourType.choices, default=TourType.IN_PERSON)


class SlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    start_local = serializers.CharField(help_text="The start with the property's UTC offset.")
    tour_type = serializers.ChoiceField(TourType.choices)
    property_manager_ids = serializers.ListField(child=serializers.UUIDField(), source="manager_ids")
    remaining_capacity = serializers.IntegerField(help_text="Free managers, or free self-guided seats.")


class AvailabilitySerializer(serializers.Serializer):
    property_id = serializers.UUIDField()
    property_manager_id = serializers.UUIDField(allow_null=True)
    time_zone = serializers.CharField()
    tour_type = serializers.ChoiceField(TourType.choices)
    slot_minutes = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    slots = SlotSerializer(many=True)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def availability_data(
    *, property, manager, tour_type: str, slot_minutes: int, start, end, slots, show_managers: bool = True
) -> dict:
    """The body of the availability routes, in the shape AvailabilitySerializer documents.

    Built by hand: a month of slots through DRF fields cost more than computing the slots.
    """
    zone = ZoneInfo(property.time_zone)
    return {
        "property_id": str(property.pk),
        "property_manager_id": str(manager.pk) if manager else None,
        "time_zone": property.time_zone,
        "tour_type": tour_type,
        "slot_minutes": slot_minutes,
        "start": _utc(start),
        "end": _utc(end),
        "slots": [
            {
                "start": _utc(slot.start),
                "end": _utc(slot.end),
                "start_local": slot.start.astimezone(zone).isoformat(),
                "tour_type": slot.tour_type,
                "property_manager_ids": [str(pk) for pk in slot.manager_ids] if show_managers else [],
                "remaining_capacity": slot.remaining_capacity,
            }
            for slot in slots
        ],
    }


def calendar_availability_data(data: dict) -> dict:
    """The body of the calendar availability routes, in the shape CalendarAvailabilitySerializer documents."""

    def block(entry):
        return {"start": _utc(entry["start"]), "end": _utc(entry["end"])}

    return {
        "property_id": str(data["property_id"]),
        "time_zone": data["time_zone"],
        "start": _utc(data["start"]),
        "end": _utc(data["end"]),
        "managers": [
            {
                "property_manager_id": str(row["property_manager_id"]),
                "name": row["name"],
                "busy": [
                    {
                        **block(entry),
                        "source": entry["source"],
                        "tour_id": str(entry["tour_id"]) if entry["tour_id"] else None,
                    }
                    for entry in row["busy"]
                ],
                "free": [block(entry) for entry in row["free"]],
                "calendars": [
                    {
                        "id": str(calendar.pk),
                        "provider": calendar.provider,
                        "sync_status": calendar.sync_status,
                        "last_sync": _utc(calendar.last_sync) if calendar.last_sync else None,
                    }
                    for calendar in row["calendars"]
                ],
            }
            for row in data["managers"]
        ],
    }


class TourSettingsSerializer(serializers.ModelSerializer):
    property_id = serializers.UUIDField(read_only=True)
    time_zone = serializers.CharField(source="property.time_zone", read_only=True)
    tour_types = serializers.ListField(child=serializers.ChoiceField(TourType.choices), allow_empty=True)
    closed_dates = serializers.ListField(child=serializers.DateField(), allow_empty=True)

    class Meta:
        model = TourSettings
        fields = [
            "property_id",
            "time_zone",
            "tour_hours",
            "closed_dates",
            "tour_types",
            "slot_minutes",
            "buffer_minutes",
            "min_notice_minutes",
            "horizon_days",
            "self_guided_capacity",
            "change_notice_minutes",
        ]

    def validate_tour_hours(self, value):
        return validate_business_hours(value)

    def validate_tour_types(self, value):
        return list(dict.fromkeys(value))

    def validate_closed_dates(self, value):
        return sorted({day.isoformat() for day in value})


# --- the prospect's manage link ---------------------------------------------------------------------
class PublicPropertySerializer(serializers.Serializer):
    name = serializers.CharField()
    address = serializers.CharField()
    city = serializers.CharField()
    state = serializers.CharField()
    zip_code = serializers.CharField()
    time_zone = serializers.CharField()


class PublicTourSerializer(serializers.Serializer):
    """What the prospect sees of their own tour: no staff details."""

    id = serializers.UUIDField()
    property = PublicPropertySerializer()
    prospect_name = serializers.CharField()
    tour_datetime = serializers.DateTimeField()
    tour_datetime_local = serializers.CharField()
    ends_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField()
    tour_type = serializers.ChoiceField(TourType.choices)
    status = serializers.ChoiceField(TourStatus.choices)
    can_change = serializers.BooleanField()
    change_deadline = serializers.DateTimeField()


class PublicRescheduleInputSerializer(serializers.Serializer):
    tour_datetime = serializers.DateTimeField()


# --- calendars --------------------------------------------------------------------------------------
class CalendarIntegrationSerializer(serializers.ModelSerializer):
    """A manager's calendar (the spec's CalendarIntegrationAPI). Secrets read back masked."""

    property_id = serializers.UUIDField()
    property_manager_id = serializers.UUIDField()
    calendly_token = SecretField()
    ical_url = SecretField(help_text="A private feed address is a credential: read back masked.")
    webhook_url = serializers.CharField(allow_null=True, help_text="Where Calendly delivers invitee events.")

    class Meta:
        model = CalendarIntegration
        fields = [
            "id",
            "property_id",
            "property_manager_id",
            "provider",
            "calendly_uri",
            "calendly_token",
            "ical_url",
            "webhook_url",
            "calendly_webhook_uri",
            "last_sync",
            "last_attempt_at",
            "last_error",
            "last_event_count",
            "sync_status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CalendarIntegrationCreateSerializer(serializers.ModelSerializer):
    property_id = serializers.UUIDField()
    property_manager_id = TenantRelatedField(source="property_manager", queryset=PropertyManager.objects.all())
    provider = serializers.ChoiceField(CalendarProvider.choices)
    calendly_token = SecretField()
    ical_url = SecretField(max_length=2000)
    sync_status = serializers.ChoiceField([SyncStatus.ACTIVE, SyncStatus.INACTIVE], default=SyncStatus.ACTIVE)

    class Meta:
        model = CalendarIntegration
        fields = [
            "property_id",
            "property_manager_id",
            "provider",
            "calendly_uri",
            "calendly_token",
            "ical_url",
            "sync_status",
        ]

    def validate_ical_url(self, value):
        return _validate_feed_url(value)

    def validate_sync_status(self, value):
        return _validate_sync_status(value)


class CalendarIntegrationUpdateSerializer(serializers.ModelSerializer):
    calendly_token = SecretField()
    ical_url = SecretField(max_length=2000)
    sync_status = serializers.ChoiceField(SyncStatus.choices, help_text="'error' is set by the sync, not by hand.")

    class Meta:
        model = CalendarIntegration
        fields = ["calendly_uri", "calendly_token", "ical_url", "sync_status"]

    def validate_ical_url(self, value):
        return _validate_feed_url(value)

    def validate_sync_status(self, value):
        return _validate_sync_status(value)


def _validate_sync_status(value: str) -> str:
    if value == SyncStatus.ERROR:
        raise serializers.ValidationError("Set 'active' or 'inactive'; 'error' is set by the sync.")
    return value


def _validate_feed_url(value: str) -> str:
    if value and not value.lower().startswith(("http://", "https://", "webcal://")):
        raise serializers.ValidationError("Give the calendar's http(s) or webcal address.")
    return value


class CalendarListQuerySerializer(serializers.Serializer):
    property_id = serializers.UUIDField(required=False)
    property_manager_id = serializers.UUIDField(required=False)
    provider = serializers.ChoiceField(CalendarProvider.choices, required=False)
    sync_status = serializers.ChoiceField(SyncStatus.choices, required=False)


class SyncStatusSerializer(serializers.Serializer):
    integration_id = serializers.UUIDField(source="pk")
    provider = serializers.CharField()
    sync_status = serializers.ChoiceField(SyncStatus.choices)
    last_sync = serializers.DateTimeField(allow_null=True, help_text="Last successful sync.")
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField(help_text="Why the last attempt failed; empty after a success.")
    last_event_count = serializers.IntegerField(help_text="Busy times read by the last successful sync.")
    syncing = serializers.SerializerMethodField()

    def get_syncing(self, integration) -> bool:
        claimed = integration.sync_claimed_until
        return claimed is not None and claimed > timezone.now()


class SyncTestSerializer(serializers.Serializer):
    integration_id = serializers.UUIDField()
    provider = serializers.CharField()
    ok = serializers.BooleanField()
    message = serializers.CharField()
    latency_ms = serializers.FloatField()


class BusyBlockSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    source = serializers.CharField(help_text="tour, hold, ical, calendly, resman, ...")
    tour_id = serializers.UUIDField(allow_null=True)


class FreeBlockSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class CalendarSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    provider = serializers.CharField()
    sync_status = serializers.CharField()
    last_sync = serializers.DateTimeField(allow_null=True)


class ManagerCalendarSerializer(serializers.Serializer):
    property_manager_id = serializers.UUIDField()
    name = serializers.CharField()
    busy = BusyBlockSerializer(many=True)
    free = FreeBlockSerializer(many=True, help_text="Tour hours not covered by busy time (and its buffer).")
    calendars = CalendarSummarySerializer(many=True)


class CalendarAvailabilitySerializer(serializers.Serializer):
    property_id = serializers.UUIDField()
    time_zone = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    managers = ManagerCalendarSerializer(many=True)


class CalendlyWebhookResultSerializer(serializers.Serializer):
    event = serializers.CharField()
    handled = serializers.BooleanField()
