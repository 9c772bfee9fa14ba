"""Booking, holds, the state machine, and the database's refusal of double bookings."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.errors import InvalidStatusTransition, TourUnavailable, ValidationFailed
from tests.conftest import client_for
from tests.factories import ConversationFactory
from tests.tours.conftest import local_slot, make_tour
from tours import services
from tours.models import Tour, TourHold, TourSettings, TourStatus, TourType

pytestmark = pytest.mark.django_db


def _schedule(client, property_, start, **extra):
    body = {
        "property_id": str(property_.pk),
        "tour_datetime": start.isoformat(),
        "prospect_name": "Jo Prospect",
        **extra,
    }
    return client.post("/api/tours/schedule", body, format="json")


def test_schedule_books_the_slot_with_every_spec_field(
    tenants, tour_settings, events, django_capture_on_commit_callbacks
):
    conversation = ConversationFactory(property=tenants.a1)
    start = local_slot(tenants.a1, days=2, hour=10)
    with django_capture_on_commit_callbacks(execute=True):
        response = _schedule(
            client_for(tenants.manager_write.user),
            tenants.a1,
            start,
            prospect_email="jo@example.test",
            prospect_phone="+1 512 555 0100",
            unit_interest="2B/2B",
            conversation_id=str(conversation.pk),
            tour_type="virtual",
            source="chat",
        )
    assert response.status_code == 201, response.json()
    tour = response.json()["data"]
    for field in (
        "id",
        "conversation_id",
        "property_id",
        "property_manager_id",
        "prospect_name",
        "prospect_email",
        "prospect_phone",
        "unit_interest",
        "tour_datetime",
        "duration_minutes",
        "tour_type",
        "status",
        "source",
    ):
        assert field in tour
    assert tour["status"] == "scheduled" and tour["tour_type"] == "virtual" and tour["source"] == "chat"
    assert tour["duration_minutes"] == 30 and tour["conversation_id"] == str(conversation.pk)
    assert tour["property_manager_id"] in {str(tenants.manager_write.pk), str(tenants.manager_read.pk)}
    assert events == [
        (
            "tour.booked",
            {"tour_id": tour["id"], "property_id": str(tenants.a1.pk), "conversation_id": str(conversation.pk)},
        )
    ]
    listed = client_for(tenants.admin_a.user).get(f"/api/tours?conversation_id={conversation.pk}").json()["data"]
    assert [t["id"] for t in listed] == [tour["id"]]


def test_the_least_busy_free_manager_gets_the_tour(tenants, tour_settings):
    make_tour(tenants.a1, tenants.manager_write, local_slot(tenants.a1, days=2, hour=9))
    tour = services.tour_schedule(
        property=tenants.a1, start=local_slot(tenants.a1, days=2, hour=10), prospect_name="Al"
    )
    assert tour.property_manager == tenants.manager_read


def test_a_taken_slot_answers_409_tour_unavailable(tenants, tour_settings):
    start = local_slot(tenants.a1, days=2, hour=10)
    client = client_for(tenants.manager_write.user)
    assert _schedule(client, tenants.a1, start).status_code == 201
    assert _schedule(client, tenants.a1, start).status_code == 201  # the second manager
    response = _schedule(client, tenants.a1, start)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "TOUR_UNAVAILABLE"
    assert Tour.objects.filter(tour_datetime=start).count() == 2


@pytest.mark.parametrize(
    "when",
    [
        lambda p: local_slot(p, days=0, hour=0) - timedelta(days=1),  # the past
        lambda p: local_slot(p, days=2, hour=7),  # before opening
        lambda p: local_slot(p, days=2, hour=10, minute=10),  # off the slot grid
        lambda p: local_slot(p, days=40, hour=10),
    ],  # beyond the horizon
    ids=["past", "closed_hours", "off_grid", "beyond_horizon"],
)
def test_times_outside_the_rules_are_unavailable(tenants, tour_settings, when):
    response = _schedule(client_for(tenants.admin_a.user), tenants.a1, when(tenants.a1))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "TOUR_UNAVAILABLE"
    assert not Tour.objects.exists()


def test_bad_bodies_are_400_and_write_nothing(tenants, tour_settings):
    client = client_for(tenants.admin_a.user)
    start = local_slot(tenants.a1, days=2, hour=10)
    missing = client.post("/api/tours/schedule", {"property_id": str(tenants.a1.pk)}, format="json")
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "MISSING_REQUIRED_FIELD"
    other_property = ConversationFactory(property=tenants.a2)
    wrong = _schedule(client, tenants.a1, start, conversation_id=str(other_property.pk))
    assert wrong.status_code == 400 and "conversation_id" in wrong.json()["error"]["details"]
    not_assigned = _schedule(client, tenants.a1, start, property_manager_id=str(tenants.admin_a.pk))
    assert not_assigned.status_code == 400
    garbage = _schedule(client, tenants.a1, start, tour_type="helicopter", prospect_email="not-an-email")
    assert garbage.status_code == 400 and set(garbage.json()["error"]["details"]) == {"tour_type", "prospect_email"}
    assert not Tour.objects.exists()


def test_staff_can_record_a_walk_in_outside_the_slot_rules_but_not_on_a_busy_manager(tenants, tour_settings):
    client = client_for(tenants.manager_write.user)
    now = timezone.now().replace(second=0, microsecond=0)
    body = {
        "property_id": str(tenants.a1.pk),
        "tour_datetime": now.isoformat(),
        "prospect_name": "Walk In",
        "source": "walk_in",
        "property_manager_id": str(tenants.manager_write.pk),
    }
    response = client.post("/api/tours", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["data"]["source"] == "walk_in"
    again = client.post(
        "/api/tours", {**body, "tour_datetime": (now + timedelta(minutes=10)).isoformat()}, format="json"
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "TOUR_UNAVAILABLE"


def test_the_database_refuses_two_live_tours_of_one_manager_at_one_time(tenants, tour_settings):
    start = local_slot(tenants.a1, days=2, hour=10)
    make_tour(tenants.a1, tenants.manager_write, start)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_tour(tenants.a1, tenants.manager_write, start)
    make_tour(tenants.a1, tenants.manager_write, start, status=TourStatus.CANCELLED)  # not live: allowed


def test_the_database_refuses_two_self_guided_tours_on_one_seat(tenants, tour_settings):
    start = local_slot(tenants.a1, days=2, hour=10)
    make_tour(tenants.a1, None, start, tour_type=TourType.SELF_GUIDED, seat=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_tour(tenants.a1, None, start, tour_type=TourType.SELF_GUIDED, seat=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_tour(tenants.a1, None, start, tour_type=TourType.SELF_GUIDED)  # a self-guided tour needs its seat


def test_self_guided_bookings_fill_seats_up_to_the_cap(tenants, tour_settings):
    start = local_slot(tenants.a1, days=2, hour=10)
    booked = [
        services.tour_schedule(property=tenants.a1, start=start, tour_type="self_guided", prospect_name=f"P{i}")
        for i in range(2)
    ]
    assert sorted(t.seat for t in booked) == [1, 2] and all(t.property_manager is None for t in booked)
    with pytest.raises(TourUnavailable):
        services.tour_schedule(property=tenants.a1, start=start, tour_type="self_guided", prospect_name="P3")


# --- holds -------------------------------------------------------------------------------------------
def test_a_hold_keeps_the_slot_for_its_holder_only(tenants, tour_settings):
    start = local_slot(tenants.a1, days=2, hour=10)
    first = services.tour_hold(property=tenants.a1, start=start, hold_key="conv-1")
    second = services.tour_hold(property=tenants.a1, start=start, hold_key="conv-2")
    assert {first.property_manager, second.property_manager} == {tenants.manager_write, tenants.manager_read}
    with pytest.raises(TourUnavailable):
        services.tour_schedule(property=tenants.a1, start=start, prospect_name="Someone else")
    tour = services.tour_schedule(property=tenants.a1, start=start, prospect_name="Holder", hold_key="conv-1")
    assert tour.property_manager == first.property_manager
    assert not TourHold.objects.filter(hold_key="conv-1").exists()


def test_holding_again_with_the_same_key_moves_the_hold(tenants, tour_settings):
    services.tour_hold(property=tenants.a1, start=local_slot(tenants.a1, days=2, hour=10), hold_key="conv-1")
    moved = services.tour_hold(property=tenants.a1, start=local_slot(tenants.a1, days=2, hour=11), hold_key="conv-1")
    assert list(TourHold.objects.values_list("pk", flat=True)) == [moved.pk]
    assert moved.expires_at > timezone.now() + timedelta(minutes=9)


def test_an_expired_hold_no_longer_keeps_the_slot(tenants, tour_settings):
    start = local_slot(tenants.a1, days=2, hour=10)
    for key in ("conv-1", "conv-2"):
        services.tour_hold(property=tenants.a1, start=start, hold_key=key)
    TourHold.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.tour_schedule(property=tenants.a1, start=start, prospect_name="Later").pk


def test_a_hold_on_a_full_slot_is_refused(tenants, tour_settings):
    start = local_slot(tenants.a1, days=2, hour=10)
    make_tour(tenants.a1, tenants.manager_write, start)
    make_tour(tenants.a1, tenants.manager_read, start)
    with pytest.raises(TourUnavailable):
        services.tour_hold(property=tenants.a1, start=start, hold_key="conv-1")


# --- the state machine -------------------------------------------------------------------------------
@pytest.fixture
def booked(tenants, tour_settings):
    return services.tour_schedule(
        property=tenants.a1,
        start=local_slot(tenants.a1, days=2, hour=10),
        prospect_name="Jo",
        prospect_email="jo@example.test",
    )


def test_confirm_then_cancel_and_nothing_after(tenants, booked):
    client = client_for(tenants.manager_write.user)
    confirmed = client.put(f"/api/tours/{booked.pk}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["data"]["status"] == "confirmed"
    again = client.put(f"/api/tours/{booked.pk}/confirm")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "INVALID_STATUS_TRANSITION"
    assert again.json()["error"]["details"]["current"] == "confirmed"
    cancelled = client.put(f"/api/tours/{booked.pk}/cancel", {"reason": "Found a place"}, format="json")
    assert cancelled.status_code == 200 and cancelled.json()["data"]["cancel_reason"] == "Found a place"
    for route, body in (
        ("confirm", None),
        ("cancel", {}),
        ("reschedule", {"tour_datetime": local_slot(tenants.a1, days=3).isoformat()}),
    ):
        response = client.put(f"/api/tours/{booked.pk}/{route}", body, format="json")
        assert response.status_code == 409, route
        assert response.json()["error"]["code"] == "INVALID_STATUS_TRANSITION"


def test_cancelling_frees_the_slot(tenants, booked, events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.tour_cancel(tour=booked, reason="sick")
    assert events[-1][0] == "tour.cancelled"
    for _ in range(2):
        services.tour_schedule(property=tenants.a1, start=booked.tour_datetime, prospect_name="Next")


def test_reschedule_moves_the_tour_keeps_its_manager_and_asks_for_confirmation_again(
    tenants, booked, events, django_capture_on_commit_callbacks
):
    services.tour_confirm(tour=booked)
    new_start = local_slot(tenants.a1, days=3, hour=14)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenants.manager_write.user).put(
            f"/api/tours/{booked.pk}/reschedule", {"tour_datetime": new_start.isoformat()}, format="json"
        )
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert data["status"] == "scheduled" and data["reschedule_count"] == 1
    assert data["property_manager_id"] == str(booked.property_manager_id)
    assert events[-1][0] == "tour.rescheduled"
    assert events[-1][1]["previous_tour_datetime"] == booked.tour_datetime.isoformat()
    # The old slot is free again for both managers.
    services.tour_schedule(property=tenants.a1, start=booked.tour_datetime, prospect_name="A")
    services.tour_schedule(property=tenants.a1, start=booked.tour_datetime, prospect_name="B")


def test_rescheduling_into_a_full_slot_is_409_and_changes_nothing(tenants, booked):
    target = local_slot(tenants.a1, days=3, hour=9)
    make_tour(tenants.a1, tenants.manager_write, target)
    make_tour(tenants.a1, tenants.manager_read, target)
    with pytest.raises(TourUnavailable):
        services.tour_reschedule(tour=booked, start=target)
    booked.refresh_from_db()
    assert booked.reschedule_count == 0 and booked.tour_datetime == local_slot(tenants.a1, days=2, hour=10)


def test_outcome_records_completed_or_no_show_once_the_tour_has_started(
    tenants, booked, events, django_capture_on_commit_callbacks
):
    client = client_for(tenants.manager_write.user)
    early = client.put(f"/api/tours/{booked.pk}/outcome", {"status": "completed"}, format="json")
    assert early.status_code == 400
    Tour.objects.filter(pk=booked.pk).update(
        tour_datetime=timezone.now() - timedelta(hours=1), ends_at=timezone.now() - timedelta(minutes=30)
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.put(
            f"/api/tours/{booked.pk}/outcome", {"status": "no_show", "notes": "never came"}, format="json"
        )
    assert response.status_code == 200 and response.json()["data"]["status"] == "no_show"
    assert events[-1][0] == "tour.no_show"
    corrected = client.put(
        f"/api/tours/{booked.pk}/outcome", {"status": "completed", "outcome": "applied"}, format="json"
    )
    assert corrected.json()["data"]["status"] == "completed" and corrected.json()["data"]["outcome"] == "applied"
    assert client.put(f"/api/tours/{booked.pk}/outcome", {"status": "cancelled"}, format="json").status_code == 400
    assert client.put(f"/api/tours/{booked.pk}/cancel", {}, format="json").status_code == 409


def test_every_transition_outside_the_table_is_refused(tenants, tour_settings):
    start = local_slot(tenants.a1, days=2, hour=9)
    tour = make_tour(tenants.a1, tenants.manager_write, start - timedelta(days=5), status=TourStatus.CANCELLED)
    for call in (
        lambda: services.tour_confirm(tour=tour),
        lambda: services.tour_cancel(tour=tour),
        lambda: services.tour_record_outcome(tour=tour, status="completed"),
        lambda: services.tour_reschedule(tour=tour, start=start),
    ):
        with pytest.raises(InvalidStatusTransition):
            call()
    with pytest.raises(ValidationFailed):
        services.tour_record_outcome(tour=tour, status="confirmed")


def test_update_changes_details_and_reassigns_only_to_a_free_manager(tenants, booked):
    client = client_for(tenants.admin_a.user)
    other = tenants.manager_read if booked.property_manager == tenants.manager_write else tenants.manager_write
    response = client.patch(
        f"/api/tours/{booked.pk}",
        {"prospect_phone": "+1 555 0101", "property_manager_id": str(other.pk)},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["property_manager_id"] == str(other.pk)
    assert response.json()["data"]["prospect_phone"] == "+1 555 0101"
    make_tour(tenants.a1, booked.property_manager, booked.tour_datetime)
    busy_back = client.patch(
        f"/api/tours/{booked.pk}", {"property_manager_id": str(booked.property_manager_id)}, format="json"
    )
    assert busy_back.status_code == 409
    moved = client.patch(
        f"/api/tours/{booked.pk}", {"tour_datetime": local_slot(tenants.a1, days=4).isoformat()}, format="json"
    )
    assert moved.status_code == 400 and "tour_datetime" in moved.json()["error"]["details"]


def test_delete_cancels_then_hides_the_tour(tenants, booked, events, django_capture_on_commit_callbacks):
    client = client_for(tenants.admin_a.user)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/tours/{booked.pk}").status_code == 200
    assert events[-1][0] == "tour.cancelled"
    assert client.get(f"/api/tours/{booked.pk}").status_code == 404
    assert Tour.all_objects.get(pk=booked.pk).status == TourStatus.CANCELLED


def test_list_filters(tenants, tour_settings):
    first = make_tour(tenants.a1, tenants.manager_write, local_slot(tenants.a1, days=2, hour=9))
    make_tour(tenants.a1, tenants.manager_read, local_slot(tenants.a1, days=3, hour=9), status=TourStatus.CONFIRMED)
    make_tour(tenants.a2, tenants.manager_write, local_slot(tenants.a1, days=4, hour=9))
    client = client_for(tenants.admin_a.user)
    assert len(client.get("/api/tours").json()["data"]) == 3
    assert [t["id"] for t in client.get(f"/api/tours?property_id={tenants.a1.pk}&status=scheduled").json()["data"]] == [
        str(first.pk)
    ]
    assert len(client.get(f"/api/tours?property_manager_id={tenants.manager_write.pk}").json()["data"]) == 2
    end = local_slot(tenants.a1, days=3, hour=0).isoformat().replace("+00:00", "Z")
    assert len(client.get(f"/api/tours?end={end}").json()["data"]) == 1
    assert client.get("/api/tours?status=lost").status_code == 400
    assert len(client_for(tenants.manager_read.user).get("/api/tours").json()["data"]) == 2  # a1 only


def test_outcomes_route_summarises_past_tours(tenants, tour_settings):
    past = timezone.now() - timedelta(days=1)
    make_tour(tenants.a1, tenants.manager_write, past, status=TourStatus.COMPLETED, outcome="applied")
    make_tour(tenants.a1, tenants.manager_read, past, status=TourStatus.NO_SHOW)
    make_tour(
        tenants.a1, tenants.manager_write, past - timedelta(hours=1), status=TourStatus.COMPLETED, outcome="leased"
    )
    make_tour(tenants.a1, tenants.manager_write, past - timedelta(hours=2))
    make_tour(tenants.a1, tenants.manager_write, local_slot(tenants.a1, days=2))
    response = client_for(tenants.manager_read.user).get(f"/api/tours/outcomes/{tenants.a1.pk}?limit=2")
    assert response.status_code == 200
    body = response.json()
    summary = body["data"]["summary"]
    assert summary["total"] == 4 and summary["completed"] == 2 and summary["no_show"] == 1
    assert summary["awaiting_outcome"] == 1 and summary["show_rate"] == round(2 / 3, 4)
    assert summary["outcomes"] == {"applied": 1, "leased": 1}
    assert len(body["data"]["results"]) == 2 and body["meta"]["pagination"]["total"] == 4


# --- concurrency on PostgreSQL --------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a database that runs transactions concurrently")
def test_twenty_concurrent_bookings_of_one_slot_make_exactly_one_tour(tenants):
    TourSettings.objects.create(
        property=tenants.a1,
        min_notice_minutes=0,
        horizon_days=30,
        tour_hours={
            d: [{"open": "00:00", "close": "23:30"}]
            for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        },
    )
    # One manager: the slot holds exactly one in-person tour.
    tenants.manager_read.assignments.all().delete()
    start = local_slot(tenants.a1, days=2, hour=10)
    users = [tenants.manager_write.user] * 10 + [tenants.admin_a.user] * 10
    barrier = threading.Barrier(len(users))
    results = []

    def book(user, index):
        client = client_for(user)
        try:
            barrier.wait()
            response = _schedule(client, tenants.a1, start, prospect_name=f"Racer {index}")
            results.append((response.status_code, response.json()["error"] and response.json()["error"]["code"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(user, i)) for i, user in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 20
    assert sorted(results).count((201, None)) == 1
    assert sorted(results).count((409, "TOUR_UNAVAILABLE")) == 19
    assert Tour.objects.filter(tour_datetime=start).count() == 1
