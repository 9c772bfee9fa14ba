from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from core.events import subscribe
from tests.tours.fakes import FakeCalendly, FakeICalHost
from tours.models import Tour, TourSettings, TourType

EVERY_DAY = {
    day: [{"open": "09:00", "close": "17:00"}]
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}

# Domain events published by tours, recorded for the tests (subscribe is idempotent).
EVENTS: list[tuple[str, dict]] = []
for _name in ("tour.booked", "tour.rescheduled", "tour.cancelled", "tour.completed", "tour.no_show"):
    subscribe(_name, lambda _event=_name, **payload: EVENTS.append((_event, payload)))


@pytest.fixture
def events():
    EVENTS.clear()
    yield EVENTS
    EVENTS.clear()


@pytest.fixture
def tour_settings(tenants) -> TourSettings:
    """a1 gives tours every day 09:00-17:00 Chicago time, in 30-minute slots, booked 1 h ahead."""
    return TourSettings.objects.create(
        property=tenants.a1,
        tour_hours=EVERY_DAY,
        slot_minutes=30,
        min_notice_minutes=60,
        horizon_days=30,
        self_guided_capacity=2,
        change_notice_minutes=120,
    )


def local_slot(property_, *, days: int = 2, hour: int = 10, minute: int = 0) -> datetime:
    """A slot start `days` after today at a local wall-clock time of the property, as UTC."""
    zone = ZoneInfo(property_.time_zone)
    day = timezone.now().astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def make_tour(property_, manager, start: datetime, *, minutes=30, **fields) -> Tour:
    """A live tour written directly (for seeding many rows); bookings in tests use the services."""
    return Tour.objects.create(
        property=property_,
        property_manager=manager,
        prospect_name=fields.pop("prospect_name", "Seeded Prospect"),
        tour_datetime=start,
        ends_at=start + timedelta(minutes=minutes),
        duration_minutes=minutes,
        tour_type=fields.pop("tour_type", TourType.IN_PERSON),
        **fields,
    )


@pytest.fixture(scope="session")
def _calendly_server():
    # One server for the session: stopping one costs half a second (its poll interval).
    with FakeCalendly() as fake:
        yield fake


@pytest.fixture(scope="session")
def _ical_server():
    with FakeICalHost() as fake:
        yield fake


@pytest.fixture
def fake_calendly(_calendly_server, settings):
    _calendly_server.reset()
    settings.CALENDLY_API_URL = _calendly_server.url
    settings.OUTBOUND_HTTP_TIMEOUT = 1.0
    return _calendly_server


@pytest.fixture
def fake_ical(_ical_server, settings):
    _ical_server.reset()
    # The fake listens on loopback, which production refuses for user-supplied feed URLs.
    settings.ICAL_ALLOW_PRIVATE_HOSTS = True
    settings.OUTBOUND_HTTP_TIMEOUT = 1.0
    return _ical_server
