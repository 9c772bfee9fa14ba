"""WebSocket routes, added by the apps that own the consumers."""

from django.urls import re_path

from analytics.consumers import AnalyticsConsumer
from conversations import consumers

websocket_urlpatterns: list = [
    re_path(r"^api/ws/chat/(?P<conversation_id>[^/]+)/?$", consumers.ChatConsumer.as_asgi()),
    re_path(r"^api/ws/notifications/(?P<manager_id>[^/]+)/?$", consumers.NotificationConsumer.as_asgi()),
    re_path(r"^api/ws/analytics/(?P<property_id>[^/]+)/?$", AnalyticsConsumer.as_asgi()),
]
