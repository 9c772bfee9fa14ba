"""Every ResMan route against each role of company A and company B's admin, and the number of
queries of the list and detail routes at one row and at many.

Roles, in this order: platform staff, admin of A, manager of a1 (write), manager of a1 (read),
admin of B (the outsider). Each role's request runs in a savepoint that is rolled back, so every
role meets the same state.
"""

from decimal import Decimal

import pytest
from django.db import transaction

from resman.models import (
    ConflictStatus,
    FloorPlan,
    LeadLink,
    OutboxItem,
    OutboxStatus,
    SyncConflict,
    Unit,
)
from tests.conftest import client_for
from tests.resman.conftest import chat_lead
from tests.tours.conftest import local_slot
from tours import services as tour_services

ROLES = ["platform", "admin_a", "manager_write", "manager_read", "admin_b"]
READ = [200, 200, 200, 200, 404]
WRITE = [200, 200, 200, 403, 404]

CASES = [
    ("get", "/api/resman/leads/{lead}", None, READ),
    ("get", "/api/resman/leads/{lead_a2}", None, [200, 200, 404, 404, 404]),
    ("put", "/api/resman/leads/{lead}", {"last_name": "Renamed"}, WRITE),
    ("put", "/api/resman/leads/{lead_a2}", {"first_name": "Renamed"}, [200, 200, 404, 403, 404]),
    ("post", "/api/resman/leads/{lead}/status", {"status": "lost"}, WRITE),
    (
        "post",
        "/api/resman/leads/sync",
        {"direction": "push", "property_id": "{a1}", "prospect_id": "{prospect}"},
        WRITE,
    ),
    ("post", "/api/resman/leads/sync", {"direction": "pull", "property_id": "{a1}"}, WRITE),
    ("post", "/api/resman/leads/resolve-conflict/{conflict}", {"resolution": "theirs"}, WRITE),
    ("get", "/api/resman/outbox/{item}", None, READ),
    ("post", "/api/resman/outbox/{item}/replay", None, WRITE),
    ("post", "/api/resman/tours/book", {"tour_id": "{tour}"}, [201, 201, 201, 403, 404]),
    ("put", "/api/resman/tours/{tour}", {}, WRITE),
    ("delete", "/api/resman/tours/{tour}", {"reason": "test"}, WRITE),
    ("get", "/api/resman/tours/availability/{a1}", None, READ),
    ("get", "/api/resman/tours/availability/{a2}", None, [200, 200, 404, 404, 404]),
    ("post", "/api/resman/tours/sync-availability", {"property_id": "{a1}"}, WRITE),
    ("get", "/api/resman/contacts/{prospect}", None, READ),
    ("put", "/api/resman/contacts/{prospect}", {"first_name": "Renamed"}, WRITE),
    ("post", "/api/resman/contacts/sync", {"contact_id": "{prospect}"}, WRITE),
    ("post", "/api/resman/contacts/merge", {"primary_id": "{prospect}", "secondary_id": "{prospect2}"}, WRITE),
    ("get", "/api/resman/units/availability/{a1}", None, READ),
    ("get", "/api/resman/units/pricing/{a1}", None, READ),
    ("get", "/api/resman/units/pricing/{a2}", None, [200, 200, 404, 404, 404]),
    ("post", "/api/resman/units/sync", {"property_id": "{a1}"}, WRITE),
    ("get", "/api/resman/properties/{a1}/settings", None, READ),
    ("put", "/api/resman/properties/{a1}/settings", {"default_source_id": "SRC-WEB"}, WRITE),
    ("post", "/api/resman/properties/{a1}/references/sync", None, WRITE),
    ("get", "/api/resman/companies/{company_a}/webhook-settings", None, [200, 200, 403, 403, 404]),
    ("post", "/api/resman/companies/{company_a}/rotate-webhook-secret", None, [200, 200, 403, 403, 404]),
]


def _lead(property_, prospect, n) -> LeadLink:
    return LeadLink.objects.create(
        company=property_.company,
        property=property_,
        prospect=prospect,
        resman_prospect_id=f"00000000-0000-4000-8000-{n:012d}",
        resman_person_id=f"person-{n}",
        synced_values={"first_name": prospect.first_name},
    )


def _unit(property_, plan, n) -> Unit:
    return Unit.objects.create(
        property=property_,
        floor_plan=plan,
        resman_id=f"{100 + n}",
        bedrooms=Decimal(2),
        market_rent=Decimal(1900 + n),
        is_available=True,
        offer_terms=[{"term": 12, "rent": f"{1900 + n}.00"}],
    )


@pytest.fixture
def seeded(resman, tenants):
    prospect = chat_lead(tenants.a1, email="matrix@example.com")
    prospect2 = chat_lead(tenants.a1, email="matrix2@example.com")
    lead = _lead(tenants.a1, prospect, 1)
    lead_a2 = _lead(tenants.a2, chat_lead(tenants.a2), 2)
    conflict = SyncConflict.objects.create(
        company=tenants.company_a, property=tenants.a1, lead=lead, field="first_name", our_value="A", their_value="B"
    )
    item = OutboxItem.objects.create(
        company=tenants.company_a,
        property=tenants.a1,
        kind="lead_push",
        idempotency_key="k1",
        prospect=prospect,
        status=OutboxStatus.FAILED,
    )
    tour = tour_services.tour_record(
        property=tenants.a1, start=local_slot(tenants.a1, days=3), prospect_name="Matrix", prospect_email=prospect.email
    )
    plan = FloorPlan.objects.create(property=tenants.a1, resman_id="B2", name="Two Bedroom", bedrooms=Decimal(2))
    _unit(tenants.a1, plan, 1)
    return {
        "prospect": prospect.pk,
        "prospect2": prospect2.pk,
        "lead": lead.pk,
        "lead_a2": lead_a2.pk,
        "conflict": conflict.pk,
        "item": item.pk,
        "tour": tour.pk,
        "a1": tenants.a1.pk,
        "a2": tenants.a2.pk,
        "company_a": tenants.company_a.pk,
    }


def _fill(value, ids):
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value.format(**ids) if isinstance(value, str) else value


def _user(tenants, role):
    return tenants.platform if role == "platform" else getattr(tenants, role).user


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "body", "expected"), CASES, ids=[f"{c[0]} {c[1]}" for c in CASES])
def test_every_role_gets_what_it_may_and_the_outsider_nothing(seeded, tenants, method, path, body, expected):
    url = _fill(path, seeded)
    for role, status in zip(ROLES, expected, strict=True):
        client = client_for(_user(tenants, role))
        with transaction.atomic():
            response = getattr(client, method)(url, _fill(body, seeded), format="json")
            transaction.set_rollback(True)
        assert response.status_code == status, (role, response.json())
        if status in (403, 404):
            assert (
                response.json()["error"]["code"] == {403: "INSUFFICIENT_PERMISSIONS", 404: "RECORD_NOT_FOUND"}[status]
            )


@pytest.mark.django_db
def test_lists_show_only_what_the_caller_may_see(seeded, tenants):
    counts = {}
    for role in ROLES:
        client = client_for(_user(tenants, role))
        counts[role] = tuple(
            client.get(url).json()["meta"]["pagination"]["total"]
            for url in ("/api/resman/leads", "/api/resman/leads/conflicts", "/api/resman/outbox")
        )
    assert counts["admin_a"] == (2, 1, 1) and counts["platform"] == (2, 1, 1)
    assert counts["manager_write"] == counts["manager_read"] == (1, 1, 1)
    assert counts["admin_b"] == (0, 0, 0)


def _many(tenants, rows):
    plan = FloorPlan.objects.create(property=tenants.a1, resman_id="B2", name="Two Bedroom", bedrooms=Decimal(2))
    for n in range(rows):
        prospect = chat_lead(tenants.a1, email=f"row{n}@example.com")
        lead = _lead(tenants.a1, prospect, n + 10)
        SyncConflict.objects.create(
            company=tenants.company_a, property=tenants.a1, lead=lead, field="email", status=ConflictStatus.OPEN
        )
        OutboxItem.objects.create(
            company=tenants.company_a,
            property=tenants.a1,
            kind="lead_push",
            idempotency_key=f"row{n}",
            prospect=prospect,
        )
        _unit(tenants.a1, plan, n + 10)
        FloorPlan.objects.create(property=tenants.a1, resman_id=f"P{n}", name=f"Plan {n}", bedrooms=Decimal(1))
    return prospect, lead


LIST_ROUTES = {
    "/api/resman/leads": 5,
    "/api/resman/leads/conflicts": 5,
    "/api/resman/outbox": 5,
    "/api/resman/units/availability/{a1}": 6,
    "/api/resman/units/pricing/{a1}": 7,
    "/api/resman/leads/{lead}": 5,
    "/api/resman/contacts/{prospect}": 5,
}


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 25])
@pytest.mark.parametrize("route", list(LIST_ROUTES))
@pytest.mark.parametrize("caller", ["admin_a", "manager_write"])
def test_queries_per_request_do_not_grow_with_the_rows(
    resman, tenants, django_assert_max_num_queries, rows, route, caller
):
    prospect, lead = _many(tenants, rows)
    client = client_for(_user(tenants, caller))
    url = route.format(a1=tenants.a1.pk, lead=lead.pk, prospect=prospect.pk) + "?limit=20"
    with django_assert_max_num_queries(LIST_ROUTES[route]):
        response = client.get(url)
    assert response.status_code == 200, response.json()
    if isinstance(response.json()["data"], list):
        assert len(response.json()["data"]) == min(rows + (1 if "pricing" in route else 0), 20)
