from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from companies.models import Company
from conversations.serializers import LeadNotificationSerializer
from core.tenancy import TenantRelatedField, get_access
from properties import validators
from properties.models import AccessLevel, Property, PropertyManager, PropertyManagerAssignment, StaffRole

CHATBOT_FIELDS = [
    "chatbot_avatar_url",
    "chatbot_is_active",
    "chatbot_welcome_message",
    "chatbot_embed_code",
    "chatbot_widget_settings",
    "chatbot_theme_color",
    "chatbot_position",
    "chatbot_auto_open",
    "chatbot_business_hours",
]


class ChatbotFieldsMixin(serializers.Serializer):
    chatbot_embed_code = serializers.CharField(read_only=True)

    def validate_chatbot_theme_color(self, value):
        return validators.validate_theme_color(value)

    def validate_chatbot_business_hours(self, value):
        return validators.validate_business_hours(value)

    def validate_chatbot_widget_settings(self, value):
        return validators.validate_json_object(value)


class PropertySerializer(ChatbotFieldsMixin, serializers.ModelSerializer):
    company_id = TenantRelatedField(
        source="company",
        queryset=Company.objects.all(),
        required=False,
        help_text="Platform staff only; company staff always create in their own company.",
    )

    class Meta:
        model = Property
        fields = [
            "id",
            "company_id",
            "name",
            "address",
            "city",
            "state",
            "zip_code",
            "property_type",
            "units_count",
            "amenities",
            "features",
            "website_url",
            "hubspot_property_id",
            "time_zone",
            "resman_property_id",
            "widget_key",
            *CHATBOT_FIELDS,
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "widget_key", "created_at", "updated_at"]

    def validate_time_zone(self, value):
        return validators.validate_time_zone(value)

    def validate_amenities(self, value):
        return validators.validate_json_collection(value)

    def validate_features(self, value):
        return validators.validate_json_collection(value)

    def validate_company_id(self, company):
        if self.instance is not None and company != self.instance.company:
            raise serializers.ValidationError("A property cannot move to another company.")
        return company


class ChatbotConfigSerializer(ChatbotFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Property
        fields = ["id", "widget_key", *CHATBOT_FIELDS]
        read_only_fields = ["id", "widget_key"]


class EmbedCodeSerializer(serializers.Serializer):
    property_id = serializers.UUIDField()
    widget_key = serializers.CharField()
    embed_code = serializers.CharField()
    script_url = serializers.CharField()


class PropertyManagerAssignmentSerializer(serializers.ModelSerializer):
    property_manager_id = serializers.UUIDField(read_only=True)
    property_id = TenantRelatedField(source="property", queryset=Property.objects.all())
    property_name = serializers.CharField(source="property.name", read_only=True)
    effective_access_level = serializers.CharField(read_only=True)

    class Meta:
        model = PropertyManagerAssignment
        fields = [
            "id",
            "property_manager_id",
            "property_id",
            "property_name",
            "access_level",
            "effective_access_level",
            "is_primary",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]


class AssignmentUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = PropertyManagerAssignment
        fields = ["access_level", "is_primary"]


class PropertyManagerSerializer(serializers.ModelSerializer):
    company_id = serializers.UUIDField(read_only=True)
    first_name = serializers.CharField(source="user.first_name", max_length=150)
    last_name = serializers.CharField(source="user.last_name", max_length=150)
    email = serializers.EmailField(source="user.email")
    is_active = serializers.BooleanField(source="user.is_active", read_only=True)
    has_password = serializers.SerializerMethodField(help_text="False until the invitation is accepted.")
    last_login = serializers.DateTimeField(source="user.last_login", read_only=True)
    assignments = PropertyManagerAssignmentSerializer(many=True, read_only=True)
    notifications = serializers.SerializerMethodField(
        help_text="The manager's latest unread lead notifications (for the manager and administrators only)."
    )

    class Meta:
        model = PropertyManager
        fields = [
            "id",
            "company_id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "role",
            "access_level",
            "is_active",
            "has_password",
            "last_login",
            "assignments",
            "notifications",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    @extend_schema_field(LeadNotificationSerializer(many=True, allow_null=True))
    def get_notifications(self, manager):
        """Notifications speak of leads of the manager's properties: other managers do not see them."""
        request = self.context.get("request")
        notifications = getattr(manager, "unread_notifications", None)
        if request is None or notifications is None:
            return None
        access = get_access(request)
        if not (access.reaches_all_properties or access.manager_id == manager.pk):
            return None
        return LeadNotificationSerializer(notifications, many=True).data

    def get_has_password(self, manager) -> bool:
        return manager.user.has_usable_password()


class PropertyManagerCreateSerializer(serializers.Serializer):
    company_id = TenantRelatedField(
        source="company", queryset=Company.objects.all(), required=False, help_text="Platform staff only."
    )
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    phone = serializers.CharField(max_length=32, allow_blank=True, required=False, default="")
    role = serializers.ChoiceField(StaffRole.choices, default=StaffRole.PROPERTY_MANAGER)
    access_level = serializers.ChoiceField(AccessLevel.choices)
    property_ids = TenantRelatedField(
        source="properties",
        queryset=Property.objects.all(),
        many=True,
        required=False,
        help_text="Properties to assign at once.",
    )


class PropertyManagerUpdateSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    phone = serializers.CharField(max_length=32, allow_blank=True, required=False)
    role = serializers.ChoiceField(StaffRole.choices)
    access_level = serializers.ChoiceField(AccessLevel.choices)


class PropertyManagerAssignInputSerializer(serializers.Serializer):
    property_manager_id = TenantRelatedField(source="manager", queryset=PropertyManager.objects.all())
    access_level = serializers.ChoiceField(AccessLevel.choices, required=False, allow_blank=True, default="")
    is_primary = serializers.BooleanField(required=False, default=False)


class PropertyManagerOnPropertySerializer(serializers.Serializer):
    """A manager as seen from one property: who they are and their access there."""

    assignment_id = serializers.UUIDField(source="id")
    property_manager_id = serializers.UUIDField(source="property_manager.id")
    first_name = serializers.CharField(source="property_manager.user.first_name")
    last_name = serializers.CharField(source="property_manager.user.last_name")
    email = serializers.EmailField(source="property_manager.user.email")
    phone = serializers.CharField(source="property_manager.phone")
    role = serializers.CharField(source="property_manager.role")
    access_level = serializers.CharField(source="effective_access_level")
    is_primary = serializers.BooleanField()
