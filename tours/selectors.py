"""Reads: bookable slots, calendar free/busy, outcome figures, tour lists.

Availability costs a fixed handful of queries whatever the number of tours and busy events: the
property's settings and managers, then the live tours, holds and busy intervals that touch the range,
each in one query; the rest is arithmetic on sorted intervals (tours/scheduling.py).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from core.errors import RecordNotFound
from properties.models import PropertyManager, PropertyManagerAssignment
from tours.models import (
    LIVE_STATUSES,
    MANAGED_TYPES,
    BusyInterval,
    CalendarIntegration,
    Tour,
    TourHold,
    TourSettings,
    TourStatus,
    TourType,
)
from tours.scheduling import Timeline, merge, open_windows, slot_starts, subtract


@dataclass(frozen=True)
class Slot:
    """A bookable tour time. For in-person and virtual tours `manager_ids` lists the managers free
    then (and `remaining_capacity` is how many); self-guided tours need no manager, and
    `remaining_capacity` counts the seats left."""

    start: datetime
    end: datetime
    tour_type: str
    manager_ids: tuple = ()
    remaining_capacity: int = 0


def tour_settings_get(*, property) -> TourSettings:
    """The property's tour settings, or the defaults (unsaved) when it has none."""
    try:
        return property.tour_settings
    except TourSettings.DoesNotExist:
        return TourSettings(property=property)


def tour_managers(*, property) -> list[PropertyManager]:
    """The managers who give the property's tours: those assigned to it, primary first."""
    assignments = (
        PropertyManagerAssignment.objects.filter(property=property, property_manager__user__is_active=True)
        .select_related("property_manager__user")
        .order_by("-is_primary", "created_at", "id")
    )
    return [assignment.property_manager for assignment in assignments]


@dataclass
class _BusyIndex:
    managers: dict = field(default_factory=dict)  # manager id -> Timeline
    property_wide: Timeline = field(default_factory=Timeline)
    seats: list = field(default_factory=list)  # (start, end, seat) of self-guided tours and holds

    def free_managers(self, begin: datetime, finish: datetime) -> tuple:
        return tuple(pk for pk, timeline in self.managers.items() if timeline.is_free(begin, finish))

    def seats_taken(self, begin: datetime, finish: datetime) -> set[int]:
        return {seat for s, e, seat in self.seats if s < finish and e > begin}


def _busy_index(
    *,
    property,
    manager_ids: list,
    start: datetime,
    end: datetime,
    now: datetime,
    hold_key: str | None = None,
    ignoring_tour=None,
) -> _BusyIndex:
    """Everything that occupies the managers or the property's self-guided seats in [start, end)."""
    by_manager = defaultdict(list)
    seats = []
    # Managed tour types need the managers' time (given as manager_ids); self-guided ones need seats.
    if manager_ids:
        owners = Q(property_manager_id__in=manager_ids)
    else:
        owners = Q(property=property, tour_type=TourType.SELF_GUIDED)
    tours = Tour.objects.filter(status__in=LIVE_STATUSES, tour_datetime__lt=end, ends_at__gt=start).filter(owners)
    if ignoring_tour is not None:
        tours = tours.exclude(pk=ignoring_tour.pk)
    holds = TourHold.objects.filter(expires_at__gt=now, starts_at__lt=end, ends_at__gt=start).filter(owners)
    if hold_key:
        holds = holds.exclude(property=property, hold_key=hold_key)
    for rows in (
        tours.values_list("property_manager_id", "tour_datetime", "ends_at", "seat"),
        holds.values_list("property_manager_id", "starts_at", "ends_at", "seat"),
    ):
        for manager_id, begin, finish, seat in rows:
            if manager_id is not None:
                by_manager[manager_id].append((begin, finish))
            elif seat is not None:
                seats.append((begin, finish, seat))
    property_wide = []
    busy = BusyInterval.objects.filter(starts_at__lt=end, ends_at__gt=start).filter(
        Q(property_manager_id__in=manager_ids) | Q(property=property, property_manager__isnull=True)
    )
    for manager_id, begin, finish in busy.values_list("property_manager_id", "starts_at", "ends_at"):
        (by_manager[manager_id] if manager_id is not None else property_wide).append((begin, finish))
    return _BusyIndex(
        managers={pk: Timeline(by_manager[pk]) for pk in manager_ids},
        property_wide=Timeline(property_wide),
        seats=seats,
    )


def _evaluate(
    *,
    property,
    config: TourSettings,
    starts: list[datetime],
    duration: timedelta,
    tour_type: str,
    manager_ids: list,
    now: datetime,
    hold_key: str | None,
    ignoring_tour,
) -> list[Slot]:
    if not starts:
        return []
    managed = tour_type in MANAGED_TYPES
    if managed and not manager_ids:
        return []
    buffer = config.buffer
    index = _busy_index(
        property=property,
        manager_ids=manager_ids if managed else [],
        start=starts[0] - buffer,
        end=starts[-1] + duration + buffer,
        now=now,
        hold_key=hold_key,
        ignoring_tour=ignoring_tour,
    )
    slots = []
    for begin in starts:
        finish = begin + duration
        if not index.property_wide.is_free(begin, finish):
            continue
        if managed:
            free = index.free_managers(begin - buffer, finish + buffer)
            if free:
                slots.append(Slot(begin, finish, tour_type, manager_ids=free, remaining_capacity=len(free)))
        else:
            remaining = config.self_guided_capacity - len(index.seats_taken(begin, finish))
            if remaining > 0:
                slots.append(Slot(begin, finish, tour_type, remaining_capacity=remaining))
    return slots


def _manager_ids(*, property, manager) -> list:
    assigned = [m.pk for m in tour_managers(property=property)]
    if manager is None:
        return assigned
    return [manager.pk] if manager.pk in assigned else []


def tour_available_slots(
    *,
    property,
    start: datetime,
    end: datetime,
    tour_type: str = TourType.IN_PERSON,
    manager=None,
    hold_key: str | None = None,
    ignoring_tour=None,
) -> list[Slot]:
    """Bookable slots starting in [start, end): inside tour hours, after the minimum notice, within
    the booking horizon, and free of tours, holds and busy calendar time.

    `hold_key`: the caller's own hold does not hide its slot. `ignoring_tour`: a tour being moved does
    not block its own new time.
    """
    config = tour_settings_get(property=property)
    if tour_type not in config.tour_types:
        return []
    now = timezone.now()
    earliest = max(start, now + timedelta(minutes=config.min_notice_minutes))
    latest = min(end, now + timedelta(days=config.horizon_days))
    if earliest >= latest:
        return []
    starts = list(
        slot_starts(
            tour_hours=config.tour_hours,
            closed_dates=config.closed_dates,
            tz=ZoneInfo(property.time_zone),
            slot=config.slot_length,
            start=earliest,
            end=latest,
        )
    )
    return _evaluate(
        property=property,
        config=config,
        starts=starts,
        duration=config.slot_length,
        tour_type=tour_type,
        manager_ids=_manager_ids(property=property, manager=manager) if tour_type in MANAGED_TYPES else [],
        now=now,
        hold_key=hold_key,
        ignoring_tour=ignoring_tour,
    )


def tour_slot_find(
    *,
    property,
    start: datetime,
    tour_type: str,
    manager=None,
    hold_key: str | None = None,
    ignoring_tour=None,
    enforce_rules: bool = True,
    duration: timedelta | None = None,
) -> Slot | None:
    """The slot that starts exactly at `start`, if it can be booked.

    Without `enforce_rules` (staff recording a walk-in or a phone booking) only collisions count,
    not tour hours, notice or horizon.
    """
    if enforce_rules:
        slots = tour_available_slots(
            property=property,
            start=start,
            end=start + timedelta(microseconds=1),
            tour_type=tour_type,
            manager=manager,
            hold_key=hold_key,
            ignoring_tour=ignoring_tour,
        )
        return next((slot for slot in slots if slot.start == start), None)
    config = tour_settings_get(property=property)
    slots = _evaluate(
        property=property,
        config=config,
        starts=[start],
        duration=duration or config.slot_length,
        tour_type=tour_type,
        manager_ids=_manager_ids(property=property, manager=manager) if tour_type in MANAGED_TYPES else [],
        now=timezone.now(),
        hold_key=hold_key,
        ignoring_tour=ignoring_tour,
    )
    return slots[0] if slots else None


def calendar_availability(*, property, start: datetime, end: datetime, manager=None) -> dict:
    """Each manager's busy times (tours, holds, calendar events) and free tour-hour windows."""
    config = tour_settings_get(property=property)
    managers = tour_managers(property=property)
    if manager is not None:
        managers = [m for m in managers if m.pk == manager.pk]
    ids = [m.pk for m in managers]
    now = timezone.now()
    busy = defaultdict(list)
    tours = Tour.objects.filter(
        status__in=LIVE_STATUSES, property_manager_id__in=ids, tour_datetime__lt=end, ends_at__gt=start
    ).values_list("property_manager_id", "tour_datetime", "ends_at", "id")
    for manager_id, begin, finish, tour_id in tours:
        busy[manager_id].append({"start": begin, "end": finish, "source": "tour", "tour_id": tour_id})
    holds = TourHold.objects.filter(
        property_manager_id__in=ids, expires_at__gt=now, starts_at__lt=end, ends_at__gt=start
    ).values_list("property_manager_id", "starts_at", "ends_at")
    for manager_id, begin, finish in holds:
        busy[manager_id].append({"start": begin, "end": finish, "source": "hold", "tour_id": None})
    intervals = BusyInterval.objects.filter(starts_at__lt=end, ends_at__gt=start).filter(
        Q(property_manager_id__in=ids) | Q(property=property, property_manager__isnull=True)
    )
    property_wide = []
    for manager_id, begin, finish, source in intervals.values_list(
        "property_manager_id", "starts_at", "ends_at", "source"
    ):
        entry = {"start": begin, "end": finish, "source": source, "tour_id": None}
        (busy[manager_id] if manager_id is not None else property_wide).append(entry)
    calendars = defaultdict(list)
    for integration in CalendarIntegration.objects.filter(property=property, property_manager_id__in=ids):
        calendars[integration.property_manager_id].append(integration)
    windows = open_windows(
        tour_hours=config.tour_hours,
        closed_dates=config.closed_dates,
        tz=ZoneInfo(property.time_zone),
        start=start,
        end=end,
    )
    rows = []
    for m in managers:
        entries = sorted(busy[m.pk] + property_wide, key=lambda entry: (entry["start"], entry["end"]))
        blocked = merge((e["start"] - config.buffer, e["end"] + config.buffer) for e in entries)
        rows.append(
            {
                "property_manager_id": m.pk,
                "name": str(m),
                "busy": entries,
                "free": [{"start": s, "end": e} for s, e in subtract(windows, blocked)],
                "calendars": calendars[m.pk],
            }
        )
    return {
        "property_id": property.pk,
        "time_zone": property.time_zone,
        "start": start,
        "end": end,
        "managers": rows,
    }


def tour_list_filter(queryset: QuerySet, *, params: dict) -> QuerySet:
    """Filters of GET /api/tours (already validated)."""
    lookups = {
        "property_id": "property_id",
        "conversation_id": "conversation_id",
        "property_manager_id": "property_manager_id",
        "status": "status",
        "tour_type": "tour_type",
        "source": "source",
        "start": "tour_datetime__gte",
        "end": "tour_datetime__lt",
    }
    filters = {lookups[name]: value for name, value in params.items() if name in lookups and value is not None}
    return queryset.filter(**filters)


def tour_outcome_summary(*, queryset: QuerySet) -> dict:
    """Figures of past tours: shows, no-shows, cancellations, outcomes, and tours still to record."""
    past = queryset.filter(tour_datetime__lte=timezone.now())
    counts = past.aggregate(
        total=Count("id"),
        completed=Count("id", filter=Q(status=TourStatus.COMPLETED)),
        no_show=Count("id", filter=Q(status=TourStatus.NO_SHOW)),
        cancelled=Count("id", filter=Q(status=TourStatus.CANCELLED)),
        awaiting_outcome=Count("id", filter=Q(status__in=LIVE_STATUSES)),
    )
    outcomes = dict(
        past.exclude(outcome="").order_by().values("outcome").annotate(n=Count("id")).values_list("outcome", "n")
    )
    attended = counts["completed"] + counts["no_show"]
    counts["show_rate"] = round(counts["completed"] / attended, 4) if attended else None
    counts["outcomes"] = outcomes
    return counts


MANAGE_SALT = "tours.manage"


def tour_manage_token(*, tour: Tour) -> str:
    """The prospect's signed token for their own tour (reschedule, cancel); nothing to store."""
    return signing.dumps(str(tour.pk), salt=MANAGE_SALT)


def tour_manage_url(*, tour: Tour) -> str:
    return settings.TOUR_MANAGE_URL.format(token=tour_manage_token(tour=tour))


def tour_by_manage_token(*, token: str) -> Tour:
    try:
        tour_id = signing.loads(token, salt=MANAGE_SALT, max_age=timedelta(days=settings.TOUR_MANAGE_LINK_MAX_AGE_DAYS))
    except signing.BadSignature:
        raise RecordNotFound("This tour link is not valid or has expired.") from None
    return Tour.objects.select_related("property", "property_manager__user").get(pk=tour_id)
