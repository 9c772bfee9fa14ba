"""Analytics in the back office: the records (with recalculation), the events and their forwarding to
Amplitude (with replay of final failures), and each company's forwarding health."""

from django.contrib import admin, messages

from analytics import forwarding, services
from analytics.models import AmplitudeState, AnalyticsEvent, ConversationAnalytics, ForwardStatus
from core.admin import TenantScopedAdmin


@admin.action(description="Recalculate the selected records", permissions=["change"])
def recalculate(modeladmin, request, queryset):
    ids = list(queryset.values_list("conversation_id", flat=True))
    for start in range(0, len(ids), services.RECALCULATE_CHUNK):
        services.conversations_analytics_refresh(conversation_ids=ids[start : start + services.RECALCULATE_CHUNK])
    messages.info(request, f"{len(ids)} record(s) recalculated.")


@admin.register(ConversationAnalytics)
class ConversationAnalyticsAdmin(TenantScopedAdmin):
    list_display = [
        "conversation",
        "property",
        "started_at",
        "engagement_score",
        "user_messages_sent",
        "contact_captured",
        "tour_booked",
        "qualified",
        "hot",
        "signed",
        "conversation_abandoned",
    ]
    list_filter = [
        "engagement_score",
        "qualified",
        "hot",
        "signed",
        "tour_booked",
        "contact_captured",
        "conversation_abandoned",
        "admin_handoff_triggered",
    ]
    search_fields = ["conversation__id", "prospect__email", "prospect__last_name", "property__name", "device_id"]
    list_select_related = ["conversation", "property"]
    date_hierarchy = "started_at"
    raw_id_fields = ["conversation", "prospect"]
    readonly_fields = [field.name for field in ConversationAnalytics._meta.fields if field.name != "id"]
    write_requires = "property"
    actions = [recalculate]

    def has_add_permission(self, request, *args):
        return False


@admin.action(description="Forward the selected failed events again", permissions=["change"])
def replay(modeladmin, request, queryset):
    failed = queryset.filter(forward_status=ForwardStatus.FAILED)
    allowed = [event for event in failed if modeladmin.has_change_permission(request, event)]
    replayed = forwarding.events_replay(events=allowed) if allowed else 0
    messages.info(request, f"{replayed} event(s) queued for Amplitude again.")


@admin.register(AnalyticsEvent)
class AnalyticsEventAdmin(TenantScopedAdmin):
    list_display = [
        "event_type",
        "source",
        "property",
        "occurred_at",
        "forward_status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    ]
    list_filter = ["forward_status", "event_type", "source"]
    search_fields = ["event_id", "conversation__id", "device_id", "session_id", "last_error"]
    list_select_related = ["property"]
    raw_id_fields = ["conversation"]
    readonly_fields = [field.name for field in AnalyticsEvent._meta.fields if field.name != "id"]
    write_requires = "property"
    actions = [replay]

    def has_add_permission(self, request, *args):
        return False


@admin.register(AmplitudeState)
class AmplitudeStateAdmin(TenantScopedAdmin):
    list_display = [
        "company",
        "last_success_at",
        "last_failure_at",
        "consecutive_failures",
        "events_sent",
        "last_error",
    ]
    list_filter = ["consecutive_failures"]
    search_fields = ["company__name", "last_error"]
    list_select_related = ["company"]
    readonly_fields = [
        "company",
        "last_success_at",
        "last_failure_at",
        "last_error",
        "consecutive_failures",
        "events_sent",
    ]

    def has_add_permission(self, request, *args):
        return False
