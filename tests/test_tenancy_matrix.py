"""Each role of company A, and company B's admin, against company A's objects on every route of the
foundation slice. Expected statuses are listed per role in this order:

    platform staff, admin of A, manager of a1 (write), manager of a1 (read), admin of B (outsider)

Company B's admin must never get anything but 403/404 for company A's records.
"""

import pytest

from properties.models import PropertyManagerAssignment
from tests.conftest import client_for

ROLES = ["platform", "admin_a", "manager_write", "manager_read", "admin_b"]

PROPERTY_BODY = {"name": "New", "address": "1 Way", "city": "Austin", "state": "TX", "zip_code": "78701"}
MANAGER_BODY = {"first_name": "Ann", "last_name": "Other", "email": "ann.other@alpha.test", "access_level": "read"}

# (method, path template, body, expected statuses per role)
CASES = [
    ("get", "/api/companies/{company_a}", None, [200, 200, 200, 200, 404]),
    ("put", "/api/companies/{company_a}", {"name": "Renamed"}, [200, 200, 403, 403, 404]),
    ("patch", "/api/companies/{company_a}", {"name": "Renamed"}, [200, 200, 403, 403, 404]),
    ("delete", "/api/companies/{company_a}", None, [200, 403, 403, 403, 403]),
    ("post", "/api/companies", {"name": "Gamma"}, [201, 403, 403, 403, 403]),
    ("get", "/api/companies/{company_a}/integrations", None, [200, 200, 403, 403, 404]),
    ("put", "/api/companies/{company_a}/integrations", {"resman_account_id": "400"}, [200, 200, 403, 403, 404]),
    ("patch", "/api/companies/{company_a}/integrations", {"resman_account_id": "4"}, [200, 200, 403, 403, 404]),
    ("post", "/api/companies/{company_a}/test-integration", {}, [200, 200, 403, 403, 404]),
    ("get", "/api/properties/{a1}", None, [200, 200, 200, 200, 404]),
    ("get", "/api/properties/{a2}", None, [200, 200, 404, 404, 404]),
    ("put", "/api/properties/{a1}", PROPERTY_BODY, [200, 200, 200, 403, 404]),
    ("patch", "/api/properties/{a1}", {"name": "Renamed"}, [200, 200, 200, 403, 404]),
    ("patch", "/api/properties/{a2}", {"name": "Renamed"}, [200, 200, 404, 403, 404]),
    ("delete", "/api/properties/{a1}", None, [200, 200, 403, 403, 404]),
    ("post", "/api/properties", {**PROPERTY_BODY, "company_id": "{company_a}"}, [201, 201, 403, 403, 400]),
    ("get", "/api/properties/{a1}/chatbot", None, [200, 200, 200, 200, 404]),
    ("put", "/api/properties/{a1}/chatbot", {"chatbot_is_active": False}, [200, 200, 200, 403, 404]),
    ("patch", "/api/properties/{a1}/chatbot", {"chatbot_auto_open": True}, [200, 200, 200, 403, 404]),
    ("get", "/api/properties/{a1}/embed-code", None, [200, 200, 200, 200, 404]),
    ("get", "/api/properties/{a1}/managers", None, [200, 200, 200, 200, 404]),
    ("post", "/api/properties/{a2}/managers", {"property_manager_id": "{manager_read}"}, [201, 201, 403, 403, 404]),
    ("delete", "/api/properties/{a1}/managers/{manager_read}", None, [200, 200, 403, 403, 404]),
    ("get", "/api/property-managers/{manager_write}", None, [200, 200, 200, 200, 404]),
    ("post", "/api/property-managers", {**MANAGER_BODY, "company_id": "{company_a}"}, [201, 201, 403, 403, 400]),
    (
        "put",
        "/api/property-managers/{manager_read}",
        {**MANAGER_BODY, "role": "property_manager"},
        [200, 200, 403, 403, 404],
    ),
    ("patch", "/api/property-managers/{manager_read}", {"phone": "+1 555 0100"}, [200, 200, 403, 403, 404]),
    ("delete", "/api/property-managers/{manager_read}", None, [200, 200, 403, 403, 404]),
    ("get", "/api/property-managers/{manager_write}/assignments", None, [200, 200, 200, 200, 404]),
    ("post", "/api/property-managers/{manager_read}/assignments", {"property_id": "{a2}"}, [201, 201, 403, 403, 404]),
    (
        "put",
        "/api/property-managers/{manager_read}/assignments/{assignment}",
        {"access_level": "write", "is_primary": True},
        [200, 200, 403, 403, 404],
    ),
    ("delete", "/api/property-managers/{manager_read}/assignments/{assignment}", None, [200, 200, 403, 403, 404]),
]


def _ids(tenants):
    return {
        "company_a": tenants.company_a.pk,
        "a1": tenants.a1.pk,
        "a2": tenants.a2.pk,
        "manager_write": tenants.manager_write.pk,
        "manager_read": tenants.manager_read.pk,
        "assignment": PropertyManagerAssignment.objects.get(property_manager=tenants.manager_read).pk,
    }


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


def _user(tenants, role):
    return tenants.platform if role == "platform" else getattr(tenants, role).user


@pytest.mark.parametrize(
    ("method", "path", "body", "role", "expected"),
    [
        pytest.param(method, path, body, role, statuses[i], id=f"{method.upper()} {path} as {role}")
        for method, path, body, statuses in CASES
        for i, role in enumerate(ROLES)
    ],
)
def test_role_and_tenancy_matrix(tenants, method, path, body, role, expected):
    ids = _ids(tenants)
    client = client_for(_user(tenants, role))
    response = getattr(client, method)(_fill(path, ids), _fill(body, ids), format="json")
    payload = response.json()
    assert response.status_code == expected, payload
    if expected >= 400:
        assert payload["success"] is False
        assert payload["data"] is None
        expected_codes = {
            400: {"VALIDATION_ERROR", "MISSING_REQUIRED_FIELD"},
            403: {"INSUFFICIENT_PERMISSIONS", "FORBIDDEN"},
            404: {"RECORD_NOT_FOUND"},
        }[expected]
        assert payload["error"]["code"] in expected_codes
    if role == "admin_b":
        assert "Alpha Living" not in response.content.decode()
        assert str(tenants.a1.pk) not in response.content.decode() or expected == 400


@pytest.mark.parametrize(
    ("role", "companies", "properties"),
    [
        ("platform", {"Alpha Living", "Beta Homes"}, {"A One", "A Two", "B One"}),
        ("admin_a", {"Alpha Living"}, {"A One", "A Two"}),
        ("manager_write", {"Alpha Living"}, {"A One"}),
        ("manager_read", {"Alpha Living"}, {"A One"}),
        ("admin_b", {"Beta Homes"}, {"B One"}),
    ],
)
def test_lists_show_only_what_the_role_may_see(tenants, role, companies, properties):
    client = client_for(_user(tenants, role))
    assert {c["name"] for c in client.get("/api/companies").json()["data"]} == companies
    assert {p["name"] for p in client.get("/api/properties").json()["data"]} == properties


def test_staff_lists_are_per_company(tenants):
    emails_b = {m["email"] for m in client_for(tenants.admin_b.user).get("/api/property-managers").json()["data"]}
    assert emails_b == {tenants.admin_b.user.email}
    emails_a = {m["email"] for m in client_for(tenants.manager_read.user).get("/api/property-managers").json()["data"]}
    assert tenants.admin_b.user.email not in emails_a
    assert tenants.manager_write.user.email in emails_a


def test_outsider_cannot_assign_another_companys_manager_to_their_property(tenants):
    response = client_for(tenants.admin_b.user).post(
        f"/api/properties/{tenants.b1.pk}/managers",
        {"property_manager_id": str(tenants.manager_write.pk)},
        format="json",
    )
    assert response.status_code == 400
    assert not PropertyManagerAssignment.objects.filter(property=tenants.b1).exists()


def test_platform_staff_cannot_cross_assign_between_companies(tenants):
    response = client_for(tenants.platform).post(
        f"/api/properties/{tenants.b1.pk}/managers",
        {"property_manager_id": str(tenants.manager_write.pk)},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_company_staff_create_properties_in_their_own_company_only(tenants):
    response = client_for(tenants.admin_a.user).post("/api/properties", PROPERTY_BODY, format="json")
    assert response.status_code == 201
    assert response.json()["data"]["company_id"] == str(tenants.company_a.pk)


def test_platform_staff_must_name_the_company(tenants):
    response = client_for(tenants.platform).post("/api/properties", PROPERTY_BODY, format="json")
    assert response.status_code == 400
    assert "company_id" in response.json()["error"]["details"]


def test_a_property_cannot_move_to_another_company(tenants):
    response = client_for(tenants.platform).patch(
        f"/api/properties/{tenants.a1.pk}", {"company_id": str(tenants.company_b.pk)}, format="json"
    )
    assert response.status_code == 400
    tenants.a1.refresh_from_db()
    assert tenants.a1.company_id == tenants.company_a.pk
