"""CORS for the public widget API: each property's own origins, decided per request.

django-cors-headers asks its `check_request_enabled` signal whether an origin not in
CORS_ALLOWED_ORIGINS may be answered; we say yes only on widget routes, and only for the origins
that the property named by `?widget_key=` allows (its website and its company's additions).
"""

from conversations.selectors import origin_allowed

WIDGET_PATHS = ("/api/widget/", "/api/users/browser/")


def allow_widget_origin(sender, request, **kwargs) -> bool:
    if not request.path.startswith(WIDGET_PATHS):
        return False
    widget_key, origin = request.GET.get("widget_key"), request.headers.get("Origin")
    return bool(widget_key and origin) and origin_allowed(widget_key=widget_key, origin=origin)
