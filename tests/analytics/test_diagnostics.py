"""The testing endpoints: the ResMan connection test, a signed webhook delivery over real HTTP to our
own webhook route, and one conversation's analytics explained. Company admins and platform staff only."""

import socket

import pytest

from core.testing.fake_http import FakeService, Reply
from resman.models import CompanyResManSettings, WebhookDelivery
from resman.services.webhooks import sign
from tests.analytics.conftest import event, widget_events
from tests.conftest import client_for

RESMAN_URL = "/api/test/resman-connection"
WEBHOOK_URL = "/api/test/webhook-delivery"
CALCULATION_URL = "/api/test/analytics-calculation"


class Recorder(FakeService):
    """Answers every request 200, and keeps it: to read exactly what the delivery sent."""

    def route(self, request):
        return Reply(200, {"received": True})


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- resman-connection ----------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_resman_connection_test_calls_resman(tenants, resman):
    response = client_for(tenants.admin_a.user).post(RESMAN_URL, {}, format="json")
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["company_id"], data["integration"], data["ok"]) == (str(tenants.company_a.pk), "resman", True)
    assert "3 properties" in data["message"] and data["latency_ms"] is not None
    assert any(request.path.endswith("GetProperties") for request in resman.requests)


@pytest.mark.django_db
def test_the_resman_connection_test_reports_a_refusal(tenants, resman):
    from tests.resman.conftest import connect

    connect(tenants.company_a, resman, api_key="wrong-key")
    data = client_for(tenants.admin_a.user).post(RESMAN_URL, {}, format="json").json()["data"]
    assert data["ok"] is False and "Invalid IntegrationPartnerID or ApiKey" in data["message"]


@pytest.mark.django_db
def test_the_resman_connection_test_without_resman(tenants):
    data = client_for(tenants.admin_a.user).post(RESMAN_URL, {}, format="json").json()["data"]
    assert (data["configured"], data["ok"], data["message"]) == (False, False, "ResMan is not configured.")


@pytest.mark.django_db
def test_platform_staff_name_the_company(tenants, resman):
    client = client_for(tenants.platform)
    missing = client.post(RESMAN_URL, {}, format="json")
    assert (missing.status_code, missing.json()["error"]["code"]) == (400, "MISSING_REQUIRED_FIELD")
    named = client.post(RESMAN_URL, {"company_id": str(tenants.company_b.pk)}, format="json").json()["data"]
    assert named["company_id"] == str(tenants.company_b.pk) and named["ok"] is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "body", "status", "code"),
    [
        ("manager_write", {}, 403, "INSUFFICIENT_PERMISSIONS"),
        ("manager_read", {}, 403, "INSUFFICIENT_PERMISSIONS"),
        ("admin_b", {"company_id": "company_a"}, 404, "RECORD_NOT_FOUND"),
    ],
)
def test_the_resman_connection_test_is_for_administrators(tenants, who, body, status, code):
    payload = {key: str(tenants.company_a.pk) for key in body}
    response = client_for(getattr(tenants, who).user).post(RESMAN_URL, payload, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


# --- webhook-delivery -----------------------------------------------------------------------------
def test_a_signed_delivery_reaches_our_own_webhook_route(tenants, resman, live_api, settings):
    settings.PUBLIC_BASE_URL = live_api
    response = client_for(tenants.admin_a.user).post(WEBHOOK_URL, {"event_type": "lead-updated"}, format="json")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["url"] == f"{live_api}/api/resman/webhooks/lead-updated"
    assert (data["delivered"], data["ok"], data["status_code"]) == (True, True, 202)
    assert data["response"]["data"]["status"] == "accepted"
    assert data["latency_ms"] > 0 and data["error"] is None
    delivery = WebhookDelivery.objects.get(event_id=data["event_id"])
    assert (delivery.company_id, delivery.event_type) == (tenants.company_a.pk, "lead-updated")
    assert delivery.resman_property_id == tenants.a1.resman_property_id
    assert delivery.payload["data"]["prospect_id"].startswith("test-")


def test_the_delivery_is_signed_as_the_webhook_contract_says(tenants, resman, db):
    with Recorder() as recorder:
        response = client_for(tenants.platform).post(
            WEBHOOK_URL,
            {
                "company_id": str(tenants.company_a.pk),
                "event_type": "contact-updated",
                "property_id": str(tenants.a2.pk),
                "prospect_id": "P-1234",
                "target_url": recorder.url,
            },
            format="json",
        )
        [request] = recorder.requests
    data = response.json()["data"]
    assert (data["ok"], data["status_code"], data["property_id"]) == (True, 200, str(tenants.a2.pk))
    assert request.path == "/api/resman/webhooks/contact-updated"
    secret = CompanyResManSettings.objects.get(company=tenants.company_a).webhook_secret
    headers = request.headers
    assert headers["x-webhook-company"] == str(tenants.company_a.pk)
    assert headers["x-webhook-signature"] == sign(
        secret=secret, timestamp=headers["x-webhook-timestamp"], body=request.body
    )
    body = request.json()
    assert body == {
        "event_id": data["event_id"],
        "property_id": tenants.a2.resman_property_id,
        "data": {"prospect_id": "P-1234"},
    }


def test_an_unreachable_webhook_route_is_reported(tenants, resman, db):
    response = client_for(tenants.platform).post(
        WEBHOOK_URL,
        {"company_id": str(tenants.company_a.pk), "target_url": f"http://127.0.0.1:{closed_port()}"},
        format="json",
    )
    data = response.json()["data"]
    assert response.status_code == 200
    assert (data["delivered"], data["ok"], data["status_code"]) == (False, False, None)
    assert "ConnectionError" in data["error"]


def test_a_refused_delivery_is_reported(tenants, resman, db):
    with Recorder() as recorder:
        recorder.fail_next(1, status=401)
        data = (
            client_for(tenants.platform)
            .post(WEBHOOK_URL, {"company_id": str(tenants.company_a.pk), "target_url": recorder.url}, format="json")
            .json()["data"]
        )
    assert (data["delivered"], data["ok"], data["status_code"]) == (True, False, 401)
    assert "401" in data["error"]


@pytest.mark.django_db
def test_a_company_without_resman_properties_is_told_so(tenants):
    response = client_for(tenants.admin_a.user).post(WEBHOOK_URL, {}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert "property_id" in response.json()["error"]["details"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "body", "status", "code"),
    [
        ("admin_a", {"target_url": "http://127.0.0.1:9/"}, 403, "INSUFFICIENT_PERMISSIONS"),
        ("manager_write", {}, 403, "INSUFFICIENT_PERMISSIONS"),
        ("admin_b", {"company_id": "company_a"}, 404, "RECORD_NOT_FOUND"),
        ("admin_a", {"event_type": "lead-exploded"}, 400, "VALIDATION_ERROR"),
        ("admin_a", {"property_id": "b1"}, 400, "VALIDATION_ERROR"),
    ],
)
def test_webhook_delivery_is_refused(tenants, resman, who, body, status, code):
    ids = {"company_a": str(tenants.company_a.pk), "b1": str(tenants.b1.pk)}
    payload = {key: ids.get(value, value) for key, value in body.items()}
    response = client_for(getattr(tenants, who).user).post(WEBHOOK_URL, payload, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert not WebhookDelivery.objects.exists()


# --- analytics-calculation ------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_calculation_shows_inputs_rules_and_result(tenants, chat):
    chat.send(tenants.a1, "Can I schedule a tour?")
    widget_events(chat, tenants.a1, [event("b1"), event("b2")])
    response = client_for(tenants.admin_a.user).get(f"{CALCULATION_URL}?conversation_id={chat.conversation_id}")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["inputs"]["prospect_messages"] == 1
    assert data["inputs"]["tour_requested"] is True
    assert data["inputs"]["event_counts"] == {"answer_button_clicked": 2}
    assert "hot" in data["rules"] and "engagement_score" in data["rules"]
    assert data["result"]["tour_intent"] is True
    assert data["result"]["engagement_points"] == 1 + 2 + 2
    assert data["abandon_after_minutes"] == 30


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("manager_write", 403, "INSUFFICIENT_PERMISSIONS"),
        ("manager_read", 403, "INSUFFICIENT_PERMISSIONS"),
        ("admin_b", 404, "RECORD_NOT_FOUND"),
    ],
)
def test_the_calculation_is_for_administrators_of_the_company(tenants, chat, who, status, code):
    response = client_for(getattr(tenants, who).user).get(f"{CALCULATION_URL}?conversation_id={chat.conversation_id}")
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


@pytest.mark.django_db
def test_the_calculation_needs_a_conversation(tenants):
    client = client_for(tenants.admin_a.user)
    assert client.get(CALCULATION_URL).json()["error"]["code"] == "MISSING_REQUIRED_FIELD"
    assert client.get(f"{CALCULATION_URL}?conversation_id=nope").status_code == 400
