from django.urls import re_path

from core.api.routers import ApiRouter
from core.tenancy import UUID_PATTERN
from resman import views
from resman.services.webhooks import EVENT_TYPES

router = ApiRouter()
router.register("resman/leads", views.LeadViewSet, basename="resman-lead")
router.register("resman/outbox", views.OutboxViewSet, basename="resman-outbox")
router.register("resman/tours", views.ResManTourViewSet, basename="resman-tour")
router.register("resman/contacts", views.ContactViewSet, basename="resman-contact")

PK = rf"(?P<pk>{UUID_PATTERN})"
per_property = views.PropertyResManViewSet
company = views.CompanyWebhookViewSet

urlpatterns = [
    re_path(
        rf"^resman/tours/availability/{PK}/?$",
        per_property.as_view({"get": "tour_availability"}),
        name="resman-tour-availability",
    ),
    re_path(
        rf"^resman/units/availability/{PK}/?$",
        per_property.as_view({"get": "unit_availability"}),
        name="resman-unit-availability",
    ),
    re_path(
        rf"^resman/units/pricing/{PK}/?$", per_property.as_view({"get": "unit_pricing"}), name="resman-unit-pricing"
    ),
    re_path(r"^resman/units/sync/?$", per_property.as_view({"post": "units_sync"}), name="resman-units-sync"),
    re_path(
        rf"^resman/properties/{PK}/settings/?$",
        per_property.as_view({"get": "resman_settings", "put": "resman_settings"}),
        name="resman-property-settings",
    ),
    re_path(
        rf"^resman/properties/{PK}/references/sync/?$",
        per_property.as_view({"post": "references"}),
        name="resman-references-sync",
    ),
    re_path(
        rf"^resman/companies/{PK}/webhook-settings/?$",
        company.as_view({"get": "webhook_settings"}),
        name="resman-webhook-settings",
    ),
    re_path(
        rf"^resman/companies/{PK}/rotate-webhook-secret/?$",
        company.as_view({"post": "rotate"}),
        name="resman-rotate-webhook-secret",
    ),
    *[
        re_path(
            rf"^resman/webhooks/{event}/?$",
            views.WebhookView.as_view(event_type=event),
            name=f"resman-webhook-{event}",
        )
        for event in EVENT_TYPES
    ],
    *router.urls,
]
