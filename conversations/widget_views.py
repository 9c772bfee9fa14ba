"""The widget's script (/widget/widget.js) and the demo page that embeds it (/widget/demo/)."""

from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from properties.models import Property

WIDGET_JS = Path(__file__).resolve().parent / "static" / "widget" / "widget.js"


@cache
def _script() -> bytes:
    return WIDGET_JS.read_bytes()


@require_GET
def widget_script(request):
    """Served by the backend itself, so an embed code works with no static-file server in front."""
    response = HttpResponse(_script(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    # Any site may load the script; what it may do is decided per property by the API.
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@require_GET
def widget_demo(request):
    """A page that embeds a property's widget: ?widget_key=..., or the first active property."""
    if not settings.WIDGET_DEMO_PAGE:
        raise Http404("The demo page is switched off.")
    properties = Property.objects.filter(chatbot_is_active=True).select_related("company").order_by("name", "id")
    key = request.GET.get("widget_key")
    property_ = properties.filter(widget_key=key).first() if key else properties.first()
    if property_ is None:
        raise Http404("No property with an active chatbot; run `python manage.py seed_demo`.")
    base = request.build_absolute_uri("/").rstrip("/")
    return render(
        request,
        "conversations/widget_demo.html",
        {"property": property_, "api_base": base, "script_url": f"{base}/widget/widget.js"},
    )
