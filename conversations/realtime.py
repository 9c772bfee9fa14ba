"""Live delivery over the channel layer, always after the database transaction commits.

Group names carry the object they are about: `chat.<conversation id>` (the widget and the
managers watching a conversation) and `manager.<manager id>` (one manager's notifications).
"""

import asyncio

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def conversation_group(conversation_id) -> str:
    return f"chat.{conversation_id}"


def manager_group(manager_id) -> str:
    return f"manager.{manager_id}"


def message_payload(message) -> dict:
    """A message as the widget and the dashboards see it (the REST ChatMessageSerializer's fields)."""
    manager = message.sender_manager
    return {
        "id": str(message.pk),
        "conversation_id": str(message.conversation_id),
        "seq": message.seq,
        "sender": message.sender,
        "sender_name": (manager.user.get_full_name() if manager is not None else None),
        "text": message.text,
        "client_message_id": message.client_message_id,
        "created_at": message.created_at.isoformat(),
        "edited_at": message.edited_at.isoformat() if message.edited_at else None,
    }


def conversation_payload(conversation) -> dict:
    return {
        "id": str(conversation.pk),
        "status": conversation.status,
        "taken_over": conversation.taken_over_by_id is not None,
        "is_qualified": conversation.is_qualified,
        "is_book_tour": conversation.is_book_tour,
        "tour_datetime": conversation.tour_datetime.isoformat() if conversation.tour_datetime else None,
    }


def _send(group: str, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is not None and loop.is_running():
        # Called from a consumer's database thread: hand the send to the server's event loop and go
        # on, instead of holding a database thread until Redis answers. Sends start in the order
        # they are scheduled, and the layer publishes in that order.
        asyncio.run_coroutine_threadsafe(layer.group_send(group, event), loop)
    else:
        async_to_sync(layer.group_send)(group, event)


def send_after_commit(group: str, event: dict) -> None:
    transaction.on_commit(lambda: _send(group, event))


def broadcast_message(message, *, event: str = "message") -> None:
    send_after_commit(
        conversation_group(message.conversation_id),
        {"type": "chat.event", "event": event, "message": message_payload(message)},
    )


def broadcast_message_deleted(*, conversation_id, message_id) -> None:
    send_after_commit(
        conversation_group(conversation_id),
        {"type": "chat.event", "event": "message_deleted", "message": {"id": str(message_id)}},
    )


def broadcast_conversation(conversation) -> None:
    send_after_commit(
        conversation_group(conversation.pk),
        {"type": "chat.event", "event": "conversation", "conversation": conversation_payload(conversation)},
    )


def broadcast_typing(*, conversation_id, sender: str, is_typing: bool = True) -> None:
    """Typing is ephemeral: nothing is stored, so it is sent at once."""
    _send(
        conversation_group(conversation_id),
        {"type": "chat.event", "event": "typing", "sender": sender, "is_typing": is_typing},
    )


def push_notification(notification_payload: dict, *, manager_id) -> None:
    send_after_commit(manager_group(manager_id), {"type": "notification.event", "notification": notification_payload})
