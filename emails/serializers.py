from django.utils import timezone
from rest_framework import serializers

from companies.models import Company
from conversations.models import Conversation, ConversationStatus, Prospect
from core.tenancy import TenantRelatedField
from emails import rendering
from emails.models import (
    DeliveryStatus,
    EmailCampaign,
    EmailDelivery,
    EmailDraft,
    EmailPriority,
    EmailStatus,
    EmailTemplate,
    Provider,
    TemplateTrigger,
)
from properties.models import Property

MAX_TAGS = 20
MAX_CAMPAIGN_LEADS = 10_000


def _one_line(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise serializers.ValidationError("A subject is one line.")
    return value


def _template_text(value: str) -> str:
    try:
        rendering.check_template(value)
    except rendering.TemplateError as exc:
        raise serializers.ValidationError(str(exc)) from exc
    return value


class TagsField(serializers.ListField):
    def __init__(self, **kwargs):
        super().__init__(
            child=serializers.CharField(max_length=50),
            max_length=MAX_TAGS,
            help_text=f"Up to {MAX_TAGS} short labels.",
            **kwargs,
        )


# --- drafts ---------------------------------------------------------------------------------------
class EmailDraftSerializer(serializers.ModelSerializer):
    """An email to one lead (the spec's EmailDraftAPI). Times are UTC."""

    lead_id = serializers.UUIDField()
    conversation_id = serializers.UUIDField()
    property_id = serializers.UUIDField(source="conversation.property_id")
    campaign_id = serializers.UUIDField(allow_null=True, help_text="Set on a lead's copy of a campaign.")
    template_id = serializers.UUIDField(allow_null=True)
    created_by_id = serializers.UUIDField(allow_null=True)
    recipient_email = serializers.EmailField(source="lead.email", help_text="The lead's address (blank: not known).")
    lead_name = serializers.SerializerMethodField()
    preview = serializers.SerializerMethodField(help_text="The first line(s) of the content, as plain text.")
    tags = TagsField()

    class Meta:
        model = EmailDraft
        fields = [
            "id",
            "lead_id",
            "conversation_id",
            "property_id",
            "campaign_id",
            "template_id",
            "created_by_id",
            "recipient_email",
            "lead_name",
            "subject",
            "content",
            "preview",
            "status",
            "priority",
            "tags",
            "scheduled_for",
            "sent_at",
            "failure_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_lead_name(self, draft) -> str:
        return f"{draft.lead.first_name} {draft.lead.last_name}".strip()

    def get_preview(self, draft) -> str:
        return rendering.preview(draft.content)


class EmailDraftListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(EmailStatus.choices, required=False)
    priority = serializers.ChoiceField(EmailPriority.choices, required=False)
    lead_id = serializers.UUIDField(required=False)
    conversation_id = serializers.UUIDField(required=False)
    property_id = serializers.UUIDField(required=False)
    campaign_id = serializers.UUIDField(required=False)
    tag = serializers.CharField(max_length=50, required=False)


class EmailDraftUpdateSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=255, validators=[_one_line])
    content = serializers.CharField(max_length=100_000, trim_whitespace=False)
    priority = serializers.ChoiceField(EmailPriority.choices, required=False)
    tags = TagsField(required=False)
    status = serializers.ChoiceField(
        EmailStatus.choices,
        required=False,
        help_text="'draft' takes a scheduled email back (cancels it); 'scheduled' needs scheduled_for. "
        "Only sending makes an email 'sent' or 'failed'.",
    )
    scheduled_for = serializers.DateTimeField(required=False, allow_null=True)


class EmailDraftCreateSerializer(EmailDraftUpdateSerializer):
    lead_id = TenantRelatedField(source="lead", queryset=Prospect.objects.all())
    conversation_id = TenantRelatedField(
        source="conversation", queryset=Conversation.objects.select_related("property__company")
    )
    template_id = TenantRelatedField(
        source="template",
        queryset=EmailTemplate.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Render subject and content from this template for the lead (what you give yourself wins).",
    )
    subject = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default="", validators=[_one_line]
    )
    content = serializers.CharField(
        max_length=100_000, required=False, allow_blank=True, default="", trim_whitespace=False
    )
    priority = serializers.ChoiceField(EmailPriority.choices, default=EmailPriority.MEDIUM)
    tags = TagsField(required=False, default=list)
    status = serializers.ChoiceField(EmailStatus.choices, default=EmailStatus.DRAFT)
    scheduled_for = serializers.DateTimeField(required=False, allow_null=True, default=None)


class EmailScheduleInputSerializer(serializers.Serializer):
    scheduled_for = serializers.DateTimeField(help_text="When to send it (with an offset); must be in the future.")


class EmailDeliverySerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(DeliveryStatus.choices)
    provider = serializers.ChoiceField(Provider.choices)

    class Meta:
        model = EmailDelivery
        fields = [
            "id",
            "attempt",
            "provider",
            "recipient",
            "status",
            "provider_message_id",
            "error",
            "is_test",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class SendTestInputSerializer(serializers.Serializer):
    draft_id = TenantRelatedField(source="draft", queryset=EmailDraft.objects.all(), required=False, default=None)
    template_id = TenantRelatedField(
        source="template", queryset=EmailTemplate.objects.all(), required=False, default=None
    )
    conversation_id = TenantRelatedField(
        source="conversation",
        queryset=Conversation.objects.select_related("property__company", "prospect"),
        required=False,
        default=None,
        help_text="With a template: render it for this conversation's lead (else with sample values).",
    )

    def validate(self, data):
        if (data["draft"] is None) == (data["template"] is None):
            raise serializers.ValidationError({"draft_id": ["Give either draft_id or template_id."]})
        if data["conversation"] is not None and data["template"] is None:
            raise serializers.ValidationError({"conversation_id": ["Only used with template_id."]})
        return data


class SendTestResultSerializer(serializers.Serializer):
    sent = serializers.BooleanField()
    provider = serializers.ChoiceField(Provider.choices)
    recipient = serializers.EmailField(help_text="The caller's own address.")
    subject = serializers.CharField()
    message = serializers.CharField()
    provider_message_id = serializers.CharField(allow_null=True)
    latency_ms = serializers.FloatField()


class EmailSendingTestInputSerializer(serializers.Serializer):
    company_id = serializers.UUIDField(
        required=False, help_text="Platform staff: the company whose sending to test. Company staff test their own."
    )


# --- templates ------------------------------------------------------------------------------------
class PlaceholdersMixin(serializers.Serializer):
    placeholders = serializers.SerializerMethodField(help_text="The placeholders the subject and text use.")

    def get_placeholders(self, obj) -> list[str]:
        texts = [getattr(obj, name) for name in self.placeholder_sources]
        return sorted(set().union(*(rendering.placeholders_in(text) for text in texts)))


class EmailTemplateSerializer(PlaceholdersMixin, serializers.ModelSerializer):
    company_id = serializers.UUIDField()
    property_id = serializers.UUIDField(allow_null=True, help_text="Null: for every property of the company.")
    placeholder_sources = ("subject", "content")

    class Meta:
        model = EmailTemplate
        fields = [
            "id",
            "company_id",
            "property_id",
            "name",
            "subject",
            "content",
            "trigger",
            "placeholders",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class EmailTemplateListQuerySerializer(serializers.Serializer):
    property_id = serializers.UUIDField(required=False, help_text="A property's own and the company-wide templates.")
    scope = serializers.ChoiceField(["company", "property"], required=False)
    trigger = serializers.ChoiceField(TemplateTrigger.choices, required=False)


class EmailTemplateUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    subject = serializers.CharField(max_length=255, validators=[_one_line, _template_text])
    content = serializers.CharField(max_length=50_000, trim_whitespace=False, validators=[_template_text])
    trigger = serializers.ChoiceField(
        TemplateTrigger.choices,
        required=False,
        help_text="Draft a follow-up from this template when the event happens (one template per trigger).",
    )


class EmailTemplateCreateSerializer(EmailTemplateUpdateSerializer):
    property_id = TenantRelatedField(
        source="property",
        queryset=Property.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Omit for a company-wide template (company administrators only).",
    )
    company_id = TenantRelatedField(
        source="company",
        queryset=Company.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Platform staff creating a company-wide template: whose.",
    )
    trigger = serializers.ChoiceField(TemplateTrigger.choices, default=TemplateTrigger.NONE)


class PlaceholderSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()


# --- campaigns ------------------------------------------------------------------------------------
class EmailCampaignSerializer(PlaceholdersMixin, serializers.ModelSerializer):
    """A property's marketing email (the spec's EmailCampaignAPI)."""

    property_id = serializers.UUIDField()
    sent_count = serializers.IntegerField(help_text="Leads it was sent to.")
    placeholder_sources = ("subject_template", "template_content")

    class Meta:
        model = EmailCampaign
        fields = [
            "id",
            "property_id",
            "title",
            "description",
            "subject",
            "template_content",
            "sent_count",
            "placeholders",
            "last_sent_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class EmailCampaignUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    subject = serializers.CharField(
        max_length=255, required=False, allow_blank=True, validators=[_one_line, _template_text]
    )
    template_content = serializers.CharField(max_length=50_000, trim_whitespace=False, validators=[_template_text])

    def validate(self, data):
        if not data.get("subject") and "title" in data:
            # A blank subject means the title, which then must be a valid subject too.
            _template_text(data["title"])
        return data


class EmailCampaignCreateSerializer(EmailCampaignUpdateSerializer):
    property_id = serializers.UUIDField()
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    subject = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default="", validators=[_one_line, _template_text]
    )


class CampaignSendInputSerializer(serializers.Serializer):
    """Which of the property's leads get it (all given filters apply); leads without an email
    address, who unsubscribed, or who already had this campaign are left out."""

    conversation_status = serializers.ListField(
        child=serializers.ChoiceField(ConversationStatus.choices), required=False, allow_empty=False
    )
    is_qualified = serializers.BooleanField(required=False, allow_null=True, default=None)
    pre_qualified = serializers.BooleanField(required=False, allow_null=True, default=None)
    is_book_tour = serializers.BooleanField(required=False, allow_null=True, default=None)
    min_lead_score = serializers.IntegerField(required=False, min_value=0, max_value=100)
    started_after = serializers.DateTimeField(required=False)
    started_before = serializers.DateTimeField(required=False)
    lead_ids = serializers.ListField(
        child=serializers.UUIDField(), required=False, allow_empty=False, max_length=MAX_CAMPAIGN_LEADS
    )
    scheduled_for = serializers.DateTimeField(required=False, help_text="Later: when to send. Omit: now.")
    dry_run = serializers.BooleanField(default=False, help_text="Count who would get it; create nothing.")

    def validate_scheduled_for(self, value):
        if value <= timezone.now():
            raise serializers.ValidationError("Must be in the future (omit it to send now).")
        return value


class CampaignSendResultSerializer(serializers.Serializer):
    matched = serializers.IntegerField(help_text="Leads (one per address) who match the filters.")
    created = serializers.IntegerField(help_text="Emails created now (would be, on a dry run).")
    already_received = serializers.IntegerField()
    unsubscribed = serializers.IntegerField()
    missing_values = serializers.IntegerField(help_text="Left out: no value for a placeholder (e.g. no tour).")
    scheduled_for = serializers.DateTimeField()
    dry_run = serializers.BooleanField()


# --- unsubscribes -----------------------------------------------------------------------------------
class UnsubscribeSerializer(serializers.Serializer):
    company_name = serializers.CharField()
    email = serializers.EmailField()
    unsubscribed = serializers.BooleanField()
