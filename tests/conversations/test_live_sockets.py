"""Real WebSocket clients against the ASGI app served on loopback, over the configured channel
layer (Redis pub/sub in CI): sockets idle past 10 s keep working, bursts of more than 100
messages in flight all arrive, and the consumers reuse pooled database connections."""

import asyncio
import json

import pytest
import websockets
from django.conf import settings
from django.db import connection
from rest_framework_simplejwt.tokens import RefreshToken

from conversations.models import Message
from tests.conversations.conftest import WidgetClient

TIMEOUT = 10


@pytest.fixture
def chat(asgi_server, tenants, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "chat": "100000/1m"},
    }
    widget = WidgetClient()
    widget.session(tenants.a1)
    manager_token = str(RefreshToken.for_user(tenants.manager_write.user).access_token)
    base = f"ws://{asgi_server}/api/ws/chat/{widget.conversation_id}"
    return {
        "prospect": f"{base}?token={widget.token}",
        "manager": f"{base}?access_token={manager_token}",
        "widget": widget,
    }


async def _frames(socket, count, kind="message"):
    frames = []
    while len(frames) < count:
        frame = json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT))
        if frame["type"] == kind:
            frames.append(frame)
    return frames


def test_sockets_idle_for_more_than_10_seconds_still_deliver(chat):
    async def scenario():
        async with websockets.connect(chat["manager"]) as manager, websockets.connect(chat["prospect"]) as prospect:
            await _frames(manager, 1, "ready"), await _frames(prospect, 1, "ready")
            await asyncio.sleep(11)
            await prospect.send(json.dumps({"type": "message", "text": "still there?", "client_message_id": "idle-1"}))
            watched = await _frames(manager, 2)
            answered = await _frames(prospect, 2)
            return watched, answered

    watched, answered = asyncio.run(scenario())
    assert [f["message"]["sender"] for f in watched] == ["prospect", "bot"]
    assert [f["message"]["sender"] for f in answered] == ["prospect", "bot"]


def test_a_burst_of_more_than_100_messages_in_flight_all_arrive(chat):
    burst = 150

    async def scenario():
        async with websockets.connect(chat["manager"]) as manager, websockets.connect(chat["prospect"]) as prospect:
            await _frames(manager, 1, "ready"), await _frames(prospect, 1, "ready")
            for n in range(burst):
                await prospect.send(
                    json.dumps({"type": "message", "text": f"message {n}", "client_message_id": f"b{n}"})
                )
            return await _frames(manager, 2 * burst)

    frames = asyncio.run(scenario())
    seqs = [f["message"]["seq"] for f in frames]
    assert sorted(seqs) == list(range(1, 2 * burst + 1))
    assert len(set(seqs)) == 2 * burst
    stored = Message.objects.filter(conversation_id=chat["widget"].conversation_id)
    assert stored.filter(sender="prospect").count() == burst
    assert stored.filter(sender="bot").count() == burst


@pytest.mark.skipif(connection.vendor != "postgresql", reason="counts PostgreSQL sessions")
def test_consumers_reuse_database_connections(chat):
    def sessions() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
            return cursor.fetchone()[0]

    async def scenario():
        async with websockets.connect(chat["prospect"]) as prospect:
            await _frames(prospect, 1, "ready")
            for n in range(20):
                await prospect.send(json.dumps({"type": "message", "text": f"hello {n}", "client_message_id": f"p{n}"}))
                await _frames(prospect, 2)

    before = sessions()
    asyncio.run(scenario())
    # 20 messages, each several statements: without reuse this would open 40 or more sessions. With
    # it, at most one per message thread, one for the socket's own lookups, one for the test.
    assert sessions() - before <= settings.CHAT_DB_THREADS + 2
