"""The ResMan integration in the back office: sync state, mappings, the outbox (with replay of final
failures), conflicts, guest-card links and events, floor plans and units, webhook deliveries."""

from django.contrib import admin, messages

from core.admin import TenantScopedAdmin, TenantScopedInline
from core.errors import DomainError
from resman.models import (
    AgentMapping,
    CompanyResManSettings,
    FloorPlan,
    LeadLink,
    OutboxItem,
    OutboxStatus,
    PropertyResManSettings,
    ResManEvent,
    ResManReference,
    SourceMapping,
    SyncConflict,
    TourLink,
    Unit,
    WebhookDelivery,
)
from resman.services import outbox


@admin.register(CompanyResManSettings)
class CompanyResManSettingsAdmin(TenantScopedAdmin):
    list_display = ["company", "last_success_at", "last_failure_at", "consecutive_failures", "last_error"]
    list_filter = ["consecutive_failures"]
    search_fields = ["company__name"]
    list_select_related = ["company"]
    readonly_fields = ["last_success_at", "last_failure_at", "last_error", "consecutive_failures"]


@admin.register(SourceMapping)
class SourceMappingAdmin(TenantScopedAdmin):
    list_display = ["lead_source", "resman_source_id", "property"]
    search_fields = ["lead_source", "resman_source_id", "property__name"]
    list_select_related = ["property"]
    write_requires = "property"


@admin.register(AgentMapping)
class AgentMappingAdmin(TenantScopedAdmin):
    list_display = ["property_manager", "resman_employee_id", "property"]
    search_fields = ["resman_employee_id", "property__name", "property_manager__user__email"]
    list_select_related = ["property", "property_manager__user"]
    write_requires = "property"


@admin.register(PropertyResManSettings)
class PropertyResManSettingsAdmin(TenantScopedAdmin):
    list_display = [
        "property",
        "units_sync_frequency",
        "lead_cursor",
        "last_poll_at",
        "last_poll_error",
        "units_synced_at",
    ]
    list_filter = ["units_sync_frequency"]
    search_fields = ["property__name", "property__resman_property_id"]
    list_select_related = ["property"]
    readonly_fields = ["lead_cursor", "last_poll_at", "last_poll_error", "units_synced_at", "units_sync_error"]
    write_requires = "property"


@admin.register(ResManReference)
class ResManReferenceAdmin(TenantScopedAdmin):
    list_display = ["name", "kind", "resman_id", "property", "email"]
    list_filter = ["kind"]
    search_fields = ["name", "resman_id", "email"]
    list_select_related = ["property"]


class ConflictInline(TenantScopedInline):
    model = SyncConflict
    fields = ["field", "our_value", "their_value", "status", "resolution", "resolved_at"]
    readonly_fields = fields
    can_delete = False


class EventInline(TenantScopedInline):
    model = ResManEvent
    fields = ["event_type", "event_date", "agent_id", "comments", "reasons"]
    readonly_fields = fields
    can_delete = False


@admin.register(LeadLink)
class LeadLinkAdmin(TenantScopedAdmin):
    list_display = ["prospect", "property", "resman_prospect_id", "status", "last_pushed_at", "last_pulled_at"]
    list_filter = ["status"]
    search_fields = ["resman_prospect_id", "resman_person_id", "prospect__email", "prospect__last_name"]
    list_select_related = ["prospect", "property"]
    raw_id_fields = ["prospect", "merged_into"]
    readonly_fields = ["synced_values", "pulled_fingerprint", "pushed_fingerprint", "last_pushed_at", "last_pulled_at"]
    write_requires = "property"
    inlines = [ConflictInline, EventInline]


@admin.action(description="Replay the selected failed pushes")
def replay(modeladmin, request, queryset):
    replayed = 0
    for item in queryset.filter(status__in=[OutboxStatus.FAILED, OutboxStatus.SKIPPED]):
        if modeladmin.has_change_permission(request, item):
            try:
                outbox.outbox_replay(item=item)
                replayed += 1
            except DomainError as exc:
                messages.error(request, exc.message)
    messages.info(request, f"{replayed} push(es) queued again.")


@admin.register(OutboxItem)
class OutboxItemAdmin(TenantScopedAdmin):
    list_display = [
        "kind",
        "status",
        "property",
        "prospect",
        "attempts",
        "next_attempt_at",
        "last_error_code",
        "created_at",
    ]
    list_filter = ["status", "kind", "last_error_code"]
    search_fields = ["idempotency_key", "last_error", "prospect__email"]
    list_select_related = ["property", "prospect"]
    readonly_fields = [f.name for f in OutboxItem._meta.fields if f.name != "id"]
    write_requires = "property"
    actions = [replay]

    def has_add_permission(self, request, *args):
        return False


@admin.register(SyncConflict)
class SyncConflictAdmin(TenantScopedAdmin):
    list_display = ["field", "lead", "our_value", "their_value", "status", "resolution", "created_at"]
    list_filter = ["status", "field", "resolution"]
    search_fields = ["lead__resman_prospect_id", "lead__prospect__email"]
    list_select_related = ["lead__prospect"]
    readonly_fields = ["lead", "field", "base_value", "our_value", "their_value", "resolved_by", "resolved_at"]
    write_requires = "property"


@admin.register(ResManEvent)
class ResManEventAdmin(TenantScopedAdmin):
    list_display = ["event_type", "event_date", "lead", "agent_id", "source_id"]
    list_filter = ["event_type"]
    search_fields = ["comments", "lead__resman_prospect_id", "external_id"]
    list_select_related = ["lead"]
    raw_id_fields = ["lead"]


@admin.register(TourLink)
class TourLinkAdmin(TenantScopedAdmin):
    list_display = ["tour", "lead", "pushed_datetime", "cancelled_at"]
    search_fields = ["lead__resman_prospect_id"]
    list_select_related = ["tour", "lead"]
    raw_id_fields = ["tour", "lead"]


class UnitInline(TenantScopedInline):
    model = Unit
    fields = ["resman_id", "is_available", "available_date", "market_rent", "leased_status"]
    readonly_fields = fields
    can_delete = False


@admin.register(FloorPlan)
class FloorPlanAdmin(TenantScopedAdmin):
    list_display = [
        "name",
        "resman_id",
        "property",
        "bedrooms",
        "market_rent_min",
        "market_rent_max",
        "units_available",
    ]
    list_filter = ["bedrooms"]
    search_fields = ["name", "resman_id"]
    list_select_related = ["property"]
    write_requires = "property"
    inlines = [UnitInline]


@admin.register(Unit)
class UnitAdmin(TenantScopedAdmin):
    list_display = ["resman_id", "property", "floor_plan", "is_available", "available_date", "market_rent"]
    list_filter = ["is_available", "bedrooms", "leased_status"]
    search_fields = ["resman_id", "marketing_name"]
    list_select_related = ["property", "floor_plan"]
    write_requires = "property"


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(TenantScopedAdmin):
    list_display = ["event_type", "event_id", "company", "status", "attempts", "created_at"]
    list_filter = ["status", "event_type"]
    search_fields = ["event_id", "resman_property_id"]
    list_select_related = ["company"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields if f.name != "id"]

    def has_add_permission(self, request, *args):
        return False
