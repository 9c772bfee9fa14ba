"""The busy-time cache as another app (the ResMan sync) uses it: its own source, no tours code."""

from datetime import timedelta

import pytest

from tests.tours.conftest import local_slot
from tours.calendars import busy_time_remove, busy_time_upsert, busy_times_replace
from tours.models import BusyInterval
from tours.selectors import tour_available_slots

pytestmark = pytest.mark.django_db


def _managers_at(property_, start):
    slots = tour_available_slots(property=property_, start=start, end=start + timedelta(minutes=1))
    return set(slots[0].manager_ids) if slots else set()


def test_replace_holds_exactly_the_given_intervals_inside_the_window(tenants, tour_settings):
    ten, eleven, noon = (local_slot(tenants.a1, days=2, hour=h) for h in (10, 11, 12))
    window = {"window_start": ten - timedelta(hours=1), "window_end": noon + timedelta(hours=2)}
    owner = {"source": "resman", "company": tenants.company_a, "property_manager": tenants.manager_write}
    assert (
        busy_times_replace(
            **owner,
            **window,
            intervals=[
                (ten, ten + timedelta(minutes=30), "appt-1"),
                (eleven, eleven + timedelta(minutes=30), "appt-2"),
            ],
        )
        == 2
    )
    assert _managers_at(tenants.a1, ten) == {tenants.manager_read.pk}
    busy_times_replace(**owner, **window, intervals=[(noon, noon + timedelta(minutes=30), "appt-3")])
    assert _managers_at(tenants.a1, ten) == {tenants.manager_write.pk, tenants.manager_read.pk}
    assert _managers_at(tenants.a1, noon) == {tenants.manager_read.pk}
    assert list(BusyInterval.objects.values_list("external_id", flat=True)) == ["appt-3"]


def test_replace_leaves_other_sources_and_other_owners_alone(tenants, tour_settings):
    ten = local_slot(tenants.a1, days=2, hour=10)
    one = [(ten, ten + timedelta(minutes=30), "x")]
    window = {"window_start": ten - timedelta(days=1), "window_end": ten + timedelta(days=1)}
    busy_times_replace(
        source="ical", company=tenants.company_a, property_manager=tenants.manager_write, intervals=one, **window
    )
    busy_times_replace(
        source="resman", company=tenants.company_a, property_manager=tenants.manager_read, intervals=one, **window
    )
    busy_times_replace(
        source="resman", company=tenants.company_a, property_manager=tenants.manager_read, intervals=[], **window
    )
    assert list(BusyInterval.objects.values_list("source", flat=True)) == ["ical"]


def test_a_property_wide_appointment_closes_the_slot(tenants, tour_settings):
    ten = local_slot(tenants.a1, days=2, hour=10)
    busy_time_upsert(
        source="resman",
        company=tenants.company_a,
        property=tenants.a1,
        external_id="A-1",
        starts_at=ten,
        ends_at=ten + timedelta(minutes=30),
    )
    assert _managers_at(tenants.a1, ten) == set()
    moved = ten + timedelta(hours=2)
    busy_time_upsert(
        source="resman",
        company=tenants.company_a,
        property=tenants.a1,
        external_id="A-1",
        starts_at=moved,
        ends_at=moved + timedelta(minutes=30),
    )
    assert BusyInterval.objects.count() == 1
    assert len(_managers_at(tenants.a1, ten)) == 2 and _managers_at(tenants.a1, moved) == set()
    assert busy_time_remove(source="resman", property=tenants.a1, external_id="A-1") == 1
    assert len(_managers_at(tenants.a1, moved)) == 2


def test_busy_times_need_an_owner(tenants):
    with pytest.raises(ValueError):
        busy_time_remove(source="resman", external_id="A-1")
