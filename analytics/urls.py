"""Routes of analytics (included at /api/): the spec's Amplitude Analytics APIs and three of its
testing endpoints."""

from django.urls import re_path

from analytics import views
from core.tenancy import UUID_PATTERN

data = views.AmplitudeDataViewSet
testing = views.DiagnosticsViewSet

urlpatterns = [
    re_path(r"^amplitude-data/?$", views.AmplitudeDataView.as_view(), name="amplitude-data"),
    re_path(
        rf"^amplitude-data/conversation/(?P<conversation_id>{UUID_PATTERN})/?$",
        data.as_view({"get": "conversation"}),
        name="amplitude-data-conversation",
    ),
    re_path(
        rf"^amplitude-data/property/(?P<property_id>{UUID_PATTERN})/?$",
        data.as_view({"get": "property"}),
        name="amplitude-data-property",
    ),
    re_path(r"^amplitude-data/summary/?$", data.as_view({"get": "summary"}), name="amplitude-data-summary"),
    re_path(
        r"^amplitude-data/calculate-engagement/?$",
        data.as_view({"post": "calculate_engagement"}),
        name="amplitude-data-calculate-engagement",
    ),
    re_path(
        r"^amplitude-data/engagement-scores/?$",
        data.as_view({"get": "engagement_scores"}),
        name="amplitude-data-engagement-scores",
    ),
    re_path(
        r"^amplitude-data/lead-qualification-rates/?$",
        data.as_view({"get": "lead_qualification_rates"}),
        name="amplitude-data-lead-qualification-rates",
    ),
    re_path(
        r"^test/resman-connection/?$", testing.as_view({"post": "resman_connection"}), name="test-resman-connection"
    ),
    re_path(r"^test/webhook-delivery/?$", testing.as_view({"post": "webhook_delivery"}), name="test-webhook-delivery"),
    re_path(
        r"^test/analytics-calculation/?$",
        testing.as_view({"get": "analytics_calculation"}),
        name="test-analytics-calculation",
    ),
]
