"""Calendar integrations over real HTTP: iCal feeds and Calendly API v2 (fakes on 127.0.0.1),
failures included, the Calendly webhook with its signature, and the routes around them."""

import json
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from tests.conftest import client_for
from tours import calendars, tasks
from tours.clients.calendly import sign_webhook
from tours.models import BusyInterval, CalendarIntegration, SyncStatus
from tours.selectors import tour_available_slots
from tours.serializers import CalendarAvailabilitySerializer

pytestmark = pytest.mark.django_db
CHICAGO = ZoneInfo("America/Chicago")


def _local(days: int, hour: int, minute: int = 0) -> datetime:
    day = timezone.now().astimezone(CHICAGO).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=CHICAGO)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def _chicago(begin: datetime, finish: datetime, extra: str = "") -> str:
    zone = "TZID=America/Chicago"
    return f"DTSTART;{zone}:{_stamp(begin)}\r\nDTEND;{zone}:{_stamp(finish)}" + (f"\r\n{extra}" if extra else "")


def feed(*, extra: str = "") -> str:
    """A Google-style feed: time-zoned, UTC, floating, all-day, recurring, free and cancelled events."""
    meeting, daily = _local(2, 13), _local(1, 11)
    utc_event = _local(3, 9).astimezone(UTC)
    all_day = _local(5, 0).date()
    events = [
        ("meeting", _chicago(meeting, meeting + timedelta(hours=1))),
        ("standup", _chicago(daily, daily + timedelta(minutes=30), "RRULE:FREQ=DAILY;COUNT=5")),
        ("utc", f"DTSTART:{_stamp(utc_event)}Z\r\nDURATION:PT45M"),
        ("floating", f"DTSTART:{_stamp(_local(4, 15))}\r\nDTEND:{_stamp(_local(4, 16))}"),
        ("holiday", f"DTSTART;VALUE=DATE:{all_day:%Y%m%d}\r\nDTEND;VALUE=DATE:{all_day + timedelta(days=1):%Y%m%d}"),
        ("free", _chicago(_local(2, 15), _local(2, 16), "TRANSP:TRANSPARENT")),
        ("called-off", _chicago(_local(2, 9), _local(2, 10), "STATUS:CANCELLED")),
    ]
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:{uid}@feed.test\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:{uid}\r\n{lines}\r\nEND:VEVENT\r\n"
        for uid, lines in events
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//Feed//EN\r\n{body}{extra}END:VCALENDAR\r\n"


@pytest.fixture
def ical(tenants, tour_settings, fake_ical, django_capture_on_commit_callbacks):
    url = fake_ical.publish("/calendar/ical/private-abc123/basic.ics", feed())
    with django_capture_on_commit_callbacks(execute=True):
        integration = calendars.calendar_integration_create(
            property=tenants.a1, property_manager=tenants.manager_read, provider="ical", ical_url=url
        )
    integration.refresh_from_db()
    return integration


def _busy(integration):
    return list(integration.busy_intervals.order_by("starts_at").values_list("starts_at", "ends_at"))


# --- iCal -------------------------------------------------------------------------------------------
def test_creating_an_ical_integration_reads_its_busy_times(ical):
    assert ical.sync_status == SyncStatus.ACTIVE and ical.last_error == "" and ical.last_sync is not None
    busy = _busy(ical)
    expected = [
        *[(_local(d, 11).astimezone(UTC), _local(d, 11, 30).astimezone(UTC)) for d in range(1, 6)],  # recurring
        (_local(2, 13).astimezone(UTC), _local(2, 14).astimezone(UTC)),
        (_local(3, 9).astimezone(UTC), _local(3, 9, 45).astimezone(UTC)),
        (_local(4, 15).astimezone(UTC), _local(4, 16).astimezone(UTC)),  # floating: the property's zone
        (_local(5, 0).astimezone(UTC), _local(6, 0).astimezone(UTC)),  # all day, local midnight to midnight
    ]
    assert busy == sorted(expected)
    assert ical.last_event_count == len(expected)
    assert all(
        row.source == "ical" and row.property_manager_id == ical.property_manager_id
        for row in ical.busy_intervals.all()
    )


def test_ical_busy_times_take_the_manager_out_of_those_slots(tenants, ical):
    meeting = _local(2, 13).astimezone(UTC)
    slots = {
        s.start: s for s in tour_available_slots(property=tenants.a1, start=meeting, end=meeting + timedelta(hours=2))
    }
    assert slots[meeting].manager_ids == (tenants.manager_write.pk,)
    assert slots[meeting + timedelta(hours=1)].remaining_capacity == 2
    whole_day = tour_available_slots(
        property=tenants.a1, start=_local(5, 0), end=_local(6, 0), manager=tenants.manager_read
    )
    assert whole_day == []


def test_a_resync_follows_the_feed(ical, fake_ical):
    fake_ical.publish(
        "/calendar/ical/private-abc123/basic.ics",
        feed().replace("RRULE:FREQ=DAILY;COUNT=5", "RRULE:FREQ=DAILY;COUNT=2"),
    )
    result = calendars.calendar_sync(integration_id=ical.pk)
    assert result.ok and result.event_count == 6
    assert len(_busy(ical)) == 6


@pytest.mark.parametrize(
    "break_it, message",
    [
        (lambda fake: fake.fail_next(1, status=503), "HTTP 503"),
        (lambda fake: fake.garbage_next(1), "not a valid iCalendar"),
        (lambda fake: fake.feeds.clear(), "HTTP 404"),
    ],
    ids=["server_error", "garbage", "gone"],
)
def test_a_failing_feed_marks_the_integration_error_and_keeps_the_cached_busy_times(ical, fake_ical, break_it, message):
    before = _busy(ical)
    break_it(fake_ical)
    result = calendars.calendar_sync(integration_id=ical.pk)
    ical.refresh_from_db()
    assert not result.ok and ical.sync_status == SyncStatus.ERROR and message in ical.last_error
    assert _busy(ical) == before and len(before) == 9


def test_a_feed_that_does_not_answer_in_time_is_an_error(ical, fake_ical, settings):
    settings.OUTBOUND_HTTP_TIMEOUT = 0.2
    fake_ical.delay = 0.5
    result = calendars.calendar_sync(integration_id=ical.pk)
    assert not result.ok and result.transient and "Timeout" in result.message


def test_a_feed_too_large_is_refused(ical, settings):
    settings.ICAL_MAX_BYTES = 200
    result = calendars.calendar_sync(integration_id=ical.pk)
    assert not result.ok and "larger than 200 bytes" in result.message


def test_a_feed_on_a_private_address_is_refused_in_production(ical, settings):
    settings.ICAL_ALLOW_PRIVATE_HOSTS = False
    result = calendars.calendar_sync(integration_id=ical.pk)
    assert not result.ok and "private network" in result.message


def test_the_sync_route_retries_a_transient_failure_and_reports_the_status(
    tenants, ical, fake_ical, django_capture_on_commit_callbacks
):
    fake_ical.fail_next(1, status=502)
    client = client_for(tenants.manager_write.user)
    served = len(fake_ical.requests)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/calendar/sync/{ical.pk}")
    assert response.status_code == 202
    assert len(fake_ical.requests) == served + 2  # the 502, then the retry
    status = client.get(f"/api/calendar/sync/status/{ical.pk}").json()["data"]
    assert status["sync_status"] == "active" and status["last_error"] == "" and status["last_event_count"] == 9
    assert status["syncing"] is False


def test_the_sync_route_gives_up_after_its_retries_and_says_why(
    tenants, ical, fake_ical, django_capture_on_commit_callbacks
):
    fake_ical.fail_next(10, status=500)
    client = client_for(tenants.manager_write.user)
    served = len(fake_ical.requests)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/calendar/sync/{ical.pk}").status_code == 202
    assert len(fake_ical.requests) == served + 4  # the first try and three retries
    status = client.get(f"/api/calendar/sync/status/{ical.pk}").json()["data"]
    assert status["sync_status"] == "error" and "HTTP 500" in status["last_error"]


def test_the_test_route_checks_the_feed_and_changes_nothing(tenants, ical, fake_ical):
    client = client_for(tenants.manager_write.user)
    ok = client.post(f"/api/calendar/sync/test/{ical.pk}").json()["data"]
    assert ok["ok"] is True and "busy times in the next 7 days" in ok["message"] and ok["latency_ms"] >= 0
    fake_ical.garbage_next(1)
    bad = client.post(f"/api/calendar/sync/test/{ical.pk}").json()["data"]
    assert bad["ok"] is False and "not a valid iCalendar" in bad["message"]
    ical.refresh_from_db()
    assert ical.sync_status == SyncStatus.ACTIVE


def test_a_stale_calendar_is_synced_by_the_sweep(ical, fake_ical):
    assert tasks.sync_due_calendars() == 0
    CalendarIntegration.objects.filter(pk=ical.pk).update(last_attempt_at=timezone.now() - timedelta(hours=1))
    served = len(fake_ical.requests)
    assert tasks.sync_due_calendars() == 1
    assert len(fake_ical.requests) == served + 1


def test_a_second_worker_skips_a_calendar_being_synced(ical, fake_ical):
    CalendarIntegration.objects.filter(pk=ical.pk).update(sync_claimed_until=timezone.now() + timedelta(minutes=1))
    served = len(fake_ical.requests)
    result = calendars.calendar_sync(integration_id=ical.pk)
    assert result.skipped and len(fake_ical.requests) == served


def test_switching_a_calendar_off_drops_its_busy_times_and_stops_syncing(tenants, ical, fake_ical):
    client = client_for(tenants.manager_write.user)
    response = client.patch(f"/api/calendar/integrations/{ical.pk}", {"sync_status": "inactive"}, format="json")
    assert response.status_code == 200 and response.json()["data"]["sync_status"] == "inactive"
    assert _busy(ical) == []
    assert calendars.calendar_sync(integration_id=ical.pk).skipped


def test_the_feed_address_is_stored_encrypted_and_read_back_masked(tenants, ical):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ical_url FROM tours_calendarintegration WHERE id = %s",
            [ical.pk.hex if connection.vendor == "sqlite" else ical.pk],
        )
        stored = cursor.fetchone()[0]
    assert stored.startswith("enc:") and "private-abc123" not in stored
    data = client_for(tenants.manager_read.user).get(f"/api/calendar/integrations/{ical.pk}").json()["data"]
    assert data["ical_url"].endswith(".ics") and "private-abc123" not in data["ical_url"]
    for field in (
        "id",
        "property_id",
        "property_manager_id",
        "calendly_uri",
        "ical_url",
        "webhook_url",
        "last_sync",
        "sync_status",
    ):
        assert field in data
    assert data["webhook_url"] is None


def test_create_validates_the_body(tenants, tour_settings):
    client = client_for(tenants.manager_write.user)
    base = {"property_id": str(tenants.a1.pk), "property_manager_id": str(tenants.manager_write.pk)}
    missing = client.post("/api/calendar/integrations", {**base, "provider": "ical"}, format="json")
    assert missing.status_code == 400 and "ical_url" in missing.json()["error"]["details"]
    bad_url = client.post(
        "/api/calendar/integrations", {**base, "provider": "ical", "ical_url": "ftp://x/y.ics"}, format="json"
    )
    assert bad_url.status_code == 400
    unassigned = client.post(
        "/api/calendar/integrations",
        {
            **base,
            "property_manager_id": str(tenants.admin_a.pk),
            "provider": "ical",
            "ical_url": "https://cal.test/a.ics",
        },
        format="json",
    )
    assert unassigned.status_code == 400 and "property_manager_id" in unassigned.json()["error"]["details"]
    assert not CalendarIntegration.objects.exists()


def test_a_second_calendar_of_the_same_kind_for_a_manager_is_409(tenants, ical):
    body = {
        "property_id": str(tenants.a1.pk),
        "property_manager_id": str(tenants.manager_read.pk),
        "provider": "ical",
        "ical_url": "https://cal.test/other.ics",
    }
    response = client_for(tenants.admin_a.user).post("/api/calendar/integrations", body, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "DUPLICATE_RECORD"


def test_calendar_availability_shows_busy_sources_and_free_windows(tenants, ical, tour_settings):
    day = _local(2, 0).date()
    response = client_for(tenants.manager_read.user).get(
        f"/api/calendar/availability/{tenants.a1.pk}/{tenants.manager_read.pk}?start={day}&end={day}"
    )
    assert response.status_code == 200
    documented = CalendarAvailabilitySerializer(data=response.json()["data"])
    assert documented.is_valid(), documented.errors  # the hand-built body has the documented shape
    (manager,) = response.json()["data"]["managers"]
    assert {b["source"] for b in manager["busy"]} == {"ical"}
    assert len(manager["busy"]) == 2  # the standup and the meeting
    assert manager["calendars"][0]["sync_status"] == "active"
    free = [
        (
            datetime.fromisoformat(f["start"].replace("Z", "+00:00")),
            datetime.fromisoformat(f["end"].replace("Z", "+00:00")),
        )
        for f in manager["free"]
    ]
    assert free == [
        (_local(2, 9), _local(2, 11)),
        (_local(2, 11, 30), _local(2, 13)),
        (_local(2, 14), _local(2, 17)),
    ]
    everyone = client_for(tenants.admin_a.user).get(f"/api/calendar/availability/{tenants.a1.pk}?start={day}&end={day}")
    assert len(everyone.json()["data"]["managers"]) == 2


# --- Calendly ---------------------------------------------------------------------------------------
@pytest.fixture
def calendly(tenants, tour_settings, fake_calendly, django_capture_on_commit_callbacks):
    tenants.company_a.calendly_org_uri = fake_calendly.organization_uri
    tenants.company_a.save()
    fake_calendly.add_busy(_local(2, 10), _local(2, 11), event_id="E-soon")
    fake_calendly.add_busy(_local(20, 14), _local(20, 15), event_id="E-later")
    fake_calendly.add_busy(_local(3, 16), _local(3, 17), kind="external")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenants.manager_write.user).post(
            "/api/calendar/integrations",
            {
                "property_id": str(tenants.a1.pk),
                "property_manager_id": str(tenants.manager_write.pk),
                "provider": "calendly",
                "calendly_token": fake_calendly.token,
            },
            format="json",
        )
    assert response.status_code == 201, response.json()
    return CalendarIntegration.objects.get(pk=response.json()["data"]["id"])


def test_a_calendly_integration_reads_busy_times_in_week_long_windows(calendly, fake_calendly):
    assert calendly.sync_status == SyncStatus.ACTIVE, calendly.last_error
    assert calendly.calendly_uri == fake_calendly.user_uri
    windows = [r for r in fake_calendly.requests if r.path == "/user_busy_times"]
    assert len(windows) == 9  # 60 days in windows of at most 7
    for request in windows:
        start = datetime.fromisoformat(request.query["start_time"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(request.query["end_time"].replace("Z", "+00:00"))
        assert timedelta(0) < end - start <= timedelta(days=7)
        assert request.headers["authorization"] == f"Bearer {fake_calendly.token}"
    rows = list(calendly.busy_intervals.order_by("starts_at").values_list("external_id", "starts_at"))
    assert [row[0] for row in rows] == [
        "https://api.calendly.com/scheduled_events/E-soon",
        f"external|{_local(3, 16).astimezone(UTC).isoformat()}",
        "https://api.calendly.com/scheduled_events/E-later",
    ]


def test_calendly_sync_subscribes_the_webhook_with_our_signing_key(calendly, fake_calendly):
    (subscription,) = fake_calendly.subscriptions.values()
    assert subscription["callback_url"] == f"http://localhost:8000/api/calendar/webhooks/calendly/{calendly.pk}"
    assert subscription["events"] == ["invitee.created", "invitee.canceled"]
    assert subscription["organization"] == fake_calendly.organization_uri and subscription["scope"] == "user"
    assert subscription["signing_key"] == calendly.webhook_signing_key and len(calendly.webhook_signing_key) == 64
    assert calendly.calendly_webhook_uri == subscription["uri"]
    calendars.calendar_sync(integration_id=calendly.pk)
    assert len(fake_calendly.subscriptions) == 1  # registered once


def test_an_existing_subscription_for_our_url_is_replaced(calendly, fake_calendly):
    old_key = calendly.webhook_signing_key
    CalendarIntegration.objects.filter(pk=calendly.pk).update(calendly_webhook_uri="")
    result = calendars.calendar_sync(integration_id=calendly.pk)
    assert result.ok, result.message
    (subscription,) = fake_calendly.subscriptions.values()
    assert subscription["signing_key"] == old_key


def test_a_bad_calendly_token_marks_the_integration_error(calendly, fake_calendly):
    fake_calendly.token = "rotated"
    result = calendars.calendar_sync(integration_id=calendly.pk)
    calendly.refresh_from_db()
    assert not result.ok and not result.transient
    assert calendly.sync_status == SyncStatus.ERROR and "The access token is invalid" in calendly.last_error
    assert calendly.busy_intervals.count() == 3


def test_a_calendly_user_outside_the_companys_organisation_is_refused(calendly, tenants):
    tenants.company_a.calendly_org_uri = "https://api.calendly.com/organizations/SOMEONE-ELSE"
    tenants.company_a.save()
    result = calendars.calendar_sync(integration_id=calendly.pk)
    assert not result.ok and "organisation" in result.message


def test_calendly_garbage_and_outages_are_transient_errors(calendly, fake_calendly):
    fake_calendly.garbage_next(1)
    assert calendars.calendar_sync(integration_id=calendly.pk).transient
    fake_calendly.fail_next(1, status=503)
    result = calendars.calendar_sync(integration_id=calendly.pk)
    assert result.transient and "503" in result.message


def test_new_credentials_replace_the_webhook_subscription(
    tenants, calendly, fake_calendly, django_capture_on_commit_callbacks
):
    old = calendly.calendly_webhook_uri
    old_key = calendly.webhook_signing_key
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenants.manager_write.user).patch(
            f"/api/calendar/integrations/{calendly.pk}", {"calendly_token": fake_calendly.token + "-x"}, format="json"
        )
    assert response.status_code == 200
    assert response.json()["data"]["calendly_token"].endswith("4-x")
    assert old not in fake_calendly.subscriptions
    calendly.refresh_from_db()
    assert calendly.webhook_signing_key != old_key
    assert calendly.sync_status == SyncStatus.ERROR  # the fake only knows the old token


def test_a_masked_token_sent_back_unchanged_keeps_the_stored_one(tenants, calendly):
    client = client_for(tenants.manager_write.user)
    masked = client.get(f"/api/calendar/integrations/{calendly.pk}").json()["data"]["calendly_token"]
    assert masked.startswith("•") and masked.endswith("1234")
    client.patch(f"/api/calendar/integrations/{calendly.pk}", {"calendly_token": masked}, format="json")
    calendly.refresh_from_db()
    assert calendly.calendly_token == "cal-token-1234"


def test_deleting_the_integration_unsubscribes_and_forgets_its_busy_times(tenants, calendly, fake_calendly):
    response = client_for(tenants.admin_a.user).delete(f"/api/calendar/integrations/{calendly.pk}")
    assert response.status_code == 200
    assert fake_calendly.subscriptions == {}
    assert not BusyInterval.objects.filter(integration_id=calendly.pk).exists()


def test_the_company_integration_check_tests_calendly(tenants, calendly, fake_calendly):
    client = client_for(tenants.admin_a.user)
    url = f"/api/companies/{tenants.company_a.pk}/test-integration"
    (result,) = client.post(url, {"integration": "calendly"}, format="json").json()["data"]["results"]
    assert result["configured"] and result["ok"] and "1 of 1" in result["message"]
    fake_calendly.token = "revoked"
    (result,) = client.post(url, {"integration": "calendly"}, format="json").json()["data"]["results"]
    assert result["configured"] and not result["ok"] and "access token is invalid" in result["message"]
    b = client_for(tenants.admin_b.user).post(
        f"/api/companies/{tenants.company_b.pk}/test-integration", {"integration": "calendly"}, format="json"
    )
    assert b.json()["data"]["results"][0]["configured"] is False


# --- Calendly webhooks ------------------------------------------------------------------------------
def _delivery(event: str, event_id: str, start: datetime, end: datetime) -> bytes:
    uri = f"https://api.calendly.com/scheduled_events/{event_id}"
    return json.dumps(
        {
            "created_at": timezone.now().isoformat(),
            "created_by": "https://api.calendly.com/users/U1",
            "event": event,
            "payload": {
                "email": "someone@example.test",
                "name": "Someone",
                "event": uri,
                "status": "active" if event == "invitee.created" else "canceled",
                "uri": f"{uri}/invitees/I1",
                "scheduled_event": {
                    "uri": uri,
                    "name": "Intro call",
                    "start_time": start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                    "end_time": end.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                    "status": "active",
                    "event_memberships": [{"user": "https://api.calendly.com/users/U1"}],
                },
            },
        }
    ).encode()


def _post(api_client, integration, body: bytes, signature: str):
    return api_client.generic(
        "POST",
        f"/api/calendar/webhooks/calendly/{integration.pk}",
        body,
        content_type="application/json",
        HTTP_CALENDLY_WEBHOOK_SIGNATURE=signature,
    )


def test_a_signed_invitee_created_blocks_the_time_and_canceled_frees_it(api_client, tenants, calendly):
    start = _local(6, 10).astimezone(UTC)
    body = _delivery("invitee.created", "E-new", start, start + timedelta(minutes=30))
    response = _post(api_client, calendly, body, sign_webhook(signing_key=calendly.webhook_signing_key, body=body))
    assert response.status_code == 200 and response.json()["data"] == {"event": "invitee.created", "handled": True}
    slot = tour_available_slots(property=tenants.a1, start=start, end=start + timedelta(minutes=1))[0]
    assert slot.manager_ids == (tenants.manager_read.pk,)
    repeat = _post(api_client, calendly, body, sign_webhook(signing_key=calendly.webhook_signing_key, body=body))
    assert repeat.status_code == 200
    assert calendly.busy_intervals.filter(external_id__endswith="/E-new").count() == 1
    cancel = _delivery("invitee.canceled", "E-new", start, start + timedelta(minutes=30))
    assert (
        _post(
            api_client, calendly, cancel, sign_webhook(signing_key=calendly.webhook_signing_key, body=cancel)
        ).status_code
        == 200
    )
    assert not calendly.busy_intervals.filter(external_id__endswith="/E-new").exists()


@pytest.mark.parametrize(
    "signature",
    [
        lambda key, body: "",
        lambda key, body: sign_webhook(signing_key="not-our-key", body=body),
        lambda key, body: sign_webhook(signing_key=key, body=body + b" "),
        lambda key, body: sign_webhook(signing_key=key, body=body, timestamp=int(timezone.now().timestamp()) - 600),
        lambda key, body: "v1=deadbeef",
    ],
    ids=["missing", "wrong_key", "other_body", "stale", "no_timestamp"],
)
def test_an_unverified_delivery_is_refused_and_changes_nothing(api_client, calendly, signature):
    start = _local(6, 10)
    body = _delivery("invitee.created", "E-forged", start, start + timedelta(minutes=30))
    response = _post(api_client, calendly, body, signature(calendly.webhook_signing_key, body))
    assert response.status_code == 401 and response.json()["error"]["code"] == "WEBHOOK_ERROR"
    assert not calendly.busy_intervals.filter(external_id__endswith="/E-forged").exists()


def test_a_signed_delivery_that_is_not_an_invitee_event_is_400(api_client, calendly):
    body = b'{"event": "invitee.created", "payload": {}}'
    response = _post(api_client, calendly, body, sign_webhook(signing_key=calendly.webhook_signing_key, body=body))
    assert response.status_code == 400 and response.json()["error"]["code"] == "WEBHOOK_ERROR"


def test_a_delivery_for_an_unknown_integration_is_404(api_client, calendly):
    body = _delivery("invitee.created", "E1", _local(6, 10), _local(6, 11))
    response = api_client.generic(
        "POST",
        "/api/calendar/webhooks/calendly/00000000-0000-4000-8000-000000000000",
        body,
        content_type="application/json",
        HTTP_CALENDLY_WEBHOOK_SIGNATURE=sign_webhook(signing_key="x", body=body),
    )
    assert response.status_code == 404


def test_a_calendar_is_read_as_far_ahead_as_tours_can_be_booked(calendly, fake_calendly, tour_settings):
    tour_settings.horizon_days = 90
    tour_settings.save()
    fake_calendly.requests.clear()
    assert calendars.calendar_sync(integration_id=calendly.pk).ok
    windows = [r for r in fake_calendly.requests if r.path == "/user_busy_times"]
    last_end = datetime.fromisoformat(windows[-1].query["end_time"].replace("Z", "+00:00"))
    assert len(windows) == 13 and last_end > timezone.now() + timedelta(days=89)
