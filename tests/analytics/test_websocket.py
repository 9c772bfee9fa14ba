"""WS /api/ws/analytics/:propertyId through the real ASGI application: staff who may read the property
follow its records live; everyone else is refused before joining."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import RefreshToken

from config.asgi import application
from tests.analytics.conftest import event, widget_events
from tests.conftest import client_for
from tests.conversations.conftest import WidgetClient
from tests.factories import ConversationFactory
from tests.live_server import close_consumer_connections

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 5


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture(autouse=True)
def _close_consumer_connections():
    yield
    close_consumer_connections()


def jwt_for(user) -> str:
    return str(RefreshToken.for_user(user).access_token)


async def connect(path, origin=None):
    headers = [(b"origin", origin.encode())] if origin else []
    socket = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await socket.connect()
    assert connected
    return socket, await socket.receive_json_from(TIMEOUT)


def test_a_reader_of_the_property_sees_records_change_live(chat, tenants):
    token = jwt_for(tenants.manager_read.user)

    async def scenario():
        socket, ready = await connect(f"/api/ws/analytics/{tenants.a1.pk}?access_token={token}")
        response = await database_sync_to_async(widget_events)(
            chat, tenants.a1, [event("e1", "chat_session_started"), event("e2")]
        )
        frame = await socket.receive_json_from(TIMEOUT)
        await socket.send_json_to({"type": "ping"})
        pong = await socket.receive_json_from(TIMEOUT)
        await socket.disconnect()
        return ready, response.status_code, frame, pong

    ready, status, frame, pong = run(scenario())
    assert ready == {"type": "ready", "property_id": str(tenants.a1.pk)}
    assert status == 201
    assert frame["type"] == "analytics"
    record = frame["analytics"]
    assert (record["conversation_id"], record["answer_button_clicks"]) == (chat.conversation_id, 1)
    assert record["chat_session_started"] is True
    assert pong == {"type": "pong"}


def test_a_chat_message_reaches_the_socket_through_the_sweep(chat, tenants):
    token = jwt_for(tenants.admin_a.user)

    async def scenario():
        socket, _ = await connect(f"/api/ws/analytics/{tenants.a1.pk}?access_token={token}")
        await database_sync_to_async(chat.send)(tenants.a1, "Do you have parking?")
        from analytics import tasks

        await database_sync_to_async(tasks.refresh_stale)()
        frame = await socket.receive_json_from(TIMEOUT)
        await socket.disconnect()
        return frame

    frame = run(scenario())
    assert frame["analytics"]["user_messages_sent"] == 1


def test_only_the_propertys_own_records_arrive(chat, tenants):
    token = jwt_for(tenants.admin_a.user)
    other = WidgetClient("browser-other-0003")
    other.session(tenants.a2)

    async def scenario():
        socket, _ = await connect(f"/api/ws/analytics/{tenants.a1.pk}?access_token={token}")
        await database_sync_to_async(widget_events)(other, tenants.a2, [event("elsewhere")])
        nothing = await socket.receive_nothing(0.3)
        await socket.disconnect()
        return nothing

    assert run(scenario())


def test_a_recalculation_sends_one_frame(tenants):
    token = jwt_for(tenants.admin_a.user)
    for _ in range(3):
        ConversationFactory(property=tenants.a1)
    admin = client_for(tenants.admin_a.user)

    async def scenario():
        socket, _ = await connect(f"/api/ws/analytics/{tenants.a1.pk}?access_token={token}")
        response = await database_sync_to_async(admin.post)(
            "/api/amplitude-data/calculate-engagement", {"property_id": str(tenants.a1.pk)}, format="json"
        )
        frame = await socket.receive_json_from(TIMEOUT)
        nothing = await socket.receive_nothing(0.3)
        await socket.disconnect()
        return response.status_code, frame, nothing

    status, frame, nothing = run(scenario())
    assert status == 202
    assert frame == {"type": "recalculated", "property_id": str(tenants.a1.pk), "conversations": 3}
    assert nothing


@pytest.mark.parametrize(
    ("who", "target", "code", "close"),
    [
        ("manager_read", "a2", "RECORD_NOT_FOUND", 4404),  # a property not assigned to them
        ("admin_b", "a1", "RECORD_NOT_FOUND", 4404),  # another company's property
        ("admin_a", "not-a-uuid", "RECORD_NOT_FOUND", 4404),
        (None, "a1", "UNAUTHORIZED", 4401),
        ("junk", "a1", "INVALID_TOKEN", 4401),
        ("widget", "a1", "UNAUTHORIZED", 4401),  # a conversation token is not staff
    ],
)
def test_callers_who_may_not_read_the_property_are_refused(chat, tenants, who, target, code, close):
    property_id = getattr(tenants, target).pk if target in ("a1", "a2") else target
    if who is None:
        query = ""
    elif who == "junk":
        query = "?access_token=junk"
    elif who == "widget":
        query = f"?token={chat.token}"
    else:
        query = f"?access_token={jwt_for(getattr(tenants, who).user)}"

    async def scenario():
        socket, frame = await connect(f"/api/ws/analytics/{property_id}{query}")
        closed = await socket.receive_output(TIMEOUT)
        return frame, closed

    frame, closed = run(scenario())
    assert (frame["type"], frame["code"]) == ("error", code)
    assert closed == {"type": "websocket.close", "code": close}


def test_a_foreign_origin_is_refused(tenants):
    token = jwt_for(tenants.admin_a.user)

    async def scenario():
        socket, frame = await connect(f"/api/ws/analytics/{tenants.a1.pk}?access_token={token}", "https://evil.test")
        return frame, await socket.receive_output(TIMEOUT)

    frame, closed = run(scenario())
    assert frame["code"] == "FORBIDDEN"
    assert closed["code"] == 4403


def test_platform_staff_may_follow_any_property(tenants):
    token = jwt_for(tenants.platform)

    async def scenario():
        socket, ready = await connect(f"/api/ws/analytics/{tenants.b1.pk}?access_token={token}")
        await socket.disconnect()
        return ready

    assert run(scenario())["type"] == "ready"
