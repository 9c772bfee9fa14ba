"""`WS /api/ws/analytics/:propertyId`: a property's analytics records, live, for staff who may read it.

Authentication is the chat's middleware (a JWT in `?access_token=` or an Authorization header); the
property is checked against the caller's tenancy before the socket joins its group.

    server -> client
      {"type": "ready", "property_id": "..."}
      {"type": "analytics", "analytics": {...}}        a conversation's record changed (AmplitudeAnalytics)
      {"type": "recalculated", "property_id": "...", "conversations": n}   reload: a bulk recalculation ended
      {"type": "error", "code": "...", "message": "..."}  then the socket closes (4401, 4403, 4404)
      {"type": "pong"}
    client -> server
      {"type": "ping"}
"""

from uuid import UUID

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils.module_loading import import_string

from analytics import realtime
from conversations.consumers import (
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_UNAUTHORIZED,
    NoConnectionSweepMixin,
    Refused,
    staff_origin_allowed,
)
from core.errors import ErrorCode
from core.tenancy import scope_queryset
from properties.models import Property


def analytics_socket_property(*, property_id: str, user, auth_error, origin: str | None) -> str:
    """The property a staff socket may follow, or Refused."""
    if auth_error:
        raise Refused(CLOSE_UNAUTHORIZED, auth_error, "The access token is invalid or expired.")
    if not user.is_authenticated:
        raise Refused(CLOSE_UNAUTHORIZED, ErrorCode.UNAUTHORIZED, "An access token is required.")
    if not staff_origin_allowed(origin):
        raise Refused(CLOSE_FORBIDDEN, ErrorCode.FORBIDDEN, "This origin may not open staff sockets.")
    try:
        UUID(property_id)
    except ValueError:
        raise Refused(CLOSE_NOT_FOUND, ErrorCode.RECORD_NOT_FOUND, "No such property.") from None
    access = import_string(settings.TENANCY_ACCESS_RESOLVER)(user)
    if not access.has_tenant:
        raise Refused(CLOSE_FORBIDDEN, ErrorCode.FORBIDDEN, "Your account is not attached to a company.")
    found = scope_queryset(Property.objects.all(), access).filter(pk=property_id).values_list("pk", flat=True).first()
    if found is None:
        raise Refused(CLOSE_NOT_FOUND, ErrorCode.RECORD_NOT_FOUND, "No such property.")
    return str(found)


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key == name:
            return value.decode("latin-1")
    return None


class AnalyticsConsumer(NoConnectionSweepMixin, AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self):
        try:
            property_id = await database_sync_to_async(analytics_socket_property)(
                property_id=self.scope["url_route"]["kwargs"]["property_id"],
                user=self.scope.get("user"),
                auth_error=self.scope.get("auth_error"),
                origin=_header(self.scope, b"origin"),
            )
        except Refused as refused:
            await self.accept()
            await self.send_json({"type": "error", "code": str(refused.code), "message": refused.message})
            await self.close(code=refused.close_code)
            return
        self.group = realtime.property_group(property_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "ready", "property_id": property_id})

    async def disconnect(self, code):
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if self.group is not None and isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def analytics_event(self, event):
        frame = {key: value for key, value in event.items() if key not in ("type", "event")}
        await self.send_json({"type": event["event"], **frame})
