"""The slot grid across both daylight-saving changes, and the interval arithmetic under it."""

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from tours.scheduling import Timeline, open_windows, slot_starts, subtract

NEW_YORK = ZoneInfo("America/New_York")
WEEKDAY_HOURS = {
    day: [{"open": "09:00", "close": "17:00"}]
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}
NIGHT_HOURS = {day: [{"open": "00:00", "close": "04:00"}] for day in WEEKDAY_HOURS}
HALF_HOUR = timedelta(minutes=30)


def _day(day: date, hours=WEEKDAY_HOURS, zone=NEW_YORK) -> list[datetime]:
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    return list(
        slot_starts(
            tour_hours=hours, closed_dates=[], tz=zone, slot=HALF_HOUR, start=start, end=start + timedelta(days=1)
        )
    )


def _local_clock(slots, zone=NEW_YORK) -> list[str]:
    return [s.astimezone(zone).strftime("%H:%M") for s in slots]


def test_spring_forward_day_keeps_every_daytime_slot_at_the_new_offset():
    before, change, after = _day(date(2026, 3, 7)), _day(date(2026, 3, 8)), _day(date(2026, 3, 9))
    assert len(before) == len(change) == len(after) == 16
    assert _local_clock(change) == _local_clock(before)
    assert before[0] == datetime(2026, 3, 7, 14, 0, tzinfo=UTC)  # 09:00 EST is UTC-5
    assert change[0] == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)  # 09:00 EDT is UTC-4
    assert change[0].astimezone(NEW_YORK).utcoffset() == timedelta(hours=-4)


def test_fall_back_day_keeps_every_daytime_slot_at_the_new_offset():
    before, change = _day(date(2026, 10, 31)), _day(date(2026, 11, 1))
    assert len(before) == len(change) == 16
    assert _local_clock(change) == _local_clock(before)
    assert before[0] == datetime(2026, 10, 31, 13, 0, tzinfo=UTC)
    assert change[0] == datetime(2026, 11, 1, 14, 0, tzinfo=UTC)


def test_hours_across_the_spring_change_lose_exactly_the_skipped_hour():
    slots = _day(date(2026, 3, 8), NIGHT_HOURS)
    # 00:00-04:00 local is three real hours that night: 02:00-03:00 does not exist.
    assert len(slots) == 6
    assert _local_clock(slots) == ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30"]
    assert len(set(slots)) == len(slots)
    assert all(b - a == HALF_HOUR for a, b in itertools.pairwise(slots))


def test_hours_across_the_fall_change_gain_the_repeated_hour_without_doubling_a_slot():
    slots = _day(date(2026, 11, 1), NIGHT_HOURS)
    # Five real hours: 01:00-02:00 happens twice, first in EDT then in EST.
    assert len(slots) == 10
    assert _local_clock(slots) == [
        "00:00",
        "00:30",
        "01:00",
        "01:30",
        "01:00",
        "01:30",
        "02:00",
        "02:30",
        "03:00",
        "03:30",
    ]
    assert len(set(slots)) == 10
    assert all(b - a == HALF_HOUR for a, b in itertools.pairwise(slots))
    offsets = [s.astimezone(NEW_YORK).utcoffset() for s in slots]
    assert offsets[:4] == [timedelta(hours=-4)] * 4 and offsets[4:] == [timedelta(hours=-5)] * 6


def test_southern_hemisphere_changes_are_handled_by_the_same_rules():
    sydney = ZoneInfo("Australia/Sydney")
    # Sydney moves its clocks back on 5 April 2026 and forward on 4 October 2026.
    for day, first_utc in (
        (date(2026, 4, 5), datetime(2026, 4, 4, 23, 0, tzinfo=UTC)),
        (date(2026, 10, 4), datetime(2026, 10, 3, 22, 0, tzinfo=UTC)),
    ):
        slots = _day(day, zone=sydney)
        assert len(slots) == 16
        assert slots[0] == first_utc


def test_closed_dates_and_days_without_hours_have_no_slots():
    monday_only = {"monday": [{"open": "09:00", "close": "10:00"}]}
    start = datetime(2026, 3, 2, tzinfo=NEW_YORK)  # a Monday
    slots = list(
        slot_starts(
            tour_hours=monday_only,
            closed_dates=["2026-03-09"],
            tz=NEW_YORK,
            slot=HALF_HOUR,
            start=start,
            end=start + timedelta(days=14),
        )
    )
    assert _local_clock(slots) == ["09:00", "09:30"]
    assert {s.astimezone(NEW_YORK).date() for s in slots} == {date(2026, 3, 2)}


def test_a_slot_that_would_run_past_closing_is_not_offered():
    hours = {"monday": [{"open": "09:00", "close": "10:15"}]}
    start = datetime(2026, 3, 2, tzinfo=NEW_YORK)
    slots = list(
        slot_starts(
            tour_hours=hours, closed_dates=[], tz=NEW_YORK, slot=HALF_HOUR, start=start, end=start + timedelta(days=1)
        )
    )
    assert _local_clock(slots) == ["09:00", "09:30"]


def test_timeline_answers_overlap_at_the_edges():
    t0 = datetime(2026, 3, 2, 15, tzinfo=UTC)
    timeline = Timeline(
        [(t0, t0 + HALF_HOUR), (t0 + 2 * HALF_HOUR, t0 + 3 * HALF_HOUR), (t0 + HALF_HOUR / 2, t0 + HALF_HOUR)]
    )
    assert not timeline.is_free(t0, t0 + HALF_HOUR)
    assert timeline.is_free(t0 + HALF_HOUR, t0 + 2 * HALF_HOUR)  # touching ends do not overlap
    assert not timeline.is_free(t0 + HALF_HOUR, t0 + 2 * HALF_HOUR + timedelta(minutes=1))
    assert timeline.is_free(t0 - HALF_HOUR, t0)
    assert not timeline.is_free(t0 - HALF_HOUR, t0 + 4 * HALF_HOUR)
    assert Timeline().is_free(t0, t0 + HALF_HOUR)


def test_free_windows_are_the_hours_minus_busy_time():
    start = datetime(2026, 3, 2, tzinfo=NEW_YORK)
    windows = open_windows(
        tour_hours=WEEKDAY_HOURS, closed_dates=[], tz=NEW_YORK, start=start, end=start + timedelta(days=1)
    )
    busy = [(datetime(2026, 3, 2, 15, tzinfo=UTC), datetime(2026, 3, 2, 16, tzinfo=UTC))]
    free = subtract(windows, busy)
    assert free == [
        (datetime(2026, 3, 2, 14, tzinfo=UTC), datetime(2026, 3, 2, 15, tzinfo=UTC)),
        (datetime(2026, 3, 2, 16, tzinfo=UTC), datetime(2026, 3, 2, 22, tzinfo=UTC)),
    ]
