"""WebSocket routes, added by the apps that own the consumers."""

websocket_urlpatterns: list = []
