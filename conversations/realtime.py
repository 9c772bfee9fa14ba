"""Live delivery over the channel layer, always after the database transaction commits.

Group names carry the object they are about: `chat.<conversation id>` (the widget and the
managers watching a conversation) and `manager.<manager id>` (one manager's notifications).
"""

import threading
import weakref

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


class _LoopOutbox:
    """Events that database threads hand to the server's event loop. Chat events that arrive
    together (a commit's on_commit hooks run back to back: the prospect's message, what changed,
    the bot's answer) leave as one publish per conversation instead of one each; consumers
    unpack them in order (ChatConsumer.chat_batch). Everything leaves in the order it came."""

    def __init__(self, loop, layer):
        self.loop, self.layer = loop, layer
        self.lock = threading.Lock()
        self.pending: list[tuple[str, dict]] = []

    def put(self, group: str, event: dict) -> None:
        with self.lock:
            self.pending.append((group, event))
            first = len(self.pending) == 1
        if first:
            self.loop.call_soon_threadsafe(self._flush)

    def _flush(self) -> None:
        with self.lock:
            pending, self.pending = self.pending, []
        batches: dict[str, list[dict]] = {}
        for group, event in pending:
            if event["type"] == "chat.event":
                if group not in batches:
                    batches[group] = []
                    self.loop.create_task(self._send_batch(group, batches[group]))
                batches[group].append(event)
            else:
                self.loop.create_task(self.layer.group_send(group, event))

    async def _send_batch(self, group: str, events: list[dict]) -> None:
        # Runs after _flush has filled `events` (a task starts on a later turn of the loop).
        message = events[0] if len(events) == 1 else {"type": "chat.batch", "events": events}
        await self.layer.group_send(group, message)


_outboxes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_outboxes_lock = threading.Lock()


def _send(group: str, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is not None and loop.is_running():
        # Called from a consumer's database thread: hand the send to the server's event loop and go
        # on, instead of holding a database thread until Redis answers.
        with _outboxes_lock:
            outbox = _outboxes.get(loop)
            if outbox is None or outbox.layer is not layer:
                outbox = _outboxes[loop] = _LoopOutbox(loop, layer)
        outbox.put(group, event)
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
