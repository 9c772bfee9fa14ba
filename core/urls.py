from django.urls import path

from core import views

urlpatterns = [
    path("health", views.HealthView.as_view(), name="health"),
    path("health/database", views.DatabaseHealthView.as_view(), name="health-database"),
    path("health/resman", views.ResManHealthView.as_view(), name="health-resman"),
    path("health/external-services", views.ExternalServicesHealthView.as_view(), name="health-external"),
]
