import re

from rest_framework import serializers

from companies.models import Company
from conversations.models import (
    ChatSettings,
    Conversation,
    ConversationStatus,
    LeadNotification,
    Message,
    MessageSender,
    NotificationPreference,
    NotificationStatus,
    NotificationType,
    Prospect,
    ProspectSession,
)
from conversations.selectors import origin_of
from core.tenancy import TenantRelatedField
from properties import validators
from properties.models import Property, PropertyManager
from tours.models import TourType

BROWSER_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
SIZE_PREFERENCE = re.compile(r"^(?:studio|[1-5]br)$")


# --- prospects (the spec's users) -----------------------------------------------------------------
class ProspectSerializer(serializers.ModelSerializer):
    company_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = Prospect
        fields = [
            "id",
            "company_id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "age",
            "lead_source",
            "hubspot_contact_id",
            "browser_id",
            "session_count",
            "last_seen",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "session_count", "last_seen", "created_at", "updated_at"]
        # The (company, browser_id) uniqueness is checked by the service, in the caller's company.
        validators = []

    def validate_browser_id(self, value):
        if value and not BROWSER_ID.match(value):
            raise serializers.ValidationError("8 to 64 letters, digits, '-' or '_'.")
        return value or None

    def validate_age(self, value):
        if value is not None and not 16 <= value <= 120:
            raise serializers.ValidationError("Must be between 16 and 120.")
        return value


class ProspectCreateSerializer(ProspectSerializer):
    company_id = TenantRelatedField(
        source="company", queryset=Company.objects.all(), required=False, help_text="Platform staff only."
    )


class ProspectSessionSerializer(serializers.ModelSerializer):
    user_id = serializers.UUIDField(source="prospect_id", read_only=True)
    property_id = serializers.UUIDField(read_only=True)
    conversation_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = ProspectSession
        fields = [
            "id",
            "user_id",
            "property_id",
            "conversation_id",
            "started_at",
            "last_seen",
            "page_url",
            "user_agent",
        ]


class PublicProspectSerializer(serializers.ModelSerializer):
    """What the widget may read about its own browser."""

    class Meta:
        model = Prospect
        fields = ["id", "first_name", "browser_id", "session_count", "last_seen"]


# --- conversations -------------------------------------------------------------------------------
class ConversationSerializer(serializers.ModelSerializer):
    chatbot_id = serializers.UUIDField(
        source="property_id", read_only=True, help_text="Each property has one chatbot: the property's id."
    )
    property_id = serializers.UUIDField(read_only=True)
    user_id = serializers.UUIDField(source="prospect_id", read_only=True, allow_null=True)
    taken_over_by_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = Conversation
        fields = [
            "id",
            "chatbot_id",
            "property_id",
            "user_id",
            "start_time",
            "end_time",
            "is_qualified",
            "is_book_tour",
            "tour_type",
            "tour_datetime",
            "ai_intent_summary",
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
            "pre_qualified",
            "source",
            "status",
            "notification_status",
            "lead_score",
            "taken_over_by_id",
            "message_count",
            "last_message_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class QualificationFieldsSerializer(serializers.Serializer):
    """The qualification fields staff may set (PUT /conversations/:id, POST .../qualify)."""

    ai_intent_summary = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    apartment_size_preference = serializers.CharField(required=False, allow_blank=True, max_length=32)
    move_in_date = serializers.DateField(required=False, allow_null=True)
    price_range_min = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100_000)
    price_range_max = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100_000)
    occupants_count = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=20)
    has_pets = serializers.BooleanField(required=False, allow_null=True)
    pet_details = serializers.JSONField(required=False)
    desired_features = serializers.JSONField(required=False)
    work_location = serializers.CharField(required=False, allow_blank=True, max_length=255)
    reason_for_moving = serializers.CharField(required=False, allow_blank=True, max_length=255)
    source = serializers.CharField(required=False, allow_blank=True, max_length=64)

    def validate_apartment_size_preference(self, value):
        if value and not SIZE_PREFERENCE.match(value):
            raise serializers.ValidationError("One of studio, 1br, 2br, 3br, 4br, 5br.")
        return value

    def validate_pet_details(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError('Expected an object such as {"dog": 1}.')
        return value

    def validate_desired_features(self, value):
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise serializers.ValidationError("Expected a list of strings.")
        return value


class ConversationCreateSerializer(QualificationFieldsSerializer):
    property_id = TenantRelatedField(source="property", queryset=Property.objects.all())
    user_id = TenantRelatedField(source="prospect", queryset=Prospect.objects.all(), required=False, allow_null=True)


class ContactSerializer(serializers.Serializer):
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=32)


class QualifySerializer(QualificationFieldsSerializer):
    is_qualified = serializers.BooleanField(required=False, help_text="Overrides the rules' verdict.")
    pre_qualified = serializers.BooleanField(required=False)
    contact = ContactSerializer(required=False, help_text="The prospect's contact details, if learnt.")


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(ConversationStatus.choices)


class BookTourSerializer(serializers.Serializer):
    tour_datetime = serializers.DateTimeField()
    tour_type = serializers.ChoiceField(TourType.choices, default=TourType.IN_PERSON)
    prospect_name = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    prospect_email = serializers.EmailField(required=False, allow_blank=True, default="")
    prospect_phone = serializers.CharField(required=False, allow_blank=True, max_length=32, default="")
    unit_interest = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")


class BookTourResultSerializer(serializers.Serializer):
    conversation = ConversationSerializer()
    tour_id = serializers.UUIDField(allow_null=True, help_text="The tours app's booking, when it made one.")


class ChatMessageSerializer(serializers.ModelSerializer):
    conversation_id = serializers.UUIDField(read_only=True)
    sender_manager_id = serializers.UUIDField(read_only=True, allow_null=True)
    sender_name = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = [
            "id",
            "conversation_id",
            "seq",
            "sender",
            "sender_manager_id",
            "sender_name",
            "text",
            "client_message_id",
            "metadata",
            "response_ms",
            "created_at",
            "edited_at",
        ]
        read_only_fields = fields

    def get_sender_name(self, message) -> str | None:
        manager = message.sender_manager
        return manager.user.get_full_name() if manager is not None else None


class PublicMessageSerializer(ChatMessageSerializer):
    """Messages as the widget sees them (no internal metadata)."""

    class Meta(ChatMessageSerializer.Meta):
        fields = [
            "id",
            "conversation_id",
            "seq",
            "sender",
            "sender_name",
            "text",
            "client_message_id",
            "created_at",
            "edited_at",
        ]
        read_only_fields = fields


class MessageCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=4000)
    client_message_id = serializers.CharField(
        required=False, allow_null=True, max_length=64, help_text="Idempotency key: a retried send is stored once."
    )


class MessageUpdateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=4000)


class ConversationAnalyticsSerializer(serializers.Serializer):
    conversation_id = serializers.UUIDField()
    message_count = serializers.IntegerField()
    prospect_messages = serializers.IntegerField()
    bot_messages = serializers.IntegerField()
    manager_messages = serializers.IntegerField()
    system_messages = serializers.IntegerField()
    first_response_ms = serializers.IntegerField(allow_null=True)
    avg_bot_response_ms = serializers.FloatField(allow_null=True)
    avg_manager_response_ms = serializers.FloatField(allow_null=True)
    duration_seconds = serializers.IntegerField()
    lead_score = serializers.IntegerField(allow_null=True)
    is_qualified = serializers.BooleanField()
    pre_qualified = serializers.BooleanField()
    is_book_tour = serializers.BooleanField()
    status = serializers.CharField()
    taken_over = serializers.BooleanField()


class AnalyticsQuerySerializer(serializers.Serializer):
    property_id = TenantRelatedField(source="property", queryset=Property.objects.all(), required=False)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)


class PropertyAnalyticsSerializer(serializers.Serializer):
    property_id = serializers.UUIDField()
    property_name = serializers.CharField()
    conversations = serializers.IntegerField()
    messages = serializers.IntegerField()
    qualified = serializers.IntegerField()
    qualification_rate = serializers.FloatField()
    tours_booked = serializers.IntegerField()
    tour_rate = serializers.FloatField()
    handed_off = serializers.IntegerField()
    avg_lead_score = serializers.FloatField(allow_null=True)
    avg_bot_response_ms = serializers.FloatField(allow_null=True)
    avg_manager_response_ms = serializers.FloatField(allow_null=True)


class AnalyticsTotalsSerializer(serializers.Serializer):
    conversations = serializers.IntegerField()
    messages = serializers.IntegerField()
    qualified = serializers.IntegerField()
    qualification_rate = serializers.FloatField()
    tours_booked = serializers.IntegerField()
    tour_rate = serializers.FloatField()


class AnalyticsSummarySerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    totals = AnalyticsTotalsSerializer()
    properties = PropertyAnalyticsSerializer(many=True)


# --- lead notifications --------------------------------------------------------------------------
class LeadNotificationSerializer(serializers.ModelSerializer):
    conversation_id = serializers.UUIDField(read_only=True)
    property_manager_id = serializers.UUIDField(read_only=True, allow_null=True)
    property_id = serializers.UUIDField(source="conversation.property_id", read_only=True)

    class Meta:
        model = LeadNotification
        fields = [
            "id",
            "conversation_id",
            "property_id",
            "property_manager_id",
            "notification_type",
            "status",
            "title",
            "body",
            "payload",
            "delivery",
            "sent_at",
            "read_at",
            "response_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class LeadNotificationCreateSerializer(serializers.Serializer):
    conversation_id = TenantRelatedField(source="conversation", queryset=Conversation.objects.all())
    property_manager_id = TenantRelatedField(source="manager", queryset=PropertyManager.objects.all())
    notification_type = serializers.ChoiceField(NotificationType.choices, default=NotificationType.MANUAL)
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    payload = serializers.JSONField(required=False, default=dict)
    send = serializers.BooleanField(default=True, help_text="Deliver at once (WebSocket and email, per preferences).")

    def validate_payload(self, value):
        return validators.validate_json_object(value)


class LeadNotificationUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField([NotificationStatus.READ, NotificationStatus.RESPONDED], required=False)
    title = serializers.CharField(required=False, max_length=200)
    body = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class MarkReadSerializer(serializers.Serializer):
    notification_ids = serializers.ListField(
        child=serializers.UUIDField(), required=False, max_length=500, help_text="Leave out to mark all read."
    )


class MarkReadResultSerializer(serializers.Serializer):
    updated = serializers.IntegerField()


class NotificationPreferenceSerializer(serializers.ModelSerializer):
    property_manager_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = NotificationPreference
        fields = [
            "property_manager_id",
            "channels",
            "event_types",
            "quiet_hours_start",
            "quiet_hours_end",
            "time_zone",
            "updated_at",
        ]
        read_only_fields = ["property_manager_id", "updated_at"]

    def validate_channels(self, value):
        if not isinstance(value, dict) or not set(value) <= {"websocket", "email"}:
            raise serializers.ValidationError('An object with "websocket" and/or "email" booleans.')
        if not all(isinstance(flag, bool) for flag in value.values()):
            raise serializers.ValidationError("Channel values must be true or false.")
        return {"websocket": True, "email": True, **value}

    def validate_event_types(self, value):
        known = set(NotificationType.values)
        if not isinstance(value, list) or not set(value) <= known:
            raise serializers.ValidationError(f"A list drawn from: {', '.join(sorted(known))}.")
        return sorted(set(value))

    def validate_time_zone(self, value):
        return validators.validate_time_zone(value)

    def validate(self, attrs):
        start = attrs.get("quiet_hours_start", getattr(self.instance, "quiet_hours_start", None))
        end = attrs.get("quiet_hours_end", getattr(self.instance, "quiet_hours_end", None))
        if (start is None) != (end is None):
            raise serializers.ValidationError({"quiet_hours_end": ["Give both ends of the quiet hours, or neither."]})
        return attrs


# --- company chat settings, chatbot test ---------------------------------------------------------
class ChatSettingsSerializer(serializers.ModelSerializer):
    company_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = ChatSettings
        fields = ["company_id", "allowed_origins", "reply_engine", "openai_model", "updated_at"]
        read_only_fields = ["company_id", "updated_at"]

    def validate_allowed_origins(self, value):
        if not isinstance(value, list) or len(value) > 50:
            raise serializers.ValidationError("A list of at most 50 origins.")
        origins = []
        for item in value:
            origin = origin_of(item) if isinstance(item, str) else None
            if origin is None:
                raise serializers.ValidationError(f"{item!r} is not an origin such as https://www.example.com.")
            origins.append(origin)
        return sorted(set(origins))


class ChatHistoryItemSerializer(serializers.Serializer):
    sender = serializers.ChoiceField(MessageSender.choices)
    text = serializers.CharField(max_length=4000)


class ChatbotTestSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=4000)
    history = ChatHistoryItemSerializer(many=True, required=False, max_length=30)


class ChatbotTestResultSerializer(serializers.Serializer):
    reply = serializers.CharField()
    engine = serializers.CharField()
    fell_back = serializers.BooleanField()
    intents = serializers.ListField(child=serializers.CharField())
    extracted = serializers.DictField()
    actions = serializers.ListField(child=serializers.DictField())


# --- the public widget API -----------------------------------------------------------------------
class WidgetConfigSerializer(serializers.ModelSerializer):
    property_id = serializers.UUIDField(source="id")
    property_name = serializers.CharField(source="name")

    class Meta:
        model = Property
        fields = [
            "property_id",
            "property_name",
            "time_zone",
            "chatbot_is_active",
            "chatbot_avatar_url",
            "chatbot_welcome_message",
            "chatbot_theme_color",
            "chatbot_position",
            "chatbot_auto_open",
            "chatbot_business_hours",
            "chatbot_widget_settings",
        ]


class WidgetSessionInputSerializer(serializers.Serializer):
    page_url = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")
    start_new = serializers.BooleanField(required=False, default=False, help_text="Start over instead of resuming.")


class WidgetConversationSerializer(serializers.ModelSerializer):
    token = serializers.CharField(
        help_text="The conversation's secret: X-Conversation-Token and the WebSocket's ?token=."
    )
    taken_over = serializers.SerializerMethodField()

    class Meta:
        model = Conversation
        fields = ["id", "token", "status", "taken_over", "start_time"]

    def get_taken_over(self, conversation) -> bool:
        return conversation.taken_over_by_id is not None


class WidgetSessionSerializer(serializers.Serializer):
    resumed = serializers.BooleanField()
    user = PublicProspectSerializer()
    conversation = WidgetConversationSerializer()
    config = WidgetConfigSerializer()
    messages = PublicMessageSerializer(many=True)
    websocket_url = serializers.CharField()


class BrowserProspectSerializer(PublicProspectSerializer):
    open_conversation_id = serializers.UUIDField(allow_null=True, read_only=True)

    class Meta(PublicProspectSerializer.Meta):
        fields = [*PublicProspectSerializer.Meta.fields, "open_conversation_id"]


class WidgetTurnSerializer(serializers.Serializer):
    message = PublicMessageSerializer()
    reply = PublicMessageSerializer(
        allow_null=True, help_text="The bot's answer; null while a person handles the chat."
    )
    duplicate = serializers.BooleanField(help_text="True when this client_message_id was already stored.")
