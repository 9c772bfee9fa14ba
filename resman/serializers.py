"""Input and output shapes of the ResMan routes."""

from rest_framework import serializers

from core.api.fields import SecretField
from resman.models import (
    ConflictResolution,
    ConflictStatus,
    FloorPlan,
    LeadLink,
    LeadStatus,
    OutboxItem,
    OutboxKind,
    OutboxStatus,
    PropertyResManSettings,
    SyncConflict,
    SyncFrequency,
    Unit,
)


# --- leads ------------------------------------------------------------------------------------------
class ResManLeadSerializer(serializers.ModelSerializer):
    """One prospect's guest card at one property, and how it stands with ResMan."""

    lead_id = serializers.UUIDField(source="id", read_only=True)
    prospect_id = serializers.UUIDField(read_only=True)
    property_id = serializers.UUIDField(read_only=True)
    first_name = serializers.CharField(source="prospect.first_name", read_only=True, default="")
    last_name = serializers.CharField(source="prospect.last_name", read_only=True, default="")
    email = serializers.CharField(source="prospect.email", read_only=True, default="")
    phone = serializers.CharField(source="prospect.phone", read_only=True, default="")
    linked = serializers.BooleanField(source="is_linked", read_only=True)

    class Meta:
        model = LeadLink
        fields = [
            "id",
            "lead_id",
            "prospect_id",
            "property_id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "status",
            "linked",
            "resman_prospect_id",
            "resman_person_id",
            "synced_values",
            "last_pushed_at",
            "last_pulled_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ResManLeadListQuerySerializer(serializers.Serializer):
    property_id = serializers.UUIDField(required=False)
    status = serializers.ChoiceField(LeadStatus.choices, required=False)
    linked = serializers.BooleanField(required=False, allow_null=True, default=None)


class ResManLeadDetailQuerySerializer(serializers.Serializer):
    refresh = serializers.BooleanField(
        required=False, default=False, help_text="Read the guest card from ResMan first."
    )


class ResManLeadSyncInputSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(
        ["push", "pull"], help_text="push: our lead to ResMan; pull: ResMan's changes here."
    )
    property_id = serializers.UUIDField()
    prospect_id = serializers.UUIDField(required=False, help_text="push: the prospect to send.")
    since = serializers.DateTimeField(
        required=False, help_text="pull: read changes since then (default: the property's poll cursor)."
    )

    def validate(self, data):
        if data["direction"] == "push" and not data.get("prospect_id"):
            raise serializers.ValidationError({"prospect_id": ["Required to push a lead."]})
        return data


class ResManOutboxItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = OutboxItem
        fields = [
            "id",
            "kind",
            "status",
            "property_id",
            "prospect_id",
            "tour_id",
            "idempotency_key",
            "attempts",
            "max_attempts",
            "next_attempt_at",
            "last_error",
            "last_error_code",
            "result",
            "replay_count",
            "completed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ResManOutboxListQuerySerializer(serializers.Serializer):
    property_id = serializers.UUIDField(required=False)
    status = serializers.ChoiceField(OutboxStatus.choices, required=False)
    kind = serializers.ChoiceField(OutboxKind.choices, required=False)


class ResManIngestResultSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    created = serializers.IntegerField()
    linked = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    skipped = serializers.IntegerField()
    conflicts = serializers.IntegerField()
    events = serializers.IntegerField()


class ResManLeadSyncOutputSerializer(serializers.Serializer):
    direction = serializers.CharField()
    outbox_item = ResManOutboxItemSerializer(
        required=False, allow_null=True, help_text="push: the push and its outcome."
    )
    pull = serializers.DictField(required=False, allow_null=True, help_text="pull: what the poll read and applied.")


class ResManLeadUpdateInputSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    move_in_date = serializers.DateField(required=False, allow_null=True)
    bedrooms = serializers.IntegerField(min_value=0, max_value=10, required=False, allow_null=True)
    rent_min = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    rent_max = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    occupants = serializers.IntegerField(min_value=0, max_value=50, required=False, allow_null=True)
    has_pets = serializers.BooleanField(required=False, allow_null=True)

    def validate(self, data):
        if not data:
            raise serializers.ValidationError({"non_field_errors": ["Give at least one field to change."]})
        low, high = data.get("rent_min"), data.get("rent_max")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"rent_min": ["Must not exceed rent_max."]})
        return data


class ResManLeadUpdateOutputSerializer(serializers.Serializer):
    lead = ResManLeadSerializer()
    outbox_item = ResManOutboxItemSerializer()


class ResManLeadStatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(LeadStatus.choices, help_text="lost: ResMan's Cancel event; active: ReActivate.")
    reason_id = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="ResMan lost-reason ID (default: the property's)."
    )
    comments = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class ResManConflictSerializer(serializers.ModelSerializer):
    conflict_id = serializers.UUIDField(source="id", read_only=True)
    lead_id = serializers.UUIDField(read_only=True)
    property_id = serializers.UUIDField(read_only=True)
    prospect_id = serializers.UUIDField(source="lead.prospect_id", read_only=True, allow_null=True)
    base_value = serializers.JSONField(read_only=True, help_text="The value both sides last agreed on.")
    our_value = serializers.JSONField(read_only=True)
    their_value = serializers.JSONField(read_only=True, help_text="ResMan's value.")
    resolved_value = serializers.JSONField(read_only=True)

    class Meta:
        model = SyncConflict
        fields = [
            "id",
            "conflict_id",
            "lead_id",
            "property_id",
            "prospect_id",
            "field",
            "base_value",
            "our_value",
            "their_value",
            "status",
            "resolution",
            "resolved_value",
            "resolved_by",
            "resolved_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ResManConflictListQuerySerializer(serializers.Serializer):
    property_id = serializers.UUIDField(required=False)
    lead_id = serializers.UUIDField(required=False)
    status = serializers.ChoiceField(ConflictStatus.choices, required=False, default=ConflictStatus.OPEN)


class ResManResolveConflictInputSerializer(serializers.Serializer):
    resolution = serializers.ChoiceField(ConflictResolution.choices)
    value = serializers.JSONField(
        required=False, allow_null=True, help_text="With resolution 'value': the value to use."
    )

    def validate(self, data):
        if data["resolution"] == ConflictResolution.VALUE and "value" not in data:
            raise serializers.ValidationError({"value": ["Required with resolution 'value'."]})
        return data


class ResManResolveConflictOutputSerializer(serializers.Serializer):
    conflict = ResManConflictSerializer()
    outbox_item = ResManOutboxItemSerializer()


# --- tours ------------------------------------------------------------------------------------------
class ResManTourBookInputSerializer(serializers.Serializer):
    tour_id = serializers.UUIDField(help_text="A tour booked with the tours API, to send to ResMan.")


class ResManTourUpdateInputSerializer(serializers.Serializer):
    tour_datetime = serializers.DateTimeField(
        required=False, help_text="A new start (the tour is moved here first); omit to resend the current time."
    )
    property_manager_id = serializers.UUIDField(required=False, allow_null=True)


class ResManTourCancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ResManTourPushOutputSerializer(serializers.Serializer):
    tour_id = serializers.UUIDField()
    tour_status = serializers.CharField()
    tour_datetime = serializers.DateTimeField()
    outbox_item = ResManOutboxItemSerializer()


class ResManSyncAvailabilityInputSerializer(serializers.Serializer):
    property_id = serializers.UUIDField()


class ResManSyncAvailabilityOutputSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    appointments_blocked = serializers.IntegerField(required=False)
    received = serializers.IntegerField(required=False)
    created = serializers.IntegerField(required=False)
    updated = serializers.IntegerField(required=False)
    error = serializers.DictField(required=False)


# --- contacts ---------------------------------------------------------------------------------------
class ResManContactLinkSerializer(serializers.Serializer):
    lead_id = serializers.UUIDField(source="id")
    property_id = serializers.UUIDField()
    resman_prospect_id = serializers.CharField(allow_null=True)
    resman_person_id = serializers.CharField()
    status = serializers.CharField()
    last_pulled_at = serializers.DateTimeField(allow_null=True)
    last_pushed_at = serializers.DateTimeField(allow_null=True)


class ResManContactSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    contact_id = serializers.UUIDField(source="id")
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    lead_source = serializers.CharField()
    guest_cards = ResManContactLinkSerializer(
        many=True, help_text="The prospect's ResMan guest cards, one per property."
    )
    updated_at = serializers.DateTimeField()


class ResManContactQuerySerializer(serializers.Serializer):
    refresh = serializers.BooleanField(
        required=False, default=False, help_text="Read the guest cards from ResMan first."
    )


class ResManContactSyncInputSerializer(serializers.Serializer):
    contact_id = serializers.UUIDField(help_text="The prospect.")
    property_id = serializers.UUIDField(required=False, help_text="Only this property's guest card.")


class ResManContactUpdateInputSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)

    def validate(self, data):
        if not data:
            raise serializers.ValidationError({"non_field_errors": ["Give at least one field to change."]})
        return data


class ResManContactPushOutputSerializer(serializers.Serializer):
    contact = ResManContactSerializer()
    outbox_items = ResManOutboxItemSerializer(many=True)


class ResManContactMergeInputSerializer(serializers.Serializer):
    primary_id = serializers.UUIDField(help_text="The prospect that stays.")
    secondary_id = serializers.UUIDField(help_text="The prospect merged into it (and removed).")


class ResManContactMergeOutputSerializer(serializers.Serializer):
    primary_id = serializers.UUIDField()
    secondary_id = serializers.UUIDField()
    conversations_moved = serializers.IntegerField()
    events_moved = serializers.IntegerField()
    resman_merges = serializers.ListField(child=serializers.UUIDField(), help_text="Outbox items merging in ResMan.")
    pushes = serializers.ListField(child=serializers.UUIDField())


# --- units ------------------------------------------------------------------------------------------
class ResManTermPriceSerializer(serializers.Serializer):
    term = serializers.IntegerField(help_text="Lease term in months.")
    rent = serializers.DecimalField(max_digits=10, decimal_places=2)


class ResManUnitAvailabilitySerializer(serializers.Serializer):
    unit_id = serializers.UUIDField()
    unit = serializers.CharField()
    floor_plan = serializers.CharField()
    floor_plan_id = serializers.UUIDField(allow_null=True)
    bedrooms = serializers.DecimalField(max_digits=3, decimal_places=1, allow_null=True)
    bathrooms = serializers.DecimalField(max_digits=3, decimal_places=1, allow_null=True)
    square_feet = serializers.IntegerField(allow_null=True)
    available_date = serializers.DateField(allow_null=True, help_text="Null: available now.")
    rent = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    rent_min = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    term_pricing = ResManTermPriceSerializer(many=True)
    building = serializers.CharField()
    floor = serializers.CharField()


class ResManUnitAvailabilityQuerySerializer(serializers.Serializer):
    bedrooms = serializers.IntegerField(min_value=0, max_value=10, required=False)
    move_in_by = serializers.DateField(required=False, help_text="Units ready by this date.")


class ResManPricedUnitSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="resman_id")
    term_pricing = ResManTermPriceSerializer(source="offer_terms", many=True)

    class Meta:
        model = Unit
        fields = [
            "id",
            "unit",
            "available_date",
            "market_rent",
            "effective_rent_min",
            "effective_rent_max",
            "term_pricing",
        ]


class ResManFloorPlanPricingSerializer(serializers.ModelSerializer):
    floor_plan_id = serializers.UUIDField(source="id")
    code = serializers.CharField(source="resman_id")
    available_units = ResManPricedUnitSerializer(many=True)

    class Meta:
        model = FloorPlan
        fields = [
            "floor_plan_id",
            "code",
            "name",
            "bedrooms",
            "bathrooms",
            "square_feet_min",
            "square_feet_max",
            "market_rent_min",
            "market_rent_max",
            "effective_rent_min",
            "effective_rent_max",
            "deposit",
            "unit_count",
            "units_available",
            "available_units",
        ]


class ResManUnitsSyncInputSerializer(serializers.Serializer):
    property_id = serializers.UUIDField()
    frequency = serializers.ChoiceField(
        SyncFrequency.choices, required=False, help_text="Also schedule the sync: hourly, daily or off."
    )
    run_now = serializers.BooleanField(required=False, default=True)


class ResManUnitsSyncOutputSerializer(serializers.Serializer):
    property_id = serializers.UUIDField()
    frequency = serializers.CharField()
    synced_at = serializers.DateTimeField(allow_null=True)
    floor_plans = serializers.IntegerField(required=False)
    units = serializers.IntegerField(required=False)
    available_units = serializers.IntegerField(required=False)


# --- settings ---------------------------------------------------------------------------------------
class ResManPropertySettingsSerializer(serializers.ModelSerializer):
    """How a property is linked to ResMan: defaults, mappings, poll and unit-sync state."""

    property_id = serializers.UUIDField(read_only=True)
    source_mappings = serializers.DictField(
        child=serializers.CharField(max_length=64),
        required=False,
        help_text='Our lead source -> ResMan prospect-source ID, e.g. {"chat": "12"}.',
    )
    agent_mappings = serializers.DictField(
        child=serializers.CharField(max_length=64),
        required=False,
        help_text="Our property manager id -> ResMan employee ID.",
    )

    class Meta:
        model = PropertyResManSettings
        fields = [
            "property_id",
            "default_source_id",
            "default_agent_id",
            "default_lost_reason_id",
            "source_mappings",
            "agent_mappings",
            "units_sync_frequency",
            "units_synced_at",
            "units_sync_error",
            "lead_cursor",
            "last_poll_at",
            "last_poll_error",
            "references_synced_at",
        ]
        read_only_fields = [
            "property_id",
            "units_synced_at",
            "units_sync_error",
            "lead_cursor",
            "last_poll_at",
            "last_poll_error",
            "references_synced_at",
        ]


class ResManReferenceSerializer(serializers.Serializer):
    kind = serializers.CharField()
    resman_id = serializers.CharField()
    name = serializers.CharField()
    email = serializers.CharField()


class ResManReferencesOutputSerializer(serializers.Serializer):
    counts = serializers.DictField(child=serializers.IntegerField())
    references = ResManReferenceSerializer(many=True)


class ResManCompanyWebhookSettingsSerializer(serializers.Serializer):
    company_id = serializers.UUIDField()
    webhook_secret = SecretField(read_only=True)
    webhook_urls = serializers.DictField(child=serializers.CharField())
    signature = serializers.CharField()


class ResManRotatedSecretSerializer(serializers.Serializer):
    company_id = serializers.UUIDField()
    webhook_secret = serializers.CharField(help_text="Shown once: store it in the relay.")


class ResManWebhookResultSerializer(serializers.Serializer):
    status = serializers.ChoiceField(["accepted", "duplicate"])
    event_id = serializers.CharField()
    delivery_id = serializers.UUIDField(required=False)
