"""Tours and calendars in the admin. Bookings change only through the services (the same checks
as the API): times and managers are read-only here, and actions confirm, cancel or sync."""

from django.contrib import admin, messages
from django.db import transaction

from core.admin import TenantScopedAdmin, TenantScopedInline
from core.errors import DomainError
from tours import calendars, services, tasks
from tours.models import (
    BusyInterval,
    CalendarIntegration,
    NotificationStatus,
    Tour,
    TourHold,
    TourNotification,
    TourSettings,
)


@admin.register(TourSettings)
class TourSettingsAdmin(TenantScopedAdmin):
    list_display = [
        "property",
        "slot_minutes",
        "buffer_minutes",
        "min_notice_minutes",
        "horizon_days",
        "self_guided_capacity",
    ]
    search_fields = ["property__name"]
    list_select_related = ["property"]
    autocomplete_fields = ["property"]
    write_requires = "property"


class NotificationInline(TenantScopedInline):
    model = TourNotification
    fields = ["kind", "recipient", "send_at", "status", "attempts", "sent_at", "last_error"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


def _each(modeladmin, request, queryset, service, done: str):
    changed = 0
    for tour in queryset:
        if not modeladmin.has_change_permission(request, tour):
            modeladmin.message_user(request, f"{tour}: your access to this property is read-only.", messages.WARNING)
            continue
        try:
            with transaction.atomic():
                service(tour=tour)
            changed += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{tour}: {exc.message}", messages.WARNING)
    modeladmin.message_user(request, f"{changed} tour(s) {done}.")


@admin.register(Tour)
class TourAdmin(TenantScopedAdmin):
    list_display = [
        "prospect_name",
        "property",
        "tour_datetime",
        "tour_type",
        "status",
        "source",
        "property_manager",
        "outcome",
    ]
    list_filter = ["status", "tour_type", "source", "outcome"]
    search_fields = ["prospect_name", "prospect_email", "prospect_phone", "property__name"]
    list_select_related = ["property", "property_manager__user"]
    date_hierarchy = "tour_datetime"
    write_requires = "property"
    inlines = [NotificationInline]
    actions = ["confirm_tours", "cancel_tours"]
    fields = [
        "property",
        "conversation",
        "property_manager",
        "prospect_name",
        "prospect_email",
        "prospect_phone",
        "unit_interest",
        "tour_datetime",
        "ends_at",
        "duration_minutes",
        "tour_type",
        "status",
        "source",
        "notes",
        "cancel_reason",
        "outcome",
        "outcome_notes",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [
        "property",
        "conversation",
        "property_manager",
        "tour_datetime",
        "ends_at",
        "duration_minutes",
        "tour_type",
        "status",
        "source",
        "cancel_reason",
        "outcome",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request, *args):
        # A booking needs the availability checks and locks of tours.services: book through the API.
        return False

    @admin.action(description="Confirm the selected tours", permissions=["change"])
    def confirm_tours(self, request, queryset):
        _each(self, request, queryset, services.tour_confirm, "confirmed")

    @admin.action(description="Cancel the selected tours", permissions=["change"])
    def cancel_tours(self, request, queryset):
        _each(self, request, queryset, services.tour_cancel, "cancelled")

    def delete_model(self, request, obj):
        services.tour_delete(tour=obj)

    def delete_queryset(self, request, queryset):
        for tour in queryset:
            services.tour_delete(tour=tour)


@admin.register(TourHold)
class TourHoldAdmin(TenantScopedAdmin):
    list_display = ["hold_key", "property", "starts_at", "tour_type", "property_manager", "expires_at"]
    list_filter = ["tour_type"]
    search_fields = ["hold_key", "property__name"]
    list_select_related = ["property", "property_manager__user"]
    readonly_fields = [
        "property",
        "hold_key",
        "tour_type",
        "starts_at",
        "ends_at",
        "property_manager",
        "seat",
        "expires_at",
    ]
    write_requires = "property"

    def has_add_permission(self, request, *args):
        return False


@admin.register(TourNotification)
class TourNotificationAdmin(TenantScopedAdmin):
    list_display = ["tour", "kind", "recipient", "send_at", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["recipient", "tour__prospect_name"]
    list_select_related = ["tour"]
    readonly_fields = ["tour", "kind", "recipient", "send_at", "status", "attempts", "sent_at", "last_error"]
    write_requires = "property"
    actions = ["send_again"]

    def has_add_permission(self, request, *args):
        return False

    @admin.action(description="Send the selected failed emails again", permissions=["change"])
    def send_again(self, request, queryset):
        count = queryset.filter(status=NotificationStatus.FAILED).update(status=NotificationStatus.PENDING, attempts=0)
        self.message_user(request, f"{count} email(s) will be sent by the next sweep.")


@admin.register(CalendarIntegration)
class CalendarIntegrationAdmin(TenantScopedAdmin):
    list_display = ["property_manager", "property", "provider", "sync_status", "last_sync", "last_event_count"]
    list_filter = ["provider", "sync_status"]
    search_fields = ["property__name", "property_manager__user__email", "calendly_uri"]
    list_select_related = ["property", "property_manager__user"]
    autocomplete_fields = ["property", "property_manager"]
    fields = [
        "property",
        "property_manager",
        "provider",
        "calendly_uri",
        "calendly_token",
        "ical_url",
        "sync_status",
        "last_sync",
        "last_attempt_at",
        "last_error",
        "last_event_count",
        "calendly_webhook_uri",
    ]
    readonly_fields = ["last_sync", "last_attempt_at", "last_error", "last_event_count", "calendly_webhook_uri"]
    write_requires = "property"
    actions = ["sync_now"]

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in ("calendly_uri", "calendly_token", "ical_url", "sync_status")}
        if change:
            for name in ("calendly_token", "ical_url"):
                # A blank secret field keeps the stored value (the admin never shows it back).
                data[name] = data[name] or form.initial.get(name) or ""
            # The form has already written its values onto `obj`; compare against the stored row.
            calendars.calendar_integration_update(integration=CalendarIntegration.objects.get(pk=obj.pk), **data)
        else:
            created = calendars.calendar_integration_create(
                property=obj.property, property_manager=obj.property_manager, provider=obj.provider, **data
            )
            obj.pk = created.pk
            obj._state.adding = False

    @admin.action(description="Sync the selected calendars now", permissions=["change"])
    def sync_now(self, request, queryset):
        for pk in queryset.values_list("pk", flat=True):
            transaction.on_commit(lambda pk=pk: tasks.sync_calendar.delay(str(pk)))
        self.message_user(request, "Sync queued.")


@admin.register(BusyInterval)
class BusyIntervalAdmin(TenantScopedAdmin):
    list_display = ["source", "property_manager", "property", "starts_at", "ends_at", "integration"]
    list_filter = ["source"]
    search_fields = ["external_id", "property_manager__user__email", "property__name"]
    list_select_related = ["property_manager__user", "property", "integration"]
    autocomplete_fields = ["property_manager", "property"]
    readonly_fields = ["integration", "external_id"]
    write_requires = "property"
