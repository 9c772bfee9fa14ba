"""Every tours and calendar route against each role of company A and company B's admin.

Expected statuses per role, in this order: platform staff, admin of A, manager of a1 (write),
manager of a1 (read), admin of B (the outsider). Another company's objects answer 404; a read-only
manager writing answers 403.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import client_for
from tests.tours.conftest import local_slot, make_tour
from tours.models import CalendarIntegration

pytestmark = pytest.mark.django_db
ROLES = ["platform", "admin_a", "manager_write", "manager_read", "admin_b"]
READ_ALL = [200, 200, 200, 200, 404]
WRITE_A1 = [200, 200, 200, 403, 404]
CREATE_A1 = [201, 201, 201, 403, 404]
A2_ONLY_ADMINS = [200, 200, 404, 404, 404]

CASES = [
    ("get", "/api/tours/{t1}", None, READ_ALL),
    ("get", "/api/tours/{t2}", None, A2_ONLY_ADMINS),
    (
        "put",
        "/api/tours/{t1}",
        {"prospect_name": "N", "prospect_email": "", "prospect_phone": "", "unit_interest": "", "notes": ""},
        WRITE_A1,
    ),
    ("patch", "/api/tours/{t1}", {"notes": "Parking at the back"}, WRITE_A1),
    # A manager with no writable property is refused before any lookup, as in the foundation.
    ("patch", "/api/tours/{t2}", {"notes": "x"}, [200, 200, 404, 403, 404]),
    ("delete", "/api/tours/{t1}", None, WRITE_A1),
    ("post", "/api/tours", {"property_id": "{a1}", "tour_datetime": "{slot}", "prospect_name": "Walk In"}, CREATE_A1),
    (
        "post",
        "/api/tours",
        {"property_id": "{a2}", "tour_datetime": "{slot}", "prospect_name": "Walk In", "tour_type": "self_guided"},
        [201, 201, 404, 403, 404],
    ),
    (
        "post",
        "/api/tours/schedule",
        {"property_id": "{a1}", "tour_datetime": "{slot}", "prospect_name": "Jo"},
        CREATE_A1,
    ),
    ("put", "/api/tours/{t1}/reschedule", {"tour_datetime": "{slot}"}, WRITE_A1),
    ("put", "/api/tours/{t1}/cancel", {"reason": "x"}, WRITE_A1),
    ("put", "/api/tours/{t1}/confirm", None, WRITE_A1),
    ("put", "/api/tours/{past}/outcome", {"status": "completed"}, WRITE_A1),
    ("get", "/api/tours/availability/{a1}", None, READ_ALL),
    ("get", "/api/tours/availability/{a1}/{manager_write}", None, READ_ALL),
    ("get", "/api/tours/availability/{a2}", None, A2_ONLY_ADMINS),
    ("get", "/api/tours/outcomes/{a1}", None, READ_ALL),
    ("get", "/api/tours/settings/{a1}", None, READ_ALL),
    ("patch", "/api/tours/settings/{a1}", {"buffer_minutes": 10}, WRITE_A1),
    ("get", "/api/calendar/integrations/{i1}", None, READ_ALL),
    # The outsider names A's manager in the body: "does not exist" (400), as the foundation answers.
    (
        "post",
        "/api/calendar/integrations",
        {
            "property_id": "{a1}",
            "property_manager_id": "{manager_write}",
            "provider": "ical",
            "ical_url": "https://cal.test/x.ics",
        },
        [201, 201, 201, 403, 400],
    ),
    (
        "put",
        "/api/calendar/integrations/{i1}",
        {"calendly_uri": "", "calendly_token": "", "ical_url": "https://cal.test/y.ics", "sync_status": "active"},
        WRITE_A1,
    ),
    ("patch", "/api/calendar/integrations/{i1}", {"sync_status": "inactive"}, WRITE_A1),
    ("delete", "/api/calendar/integrations/{i1}", None, WRITE_A1),
    ("post", "/api/calendar/sync/{i1}", None, [202, 202, 202, 403, 404]),
    ("get", "/api/calendar/sync/status/{i1}", None, READ_ALL),
    ("post", "/api/calendar/sync/test/{i1}", None, WRITE_A1),
    ("get", "/api/calendar/availability/{a1}", None, READ_ALL),
    ("get", "/api/calendar/availability/{a1}/{manager_read}", None, READ_ALL),
]


@pytest.fixture
def world(tenants, tour_settings, fake_ical):
    past = timezone.now() - timedelta(hours=2)
    return {
        "a1": tenants.a1.pk,
        "a2": tenants.a2.pk,
        "manager_write": tenants.manager_write.pk,
        "manager_read": tenants.manager_read.pk,
        "t1": make_tour(tenants.a1, tenants.manager_write, local_slot(tenants.a1, days=2, hour=10)).pk,
        "t2": make_tour(tenants.a2, tenants.manager_write, local_slot(tenants.a1, days=2, hour=11)).pk,
        "past": make_tour(tenants.a1, tenants.manager_read, past).pk,
        "i1": CalendarIntegration.objects.create(
            property=tenants.a1,
            property_manager=tenants.manager_read,
            provider="ical",
            ical_url=fake_ical.publish("/feed.ics", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"),
        ).pk,
        "slot": local_slot(tenants.a1, days=3, hour=10).isoformat(),
    }


def _fill(value, world):
    if isinstance(value, dict):
        return {key: _fill(item, world) for key, item in value.items()}
    return value.format(**world) if isinstance(value, str) else value


def _user(tenants, role):
    return tenants.platform if role == "platform" else getattr(tenants, role).user


@pytest.mark.parametrize("role_index, role", list(enumerate(ROLES)))
@pytest.mark.parametrize("method, path, body, expected", CASES, ids=[f"{c[0]} {c[1]}" for c in CASES])
def test_route_answers_each_role(tenants, world, method, path, body, expected, role_index, role):
    client = client_for(_user(tenants, role))
    response = getattr(client, method)(_fill(path, world), _fill(body, world), format="json")
    assert response.status_code == expected[role_index], response.content
    if response.status_code == 400:
        assert "does not exist" in str(response.json()["error"]["details"])
    if response.status_code == 404:
        assert response.json()["error"]["code"] == "RECORD_NOT_FOUND"
    if response.status_code == 403:
        assert response.json()["error"]["code"] == "INSUFFICIENT_PERMISSIONS"


def test_lists_never_show_another_companys_records(tenants, world):
    client = client_for(tenants.admin_b.user)
    assert client.get("/api/tours").json()["data"] == []
    assert client.get("/api/calendar/integrations").json()["data"] == []
    assert client.get(f"/api/tours?property_id={tenants.a1.pk}").json()["data"] == []


def test_a_tour_body_cannot_name_another_companys_manager_or_conversation(tenants, world):
    from tests.factories import ConversationFactory

    theirs = ConversationFactory(property=tenants.b1)
    response = client_for(tenants.admin_a.user).post(
        "/api/tours/schedule",
        {
            "property_id": str(tenants.a1.pk),
            "tour_datetime": world["slot"],
            "prospect_name": "Jo",
            "property_manager_id": str(tenants.admin_b.pk),
            "conversation_id": str(theirs.pk),
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"property_manager_id", "conversation_id"}


@pytest.mark.parametrize("path", ["/api/tours", "/api/tours/availability/{a1}", "/api/calendar/integrations"])
def test_staff_routes_need_a_login(api_client, world, path):
    response = api_client.get(path.format(**world))
    assert response.status_code == 401 and response.json()["error"]["code"] == "UNAUTHORIZED"
