"""The prospect's signed link: see, move or cancel their own tour, until the change deadline."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tests.tours.conftest import local_slot
from tours import services
from tours.models import Tour
from tours.selectors import tour_manage_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def tour(tenants, tour_settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.tour_schedule(
            property=tenants.a1,
            start=local_slot(tenants.a1, days=3, hour=10),
            prospect_name="Jo Prospect",
            prospect_email="jo@example.test",
            source="website",
        )


@pytest.fixture
def token(tour):
    return re.search(r"/tours/manage/(\S+)", mail.outbox[0].body).group(1)


def test_the_emailed_link_shows_the_tour_without_staff_details(api_client, tour, token):
    response = api_client.get(f"/api/tours/manage/{token}")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["id"] == str(tour.pk) and data["status"] == "scheduled" and data["can_change"] is True
    assert data["property"]["name"] == tour.property.name
    assert "prospect_email" not in data and "property_manager_id" not in data


def test_the_prospect_moves_their_tour_to_an_offered_slot(
    api_client, tenants, tour, token, django_capture_on_commit_callbacks
):
    slots = api_client.get(f"/api/tours/manage/{token}/availability").json()["data"]["slots"]
    assert slots and all(slot["property_manager_ids"] == [] for slot in slots)
    target = local_slot(tenants.a1, days=4, hour=16)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            f"/api/tours/manage/{token}/reschedule", {"tour_datetime": target.isoformat()}, format="json"
        )
    assert response.status_code == 200, response.json()
    tour.refresh_from_db()
    assert tour.tour_datetime == target and tour.reschedule_count == 1 and tour.source == "website"
    assert "has moved" in mail.outbox[-1].subject


def test_the_prospect_cancels_their_tour(api_client, tour, token):
    response = api_client.post(f"/api/tours/manage/{token}/cancel", {"reason": "Signed elsewhere"}, format="json")
    assert response.status_code == 200 and response.json()["data"]["status"] == "cancelled"
    tour.refresh_from_db()
    assert tour.cancelled_by_prospect and tour.cancel_reason == "Signed elsewhere"
    again = api_client.post(f"/api/tours/manage/{token}/cancel", {}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "INVALID_STATUS_TRANSITION"


def test_changes_stop_at_the_change_deadline(api_client, tour, token):
    soon = timezone.now() + timedelta(minutes=90)  # the property asks for 120 minutes' notice
    Tour.objects.filter(pk=tour.pk).update(tour_datetime=soon, ends_at=soon + timedelta(minutes=30))
    assert api_client.get(f"/api/tours/manage/{token}").json()["data"]["can_change"] is False
    response = api_client.post(f"/api/tours/manage/{token}/cancel", {}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "FORBIDDEN"
    assert "deadline" in response.json()["error"]["details"]
    tour.refresh_from_db()
    assert tour.status == "scheduled"


@pytest.mark.parametrize(
    "mangle", [lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), lambda t: "nonsense-token"]
)
def test_a_forged_or_damaged_token_is_404(api_client, tour, token, mangle):
    response = api_client.get(f"/api/tours/manage/{mangle(token)}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "RECORD_NOT_FOUND"


def test_a_token_signed_for_another_purpose_is_refused(api_client, tour):
    from django.core import signing

    forged = signing.dumps(str(tour.pk), salt="something.else")
    assert api_client.get(f"/api/tours/manage/{forged}").status_code == 404
    assert api_client.get(f"/api/tours/manage/{tour_manage_token(tour=tour)}").status_code == 200
