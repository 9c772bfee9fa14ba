"""CORS for the widget's events: `POST /api/amplitude-data?widget_key=...` from a property's website.

The chat's own rule (conversations.cors) covers its widget routes only; the same per-property origins
apply here, decided by django-cors-headers' `check_request_enabled` signal.
"""

import re

from conversations.selectors import origin_allowed

EVENTS_PATH = re.compile(r"^/api/amplitude-data/?$")


def allow_widget_events(sender, request, **kwargs) -> bool:
    if not EVENTS_PATH.match(request.path):
        return False
    widget_key, origin = request.GET.get("widget_key"), request.headers.get("Origin")
    return bool(widget_key and origin) and origin_allowed(widget_key=widget_key, origin=origin)
