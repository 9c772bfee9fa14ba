"""WebSockets through the real ASGI application: the widget with its conversation token, managers
with a JWT. Every message is stored before it is broadcast; reconnects replay what was missed."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import RefreshToken

from config.asgi import application
from conversations.models import Conversation, LeadNotification, Message
from tests.conftest import client_for
from tests.conversations.conftest import WidgetClient
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


async def frames_until(socket, predicate, limit=20):
    seen = []
    for _ in range(limit):
        frame = await socket.receive_json_from(TIMEOUT)
        seen.append(frame)
        if predicate(frame):
            return seen
    raise AssertionError(f"never saw the expected frame in {seen}")


@pytest.fixture
def chat(tenants):
    widget = WidgetClient()
    widget.session(tenants.a1)
    return widget


def test_a_prospect_message_is_stored_then_answered_live(chat):
    async def scenario():
        socket, ready = await connect(f"/api/ws/chat/{chat.conversation_id}?token={chat.token}")
        await socket.send_json_to({"type": "message", "text": "We need a 2br", "client_message_id": "c1"})
        mine = await socket.receive_json_from(TIMEOUT)
        rest = await frames_until(socket, lambda f: f["type"] == "message")
        await socket.disconnect()
        return ready, mine, rest

    ready, mine, rest = run(scenario())
    bot = rest[-1]
    # Learning the size changes nothing a socket shows of the conversation: no conversation frame.
    assert [f["type"] for f in rest[:-1]] == []
    assert ready["type"] == "ready" and ready["role"] == "prospect"
    assert (mine["type"], mine["message"]["sender"], mine["message"]["seq"]) == ("message", "prospect", 1)
    assert mine["message"]["client_message_id"] == "c1"
    assert (bot["message"]["sender"], bot["message"]["seq"]) == ("bot", 2)
    assert "2 bedrooms" in bot["message"]["text"]
    assert Message.objects.filter(conversation_id=chat.conversation_id).count() == 2


def test_a_resent_message_is_stored_once(chat):
    async def scenario():
        socket, _ = await connect(f"/api/ws/chat/{chat.conversation_id}?token={chat.token}")
        for _ in range(2):
            await socket.send_json_to({"type": "message", "text": "Hello", "client_message_id": "same"})
        frames = [await socket.receive_json_from(TIMEOUT) for _ in range(4)]
        await socket.disconnect()
        return frames

    frames = run(scenario())
    fresh = [f["message"]["id"] for f in frames if not f.get("duplicate")]
    again = [f["message"]["id"] for f in frames if f.get("duplicate")]
    # The retry is answered with the stored message and reply (order against the live broadcast varies).
    assert sorted(fresh) == sorted(again) and len(fresh) == 2
    assert Message.objects.filter(conversation_id=chat.conversation_id, sender="prospect").count() == 1


def test_reconnecting_replays_what_was_missed(chat, tenants):
    first = chat.send(tenants.a1, "Hello", client_message_id="a").json()["data"]
    chat.send(tenants.a1, "2br please", client_message_id="b")
    chat.send(tenants.a1, "just me", client_message_id="c")

    async def scenario():
        path = f"/api/ws/chat/{chat.conversation_id}?token={chat.token}&last_message_id={first['reply']['id']}"
        socket, _ = await connect(path)
        frames = [await socket.receive_json_from(TIMEOUT) for _ in range(4)]
        assert await socket.receive_nothing(0.2)
        await socket.send_json_to({"type": "resume", "last_message_id": frames[-2]["message"]["id"]})
        again = await socket.receive_json_from(TIMEOUT)
        await socket.disconnect()
        return frames, again

    frames, again = run(scenario())
    assert [f["message"]["seq"] for f in frames] == [3, 4, 5, 6]
    assert again["message"]["seq"] == 6


def test_a_manager_sees_the_chat_live_and_taking_over_silences_the_bot(chat, tenants):
    token, name = jwt_for(tenants.manager_write.user), tenants.manager_write.user.get_full_name()

    async def scenario():
        manager, ready = await connect(f"/api/ws/chat/{chat.conversation_id}?access_token={token}")
        prospect, _ = await connect(f"/api/ws/chat/{chat.conversation_id}?token={chat.token}")
        await prospect.send_json_to({"type": "message", "text": "Hi", "client_message_id": "p1"})
        watched = [await manager.receive_json_from(TIMEOUT) for _ in range(2)]
        await frames_until(prospect, lambda f: f["type"] == "message" and f["message"]["sender"] == "bot")

        await manager.send_json_to({"type": "message", "text": "Sam here from the office", "client_message_id": "m1"})
        to_prospect = await frames_until(
            prospect, lambda f: f["type"] == "message" and f["message"]["sender"] == "manager"
        )

        await prospect.send_json_to({"type": "message", "text": "Great, do you allow cats?", "client_message_id": "p2"})
        echo = await frames_until(
            prospect, lambda f: f["type"] == "message" and f["message"]["client_message_id"] == "p2"
        )
        silent = await prospect.receive_nothing(0.5)
        await manager.disconnect()
        await prospect.disconnect()
        return ready, watched, to_prospect, echo, silent

    ready, watched, to_prospect, echo, silent = run(scenario())
    assert ready["role"] == "manager"
    assert [f["message"]["sender"] for f in watched] == ["prospect", "bot"]
    kinds = [f["type"] for f in to_prospect]
    assert "conversation" in kinds  # the takeover itself is announced
    assert to_prospect[-1]["message"]["sender_name"] == name
    assert silent
    conversation = Conversation.objects.get(pk=chat.conversation_id)
    assert conversation.taken_over_by_id == tenants.manager_write.pk
    assert not Message.objects.filter(
        conversation=conversation, sender="bot", seq__gt=echo[-1]["message"]["seq"]
    ).exists()


def test_a_manager_message_sent_over_rest_reaches_the_widget_live(chat, tenants):
    async def scenario():
        prospect, _ = await connect(f"/api/ws/chat/{chat.conversation_id}?token={chat.token}")
        client = client_for(tenants.manager_write.user)
        response = await database_sync_to_async(client.post)(
            f"/api/conversations/{chat.conversation_id}/messages", {"text": "Hello from REST"}, format="json"
        )
        frames = await frames_until(prospect, lambda f: f["type"] == "message" and f["message"]["sender"] == "manager")
        await prospect.disconnect()
        return response.status_code, frames

    status, frames = run(scenario())
    assert status == 201
    assert frames[-1]["message"]["text"] == "Hello from REST"


def test_typing_reaches_the_other_side_only(chat, tenants):
    token = jwt_for(tenants.manager_write.user)

    async def scenario():
        manager, _ = await connect(f"/api/ws/chat/{chat.conversation_id}?access_token={token}")
        prospect, _ = await connect(f"/api/ws/chat/{chat.conversation_id}?token={chat.token}")
        await prospect.send_json_to({"type": "typing", "is_typing": True})
        seen = await manager.receive_json_from(TIMEOUT)
        own = await prospect.receive_nothing(0.3)
        await prospect.send_json_to({"type": "ping"})
        pong = await prospect.receive_json_from(TIMEOUT)
        await manager.disconnect()
        await prospect.disconnect()
        return seen, own, pong

    seen, own, pong = run(scenario())
    assert seen == {"type": "typing", "sender": "prospect", "is_typing": True}
    assert own
    assert pong == {"type": "pong"}


@pytest.mark.parametrize(
    ("query", "code", "close"),
    [
        ("token=wrong", "RECORD_NOT_FOUND", 4404),
        ("", "UNAUTHORIZED", 4401),
        ("access_token=junk", "INVALID_TOKEN", 4401),
    ],
)
def test_bad_credentials_are_refused(chat, query, code, close):
    async def scenario():
        socket, frame = await connect(f"/api/ws/chat/{chat.conversation_id}?{query}")
        closed = await socket.receive_output(TIMEOUT)
        return frame, closed

    frame, closed = run(scenario())
    assert frame["code"] == code
    assert closed == {"type": "websocket.close", "code": close}


def test_one_browser_cannot_open_another_browsers_conversation(chat, tenants):
    other = WidgetClient("browser-other-0001")
    other.session(tenants.a1)

    async def scenario():
        socket, frame = await connect(f"/api/ws/chat/{chat.conversation_id}?token={other.token}")
        return frame, await socket.receive_output(TIMEOUT)

    frame, closed = run(scenario())
    assert frame["code"] == "RECORD_NOT_FOUND"
    assert closed["code"] == 4404


def test_the_widget_socket_checks_the_propertys_origins(chat, tenants):
    async def scenario(origin):
        socket, frame = await connect(f"/api/ws/chat/{chat.conversation_id}?token={chat.token}", origin=origin)
        await socket.disconnect()
        return frame

    assert run(scenario("https://evil.test"))["code"] == "FORBIDDEN"
    assert run(scenario(tenants.a1.website_url))["type"] == "ready"


def test_managers_of_other_companies_or_properties_cannot_join(chat, tenants):
    async def scenario(token):
        socket, frame = await connect(f"/api/ws/chat/{chat.conversation_id}?access_token={token}")
        await socket.disconnect()
        return frame

    assert run(scenario(jwt_for(tenants.admin_b.user)))["code"] == "RECORD_NOT_FOUND"
    assert run(scenario(jwt_for(tenants.admin_a.user)))["type"] == "ready"


def test_a_read_only_manager_watches_but_cannot_write(chat, tenants):
    token = jwt_for(tenants.manager_read.user)

    async def scenario():
        socket, ready = await connect(f"/api/ws/chat/{chat.conversation_id}?access_token={token}")
        await socket.send_json_to({"type": "message", "text": "hi"})
        frame = await socket.receive_json_from(TIMEOUT)
        await socket.disconnect()
        return ready, frame

    ready, frame = run(scenario())
    assert ready["type"] == "ready"
    assert frame["code"] == "INSUFFICIENT_PERMISSIONS"
    assert not Message.objects.filter(sender="manager").exists()


def test_a_manager_receives_their_notifications_live(chat, tenants):
    path = f"/api/ws/notifications/{tenants.manager_write.pk}?access_token={jwt_for(tenants.manager_write.user)}"

    async def scenario():
        inbox, ready = await connect(path)
        prospect, _ = await connect(f"/api/ws/chat/{chat.conversation_id}?token={chat.token}")
        await prospect.send_json_to(
            {"type": "message", "text": "Can I talk to a real person?", "client_message_id": "h"}
        )
        notification = await inbox.receive_json_from(TIMEOUT)
        await inbox.disconnect()
        await prospect.disconnect()
        return ready, notification

    ready, notification = run(scenario())
    assert ready == {"type": "ready", "manager_id": str(tenants.manager_write.pk)}
    assert notification["type"] == "notification"
    assert notification["notification"]["notification_type"] == "handoff_request"
    stored = LeadNotification.objects.get(pk=notification["notification"]["id"])
    assert stored.property_manager_id == tenants.manager_write.pk


def test_a_manager_cannot_subscribe_to_another_managers_notifications(tenants):
    async def scenario(manager_id, token):
        socket, frame = await connect(f"/api/ws/notifications/{manager_id}?access_token={token}")
        return frame, await socket.receive_output(TIMEOUT)

    frame, closed = run(scenario(tenants.manager_read.pk, jwt_for(tenants.manager_write.user)))
    assert frame["code"] == "FORBIDDEN"
    assert closed["code"] == 4403
    frame, closed = run(scenario(tenants.manager_read.pk, jwt_for(tenants.admin_a.user)))
    assert closed["code"] == 4403


def test_socket_messages_count_against_the_chat_limit(chat, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "chat": "2/1m"},
    }

    async def scenario():
        socket, _ = await connect(f"/api/ws/chat/{chat.conversation_id}?token={chat.token}")
        for n in range(3):
            await socket.send_json_to({"type": "message", "text": f"hello {n}", "client_message_id": f"t{n}"})
        error = await frames_until(socket, lambda f: f["type"] == "error")
        await socket.disconnect()
        return error[-1]

    error = run(scenario())
    assert error["code"] == "RATE_LIMIT_EXCEEDED"
    # REST and socket share the browser's budget: the session start took one of the two.
    assert Message.objects.filter(conversation_id=chat.conversation_id, sender="prospect").count() == 1


def test_sockets_opened_from_one_address_count_against_the_chat_limit(chat, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "chat": "2/1m"},
    }

    async def scenario():
        frames = []
        for _ in range(3):
            socket, frame = await connect(f"/api/ws/chat/{chat.conversation_id}?token={chat.token}")
            frames.append(frame)
            await socket.disconnect()
        return frames

    frames = run(scenario())
    assert [f["type"] for f in frames[:2]] == ["ready", "ready"]
    assert frames[2]["code"] == "RATE_LIMIT_EXCEEDED"
