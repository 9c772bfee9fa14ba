"""A bare chat consumer for comparison: the widget's socket protocol with the least work a chat
can do per message (two inserts, two broadcasts), no bot, no tenancy, no throttle.

    uvicorn benchmarks.chat_bare_asgi:application   (run by benchmarks/chat_ws.py --app bare)
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.db import database_sync_to_async  # noqa: E402
from channels.generic.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.db import transaction  # noqa: E402
from django.urls import re_path  # noqa: E402

from conversations.models import Message  # noqa: E402


def _store(conversation_id, text, client_message_id, seq):
    with transaction.atomic():
        mine = Message.objects.create(
            conversation_id=conversation_id, sender="prospect", text=text, client_message_id=client_message_id, seq=seq
        )
        bot = Message.objects.create(conversation_id=conversation_id, sender="bot", text="ok", seq=seq + 1)
    return mine, bot


def _frame(message):
    return {"id": str(message.pk), "seq": message.seq, "sender": message.sender, "text": message.text}


class BareChatConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.conversation_id = self.scope["url_route"]["kwargs"]["conversation_id"]
        self.group = f"bare.{self.conversation_id}"
        self.seq = 0
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "ready"})

    async def receive_json(self, content, **kwargs):
        self.seq += 2
        mine, bot = await database_sync_to_async(_store, thread_sensitive=False)(
            self.conversation_id, content["text"], content["client_message_id"], self.seq - 1
        )
        for message in (mine, bot):
            await self.channel_layer.group_send(self.group, {"type": "chat.message", "message": _frame(message)})

    async def chat_message(self, event):
        await self.send_json({"type": "message", "message": event["message"]})


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter([re_path(r"^api/ws/chat/(?P<conversation_id>[^/]+)/?$", BareChatConsumer.as_asgi())]),
    }
)
