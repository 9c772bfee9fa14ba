import os
import socket
import threading
import time

import pytest
from django.db import connections
from rest_framework.test import APIClient

from tests.analytics.fakes import VALID_KEY, FakeAmplitude
from tests.conversations.conftest import WidgetClient, close_consumer_connections
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


def free_port() -> int:
    """A free port in this suite's range (8600-8699), spread over xdist workers."""
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
    first = 8600 + (worker % 4) * 25
    for port in range(first, first + 25):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("No free port in 8600-8699.")


@pytest.fixture
def live_api(transactional_db):
    """The project's ASGI application served over HTTP by uvicorn on loopback: our own webhook route,
    reached the way the testing endpoint reaches it."""
    import uvicorn

    from config.asgi import application

    # Django's ASGI handler runs each request in a thread of its own, which ends with the request:
    # a persistent connection would outlive its thread, open (production uses DB_POOL under ASGI).
    database = connections["default"].settings_dict
    max_age, database["CONN_MAX_AGE"] = database["CONN_MAX_AGE"], 0
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    database["CONN_MAX_AGE"] = max_age
    close_consumer_connections()
