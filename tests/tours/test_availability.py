"""Bookable slots: hours, notice, horizon, closed dates, tours, holds, buffers, calendars, types."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.conftest import client_for
from tests.tours.conftest import local_slot, make_tour
from tours.models import BusyInterval, TourHold, TourSettings, TourType
from tours.selectors import tour_available_slots
from tours.serializers import AvailabilitySerializer

pytestmark = pytest.mark.django_db


def _slots_on(property_, day_offset, tour_type=TourType.IN_PERSON, manager=None):
    start = local_slot(property_, days=day_offset, hour=0)
    return tour_available_slots(
        property=property_, start=start, end=start + timedelta(days=1), tour_type=tour_type, manager=manager
    )


def test_a_free_day_offers_every_slot_of_the_hours_with_both_managers(tenants, tour_settings):
    slots = _slots_on(tenants.a1, 2)
    assert len(slots) == 16
    assert slots[0].start == local_slot(tenants.a1, days=2, hour=9)
    assert slots[-1].end == local_slot(tenants.a1, days=2, hour=17)
    assert set(slots[0].manager_ids) == {tenants.manager_write.pk, tenants.manager_read.pk}
    assert slots[0].remaining_capacity == 2
    assert all(slot.start.tzinfo is not None and slot.start.utcoffset() == timedelta(0) for slot in slots)


def test_a_tour_takes_its_manager_out_of_that_slot_only(tenants, tour_settings):
    start = local_slot(tenants.a1, days=2, hour=10)
    make_tour(tenants.a1, tenants.manager_write, start)
    by_start = {slot.start: slot for slot in _slots_on(tenants.a1, 2)}
    assert by_start[start].manager_ids == (tenants.manager_read.pk,)
    assert set(by_start[start + timedelta(minutes=30)].manager_ids) == {
        tenants.manager_write.pk,
        tenants.manager_read.pk,
    }


def test_a_slot_disappears_when_every_manager_is_busy(tenants, tour_settings):
    start = local_slot(tenants.a1, days=2, hour=10)
    make_tour(tenants.a1, tenants.manager_write, start)
    make_tour(tenants.a1, tenants.manager_read, start)
    starts = [slot.start for slot in _slots_on(tenants.a1, 2)]
    assert start not in starts and len(starts) == 15


def test_a_manager_busy_at_another_property_is_not_offered(tenants, tour_settings):
    start = local_slot(tenants.a1, days=2, hour=10)
    make_tour(tenants.a2, tenants.manager_write, start)
    by_start = {slot.start: slot for slot in _slots_on(tenants.a1, 2)}
    assert by_start[start].manager_ids == (tenants.manager_read.pk,)


def test_the_buffer_keeps_a_manager_free_around_each_tour(tenants, tour_settings):
    tour_settings.buffer_minutes = 15
    tour_settings.save()
    start = local_slot(tenants.a1, days=2, hour=12)
    make_tour(tenants.a1, tenants.manager_write, start)
    free_for_write = {slot.start for slot in _slots_on(tenants.a1, 2) if tenants.manager_write.pk in slot.manager_ids}
    assert start - timedelta(minutes=30) not in free_for_write  # ends at 12:00, needs until 12:15
    assert start + timedelta(minutes=30) not in free_for_write  # starts 12:30, needs from 12:15
    assert start - timedelta(minutes=60) in free_for_write
    assert start + timedelta(minutes=60) in free_for_write


def test_cancelled_and_completed_tours_free_their_slot(tenants, tour_settings):
    start = local_slot(tenants.a1, days=2, hour=10)
    make_tour(tenants.a1, tenants.manager_write, start, status="cancelled")
    make_tour(tenants.a1, tenants.manager_read, start, status="completed")
    by_start = {slot.start: slot for slot in _slots_on(tenants.a1, 2)}
    assert by_start[start].remaining_capacity == 2


def test_minimum_notice_and_horizon_bound_the_range(tenants, tour_settings):
    now = timezone.now()
    slots = tour_available_slots(property=tenants.a1, start=now - timedelta(days=2), end=now + timedelta(days=60))
    assert slots[0].start >= now + timedelta(minutes=60)
    assert slots[-1].start <= now + timedelta(days=30)
    assert tour_available_slots(property=tenants.a1, start=now + timedelta(days=31), end=now + timedelta(days=40)) == []


def test_closed_dates_have_no_slots(tenants, tour_settings):
    closed = local_slot(tenants.a1, days=3).astimezone(ZoneInfo(tenants.a1.time_zone)).date()
    tour_settings.closed_dates = [closed.isoformat()]
    tour_settings.save()
    assert _slots_on(tenants.a1, 3) == []
    assert len(_slots_on(tenants.a1, 4)) == 16


def test_a_calendar_busy_interval_blocks_the_manager_it_belongs_to(tenants, tour_settings):
    start = local_slot(tenants.a1, days=2, hour=13)
    BusyInterval.objects.create(
        company=tenants.company_a,
        property_manager=tenants.manager_read,
        source="ical",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    by_start = {slot.start: slot for slot in _slots_on(tenants.a1, 2)}
    assert by_start[start].manager_ids == (tenants.manager_write.pk,)
    assert by_start[start + timedelta(minutes=30)].manager_ids == (tenants.manager_write.pk,)
    assert len(by_start[start + timedelta(hours=1)].manager_ids) == 2


def test_a_property_wide_busy_interval_from_another_source_closes_the_slot_for_everyone(tenants, tour_settings):
    start = local_slot(tenants.a1, days=2, hour=14)
    BusyInterval.objects.create(
        company=tenants.company_a,
        property=tenants.a1,
        source="resman",
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
    )
    for tour_type in TourType.values:
        assert start not in [slot.start for slot in _slots_on(tenants.a1, 2, tour_type)]


def test_another_holders_hold_hides_the_manager_but_not_from_the_holder(tenants, tour_settings):
    start = local_slot(tenants.a1, days=2, hour=11)
    TourHold.objects.create(
        property=tenants.a1,
        hold_key="chat-1",
        tour_type=TourType.IN_PERSON,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        property_manager=tenants.manager_write,
        expires_at=timezone.now() + timedelta(minutes=5),
    )
    window = {"property": tenants.a1, "start": start, "end": start + timedelta(minutes=1)}
    assert tour_available_slots(**window)[0].manager_ids == (tenants.manager_read.pk,)
    assert len(tour_available_slots(**window, hold_key="chat-1")[0].manager_ids) == 2


def test_an_expired_hold_blocks_nothing(tenants, tour_settings):
    start = local_slot(tenants.a1, days=2, hour=11)
    TourHold.objects.create(
        property=tenants.a1,
        hold_key="chat-1",
        tour_type=TourType.IN_PERSON,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        property_manager=tenants.manager_write,
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    slots = tour_available_slots(property=tenants.a1, start=start, end=start + timedelta(minutes=1))
    assert len(slots[0].manager_ids) == 2


def test_self_guided_tours_need_no_manager_but_respect_the_cap(tenants, tour_settings):
    start = local_slot(tenants.a1, days=2, hour=15)
    make_tour(tenants.a1, tenants.manager_write, start)
    make_tour(tenants.a1, tenants.manager_read, start)
    make_tour(tenants.a1, None, start, tour_type=TourType.SELF_GUIDED, seat=1)
    by_start = {slot.start: slot for slot in _slots_on(tenants.a1, 2, TourType.SELF_GUIDED)}
    assert by_start[start].remaining_capacity == 1 and by_start[start].manager_ids == ()
    make_tour(tenants.a1, None, start, tour_type=TourType.SELF_GUIDED, seat=2)
    assert start not in [slot.start for slot in _slots_on(tenants.a1, 2, TourType.SELF_GUIDED)]


def test_a_tour_type_the_property_does_not_offer_has_no_slots(tenants, tour_settings):
    tour_settings.tour_types = [TourType.IN_PERSON]
    tour_settings.save()
    assert _slots_on(tenants.a1, 2, TourType.VIRTUAL) == []


def test_a_property_without_managers_has_no_in_person_slots(tenants):
    assert _slots_on(tenants.a2, 2) == []
    assert len(_slots_on(tenants.a2, 2, TourType.SELF_GUIDED)) > 0  # default settings apply


def test_one_managers_availability_lists_only_their_slots(tenants, tour_settings):
    start = local_slot(tenants.a1, days=2, hour=10)
    make_tour(tenants.a1, tenants.manager_write, start)
    slots = _slots_on(tenants.a1, 2, manager=tenants.manager_write)
    assert start not in [slot.start for slot in slots] and len(slots) == 15
    assert all(slot.manager_ids == (tenants.manager_write.pk,) for slot in slots)


# --- over HTTP ---------------------------------------------------------------------------------------
def test_the_route_returns_utc_slots_with_the_local_offset(tenants, tour_settings):
    day = local_slot(tenants.a1, days=2).astimezone(ZoneInfo(tenants.a1.time_zone)).date()
    response = client_for(tenants.manager_read.user).get(
        f"/api/tours/availability/{tenants.a1.pk}?start={day}&end={day}"
    )
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert data["time_zone"] == "America/Chicago" and data["slot_minutes"] == 30
    assert len(data["slots"]) == 16
    first = data["slots"][0]
    assert first["start"].endswith("Z")
    local = datetime.fromisoformat(first["start_local"])
    assert local.strftime("%H:%M") == "09:00"
    assert local == datetime.fromisoformat(first["start"].replace("Z", "+00:00"))
    assert first["remaining_capacity"] == 2
    documented = AvailabilitySerializer(data=data)
    assert documented.is_valid(), documented.errors  # the hand-built body has the documented shape


def test_the_per_manager_route_answers_404_for_a_manager_not_at_the_property(tenants, tour_settings):
    client = client_for(tenants.admin_a.user)
    assert client.get(f"/api/tours/availability/{tenants.a1.pk}/{tenants.manager_write.pk}").status_code == 200
    response = client.get(f"/api/tours/availability/{tenants.a1.pk}/{tenants.admin_a.pk}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "RECORD_NOT_FOUND"


@pytest.mark.parametrize(
    "query",
    ["start=yesterday", "start=2026-05-10&end=2026-05-01", "start=2026-01-01&end=2026-06-01", "tour_type=helicopter"],
)
def test_bad_ranges_are_400(tenants, tour_settings, query):
    response = client_for(tenants.admin_a.user).get(f"/api/tours/availability/{tenants.a1.pk}?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def _next_transitions(zone: ZoneInfo) -> list[date]:
    """The local dates of the next spring-forward and fall-back in `zone`, found from today."""
    found, day = {}, timezone.now().astimezone(zone).date() + timedelta(days=1)
    for _ in range(400):
        before = datetime.combine(day, time(0), tzinfo=zone).utcoffset()
        after = datetime.combine(day, time(23, 59), tzinfo=zone).utcoffset()
        if before != after:
            found.setdefault("spring" if after > before else "fall", day)
        day += timedelta(days=1)
    return [found["spring"], found["fall"]]


@pytest.mark.parametrize("change", [0, 1], ids=["spring_forward", "fall_back"])
def test_the_route_is_right_on_both_days_clocks_change(tenants, tour_settings, change):
    tour_settings.horizon_days = 365
    tour_settings.save()
    zone = ZoneInfo(tenants.a1.time_zone)
    day = _next_transitions(zone)[change]
    response = client_for(tenants.admin_a.user).get(
        f"/api/tours/availability/{tenants.a1.pk}?start={day - timedelta(days=1)}&end={day + timedelta(days=1)}"
    )
    assert response.status_code == 200
    slots = response.json()["data"]["slots"]
    by_day = {}
    for slot in slots:
        local = datetime.fromisoformat(slot["start_local"])
        by_day.setdefault(local.date(), []).append(local.strftime("%H:%M"))
    assert [len(by_day[d]) for d in sorted(by_day)] == [16, 16, 16]
    assert by_day[day] == by_day[day - timedelta(days=1)] == by_day[day + timedelta(days=1)]
    starts = [slot["start"] for slot in slots]
    assert len(set(starts)) == len(starts) == 48
    offsets = {
        datetime.fromisoformat(s["start_local"]).date(): datetime.fromisoformat(s["start_local"]).utcoffset()
        for s in slots
    }
    assert offsets[day - timedelta(days=1)] != offsets[day + timedelta(days=1)]


def test_booking_on_the_spring_forward_day_lands_on_the_local_time_asked(tenants, tour_settings):
    tour_settings.horizon_days = 365
    tour_settings.save()
    zone = ZoneInfo(tenants.a1.time_zone)
    day = _next_transitions(zone)[0]
    start = datetime.combine(day, time(9), tzinfo=zone)
    response = client_for(tenants.manager_write.user).post(
        "/api/tours/schedule",
        {"property_id": str(tenants.a1.pk), "tour_datetime": start.isoformat(), "prospect_name": "Dana"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    tour = response.json()["data"]
    assert datetime.fromisoformat(tour["tour_datetime"].replace("Z", "+00:00")) == start.astimezone(UTC)
    assert tour["tour_datetime_local"].startswith(f"{day}T09:00:00")


@pytest.mark.parametrize("tours", [1, 300])
def test_availability_costs_the_same_queries_at_1_and_300_tours(
    tenants, tour_settings, django_assert_max_num_queries, tours
):
    first = local_slot(tenants.a1, days=1, hour=9)
    for index in range(tours):
        day, slot = divmod(index, 16)
        manager = (tenants.manager_write, tenants.manager_read)[day % 2]
        make_tour(tenants.a1, manager, first + timedelta(days=day % 28, minutes=30 * slot))
    client = client_for(tenants.admin_a.user)
    # auth user + property + settings + managers + tours + holds + busy intervals (+ the access lookup)
    with django_assert_max_num_queries(9):
        response = client.get(
            f"/api/tours/availability/{tenants.a1.pk}?start={date.today()}&end={date.today() + timedelta(days=30)}"
        )
    assert response.status_code == 200


def test_settings_default_until_configured(tenants):
    response = client_for(tenants.admin_a.user).get(f"/api/tours/settings/{tenants.a2.pk}")
    assert response.status_code == 200
    assert response.json()["data"]["slot_minutes"] == 30
    assert not TourSettings.objects.filter(property=tenants.a2).exists()


def test_settings_can_be_changed_and_are_validated(tenants):
    client = client_for(tenants.manager_write.user)
    url = f"/api/tours/settings/{tenants.a1.pk}"
    response = client.patch(
        url,
        {"slot_minutes": 45, "closed_dates": ["2026-12-25", "2026-12-25"], "tour_types": ["in_person"]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["closed_dates"] == ["2026-12-25"]
    assert TourSettings.objects.get(property=tenants.a1).slot_minutes == 45
    bad = client.patch(url, {"tour_hours": {"funday": []}, "slot_minutes": 5}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["error"]["details"]) == {"tour_hours", "slot_minutes"}
    assert client_for(tenants.manager_read.user).patch(url, {"slot_minutes": 60}, format="json").status_code == 403
