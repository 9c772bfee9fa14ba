"""Every analytics and testing route, for each role of company A and for company B's admin.
Statuses per role, in this order:

    platform staff, admin of A, manager of a1 (write), manager of a1 (read), admin of B (outsider)

Company B's admin never gets anything but 403/404 (or, on routes that only aggregate what the caller
may see, 200 with nothing of company A in it)."""

import pytest

from tests.conftest import client_for
from tests.factories import ConversationFactory, UserFactory

ROLES = ["platform", "admin_a", "manager_write", "manager_read", "admin_b"]
EVENT = [{"event_id": "matrix-1", "event_type": "answer_button_clicked"}]

CASES = [
    ("post", "/api/amplitude-data", {"conversation_id": "{conv_a1}", "events": EVENT}, [201, 201, 201, 403, 404]),
    ("post", "/api/amplitude-data", {"conversation_id": "{conv_a2}", "events": EVENT}, [201, 201, 404, 404, 404]),
    ("get", "/api/amplitude-data/conversation/{conv_a1}", None, [200, 200, 200, 200, 404]),
    ("get", "/api/amplitude-data/conversation/{conv_a2}", None, [200, 200, 404, 404, 404]),
    ("get", "/api/amplitude-data/property/{a1}", None, [200, 200, 200, 200, 404]),
    ("get", "/api/amplitude-data/property/{a2}", None, [200, 200, 404, 404, 404]),
    ("get", "/api/amplitude-data/summary", None, [200, 200, 200, 200, 200]),
    ("get", "/api/amplitude-data/summary?property_id={a2}", None, [200, 200, 400, 400, 400]),
    ("get", "/api/amplitude-data/engagement-scores", None, [200, 200, 200, 200, 200]),
    ("get", "/api/amplitude-data/engagement-scores?property_id={a2}", None, [200, 200, 400, 400, 400]),
    ("get", "/api/amplitude-data/lead-qualification-rates", None, [200, 200, 200, 200, 200]),
    ("get", "/api/amplitude-data/lead-qualification-rates?property_id={a1}", None, [200, 200, 200, 200, 400]),
    ("post", "/api/amplitude-data/calculate-engagement", {"conversation_id": "{conv_a1}"}, [200, 200, 200, 403, 404]),
    ("post", "/api/amplitude-data/calculate-engagement", {"property_id": "{a1}"}, [202, 202, 202, 403, 404]),
    ("post", "/api/amplitude-data/calculate-engagement", {"property_id": "{a2}"}, [202, 202, 404, 403, 404]),
    ("post", "/api/amplitude-data/calculate-engagement", {"company_id": "{company_a}"}, [202, 202, 403, 403, 404]),
    ("post", "/api/test/resman-connection", {"company_id": "{company_a}"}, [200, 200, 403, 403, 404]),
    ("post", "/api/test/webhook-delivery", {"company_id": "{company_a}"}, [400, 400, 403, 403, 404]),
    ("get", "/api/test/analytics-calculation?conversation_id={conv_a1}", None, [200, 200, 403, 403, 404]),
    ("get", "/api/test/analytics-calculation?conversation_id={conv_a2}", None, [200, 200, 403, 403, 404]),
]


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    return value


def _user(tenants, role):
    return tenants.platform if role == "platform" else getattr(tenants, role).user


@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
@pytest.mark.parametrize(("method", "path", "body", "expected"), CASES, ids=[f"{c[0]} {c[1]}" for c in CASES])
def test_role_and_tenancy_matrix(tenants, method, path, body, expected, role_index):
    ids = {
        "a1": tenants.a1.pk,
        "a2": tenants.a2.pk,
        "company_a": tenants.company_a.pk,
        "conv_a1": ConversationFactory(property=tenants.a1).pk,
        "conv_a2": ConversationFactory(property=tenants.a2).pk,
    }
    client = client_for(_user(tenants, ROLES[role_index]))
    url = _fill(path, ids)
    kwargs = {"format": "json"} if method != "get" else {}
    response = getattr(client, method)(url, _fill(body, ids), **kwargs) if body else getattr(client, method)(url)
    assert response.status_code == expected[role_index], response.json()
    if response.status_code == 403:
        assert response.json()["error"]["code"] == "INSUFFICIENT_PERMISSIONS"
    if response.status_code == 404:
        assert response.json()["error"]["code"] == "RECORD_NOT_FOUND"


def test_the_outsiders_aggregates_hold_nothing_of_company_a(tenants):
    from tests.analytics.factories import ConversationAnalyticsFactory

    ConversationAnalyticsFactory(conversation__property=tenants.a1, qualified=True)
    client = client_for(tenants.admin_b.user)
    assert client.get("/api/amplitude-data/summary").json()["data"]["conversations"] == 0
    for route in ("engagement-scores", "lead-qualification-rates"):
        rows = client.get(f"/api/amplitude-data/{route}").json()["data"]
        assert [row["property_id"] for row in rows] == [str(tenants.b1.pk)]
        assert rows[0]["conversations"] == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/amplitude-data"),
        ("get", "/api/amplitude-data/conversation/3f2a9c1e-7d4b-4c8e-9a1f-2b6d8e0c5a71"),
        ("get", "/api/amplitude-data/property/3f2a9c1e-7d4b-4c8e-9a1f-2b6d8e0c5a71"),
        ("get", "/api/amplitude-data/summary"),
        ("post", "/api/amplitude-data/calculate-engagement"),
        ("get", "/api/amplitude-data/engagement-scores"),
        ("get", "/api/amplitude-data/lead-qualification-rates"),
        ("post", "/api/test/resman-connection"),
        ("post", "/api/test/webhook-delivery"),
        ("get", "/api/test/analytics-calculation"),
    ],
)
def test_every_route_needs_credentials(api_client, db, method, path):
    response = getattr(api_client, method)(path)
    assert (response.status_code, response.json()["error"]["code"]) == (401, "UNAUTHORIZED")


def test_staff_without_a_company_are_forbidden(db):
    client = client_for(UserFactory())
    response = client.get("/api/amplitude-data/summary")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "FORBIDDEN")
