"""List and detail routes of tours and calendars: the number of queries does not grow with rows."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import client_for
from tests.tours.conftest import local_slot, make_tour
from tours.models import BusyInterval, CalendarIntegration

pytestmark = pytest.mark.django_db

# auth user + access (assignments, for managers) + object/page (+ count when the page is full)
MAX_QUERIES = {
    "/api/tours?limit=100": 5,
    "/api/tours/{tour}": 4,
    "/api/tours/outcomes/{a1}?limit=100": 7,
    "/api/calendar/integrations?limit=100": 5,
    "/api/calendar/integrations/{integration}": 4,
    "/api/calendar/sync/status/{integration}": 4,
    "/api/calendar/availability/{a1}?start={today}&end={month}": 10,
}


def _seed(tenants, rows):
    start = local_slot(tenants.a1, days=1, hour=9)
    tours = []
    for index in range(rows):
        day, slot = divmod(index, 16)
        manager = (tenants.manager_write, tenants.manager_read)[day % 2]
        tours.append(make_tour(tenants.a1, manager, start + timedelta(days=day, minutes=30 * slot)))
        past = timezone.now() - timedelta(days=day + 1, minutes=30 * slot)
        make_tour(tenants.a1, manager, past, status="completed", outcome="applied")
        BusyInterval.objects.create(
            company=tenants.company_a,
            property_manager=manager,
            source="resman",
            starts_at=start + timedelta(days=day, hours=index % 8),
            ends_at=start + timedelta(days=day, hours=index % 8, minutes=20),
        )
    integrations = [
        CalendarIntegration.objects.create(
            property=tenants.a1,
            property_manager=manager,
            provider=provider,
            ical_url="https://cal.test/x.ics",
            calendly_token="t",
        )
        for manager in (tenants.manager_write, tenants.manager_read)
        for provider in ("ical", "calendly")
    ][: max(1, min(rows, 4))]
    return tours[0], integrations[0]


@pytest.mark.parametrize("rows", [1, 60])
@pytest.mark.parametrize("route", list(MAX_QUERIES))
@pytest.mark.parametrize("caller", ["platform", "manager_read"])
def test_query_count_is_bounded(tenants, tour_settings, django_assert_max_num_queries, rows, route, caller):
    tour, integration = _seed(tenants, rows)
    user = tenants.platform if caller == "platform" else tenants.manager_read.user
    today = timezone.now().date()
    url = route.format(
        tour=tour.pk, integration=integration.pk, a1=tenants.a1.pk, today=today, month=today + timedelta(days=30)
    )
    client = client_for(user)
    with django_assert_max_num_queries(MAX_QUERIES[route]):
        response = client.get(url)
    assert response.status_code == 200, response.json()
