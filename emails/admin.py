"""Emails in the back office: templates, campaigns, every email with its delivery attempts (and
sending of failed ones again), the attempts themselves, and unsubscribed addresses."""

from django.contrib import admin, messages

from core.admin import TenantScopedAdmin, TenantScopedInline
from core.errors import DomainError
from emails import services
from emails.models import (
    EmailCampaign,
    EmailDelivery,
    EmailDraft,
    EmailStatus,
    EmailTemplate,
    EmailUnsubscribe,
    UnsubscribeSource,
)

DELIVERY_FIELDS = ["attempt", "provider", "recipient", "status", "provider_message_id", "error", "created_at"]


@admin.register(EmailTemplate)
class EmailTemplateAdmin(TenantScopedAdmin):
    list_display = ["name", "company", "property", "trigger", "updated_at"]
    list_filter = ["trigger"]
    search_fields = ["name", "subject", "property__name", "company__name"]
    list_select_related = ["company", "property"]
    # A company-wide template is the administrators'; a property's, its writers'.
    write_requires = "property"


class CampaignEmailInline(TenantScopedInline):
    model = EmailDraft
    fields = ["lead", "subject", "status", "scheduled_for", "sent_at", "failure_reason"]
    readonly_fields = fields
    show_change_link = True
    max_num = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("lead")


@admin.register(EmailCampaign)
class EmailCampaignAdmin(TenantScopedAdmin):
    list_display = ["title", "property", "last_sent_at", "created_at"]
    search_fields = ["title", "description", "property__name"]
    list_select_related = ["property"]
    readonly_fields = ["last_sent_at", "created_by", "created_at", "updated_at"]
    write_requires = "property"
    inlines = [CampaignEmailInline]

    def delete_model(self, request, obj):
        services.email_campaign_delete(campaign=obj)

    def delete_queryset(self, request, queryset):
        for campaign in queryset:
            services.email_campaign_delete(campaign=campaign)


class DeliveryInline(TenantScopedInline):
    model = EmailDelivery
    fields = DELIVERY_FIELDS
    readonly_fields = DELIVERY_FIELDS
    max_num = 0
    can_delete = False


@admin.register(EmailDraft)
class EmailDraftAdmin(TenantScopedAdmin):
    list_display = ["subject", "lead", "status", "priority", "scheduled_for", "sent_at", "campaign", "failure_reason"]
    list_filter = ["status", "priority"]
    search_fields = ["subject", "lead__email", "lead__first_name", "lead__last_name", "campaign__title"]
    list_select_related = ["lead", "campaign"]
    fields = [
        "lead",
        "conversation",
        "campaign",
        "template",
        "created_by",
        "subject",
        "content",
        "priority",
        "tags",
        "status",
        "scheduled_for",
        "sent_at",
        "failure_reason",
        "created_at",
        "updated_at",
    ]
    # Only the text is edited here; status and times move through the API's checked transitions.
    readonly_fields = [name for name in fields if name not in ("subject", "content", "priority", "tags")]
    write_requires = "property"
    inlines = [DeliveryInline]
    actions = ["send_again"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return not (obj is not None and obj.status == EmailStatus.SENT) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # A sent email is the record that its lead got it (a campaign is never sent to them twice).
        return not (obj is not None and obj.status == EmailStatus.SENT) and super().has_delete_permission(request, obj)

    @admin.action(description="Send the selected failed emails again")
    def send_again(self, request, queryset):
        sent = 0
        for draft in queryset.filter(status=EmailStatus.FAILED):
            if not self.has_change_permission(request, draft):
                continue
            try:
                services.email_send_now(draft=draft)
            except DomainError as exc:
                self.message_user(request, f"{draft}: {exc.message}", messages.WARNING)
                continue
            sent += 1
        self.message_user(request, f"{sent} email(s) queued to be sent again.")


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(TenantScopedAdmin):
    list_display = ["recipient", "provider", "status", "attempt", "is_test", "provider_message_id", "created_at"]
    list_filter = ["status", "provider", "is_test"]
    search_fields = ["recipient", "provider_message_id", "draft__subject"]
    list_select_related = ["draft"]
    readonly_fields = [f.name for f in EmailDelivery._meta.fields]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EmailUnsubscribe)
class EmailUnsubscribeAdmin(TenantScopedAdmin):
    list_display = ["email", "company", "source", "created_at"]
    list_filter = ["source"]
    search_fields = ["email"]
    list_select_related = ["company"]
    readonly_fields = ["source", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.source = UnsubscribeSource.STAFF
        super().save_model(request, obj, form, change)
