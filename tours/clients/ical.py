"""iCalendar feeds over HTTP: download (bounded, refusing private addresses) and busy events.

Recurring events are expanded with `recurring_ical_events`; floating times and all-day events are
read in the time zone given (the property's), since such a feed names none.
"""

import ipaddress
import socket
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from core.clients.http import ExternalServiceError, ExternalServiceRejected, JsonHttpClient


class ICalFeedInvalid(Exception):
    """The feed was fetched but is not an iCalendar document we can read."""


@dataclass(frozen=True)
class BusyEvent:
    start: datetime
    end: datetime
    external_id: str


def feed_url(url: str) -> str:
    """webcal:// is https:// by another name (calendar apps hand it out)."""
    return "https://" + url[len("webcal://") :] if url.lower().startswith("webcal://") else url


def check_feed_url(url: str, *, allow_private: bool) -> None:
    """Refuses what is not http(s), and hosts that resolve to private, loopback or link-local
    addresses: the server fetches this URL, so it must not become a way into our network."""
    parts = urlsplit(feed_url(url))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ExternalServiceRejected("The calendar address must be an http(s) or webcal URL.", 400)
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise ExternalServiceError(f"The calendar host {parts.hostname} could not be resolved.") from exc
    for info in infos:
        if not ipaddress.ip_address(info[4][0]).is_global:
            raise ExternalServiceRejected("The calendar address points into a private network.", 400)


def ical_download(url: str, *, timeout: float, max_bytes: int, allow_private: bool) -> bytes:
    check_feed_url(url, allow_private=allow_private)
    client = JsonHttpClient(feed_url(url), timeout=timeout, headers={"Accept": "text/calendar"})
    response = client.request("GET", "", stream=True, allow_redirects=False)
    if 300 <= response.status_code < 400:
        response.close()
        raise ExternalServiceRejected("The calendar address redirects; give the final address.", 400)
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise ICalFeedInvalid(f"The calendar feed is larger than {max_bytes} bytes.")
            chunks.append(chunk)
    except OSError as exc:
        raise ExternalServiceError(f"The calendar feed broke off ({type(exc).__name__}).") from exc
    finally:
        response.close()
    return b"".join(chunks)


def _instant(value, tz: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=tz)).astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=tz).astimezone(UTC)
    raise ICalFeedInvalid("An event has a start or end that is not a date or a time.")


def ical_busy_events(data: bytes, *, tz: ZoneInfo, start: datetime, end: datetime) -> list[BusyEvent]:
    """The opaque, not-cancelled events (recurrences expanded) that overlap [start, end)."""
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError, UnicodeDecodeError) as exc:
        raise ICalFeedInvalid("The calendar feed is not a valid iCalendar document.") from exc
    if calendar.name != "VCALENDAR":
        raise ICalFeedInvalid("The calendar feed is not a VCALENDAR.")
    try:
        occurrences = recurring_ical_events.of(calendar).between(start, end)
    except Exception as exc:  # the expander raises many kinds on malformed rules
        raise ICalFeedInvalid(f"The calendar's events could not be read ({type(exc).__name__}).") from exc
    events = []
    for event in occurrences:
        if event.name != "VEVENT":
            continue
        if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
            continue
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        raw_start = event.decoded("DTSTART")
        if "DTEND" in event:
            raw_end = event.decoded("DTEND")
        elif "DURATION" in event:
            raw_end = raw_start + event.decoded("DURATION")
        elif isinstance(raw_start, datetime):
            continue  # RFC 5545: no end and no duration means an instant, which occupies no time
        else:
            raw_end = raw_start + timedelta(days=1)
        begin, finish = _instant(raw_start, tz), _instant(raw_end, tz)
        if finish <= begin or finish <= start or begin >= end:
            continue
        events.append(BusyEvent(begin, finish, f"{event.get('UID', '')}|{begin.isoformat()}"))
    return events
