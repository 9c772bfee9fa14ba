"""WebSocket consumers: a conversation's live chat, and a manager's live notifications.

Protocol of `WS /api/ws/chat/:conversationId` (JSON frames):

    client -> server
      {"type": "message", "text": "...", "client_message_id": "..."}   stored once per id
      {"type": "typing", "is_typing": true}
      {"type": "resume", "last_message_id": "..."}                     replays what came after
      {"type": "ping"}
    server -> client
      {"type": "ready", "conversation": {...}, "role": "prospect" | "manager"}
      {"type": "message" | "message_updated", "message": {...}}        every stored message, in `seq` order
      {"type": "message_deleted", "message": {"id": ...}}
      {"type": "conversation", "conversation": {...}}                  status, takeover
      {"type": "typing", "sender": "bot" | "manager" | "prospect", "is_typing": true}
      {"type": "error", "code": "...", "message": "..."}
      {"type": "pong"}

A client that reconnects passes `?last_message_id=` (or sends "resume") and receives what it
missed; messages carry `seq`, so a client drops any it already has.
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from uuid import UUID

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.http.request import validate_host
from django.utils.module_loading import import_string

from conversations import realtime, selectors, services
from conversations.models import Conversation
from conversations.throttles import ChatRateLimited, browser_ident, chat_allowance_take, ip_ident
from core.errors import DomainError, ErrorCode
from core.tenancy import scope_queryset
from properties.models import PropertyManager

logger = logging.getLogger(__name__)
# The sockets' database work (connecting, replaying, messages) runs on its own thread pool, each
# call on a pooled database connection: one socket's messages stay in order (a consumer handles one
# frame at a time) while many sockets' round trips overlap instead of queueing behind asgiref's
# single thread (200 sockets opening at once waited there twice as long).
DB_EXECUTOR = ThreadPoolExecutor(max_workers=settings.CHAT_DB_THREADS, thread_name_prefix="chat-db")


def in_db_thread(function):
    return database_sync_to_async(function, thread_sensitive=False, executor=DB_EXECUTOR)


class NoConnectionSweepMixin:
    """Channels closes stale database connections before every event it dispatches, a hop to a
    thread each time: for a chat that is three hops per message. These consumers reach the
    database only through database_sync_to_async, which does that sweep itself, so dispatch skips it."""

    async def dispatch(self, message):
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)


CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_RATE_LIMITED = 4429


@dataclass
class ChatIdentity:
    role: str  # "prospect" or "manager"
    conversation: Conversation
    can_write: bool = True
    manager: PropertyManager | None = None
    throttle_key: str = ""


class Refused(Exception):
    def __init__(self, close_code: int, code: str, message: str):
        super().__init__(message)
        self.close_code, self.code, self.message = close_code, code, message


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key == name:
            return value.decode("latin-1")
    return None


def _own_origin(scope) -> str | None:
    """The origin of this server as the client reached it (a page we serve is same-origin)."""
    host = _header(scope, b"host")
    if not host:
        return None
    return f"{'https' if scope.get('scheme') in ('wss', 'https') else 'http'}://{host}"


def staff_origin_allowed(origin: str | None) -> bool:
    """The staff front end (CORS_ALLOWED_ORIGINS), this backend, or a host in ALLOWED_HOSTS."""
    if not origin:
        return True
    wanted = selectors.origin_of(origin)
    known = {selectors.origin_of(item) for item in [*settings.CORS_ALLOWED_ORIGINS, settings.PUBLIC_BASE_URL]}
    if wanted in known:
        return True
    host = wanted.split("://", 1)[1] if wanted else ""
    return bool(host) and validate_host(host.rsplit(":", 1)[0], settings.ALLOWED_HOSTS)


def _access_for(user):
    return import_string(settings.TENANCY_ACCESS_RESOLVER)(user)


def chat_identity(
    *,
    conversation_id: str,
    widget_token: str | None,
    user,
    auth_error,
    origin: str | None,
    own_origin: str | None = None,
    ip: str = "unknown",
) -> ChatIdentity:
    try:
        UUID(conversation_id)
    except ValueError:
        raise Refused(CLOSE_NOT_FOUND, ErrorCode.RECORD_NOT_FOUND, "No such conversation.") from None
    if widget_token:
        conversation = Conversation.objects.select_related("property", "prospect").filter(pk=conversation_id).first()
        if conversation is None or not selectors.constant_time_compare(conversation.token, widget_token):
            raise Refused(CLOSE_NOT_FOUND, ErrorCode.RECORD_NOT_FOUND, "No such conversation for this browser.")
        if not selectors.origin_allowed(
            widget_key=conversation.property.widget_key, origin=origin, own_origin=own_origin
        ):
            raise Refused(CLOSE_FORBIDDEN, ErrorCode.FORBIDDEN, "This website may not use this chat widget.")
        if not chat_allowance_take(idents=[ip_ident(ip)]):
            raise Refused(CLOSE_RATE_LIMITED, ErrorCode.RATE_LIMIT_EXCEEDED, "Too many chats from this address.")
        browser = conversation.prospect.browser_id if conversation.prospect else None
        return ChatIdentity("prospect", conversation, throttle_key=browser_ident(browser or conversation.pk))
    if auth_error:
        raise Refused(CLOSE_UNAUTHORIZED, auth_error, "The access token is invalid or expired.")
    if not user.is_authenticated:
        raise Refused(
            CLOSE_UNAUTHORIZED, ErrorCode.UNAUTHORIZED, "A conversation token or an access token is required."
        )
    if not staff_origin_allowed(origin):
        raise Refused(CLOSE_FORBIDDEN, ErrorCode.FORBIDDEN, "This origin may not open staff sockets.")
    access = _access_for(user)
    conversation = (
        scope_queryset(Conversation.objects.select_related("property", "prospect"), access)
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise Refused(CLOSE_NOT_FOUND, ErrorCode.RECORD_NOT_FOUND, "No such conversation.")
    manager = (
        PropertyManager.objects.select_related("user").filter(pk=access.manager_id).first()
        if access.manager_id
        else None
    )
    return ChatIdentity(
        "manager", conversation, can_write=access.can_write_property(conversation.property_id), manager=manager
    )


def _prospect_turn(*, identity: ChatIdentity, text: str, client_message_id: str | None):
    # Messages count per browser; the IP is counted when a socket opens (and on every REST call,
    # including the session start that a new browser id needs), which bounds what one address can do.
    if not chat_allowance_take(idents=[identity.throttle_key]):
        raise ChatRateLimited()
    return services.prospect_message_handle(
        conversation=identity.conversation, text=text, client_message_id=client_message_id
    )


class ChatConsumer(NoConnectionSweepMixin, AsyncJsonWebsocketConsumer):
    identity: ChatIdentity | None = None

    async def connect(self):
        self.conversation_id = self.scope["url_route"]["kwargs"]["conversation_id"]
        try:
            self.identity = await in_db_thread(chat_identity)(
                conversation_id=self.conversation_id,
                widget_token=self.scope.get("widget_token"),
                user=self.scope.get("user"),
                auth_error=self.scope.get("auth_error"),
                origin=_header(self.scope, b"origin"),
                own_origin=_own_origin(self.scope),
                ip=(self.scope.get("client") or ["unknown"])[0],
            )
        except Refused as refused:
            await self.accept()
            await self.send_json({"type": "error", "code": refused.code, "message": refused.message})
            await self.close(code=refused.close_code)
            return
        self.group = realtime.conversation_group(self.identity.conversation.pk)
        # Join before reading the backlog, so nothing falls between the two (duplicates carry seq).
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json(
            {
                "type": "ready",
                "role": self.identity.role,
                "conversation": realtime.conversation_payload(self.identity.conversation),
            }
        )
        last_seen = (self.scope.get("query", {}).get("last_message_id") or [None])[-1]
        if last_seen:
            await self._replay(last_seen)

    async def disconnect(self, code):
        if self.identity is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def _replay(self, last_message_id) -> None:
        try:
            missed = await in_db_thread(selectors.messages_after)(
                conversation=self.identity.conversation, after_id=last_message_id
            )
        except (DomainError, ValueError):
            await self._error(ErrorCode.VALIDATION_ERROR, "Unknown last_message_id.")
            return
        for message in missed:
            await self.send_json({"type": "message", "message": realtime.message_payload(message)})

    async def receive_json(self, content, **kwargs):
        if self.identity is None:
            return
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "message":
            await self._message(content)
        elif kind == "typing":
            await self.channel_layer.group_send(
                self.group,
                {
                    "type": "chat.event",
                    "event": "typing",
                    "sender": self.identity.role,
                    "is_typing": bool(content.get("is_typing", True)),
                },
            )
        elif kind == "resume":
            await self._replay(content.get("last_message_id"))
        elif kind == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self._error(ErrorCode.VALIDATION_ERROR, "Unknown frame type.")

    async def _message(self, content):
        text, client_message_id = content.get("text"), content.get("client_message_id")
        if not isinstance(text, str) or (client_message_id is not None and not isinstance(client_message_id, str)):
            await self._error(ErrorCode.VALIDATION_ERROR, "A message needs text (and an optional client_message_id).")
            return
        if client_message_id is not None and len(client_message_id) > 64:
            await self._error(ErrorCode.VALIDATION_ERROR, "client_message_id holds at most 64 characters.")
            return
        try:
            if self.identity.role == "prospect":
                turn = await in_db_thread(_prospect_turn)(
                    identity=self.identity,
                    text=text,
                    client_message_id=client_message_id,
                )
                if not turn.created:
                    await self._direct(turn.message, duplicate=True)
                    if turn.reply is not None:
                        await self._direct(turn.reply, duplicate=True)
                return
            if not self.identity.can_write:
                await self._error(ErrorCode.INSUFFICIENT_PERMISSIONS, "Your access to this property is read-only.")
                return
            message, created = await in_db_thread(services.manager_message_send)(
                conversation=self.identity.conversation,
                manager=self.identity.manager,
                text=text,
                client_message_id=client_message_id,
            )
            if not created:
                await self._direct(message, duplicate=True)
        except DomainError as exc:
            await self._error(exc.code, exc.message)

    async def _direct(self, message, *, duplicate: bool) -> None:
        await self.send_json({"type": "message", "message": realtime.message_payload(message), "duplicate": duplicate})

    async def _error(self, code, message: str) -> None:
        await self.send_json({"type": "error", "code": str(code), "message": message})

    async def chat_batch(self, event):
        for item in event["events"]:
            await self.chat_event(item)

    async def chat_event(self, event):
        frame = {key: value for key, value in event.items() if key not in ("type", "event")}
        if event["event"] == "typing" and event.get("sender") == self.identity.role:
            return  # nobody needs to see their own typing indicator
        await self.send_json({"type": event["event"], **frame})


def notification_identity(*, manager_id: str, user, auth_error, origin: str | None) -> str:
    if auth_error:
        raise Refused(CLOSE_UNAUTHORIZED, auth_error, "The access token is invalid or expired.")
    if not user.is_authenticated:
        raise Refused(CLOSE_UNAUTHORIZED, ErrorCode.UNAUTHORIZED, "An access token is required.")
    if not staff_origin_allowed(origin):
        raise Refused(CLOSE_FORBIDDEN, ErrorCode.FORBIDDEN, "This origin may not open staff sockets.")
    profile_id = PropertyManager.objects.filter(user=user).values_list("pk", flat=True).first()
    if profile_id is None or str(profile_id) != manager_id.lower():
        raise Refused(CLOSE_FORBIDDEN, ErrorCode.FORBIDDEN, "You can only subscribe to your own notifications.")
    return str(profile_id)


class NotificationConsumer(NoConnectionSweepMixin, AsyncJsonWebsocketConsumer):
    """`WS /api/ws/notifications/:managerId`: a manager's own lead notifications, live."""

    group: str | None = None

    async def connect(self):
        try:
            manager_id = await in_db_thread(notification_identity)(
                manager_id=self.scope["url_route"]["kwargs"]["manager_id"],
                user=self.scope.get("user"),
                auth_error=self.scope.get("auth_error"),
                origin=_header(self.scope, b"origin"),
            )
        except Refused as refused:
            await self.accept()
            await self.send_json({"type": "error", "code": refused.code, "message": refused.message})
            await self.close(code=refused.close_code)
            return
        self.group = realtime.manager_group(manager_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "ready", "manager_id": manager_id})

    async def disconnect(self, code):
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if self.group is not None and isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def notification_event(self, event):
        await self.send_json({"type": "notification", "notification": event["notification"]})
