from django.urls import re_path

from core.api.routers import ApiRouter
from core.tenancy import UUID_PATTERN
from tours import views

router = ApiRouter()
router.register("tours", views.TourViewSet, basename="tour")
router.register("calendar/integrations", views.CalendarIntegrationViewSet, basename="calendar-integration")

PK = rf"(?P<pk>{UUID_PATTERN})"
MANAGER = rf"(?P<manager_id>{UUID_PATTERN})"
# Signed tokens are base64url with ':' separators.
TOKEN = r"(?P<token>[A-Za-z0-9_\-:]+)"

per_property = views.PropertyToursViewSet
sync = views.CalendarSyncViewSet

urlpatterns = [
    re_path(rf"^tours/availability/{PK}/?$", per_property.as_view({"get": "availability"}), name="tour-availability"),
    re_path(
        rf"^tours/availability/{PK}/{MANAGER}/?$",
        per_property.as_view({"get": "manager_availability"}),
        name="tour-availability-manager",
    ),
    re_path(rf"^tours/outcomes/{PK}/?$", per_property.as_view({"get": "outcomes"}), name="tour-outcomes"),
    re_path(
        rf"^tours/settings/{PK}/?$",
        per_property.as_view({"get": "tour_settings", "put": "tour_settings", "patch": "tour_settings"}),
        name="tour-settings",
    ),
    re_path(rf"^tours/manage/{TOKEN}/?$", views.PublicTourView.as_view(), name="tour-manage"),
    re_path(
        rf"^tours/manage/{TOKEN}/availability/?$",
        views.PublicTourAvailabilityView.as_view(),
        name="tour-manage-availability",
    ),
    re_path(
        rf"^tours/manage/{TOKEN}/reschedule/?$", views.PublicTourRescheduleView.as_view(), name="tour-manage-reschedule"
    ),
    re_path(rf"^tours/manage/{TOKEN}/cancel/?$", views.PublicTourCancelView.as_view(), name="tour-manage-cancel"),
    re_path(
        rf"^calendar/availability/{PK}/?$",
        per_property.as_view({"get": "calendar_availability"}),
        name="calendar-availability",
    ),
    re_path(
        rf"^calendar/availability/{PK}/{MANAGER}/?$",
        per_property.as_view({"get": "manager_calendar_availability"}),
        name="calendar-availability-manager",
    ),
    re_path(rf"^calendar/sync/{PK}/?$", sync.as_view({"post": "sync"}), name="calendar-sync"),
    re_path(rf"^calendar/sync/status/{PK}/?$", sync.as_view({"get": "sync_status"}), name="calendar-sync-status"),
    re_path(rf"^calendar/sync/test/{PK}/?$", sync.as_view({"post": "test"}), name="calendar-sync-test"),
    re_path(
        rf"^calendar/webhooks/calendly/(?P<integration_id>{UUID_PATTERN})/?$",
        views.CalendlyWebhookView.as_view(),
        name="calendly-webhook",
    ),
    *router.urls,
]
