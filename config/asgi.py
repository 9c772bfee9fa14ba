"""ASGI entry point: HTTP (the embedded run serves REST here too) and WebSockets.

WebSockets authenticate in WebSocketAuthMiddleware (a conversation token for the widget, a JWT
for staff). Origins are checked by the consumers, not by AllowedHostsOriginValidator: the widget
runs on each property's own website, so the allowed origins depend on the conversation.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from conversations.ws_auth import WebSocketAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": WebSocketAuthMiddleware(URLRouter(websocket_urlpatterns)),
    }
)
