"""Sending: through the fake SendGrid (or Django's backend without a key), each attempt recorded,
transient failures retried with backoff up to a limit, and no email ever sent twice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from emails import services, tasks
from emails.models import DeliveryStatus, EmailDelivery, EmailDraft, EmailStatus, Provider
from tests.emails.conftest import make_lead
from tests.emails.factories import EmailDraftFactory
from tests.emails.fake_smtp import FakeSMTP

pytestmark = pytest.mark.django_db


def _send(client, draft):
    return client.post(f"/api/email/send/{draft.pk}", format="json")


def _make_due(draft):
    """What the passing of the backoff does: the retry time arrives."""
    EmailDraft.objects.filter(pk=draft.pk).update(scheduled_for=timezone.now() - timedelta(seconds=1))


@pytest.fixture
def draft_a1(lead_a1, tenants):
    return EmailDraftFactory(conversation=lead_a1[1], created_by=tenants.manager_write)


def test_send_goes_through_sendgrid_and_records_its_message_id(writer, draft_a1, sendgrid_a, commit, tenants):
    with commit():
        response = _send(writer, draft_a1)

    assert response.status_code == 200, response.json()
    # A worker sends it after the request's commit; until then the answer shows it scheduled for now.
    assert response.json()["data"]["status"] == "scheduled"
    draft_a1.refresh_from_db()
    assert draft_a1.status == EmailStatus.SENT and draft_a1.sent_at is not None
    [message] = sendgrid_a.accepted
    assert message["personalizations"][0]["to"] == [{"email": "jamie.rivera@example.com", "name": "Jamie Rivera"}]
    assert message["from"]["name"] == "A One"
    assert message["reply_to"] == {"email": tenants.manager_write.user.email}
    assert message["subject"] == draft_a1.subject
    assert message["content"][0] == {"type": "text/plain", "value": draft_a1.content}
    assert message["custom_args"] == {"email_id": str(draft_a1.pk)}
    assert "headers" not in message  # a one-to-one follow-up is not marketing: no unsubscribe link
    [delivery] = EmailDelivery.objects.filter(draft=draft_a1)
    assert delivery.provider == Provider.SENDGRID
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.provider_message_id == message["_message_id"]


def test_without_a_sendgrid_key_the_django_backend_sends_it(writer, draft_a1, mailoutbox, commit):
    with commit():
        _send(writer, draft_a1)

    draft_a1.refresh_from_db()
    assert draft_a1.status == EmailStatus.SENT
    [mail] = mailoutbox
    assert mail.to == ["Jamie Rivera <jamie.rivera@example.com>"]
    assert mail.subject == draft_a1.subject
    assert mail.alternatives[0][1] == "text/html"
    delivery = EmailDelivery.objects.get(draft=draft_a1)
    assert delivery.provider == Provider.DJANGO
    assert delivery.provider_message_id == mail.extra_headers["Message-ID"]


def test_a_503_is_retried_after_the_backoff_and_sent_once(writer, draft_a1, sendgrid_a, commit):
    sendgrid_a.fail_next(1, status=503)
    with commit():
        _send(writer, draft_a1)

    draft_a1.refresh_from_db()
    assert draft_a1.status == EmailStatus.SCHEDULED
    assert "Attempt 1 failed, retrying" in draft_a1.failure_reason
    assert draft_a1.scheduled_for >= timezone.now() + timedelta(seconds=29)
    assert tasks.dispatch_due_emails() == 0  # not due yet

    _make_due(draft_a1)
    assert tasks.dispatch_due_emails() == 1

    draft_a1.refresh_from_db()
    assert draft_a1.status == EmailStatus.SENT and draft_a1.failure_reason == ""
    assert len(sendgrid_a.accepted) == 1
    attempts = list(EmailDelivery.objects.filter(draft=draft_a1).order_by("attempt").values_list("attempt", "status"))
    assert attempts == [(1, DeliveryStatus.FAILED), (2, DeliveryStatus.SENT)]


@pytest.mark.django_db(transaction=True)
def test_on_the_embedded_default_the_answer_shows_the_email_already_sent(tenants, sendgrid_a):
    from tests.conftest import client_for

    _, conversation = make_lead(tenants.a1, email="jo@example.com")
    draft = EmailDraftFactory(conversation=conversation)

    response = _send(client_for(tenants.manager_write.user), draft)

    assert response.json()["data"]["status"] == "sent"
    assert len(sendgrid_a.accepted) == 1


def test_a_429_waits_at_least_until_sendgrid_resets_the_limit(draft_a1, sendgrid_a, settings):
    settings.EMAIL_RETRY_BASE_SECONDS = 0.01
    sendgrid_a.reject_next(429)
    services.email_send_now(draft=draft_a1)

    outcome = services.email_deliver(draft_id=draft_a1.pk)

    assert outcome["outcome"] == "retry" and outcome["retry_in"] >= 1
    assert "too many requests" in outcome["error"]


def test_after_the_last_attempt_the_email_is_failed_with_the_reason_and_can_be_sent_again(
    writer, draft_a1, sendgrid_a, commit
):
    sendgrid_a.fail_next(3, status=500)
    with commit():
        _send(writer, draft_a1)
    for _ in range(2):
        _make_due(draft_a1)
        tasks.dispatch_due_emails()

    draft_a1.refresh_from_db()
    assert draft_a1.status == EmailStatus.FAILED
    assert draft_a1.failure_reason.startswith("Gave up after 3 attempts: SendGrid 500")
    assert tasks.dispatch_due_emails() == 0

    sendgrid_a.fail_next(1, status=500)
    with commit():
        _send(writer, draft_a1)
    draft_a1.refresh_from_db()
    assert draft_a1.status == EmailStatus.SCHEDULED, "a new send gets its own attempts"
    _make_due(draft_a1)
    tasks.dispatch_due_emails()
    draft_a1.refresh_from_db()
    assert draft_a1.status == EmailStatus.SENT
    attempts = EmailDelivery.objects.filter(draft=draft_a1).order_by("attempt").values_list("attempt", flat=True)
    assert list(attempts) == [1, 2, 3, 4, 5]
    assert len(sendgrid_a.accepted) == 1


def test_a_rejected_key_fails_at_once_with_sendgrids_message(writer, draft_a1, sendgrid_a, commit, tenants):
    tenants.company_a.sendgrid_api_key = "SG.revoked"
    tenants.company_a.save()
    with commit():
        _send(writer, draft_a1)

    draft_a1.refresh_from_db()
    assert draft_a1.status == EmailStatus.FAILED
    assert "authorization grant is invalid" in draft_a1.failure_reason
    assert EmailDelivery.objects.get(draft=draft_a1).status == DeliveryStatus.FAILED


def test_a_timeout_is_not_retried_because_sendgrid_may_have_sent_it(writer, draft_a1, sendgrid_a, commit, settings):
    settings.SENDGRID_TIMEOUT_SECONDS = 0.1
    sendgrid_a.delay = 0.3
    with commit():
        _send(writer, draft_a1)

    draft_a1.refresh_from_db()
    assert draft_a1.status == EmailStatus.FAILED
    assert "may have been accepted" in draft_a1.failure_reason
    assert EmailDelivery.objects.get(draft=draft_a1).status == DeliveryStatus.UNKNOWN
    _make_due(draft_a1)
    assert tasks.dispatch_due_emails() == 0
    assert len(sendgrid_a.sends) == 1


def test_a_task_delivered_twice_sends_once(draft_a1, sendgrid_a):
    services.email_send_now(draft=draft_a1)

    first = tasks.send_email.delay(str(draft_a1.pk)).get()
    second = tasks.send_email.delay(str(draft_a1.pk)).get()

    assert first["outcome"] == "sent" and second["outcome"] == "skipped"
    assert len(sendgrid_a.sends) == 1


def test_an_email_claimed_by_another_worker_is_skipped(draft_a1, sendgrid_a):
    services.email_send_now(draft=draft_a1)
    EmailDraft.objects.filter(pk=draft_a1.pk).update(claimed_until=timezone.now() + timedelta(minutes=5))

    assert services.email_deliver(draft_id=draft_a1.pk) == {"outcome": "skipped"}
    assert sendgrid_a.requests == []


def test_an_attempt_interrupted_by_a_dead_worker_is_never_sent_again_blindly(draft_a1, sendgrid_a, tenants):
    services.email_send_now(draft=draft_a1)
    # A worker claimed it, wrote its attempt, called SendGrid, and died before recording the answer.
    EmailDelivery.objects.create(
        company=tenants.company_a, draft=draft_a1, attempt=1, provider=Provider.SENDGRID, recipient="x@example.com"
    )
    EmailDraft.objects.filter(pk=draft_a1.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))

    outcome = services.email_deliver(draft_id=draft_a1.pk)

    assert outcome["outcome"] == "failed"
    draft_a1.refresh_from_db()
    assert draft_a1.status == EmailStatus.FAILED and "may have reached the lead" in draft_a1.failure_reason
    assert EmailDelivery.objects.get(draft=draft_a1).status == DeliveryStatus.UNKNOWN
    assert sendgrid_a.requests == []


def test_a_mail_server_out_of_reach_is_retried(draft_a1, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    services.email_send_now(draft=draft_a1)

    outcome = services.email_deliver(draft_id=draft_a1.pk)

    assert outcome["outcome"] == "retry"
    assert "could not be reached" in outcome["error"]


@pytest.fixture
def smtp(settings):
    with FakeSMTP() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 1
        yield server


def test_the_mail_server_gets_the_message_with_the_recorded_message_id(draft_a1, smtp):
    services.email_send_now(draft=draft_a1)

    assert services.email_deliver(draft_id=draft_a1.pk)["outcome"] == "sent"

    [raw] = smtp.messages
    message_id = EmailDelivery.objects.get(draft=draft_a1).provider_message_id
    assert f"Message-ID: {message_id}".encode() in raw
    assert b"To: Jamie Rivera <jamie.rivera@example.com>" in raw


@pytest.mark.parametrize(
    ("where", "reply", "outcome"),
    [
        ("rcpt_reply", "550 5.1.1 No such user", "failed"),
        ("rcpt_reply", "451 4.7.1 Greylisted, try again later", "retry"),
        ("data_reply", "554 5.7.1 Message rejected as spam", "failed"),
        ("data_reply", "452 4.3.1 Insufficient system storage", "retry"),
    ],
)
def test_mail_server_refusals_fail_for_good_and_temporary_ones_are_retried(draft_a1, smtp, where, reply, outcome):
    setattr(smtp, where, reply)
    services.email_send_now(draft=draft_a1)

    result = services.email_deliver(draft_id=draft_a1.pk)

    assert result["outcome"] == outcome
    assert reply.split(" ", 2)[2] in result["error"]


def test_the_beat_sweep_sends_scheduled_emails_when_they_are_due(draft_a1, sendgrid_a):
    services.email_schedule(draft=draft_a1, scheduled_for=timezone.now() + timedelta(hours=2))
    assert tasks.dispatch_due_emails() == 0

    _make_due(draft_a1)
    assert tasks.dispatch_due_emails() == 1

    draft_a1.refresh_from_db()
    assert draft_a1.status == EmailStatus.SENT
    assert len(sendgrid_a.accepted) == 1


def test_a_cancelled_schedule_is_not_sent(writer, draft_a1, sendgrid_a):
    services.email_schedule(draft=draft_a1, scheduled_for=timezone.now() + timedelta(hours=2))
    writer.patch(f"/api/email/drafts/{draft_a1.pk}", {"status": "draft"}, format="json")
    EmailDraft.objects.filter(pk=draft_a1.pk).update(scheduled_for=timezone.now() - timedelta(minutes=1))

    assert tasks.dispatch_due_emails() == 0
    assert services.email_deliver(draft_id=draft_a1.pk) == {"outcome": "skipped"}
    assert sendgrid_a.requests == []


def test_deliveries_lists_every_attempt(writer, draft_a1, sendgrid_a, commit):
    sendgrid_a.fail_next(1, status=502)
    with commit():
        _send(writer, draft_a1)
    _make_due(draft_a1)
    tasks.dispatch_due_emails()

    rows = writer.get(f"/api/email/drafts/{draft_a1.pk}/deliveries").json()["data"]
    assert [(r["attempt"], r["status"]) for r in rows] == [(2, "sent"), (1, "failed")]
    assert rows[0]["provider_message_id"] and "502" in rows[1]["error"]


def test_a_lead_whose_address_was_erased_after_scheduling_fails_with_the_reason(draft_a1, sendgrid_a):
    services.email_send_now(draft=draft_a1)
    draft_a1.lead.email = ""
    draft_a1.lead.save()

    assert services.email_deliver(draft_id=draft_a1.pk)["outcome"] == "failed"
    draft_a1.refresh_from_db()
    assert draft_a1.failure_reason == "The lead has no email address."
    assert sendgrid_a.requests == []


def test_company_b_sends_through_its_own_path(tenants, sendgrid_a, mailoutbox, commit):
    from tests.conftest import client_for

    _, conversation = make_lead(tenants.b1, email="lee@example.com")
    draft = EmailDraftFactory(conversation=conversation)
    with commit():
        client_for(tenants.admin_b.user).post(f"/api/email/send/{draft.pk}")
    assert [m.to for m in mailoutbox] == [["Jamie Rivera <lee@example.com>"]]
    assert sendgrid_a.requests == []
