"""Events reach Amplitude's HTTP V2 API (a fake speaking its wire format on 127.0.0.1) through the
persisted outbox: batched, retried with backoff on 429/5xx/timeouts/garbage, never counted twice."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from analytics import forwarding, tasks
from analytics.models import AmplitudeState, AnalyticsEvent, ForwardStatus
from tests.analytics.conftest import event, widget_events
from tests.analytics.fakes import VALID_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def send(chat, tenants, django_capture_on_commit_callbacks):
    """The widget reports events; what waits for the commit (the forwarding task) runs."""

    def send(*events, **body):
        with django_capture_on_commit_callbacks(execute=True):
            response = widget_events(chat, tenants.a1, list(events), **body)
        assert response.status_code in (200, 201), response.json()
        return response

    return send


def statuses() -> dict:
    found: dict = {}
    for status in AnalyticsEvent.objects.values_list("forward_status", flat=True):
        found[status] = found.get(status, 0) + 1
    return found


def make_due():
    """The retry time has come (as the clock would have brought it)."""
    AnalyticsEvent.objects.filter(forward_status=ForwardStatus.PENDING).update(next_attempt_at=timezone.now())


def test_events_go_to_amplitude_in_its_format(amplitude_on, send, chat, tenants):
    send(event("e1"), event("e2", "phone_call_clicked", properties={"button": "call"}), device_id="device-7788")
    assert statuses() == {ForwardStatus.SENT: 2}
    [batch] = amplitude_on.batches()
    request = amplitude_on.requests[-1]
    assert request.json()["api_key"] == VALID_KEY
    assert request.headers["content-type"] == "application/json"
    rows = {str(row.pk): row for row in AnalyticsEvent.objects.all()}
    assert {item["insert_id"] for item in batch} == set(rows)
    call = next(item for item in batch if item["event_type"] == "phone_call_clicked")
    assert call["event_properties"]["button"] == "call"
    assert call["event_properties"]["conversation_id"] == chat.conversation_id
    assert call["event_properties"]["property_id"] == str(tenants.a1.pk)
    assert call["device_id"] == "device-7788"
    assert call["user_id"] == str(rows[call["insert_id"]].conversation.prospect_id)
    assert isinstance(call["time"], int) and call["time"] > 1_600_000_000_000
    state = AmplitudeState.objects.get(company=tenants.company_a)
    assert (state.events_sent, state.consecutive_failures) == (2, 0)


def test_without_a_key_nothing_is_sent(amplitude, send):
    send(event("e1"))
    assert statuses() == {ForwardStatus.NOT_FORWARDED: 1}
    assert amplitude.requests == []


def test_domain_events_and_flags_are_forwarded_too(amplitude_on, chat, tenants, django_capture_on_commit_callbacks):
    from conversations.models import Conversation
    from conversations.services import conversation_qualify

    with django_capture_on_commit_callbacks(execute=True):
        chat.send(tenants.a1, "Hi")
        conversation_qualify(
            conversation=Conversation.objects.get(pk=chat.conversation_id), contact={"email": "jo@prospect.test"}
        )
    assert "contact_captured" in amplitude_on.event_types()
    assert statuses() == {ForwardStatus.SENT: len(amplitude_on.stored)}


def test_batches_hold_at_most_the_batch_size(amplitude_on, send, settings):
    settings.AMPLITUDE_BATCH_SIZE = 3
    send(*[event(f"e{n}") for n in range(7)])
    assert [len(batch) for batch in amplitude_on.batches()] == [3, 3, 1]
    assert len(amplitude_on.stored) == 7


def test_a_5xx_is_retried_later_and_counted_once(amplitude_on, send, tenants):
    amplitude_on.fail_next(1, status=503)
    send(event("e1"), event("e2"))
    row = AnalyticsEvent.objects.first()
    assert (row.forward_status, row.attempts) == (ForwardStatus.PENDING, 1)
    assert row.next_attempt_at > timezone.now() and "503" in row.last_error
    assert AmplitudeState.objects.get(company=tenants.company_a).consecutive_failures == 1
    # Not due yet: the sweep leaves it.
    assert tasks.dispatch_due_forwarding() == 0
    make_due()
    assert tasks.dispatch_due_forwarding() == 1
    assert statuses() == {ForwardStatus.SENT: 2}
    assert len(amplitude_on.stored) == 2
    assert AmplitudeState.objects.get(company=tenants.company_a).consecutive_failures == 0


def test_a_timeout_is_sent_again_and_amplitude_drops_the_repeat(amplitude_on, send, settings):
    settings.AMPLITUDE_TIMEOUT_SECONDS = 0.2
    amplitude_on.delay = 0.4
    send(event("e1"), event("e2"))
    assert statuses() == {ForwardStatus.PENDING: 2}
    amplitude_on.delay = 0
    settings.AMPLITUDE_TIMEOUT_SECONDS = 2.0
    make_due()
    tasks.dispatch_due_forwarding()
    assert statuses() == {ForwardStatus.SENT: 2}
    # Amplitude took the first, timed-out request too (once it got round to it); the same insert_ids
    # were not counted again.
    deadline = time.monotonic() + 2
    while amplitude_on.received < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert amplitude_on.received == 4
    assert len(amplitude_on.stored) == 2


def test_garbage_is_an_unknown_outcome_and_is_retried(amplitude_on, send):
    amplitude_on.garbage_next(1)
    send(event("e1"))
    assert statuses() == {ForwardStatus.PENDING: 1}
    assert "not JSON" in AnalyticsEvent.objects.get().last_error
    make_due()
    tasks.dispatch_due_forwarding()
    assert statuses() == {ForwardStatus.SENT: 1}


def test_throttled_sends_pause_at_least_thirty_seconds(amplitude_on, send, settings):
    settings.AMPLITUDE_RETRY_BASE_SECONDS = 1
    amplitude_on.throttle_next(1)
    send(event("e1"))
    row = AnalyticsEvent.objects.get()
    assert row.forward_status == ForwardStatus.PENDING
    assert row.next_attempt_at >= timezone.now() + timedelta(seconds=29)


def test_backoff_grows_with_attempts(settings):
    settings.AMPLITUDE_RETRY_BASE_SECONDS = 10
    settings.AMPLITUDE_RETRY_MAX_SECONDS = 100
    assert 10 <= forwarding.backoff_seconds(1) <= 12
    assert 40 <= forwarding.backoff_seconds(3) <= 48
    assert forwarding.backoff_seconds(10) == 100


def test_events_fail_for_good_after_the_last_attempt(amplitude_on, send, settings, tenants):
    settings.AMPLITUDE_MAX_ATTEMPTS = 2
    amplitude_on.failure_rate = 1.0
    send(event("e1"))
    make_due()
    tasks.dispatch_due_forwarding()
    row = AnalyticsEvent.objects.get()
    assert (row.forward_status, row.attempts) == (ForwardStatus.FAILED, 2)
    assert "Gave up after 2 attempts" in row.last_error
    assert tasks.dispatch_due_forwarding() == 0


def test_a_bad_key_fails_the_batch_until_replayed(amplitude, send, tenants, django_capture_on_commit_callbacks):
    tenants.company_a.amplitude_api_key = "amp-wrong-key"
    tenants.company_a.save()
    send(event("e1"), event("e2"))
    assert statuses() == {ForwardStatus.FAILED: 2}
    assert "Invalid API key" in AnalyticsEvent.objects.first().last_error
    assert len(amplitude.requests) == 1  # a bad key is not retried
    tenants.company_a.amplitude_api_key = VALID_KEY
    tenants.company_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        replayed = forwarding.events_replay(events=list(AnalyticsEvent.objects.all()))
    assert replayed == 2
    assert statuses() == {ForwardStatus.SENT: 2}
    assert AnalyticsEvent.objects.first().replay_count == 1


def test_events_amplitude_names_as_bad_fail_and_the_rest_go(amplitude_on, send, chat, tenants):
    send(event("first"))
    amplitude_on.requests.clear()
    pending = AnalyticsEvent.objects.create(
        conversation_id=chat.conversation_id,
        property=tenants.a1,
        company=tenants.company_a,
        event_id="bad-one",
        event_type="widget_minimized",
        source="widget",
        occurred_at=timezone.now(),
        forward_status=ForwardStatus.PENDING,
    )
    amplitude_on.invalid_insert_ids.add(str(pending.pk))
    send(event("good-one"), event("good-two"))
    assert AnalyticsEvent.objects.get(pk=pending.pk).forward_status == ForwardStatus.FAILED
    assert "Invalid field values" in AnalyticsEvent.objects.get(pk=pending.pk).last_error
    assert statuses() == {ForwardStatus.SENT: len(amplitude_on.stored), ForwardStatus.FAILED: 1}
    # The rejected request stored nothing; the resend without the bad event did.
    assert [len(batch) for batch in amplitude_on.batches()] == [3, 2]


def test_a_batch_too_large_is_halved(amplitude_on, send):
    amplitude_on.max_body_bytes = 1500
    send(*[event(f"e{n}", properties={"note": "x" * 150}) for n in range(6)])
    assert statuses() == {ForwardStatus.SENT: 6}
    sizes = [len(batch) for batch in amplitude_on.batches()]
    assert sizes[0] == 6 and max(sizes[1:]) < 6
    assert len(amplitude_on.stored) == 6


def test_a_single_event_too_large_fails(amplitude_on, send):
    amplitude_on.max_body_bytes = 100
    send(event("e1"))
    assert statuses() == {ForwardStatus.FAILED: 1}


def test_two_workers_never_claim_the_same_events(amplitude, send, tenants, settings):
    send(event("e1"), event("e2"), event("e3"))
    AnalyticsEvent.objects.update(forward_status=ForwardStatus.PENDING)
    first = forwarding._claim(tenants.company_a.pk, 2)
    second = forwarding._claim(tenants.company_a.pk, 2)
    assert len(first) == 2 and len(second) == 1
    assert not {row.pk for row in first} & {row.pk for row in second}
    assert forwarding._claim(tenants.company_a.pk, 2) == []


def test_a_dead_workers_claim_is_released(amplitude_on, send, tenants):
    send(event("e1"))
    AnalyticsEvent.objects.update(
        forward_status=ForwardStatus.SENDING, claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert forwarding.companies_due() == [tenants.company_a.pk]
    assert statuses() == {ForwardStatus.PENDING: 1}


def test_removing_the_key_stops_forwarding(amplitude_on, send, tenants):
    amplitude_on.fail_next(1, status=500)
    send(event("e1"))
    tenants.company_a.amplitude_api_key = ""
    tenants.company_a.save()
    make_due()
    tasks.dispatch_due_forwarding()
    assert statuses() == {ForwardStatus.NOT_FORWARDED: 1}


def test_a_long_backlog_is_split_over_tasks(amplitude_on, send, settings):
    settings.AMPLITUDE_BATCH_SIZE = 2
    settings.AMPLITUDE_MAX_BATCHES_PER_RUN = 1
    amplitude_on.fail_next(1, status=500)
    send(*[event(f"e{n}") for n in range(5)])
    make_due()
    outcome = forwarding.company_events_forward(company_id=AnalyticsEvent.objects.first().company_id)
    assert (outcome.sent, outcome.more) == (2, True)
