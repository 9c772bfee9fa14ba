import pytest
from rest_framework.test import APIClient

from tests.analytics.fakes import VALID_KEY, FakeAmplitude
from tests.conversations.conftest import WidgetClient
from tests.live_server import free_port, serve_asgi
from tests.resman.conftest import resman, simulator  # noqa: F401  (fixtures for the testing endpoints)

EVENTS_URL = "/api/amplitude-data"


@pytest.fixture
def amplitude(settings):
    """The fake Amplitude, with every company's events going to it."""
    with FakeAmplitude() as fake:
        settings.AMPLITUDE_API_URL = fake.url
        # Room for a loaded CI machine; the tests that trip the timeout set their own.
        settings.AMPLITUDE_TIMEOUT_SECONDS = 2.0
        yield fake


@pytest.fixture
def amplitude_on(tenants, amplitude):
    """Company A forwards to the fake Amplitude."""
    tenants.company_a.amplitude_api_key = VALID_KEY
    tenants.company_a.save()
    return amplitude


@pytest.fixture
def chat(tenants):
    """A prospect's widget session at a1 (a real conversation with its token)."""
    widget = WidgetClient()
    assert widget.session(tenants.a1, page_url="https://property.test/floor-plans").status_code == 200
    return widget


def widget_events(widget: WidgetClient, property_, events, **body):
    """POST /api/amplitude-data as the widget does: widget key in the URL, token in a header."""
    client = APIClient()
    return client.post(
        f"{EVENTS_URL}?widget_key={property_.widget_key}",
        {"conversation_id": widget.conversation_id, "events": events, **body},
        format="json",
        HTTP_X_CONVERSATION_TOKEN=widget.token,
    )


def event(event_id, event_type="answer_button_clicked", **fields):
    return {"event_id": event_id, "event_type": event_type, **fields}


@pytest.fixture
def live_api(transactional_db):
    """The project's ASGI application served over HTTP by uvicorn on loopback: our own webhook route,
    reached the way the testing endpoint reaches it."""
    with serve_asgi(free_port(8600), persistent_connections=False) as address:
        yield f"http://{address}"
