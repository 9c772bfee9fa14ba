import json
import re
from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from analytics.models import CLIENT_EVENT_TYPES, ConversationAnalytics, EngagementLevel
from core.tenancy import TenantRelatedField
from properties.models import Property
from resman.services.webhooks import EVENT_TYPES as WEBHOOK_EVENT_TYPES

EVENT_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")
MAX_EVENTS = 50
MAX_PROPERTIES = 20
MAX_PROPERTIES_BYTES = 2000
FUTURE_TOLERANCE = timedelta(minutes=5)


class BlankAsNullCharField(serializers.CharField):
    """The spec's optional strings: what we store as blank is answered as null."""

    def __init__(self, **kwargs):
        super().__init__(allow_null=True, **kwargs)

    def to_representation(self, value):
        return value or None


class AmplitudeAnalyticsSerializer(serializers.ModelSerializer):
    """The spec's AmplitudeAnalyticsAPI: one conversation's engagement record."""

    conversation_id = serializers.UUIDField(read_only=True)
    user_id = serializers.UUIDField(source="prospect_id", read_only=True, allow_null=True)
    property_id = serializers.UUIDField(read_only=True)
    contact_method = BlankAsNullCharField(read_only=True, help_text="email, phone or email_and_phone.")
    tour_type = BlankAsNullCharField(read_only=True)
    engagement_score = serializers.ChoiceField(
        EngagementLevel.choices, allow_null=True, read_only=True, help_text="null before the chat starts."
    )
    session_duration = serializers.IntegerField(allow_null=True, read_only=True, help_text="Seconds.")
    device_id = BlankAsNullCharField(read_only=True)
    session_id = BlankAsNullCharField(read_only=True)
    page_url = BlankAsNullCharField(read_only=True)

    class Meta:
        model = ConversationAnalytics
        fields = [
            "id",
            "conversation_id",
            "user_id",
            "property_id",
            "started_at",
            "chat_session_started",
            "user_messages_sent",
            "bot_messages_received",
            "answer_button_clicks",
            "contact_captured",
            "contact_method",
            "tour_booked",
            "tour_type",
            "email_office_clicked",
            "phone_call_clicked",
            "incentive_offered",
            "incentive_accepted",
            "incentive_expired",
            "admin_handoff_triggered",
            "customer_service_escalated",
            "conversation_abandoned",
            "widget_session_ended",
            "widget_minimized",
            "session_duration",
            "engagement_score",
            "engagement_points",
            "qualified",
            "pre_lease",
            "tour_intent",
            "hot",
            "signed",
            "device_id",
            "session_id",
            "page_url",
            "computed_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["engagement_score"] = data["engagement_score"] or None
        return data


# --- events in ------------------------------------------------------------------------------------
class AnalyticsEventInputSerializer(serializers.Serializer):
    event_id = serializers.RegexField(
        EVENT_ID,
        help_text="The sender's id for this event (letters, digits, '.', '_', ':', '-'; at most 100): "
        "an event sent twice is stored once.",
    )
    event_type = serializers.ChoiceField([str(choice) for choice in CLIENT_EVENT_TYPES])
    time = serializers.DateTimeField(required=False, help_text="When it happened (default: when received).")
    properties = serializers.DictField(
        required=False, help_text=f"At most {MAX_PROPERTIES} scalar values ({MAX_PROPERTIES_BYTES} bytes as JSON)."
    )
    device_id = serializers.CharField(required=False, allow_blank=True, max_length=128)
    session_id = serializers.CharField(required=False, allow_blank=True, max_length=128)

    def validate_time(self, value):
        if value > timezone.now() + FUTURE_TOLERANCE:
            raise serializers.ValidationError("This time lies in the future.")
        return value

    def validate_properties(self, value):
        if len(value) > MAX_PROPERTIES:
            raise serializers.ValidationError(f"At most {MAX_PROPERTIES} properties.")
        for key, item in value.items():
            if len(key) > 64:
                raise serializers.ValidationError("Property names hold at most 64 characters.")
            if not (
                item is None or isinstance(item, (bool, int, float)) or (isinstance(item, str) and len(item) <= 500)
            ):
                raise serializers.ValidationError(
                    f"'{key}' must be a string (up to 500 characters), number or boolean."
                )
        if len(json.dumps(value)) > MAX_PROPERTIES_BYTES:
            raise serializers.ValidationError(f"The properties take more than {MAX_PROPERTIES_BYTES} bytes.")
        return value


class AnalyticsEventsInputSerializer(serializers.Serializer):
    conversation_id = serializers.UUIDField()
    events = serializers.ListField(child=AnalyticsEventInputSerializer(), min_length=1, max_length=MAX_EVENTS)
    device_id = serializers.CharField(required=False, allow_blank=True, max_length=128)
    session_id = serializers.CharField(required=False, allow_blank=True, max_length=128)
    page_url = serializers.URLField(required=False, allow_blank=True, max_length=1000)


class AnalyticsEventsResultSerializer(serializers.Serializer):
    conversation_id = serializers.UUIDField()
    accepted = serializers.IntegerField(help_text="Events stored now.")
    duplicates = serializers.IntegerField(help_text="Events whose id was stored before (ignored).")
    analytics = AmplitudeAnalyticsSerializer()


# --- calculations ---------------------------------------------------------------------------------
class CalculateEngagementInputSerializer(serializers.Serializer):
    conversation_id = serializers.UUIDField(required=False)
    property_id = serializers.UUIDField(required=False)
    company_id = serializers.UUIDField(
        required=False, help_text="Platform staff: the company to recompute. Others recompute their own."
    )

    def validate(self, attrs):
        if len(attrs) > 1:
            raise serializers.ValidationError("Name one of conversation_id, property_id or company_id.")
        return attrs


class CalculateEngagementResultSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(["conversation", "property", "company"])
    queued = serializers.BooleanField(help_text="True when a background task recomputes the records.")
    conversations = serializers.IntegerField(allow_null=True, help_text="Conversations recomputed (or queued).")
    analytics = AmplitudeAnalyticsSerializer(allow_null=True, help_text="The record, for one conversation.")


class RangeQuerySerializer(serializers.Serializer):
    property_id = TenantRelatedField(source="property", queryset=Property.objects.all(), required=False)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)


class PropertyRecordsQuerySerializer(serializers.Serializer):
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)
    engagement_score = serializers.ChoiceField(EngagementLevel.choices, required=False)
    qualified = serializers.BooleanField(required=False, allow_null=True, default=None)
    hot = serializers.BooleanField(required=False, allow_null=True, default=None)
    signed = serializers.BooleanField(required=False, allow_null=True, default=None)
    tour_booked = serializers.BooleanField(required=False, allow_null=True, default=None)
    abandoned = serializers.BooleanField(source="conversation_abandoned", required=False, allow_null=True, default=None)


class _PeriodSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="Conversations started from here (UTC, inclusive)...")
    end = serializers.DateTimeField(help_text="...to here (UTC, exclusive).")
    conversations = serializers.IntegerField()
    chat_sessions_started = serializers.IntegerField(help_text="Conversations where the prospect chatted.")


class _EngagementFields(serializers.Serializer):
    low = serializers.IntegerField()
    medium = serializers.IntegerField()
    high = serializers.IntegerField()
    low_rate = serializers.FloatField(help_text="Share of chat_sessions_started.")
    medium_rate = serializers.FloatField()
    high_rate = serializers.FloatField()
    average_points = serializers.FloatField(allow_null=True)


class _FunnelFields(serializers.Serializer):
    contact_captured = serializers.IntegerField()
    qualified = serializers.IntegerField()
    pre_lease = serializers.IntegerField()
    tour_intent = serializers.IntegerField()
    tour_booked = serializers.IntegerField()
    hot = serializers.IntegerField()
    signed = serializers.IntegerField()
    contact_captured_rate = serializers.FloatField(help_text="Share of chat_sessions_started.")
    qualified_rate = serializers.FloatField()
    pre_lease_rate = serializers.FloatField()
    tour_intent_rate = serializers.FloatField()
    tour_booked_rate = serializers.FloatField()
    hot_rate = serializers.FloatField()
    signed_rate = serializers.FloatField()
    abandoned = serializers.IntegerField()


class EngagementScoresSerializer(_PeriodSerializer, _EngagementFields):
    property_id = serializers.UUIDField()
    property_name = serializers.CharField()


class QualificationRatesSerializer(_PeriodSerializer, _FunnelFields):
    property_id = serializers.UUIDField()
    property_name = serializers.CharField()


class AmplitudeSummarySerializer(_PeriodSerializer, _EngagementFields, _FunnelFields):
    properties = serializers.IntegerField(help_text="Properties with conversations in the period.")
    admin_handoffs = serializers.IntegerField()
    escalations = serializers.IntegerField()
    average_session_duration = serializers.FloatField(allow_null=True, help_text="Seconds.")
    user_messages_sent = serializers.IntegerField()
    bot_messages_received = serializers.IntegerField()
    answer_button_clicks = serializers.IntegerField()
    email_office_clicked = serializers.IntegerField()
    phone_call_clicked = serializers.IntegerField()
    widget_minimized = serializers.IntegerField()
    widget_sessions_ended = serializers.IntegerField()
    incentives_offered = serializers.IntegerField()
    incentives_accepted = serializers.IntegerField()
    incentives_expired = serializers.IntegerField()


# --- testing endpoints ----------------------------------------------------------------------------
class _CompanyChoiceSerializer(serializers.Serializer):
    company_id = serializers.UUIDField(
        required=False, help_text="Platform staff: the company. Company admins test their own."
    )


class ResManConnectionInputSerializer(_CompanyChoiceSerializer):
    pass


class ResManConnectionResultSerializer(serializers.Serializer):
    company_id = serializers.UUIDField()
    integration = serializers.CharField()
    configured = serializers.BooleanField()
    ok = serializers.BooleanField()
    message = serializers.CharField()
    latency_ms = serializers.FloatField(allow_null=True)


class WebhookDeliveryInputSerializer(_CompanyChoiceSerializer):
    event_type = serializers.ChoiceField(WEBHOOK_EVENT_TYPES, default="lead-updated")
    property_id = serializers.UUIDField(
        required=False, help_text="Default: the company's first property with a ResMan property id."
    )
    prospect_id = serializers.CharField(
        required=False,
        max_length=64,
        help_text="The ResMan ProspectID the delivery names (default: a test id ResMan does not know).",
    )
    target_url = serializers.URLField(
        required=False,
        help_text="Platform staff only: the base URL to deliver to (default: PUBLIC_BASE_URL).",
    )


class WebhookDeliveryResultSerializer(serializers.Serializer):
    company_id = serializers.UUIDField()
    property_id = serializers.UUIDField()
    event_type = serializers.CharField()
    event_id = serializers.CharField()
    url = serializers.CharField()
    delivered = serializers.BooleanField(help_text="Our webhook route answered at all.")
    ok = serializers.BooleanField(help_text="It accepted the delivery (202, or 200 for a duplicate).")
    status_code = serializers.IntegerField(allow_null=True)
    latency_ms = serializers.FloatField()
    response = serializers.JSONField(allow_null=True, help_text="The route's answer.")
    error = serializers.CharField(allow_null=True)


class AnalyticsCalculationQuerySerializer(serializers.Serializer):
    conversation_id = serializers.UUIDField()


class AnalyticsCalculationSerializer(serializers.Serializer):
    conversation_id = serializers.UUIDField()
    property_id = serializers.UUIDField()
    changed = serializers.BooleanField(help_text="Whether recomputing changed the stored record.")
    abandon_after_minutes = serializers.IntegerField()
    inputs = serializers.DictField(help_text="Everything the rules read of the conversation.")
    rules = serializers.DictField(child=serializers.CharField(), help_text="Each metric's rule.")
    result = AmplitudeAnalyticsSerializer()
