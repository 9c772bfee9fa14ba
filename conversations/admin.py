from django.contrib import admin

from conversations.models import (
    ChatSettings,
    Conversation,
    LeadNotification,
    Message,
    NotificationPreference,
    Prospect,
    ProspectSession,
)
from core.admin import TenantScopedAdmin, TenantScopedInline


class MessageInline(TenantScopedInline):
    model = Message
    fields = ["seq", "sender", "sender_manager", "text", "created_at"]
    readonly_fields = ["seq", "created_at"]
    ordering = ["seq"]


class ConversationInline(TenantScopedInline):
    model = Conversation
    fields = ["property", "status", "lead_score", "is_qualified", "is_book_tour", "start_time"]
    readonly_fields = fields
    show_change_link = True


class SessionInline(TenantScopedInline):
    model = ProspectSession
    fields = ["property", "started_at", "last_seen", "page_url"]
    readonly_fields = fields


class NotificationInline(TenantScopedInline):
    model = LeadNotification
    fields = ["property_manager", "notification_type", "status", "sent_at", "read_at"]
    readonly_fields = fields


@admin.register(Prospect)
class ProspectAdmin(TenantScopedAdmin):
    list_display = ["__str__", "email", "phone", "company", "session_count", "last_seen", "created_at"]
    list_filter = ["lead_source"]
    search_fields = ["first_name", "last_name", "email", "phone", "browser_id"]
    list_select_related = ["company"]
    readonly_fields = ["session_count", "last_seen", "created_at", "updated_at"]
    write_requires = "company_admin"
    inlines = [ConversationInline, SessionInline]


@admin.register(Conversation)
class ConversationAdmin(TenantScopedAdmin):
    list_display = [
        "__str__",
        "property",
        "prospect",
        "status",
        "lead_score",
        "is_qualified",
        "is_book_tour",
        "start_time",
    ]
    list_filter = ["status", "is_qualified", "is_book_tour", "pre_qualified"]
    search_fields = ["prospect__first_name", "prospect__last_name", "prospect__email", "property__name"]
    list_select_related = ["property", "prospect"]
    readonly_fields = [
        "token",
        "start_time",
        "message_count",
        "last_message_at",
        "lead_score",
        "created_at",
        "updated_at",
    ]
    write_requires = "property"
    inlines = [MessageInline, NotificationInline]


@admin.register(Message)
class MessageAdmin(TenantScopedAdmin):
    list_display = ["__str__", "conversation", "sender", "seq", "response_ms", "created_at"]
    list_filter = ["sender"]
    search_fields = ["text", "client_message_id"]
    list_select_related = ["conversation"]
    readonly_fields = ["seq", "client_message_id", "response_ms", "created_at", "edited_at"]
    write_requires = "property"


@admin.register(ProspectSession)
class ProspectSessionAdmin(TenantScopedAdmin):
    list_display = ["prospect", "property", "started_at", "last_seen"]
    search_fields = ["prospect__email", "prospect__browser_id", "page_url"]
    list_select_related = ["prospect", "property"]
    readonly_fields = ["started_at", "last_seen"]


@admin.register(LeadNotification)
class LeadNotificationAdmin(TenantScopedAdmin):
    list_display = ["title", "notification_type", "property_manager", "status", "sent_at", "read_at", "created_at"]
    list_filter = ["notification_type", "status"]
    search_fields = ["title", "body", "property_manager__user__email"]
    list_select_related = ["property_manager__user"]
    readonly_fields = ["delivery", "dedupe_key", "sent_at", "read_at", "response_at", "created_at"]
    write_requires = "property"


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(TenantScopedAdmin):
    list_display = ["property_manager", "quiet_hours_start", "quiet_hours_end", "time_zone", "updated_at"]
    search_fields = ["property_manager__user__email"]
    list_select_related = ["property_manager__user"]


@admin.register(ChatSettings)
class ChatSettingsAdmin(TenantScopedAdmin):
    list_display = ["company", "reply_engine", "openai_model", "updated_at"]
    list_filter = ["reply_engine"]
    search_fields = ["company__name"]
    list_select_related = ["company"]
