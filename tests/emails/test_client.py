"""SendGridClient against the fake SendGrid: the v3 wire format and every failure typed."""

import pytest

from emails.clients import (
    Address,
    Mail,
    SendGridClient,
    SendGridOutcomeUnknown,
    SendGridRateLimited,
    SendGridRejected,
    SendGridUnavailable,
)
from tests.emails.fakes import API_KEY, FakeSendGrid


def _mail(**overrides) -> Mail:
    fields = {
        "to": Address("lead@example.com", "Jamie Rivera"),
        "sender": Address("leasing@alpha.test", "A One"),
        "subject": "Your tour",
        "text": "Hi Jamie",
        "html": "<p>Hi Jamie</p>",
        "reply_to": Address("sam@alpha.test"),
        "headers": {"List-Unsubscribe": "<https://example.test/u>"},
        "custom_args": {"email_id": "abc"},
        "categories": ["follow_up"],
    }
    return Mail(**{**fields, **overrides})


@pytest.fixture
def fake(settings):
    with FakeSendGrid() as fake:
        settings.SENDGRID_API_URL = fake.url
        yield fake


def test_send_posts_the_v3_payload_with_the_bearer_key_and_returns_the_message_id(fake):
    message_id = SendGridClient(API_KEY).send(_mail())

    request = fake.sends[0]
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["content-type"] == "application/json"
    body = request.json()
    assert body["personalizations"] == [{"to": [{"email": "lead@example.com", "name": "Jamie Rivera"}]}]
    assert body["from"] == {"email": "leasing@alpha.test", "name": "A One"}
    assert body["reply_to"] == {"email": "sam@alpha.test"}
    assert body["content"] == [
        {"type": "text/plain", "value": "Hi Jamie"},
        {"type": "text/html", "value": "<p>Hi Jamie</p>"},
    ]
    assert body["headers"] == {"List-Unsubscribe": "<https://example.test/u>"}
    assert body["custom_args"] == {"email_id": "abc"}
    assert body["categories"] == ["follow_up"]
    assert message_id == fake.accepted[0]["_message_id"]


def test_a_bad_key_is_rejected_with_sendgrids_message(fake):
    with pytest.raises(SendGridRejected) as caught:
        SendGridClient("SG.wrong").send(_mail())
    assert caught.value.status == 401
    assert "authorization grant is invalid" in caught.value.message


def test_a_key_without_mail_send_is_forbidden(settings):
    with FakeSendGrid(api_keys={"SG.read-only": ["scopes.read"]}) as fake:
        settings.SENDGRID_API_URL = fake.url
        with pytest.raises(SendGridRejected) as caught:
            SendGridClient("SG.read-only").send(_mail())
    assert caught.value.status == 403
    assert "access forbidden" in caught.value.message


def test_a_payload_sendgrid_refuses_names_the_field(fake):
    with pytest.raises(SendGridRejected) as caught:
        SendGridClient(API_KEY).send(_mail(to=Address("not-an-address")))
    assert caught.value.status == 400
    assert "personalizations.0.to" in caught.value.message


def test_rate_limit_says_when_to_try_again(fake):
    fake.reject_next(429)
    with pytest.raises(SendGridRateLimited) as caught:
        SendGridClient(API_KEY).send(_mail())
    assert 0 < caught.value.retry_after <= 3
    assert isinstance(caught.value, SendGridUnavailable)


def test_server_errors_are_unavailable_and_nothing_was_accepted(fake):
    fake.fail_next(1, status=503)
    with pytest.raises(SendGridUnavailable) as caught:
        SendGridClient(API_KEY).send(_mail())
    assert caught.value.status == 503
    assert fake.accepted == []


def test_unreachable_sendgrid_is_unavailable(settings):
    settings.SENDGRID_API_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    with pytest.raises(SendGridUnavailable):
        SendGridClient(API_KEY, timeout=0.5).send(_mail())


def test_a_timeout_after_the_request_left_is_an_unknown_outcome(fake):
    fake.delay = 0.4
    with pytest.raises(SendGridOutcomeUnknown) as caught:
        SendGridClient(API_KEY, timeout=0.1).send(_mail())
    assert "may have been accepted" in caught.value.message


def test_a_success_status_with_a_body_that_is_not_sendgrids_is_an_unknown_outcome(fake):
    fake.garbage_next(1)
    with pytest.raises(SendGridOutcomeUnknown) as caught:
        SendGridClient(API_KEY).send(_mail())
    assert "SENDGRID_API_URL" in caught.value.message


def test_scopes_lists_the_keys_permissions(fake):
    assert set(SendGridClient(API_KEY).scopes()) >= {"mail.send"}
    assert fake.requests[0].method == "GET" and fake.requests[0].path == "/v3/scopes"


def test_scopes_in_an_unexpected_shape_are_unavailable(fake):
    fake.garbage_next(1)
    with pytest.raises(SendGridUnavailable):
        SendGridClient(API_KEY).scopes()
