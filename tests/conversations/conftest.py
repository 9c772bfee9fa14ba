import asyncio
import os
import socket
import threading
import time

import pytest
from channels.db import database_sync_to_async
from django.db import connections
from rest_framework.test import APIClient

from conversations.consumers import DB_EXECUTOR
from tests.fakes.openai import FakeOpenAI

BROWSER = "browser-0001-abcdef"


@pytest.fixture
def fake_openai(settings):
    with FakeOpenAI() as fake:
        settings.OPENAI_API_URL = fake.url
        settings.CHAT_OPENAI_TIMEOUT = 1.0
        yield fake


@pytest.fixture
def widget():
    return WidgetClient()


class WidgetClient:
    """The widget's side of the public API: a browser id, the property's key, the token."""

    def __init__(self, browser_id: str = BROWSER, origin: str | None = None):
        self.client = APIClient()
        self.browser_id = browser_id
        self.origin = origin
        self.token = None
        self.conversation_id = None

    def _headers(self):
        headers = {}
        if self.origin:
            headers["HTTP_ORIGIN"] = self.origin
        if self.token:
            headers["HTTP_X_CONVERSATION_TOKEN"] = self.token
        return headers

    def session(self, property_, **body):
        response = self.client.post(
            f"/api/users/browser/{self.browser_id}/session?widget_key={property_.widget_key}",
            body,
            format="json",
            **self._headers(),
        )
        if response.status_code == 200:
            conversation = response.json()["data"]["conversation"]
            self.token, self.conversation_id = conversation["token"], conversation["id"]
        return response

    def _messages_url(self, property_, conversation_id):
        conversation_id = conversation_id or self.conversation_id
        return f"/api/widget/conversations/{conversation_id}/messages?widget_key={property_.widget_key}"

    def send(self, property_, text, client_message_id=None, conversation_id=None):
        body = {"text": text}
        if client_message_id:
            body["client_message_id"] = client_message_id
        return self.client.post(self._messages_url(property_, conversation_id), body, format="json", **self._headers())

    def history(self, property_, after=None, conversation_id=None):
        query = f"&after={after}" if after else ""
        return self.client.get(self._messages_url(property_, conversation_id) + query, **self._headers())


def free_port() -> int:
    """A free port in this suite's range (8300-8399), spread over xdist workers."""
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
    for port in range(8300 + worker * 50, 8350 + worker * 50):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("No free port in 8300-8399.")


@pytest.fixture
def asgi_server(transactional_db):
    """The project's ASGI application served by uvicorn on loopback, for real WebSocket clients."""
    import uvicorn

    from config.asgi import application

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            application, host="127.0.0.1", port=port, log_level="warning", lifespan="off", ws="websockets-sansio"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    close_consumer_connections()


def close_consumer_connections() -> None:
    """Consumers query from executor threads that outlive the test; their connections would keep
    the test database from being dropped at the end of the run. Close them in those threads."""
    asyncio.run(database_sync_to_async(connections.close_all)())
    workers = DB_EXECUTOR._max_workers
    barrier = threading.Barrier(workers)

    def close_in_this_thread():
        connections.close_all()
        barrier.wait(timeout=10)  # every worker thread takes exactly one of these

    for future in [DB_EXECUTOR.submit(close_in_this_thread) for _ in range(workers)]:
        future.result()
