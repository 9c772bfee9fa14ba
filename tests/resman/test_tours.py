"""Tours as ResMan appointment events (UTC), and ResMan's appointments in tour availability."""

from datetime import timedelta

import pytest

from resman.mits import event_date_text
from resman.models import OutboxItem, OutboxStatus, TourLink
from tests.resman.conftest import A1_RESMAN_ID, chat_lead
from tests.tours.conftest import EVERY_DAY, local_slot
from tours import services as tour_services
from tours.models import BusyInterval, TourSettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def tour_hours(tenants):
    return TourSettings.objects.create(
        property=tenants.a1, tour_hours=EVERY_DAY, slot_minutes=30, min_notice_minutes=60, horizon_days=30
    )


def book(commit, tenants, start, prospect=None):
    prospect = prospect or chat_lead(tenants.a1, email="touring@example.com")
    with commit():
        tour = tour_services.tour_schedule(
            property=tenants.a1,
            start=start,
            prospect_name="Jamie Rivera",
            prospect_email=prospect.email,
            conversation=prospect.conversations.get(),
        )
    return tour


def appointments(card):
    return [e for e in card.events if e["EventType"] == "Appointment"]


def test_a_booked_tour_becomes_an_appointment_event_in_utc_on_the_guest_card(resman, tenants, commit, tour_hours):
    start = local_slot(tenants.a1, days=2, hour=10)  # 10:00 Chicago time
    tour = book(commit, tenants, start)
    item = OutboxItem.objects.get(tour=tour, kind="tour_book")
    assert item.status == OutboxStatus.SUCCEEDED
    card = resman.prospects[item.result["resman_prospect_id"]]
    assert card.email == "touring@example.com"  # the lead was created on the way
    [appointment] = appointments(card)
    assert appointment["EventDate"] == event_date_text(start) and appointment["EventDate"].endswith("Z")
    assert appointment["EventID"] == str(tour.pk)
    assert TourLink.objects.get(tour=tour).pushed_datetime == start


def test_a_rescheduled_tour_moves_the_same_appointment(resman, tenants, commit, tour_hours):
    tour = book(commit, tenants, local_slot(tenants.a1, days=2, hour=10))
    later = local_slot(tenants.a1, days=3, hour=14)
    with commit():
        tour_services.tour_reschedule(tour=tour, start=later)
    card = resman.prospects[TourLink.objects.get(tour=tour).lead.resman_prospect_id]
    [appointment] = appointments(card)
    assert appointment["EventDate"] == event_date_text(later)
    assert TourLink.objects.get(tour=tour).pushed_datetime == later


def test_a_cancelled_tour_is_recorded_on_the_guest_card(resman, tenants, commit, tour_hours):
    tour = book(commit, tenants, local_slot(tenants.a1, days=2, hour=10))
    with commit():
        tour_services.tour_cancel(tour=tour, reason="Found another place")
    link = TourLink.objects.get(tour=tour)
    card = resman.prospects[link.lead.resman_prospect_id]
    assert len(appointments(card)) == 1  # ResMan cannot delete it
    note = card.events[-1]
    assert note["EventType"] == "Other" and note["EventReasons"] == "Appointment cancelled"
    assert str(tour.pk) in note["Comments"] and "Found another place" in note["Comments"]
    assert link.cancelled_at is not None


def test_tour_routes_send_move_and_cancel(resman, tenants, commit, tour_hours, client_a_admin):
    prospect = chat_lead(tenants.a1, email="routes@example.com")
    tour = tour_services.tour_record(
        property=tenants.a1,
        start=local_slot(tenants.a1, days=2, hour=11),
        prospect_name="Route Tester",
        prospect_email=prospect.email,
        conversation=prospect.conversations.get(),
    )
    with commit():
        booked = client_a_admin.post("/api/resman/tours/book", {"tour_id": str(tour.pk)})
    assert booked.status_code == 201, booked.json()
    later = local_slot(tenants.a1, days=4, hour=9)
    with commit():
        moved = client_a_admin.put(f"/api/resman/tours/{tour.pk}", {"tour_datetime": later.isoformat()})
    assert moved.status_code == 200, moved.json()
    assert moved.json()["data"]["tour_datetime"].startswith(later.strftime("%Y-%m-%dT%H:%M"))
    with commit():
        cancelled = client_a_admin.delete(f"/api/resman/tours/{tour.pk}", {"reason": "No longer needed"})
    assert cancelled.status_code == 200 and cancelled.json()["data"]["tour_status"] == "cancelled"
    card = resman.prospects[TourLink.objects.get(tour=tour).lead.resman_prospect_id]
    assert appointments(card)[0]["EventDate"] == event_date_text(later)
    assert card.events[-1]["EventReasons"] == "Appointment cancelled"


def test_appointments_booked_in_resman_block_tour_slots(resman, tenants, tour_hours, client_a_admin):
    slot = local_slot(tenants.a1, days=2, hour=13)
    resman.seed_prospects(A1_RESMAN_ID, 1)
    card = resman.prospects_at(A1_RESMAN_ID)[0]
    resman.add_event(card.prospect_id, EventType="Appointment", EventDate=event_date_text(slot), AgentID="EMP-1")
    params = {"start": (slot - timedelta(hours=1)).isoformat(), "end": (slot + timedelta(hours=1)).isoformat()}

    free = client_a_admin.get(f"/api/resman/tours/availability/{tenants.a1.pk}", params).json()["data"]["slots"]
    assert slot.isoformat().replace("+00:00", "Z") in [s["start"].replace("+00:00", "Z") for s in free] or any(
        s["start"].startswith(slot.strftime("%Y-%m-%dT%H:%M")) for s in free
    )

    synced = client_a_admin.post("/api/resman/tours/sync-availability", {"property_id": str(tenants.a1.pk)})
    assert synced.status_code == 200 and synced.json()["data"]["appointments_blocked"] == 1
    busy = BusyInterval.objects.get(source="resman")
    assert (busy.starts_at, busy.property_id) == (slot, tenants.a1.pk)

    after = client_a_admin.get(f"/api/resman/tours/availability/{tenants.a1.pk}", params).json()["data"]["slots"]
    assert not any(s["start"].startswith(slot.strftime("%Y-%m-%dT%H:%M")) for s in after)
    assert len(after) == len(free) - 1
