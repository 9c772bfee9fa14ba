import pytest
from rest_framework.test import APIClient

from tests.fakes.openai import FakeOpenAI
from tests.live_server import free_port, serve_asgi

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


@pytest.fixture
def asgi_server(transactional_db):
    """The project's ASGI application served by uvicorn on loopback, for real WebSocket clients."""
    with serve_asgi(free_port(8300)) as address:
        yield address
