from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

api_patterns = [
    path("auth/", include("accounts.urls")),
    path("", include("core.urls")),
    path("", include("companies.urls")),
    path("", include("properties.urls")),
    path("", include("conversations.urls")),
    path("", include("faqs.urls")),
    path("", include("tours.urls")),
    path("", include("emails.urls")),
    path("", include("resman.urls")),
    path("", include("analytics.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("widget/", include("conversations.widget_urls")),
]
