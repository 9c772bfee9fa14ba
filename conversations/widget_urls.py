"""Routes outside /api/: the widget script and its demo page (included at /widget/)."""

from django.urls import re_path

from conversations import widget_views

urlpatterns = [
    re_path(r"^widget\.js$", widget_views.widget_script, name="widget-script"),
    re_path(r"^demo/?$", widget_views.widget_demo, name="widget-demo"),
]
