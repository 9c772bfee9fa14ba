"""Pure time arithmetic for tour slots: no database, no clock. Everything returned is aware UTC.

Slots are laid on the property's wall clock (tour hours are local), then each opening and closing
time is turned into an instant with the zone's rules for that very date, and the slots are stepped in
real time between them. So on the day clocks change a slot is neither lost nor doubled: a span that
covers the change simply holds one hour more (autumn) or one hour less (spring) of real time.
"""

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def local_instant(day: date, clock: str, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time. A time inside a spring-forward gap does not
    exist: it reads as the same time on the offset before the change, i.e. one hour later."""
    hour, minute = (int(part) for part in clock.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


def slot_starts(
    *,
    tour_hours: dict,
    closed_dates: Iterable[str],
    tz: ZoneInfo,
    slot: timedelta,
    start: datetime,
    end: datetime,
) -> Iterator[datetime]:
    """Starts of the slots that lie wholly inside tour hours and start within [start, end)."""
    closed = set(closed_dates)
    day = start.astimezone(tz).date()
    last_day = end.astimezone(tz).date()
    while day <= last_day:
        if day.isoformat() not in closed:
            for span in tour_hours.get(WEEKDAYS[day.weekday()], ()):
                opens = local_instant(day, span["open"], tz)
                closes = local_instant(day, span["close"], tz)
                moment = opens
                while moment + slot <= closes:
                    if start <= moment < end:
                        yield moment
                    moment += slot
        day += timedelta(days=1)


def merge(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Sorted, non-overlapping union of [start, end) intervals."""
    merged: list[tuple[datetime, datetime]] = []
    for begin, finish in sorted(intervals):
        if merged and begin <= merged[-1][1]:
            if finish > merged[-1][1]:
                merged[-1] = (merged[-1][0], finish)
        else:
            merged.append((begin, finish))
    return merged


class Timeline:
    """One resource's busy time as merged intervals, answering "is [s, e) free?" by bisection."""

    __slots__ = ("_ends", "_intervals")

    def __init__(self, intervals: Iterable[tuple[datetime, datetime]] = ()):
        self._intervals = merge(intervals)
        self._ends = [finish for _, finish in self._intervals]

    def is_free(self, begin: datetime, finish: datetime) -> bool:
        # The first busy interval that ends after `begin` is the only one that can overlap.
        index = bisect_right(self._ends, begin)
        return index == len(self._intervals) or self._intervals[index][0] >= finish

    def __iter__(self):
        return iter(self._intervals)


def subtract(
    windows: Iterable[tuple[datetime, datetime]], busy: Iterable[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """The parts of `windows` that no busy interval covers."""
    blocks = merge(busy)
    free = []
    for begin, finish in merge(windows):
        cursor = begin
        for busy_begin, busy_end in blocks:
            if busy_end <= cursor or busy_begin >= finish:
                continue
            if busy_begin > cursor:
                free.append((cursor, busy_begin))
            cursor = max(cursor, busy_end)
        if cursor < finish:
            free.append((cursor, finish))
    return free


def open_windows(
    *, tour_hours: dict, closed_dates: Iterable[str], tz: ZoneInfo, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """Tour-hour spans as UTC intervals, clipped to [start, end)."""
    closed = set(closed_dates)
    windows = []
    day = start.astimezone(tz).date()
    while day <= end.astimezone(tz).date():
        if day.isoformat() not in closed:
            for span in tour_hours.get(WEEKDAYS[day.weekday()], ()):
                opens = max(local_instant(day, span["open"], tz), start)
                closes = min(local_instant(day, span["close"], tz), end)
                if opens < closes:
                    windows.append((opens, closes))
        day += timedelta(days=1)
    return windows
