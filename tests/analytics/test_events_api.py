"""POST /api/amplitude-data: the widget (conversation token) and staff (JWT) report events; each event
id is stored once; bad input is refused with nothing written."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from analytics.models import AnalyticsEvent, ConversationAnalytics, EventSource
from tests.analytics.conftest import EVENTS_URL, event, widget_events
from tests.conftest import client_for
from tests.conversations.conftest import WidgetClient


def test_the_widget_reports_clicks_and_gets_the_record_back(chat, tenants):
    response = widget_events(
        chat,
        tenants.a1,
        [event("e1"), event("e2"), event("e3", "phone_call_clicked"), event("e4", "widget_minimized")],
        device_id="device-abc-123",
        session_id="session-42",
        page_url="https://property.test/pricing",
    )
    assert response.status_code == 201
    data = response.json()["data"]
    assert (data["accepted"], data["duplicates"]) == (4, 0)
    record = data["analytics"]
    assert (record["answer_button_clicks"], record["phone_call_clicked"], record["widget_minimized"]) == (2, 1, 1)
    assert (record["device_id"], record["session_id"]) == ("device-abc-123", "session-42")
    assert record["page_url"] == "https://property.test/pricing"
    assert record["conversation_id"] == chat.conversation_id
    stored = ConversationAnalytics.objects.get(conversation_id=chat.conversation_id)
    assert stored.answer_button_clicks == 2
    assert set(AnalyticsEvent.objects.values_list("source", flat=True)) == {EventSource.WIDGET}


def test_an_event_sent_again_is_stored_once(chat, tenants):
    widget_events(chat, tenants.a1, [event("click-1"), event("click-2")])
    again = widget_events(chat, tenants.a1, [event("click-1"), event("click-2"), event("click-2")])
    assert again.status_code == 200
    data = again.json()["data"]
    assert (data["accepted"], data["duplicates"]) == (0, 3)
    assert data["analytics"]["answer_button_clicks"] == 2
    assert AnalyticsEvent.objects.filter(conversation_id=chat.conversation_id).count() == 2


def test_the_same_event_id_in_one_batch_counts_once(chat, tenants):
    data = widget_events(chat, tenants.a1, [event("twice"), event("twice")]).json()["data"]
    assert (data["accepted"], data["duplicates"], data["analytics"]["answer_button_clicks"]) == (1, 1, 1)


def test_the_same_event_id_in_two_conversations_are_two_events(chat, tenants):
    other = WidgetClient("browser-other-0002")
    other.session(tenants.a1, start_new=True)
    widget_events(chat, tenants.a1, [event("shared-id")])
    assert widget_events(other, tenants.a1, [event("shared-id")]).status_code == 201
    assert AnalyticsEvent.objects.filter(event_id="shared-id").count() == 2


def test_opening_the_chat_starts_the_session(chat, tenants):
    record = widget_events(chat, tenants.a1, [event("open", "chat_session_started")]).json()["data"]["analytics"]
    assert record["chat_session_started"] is True
    assert record["engagement_score"] == "low"


@pytest.mark.parametrize(
    ("mutate", "status", "code"),
    [
        (lambda w: setattr(w, "token", "not-the-token"), 404, "RECORD_NOT_FOUND"),
        (lambda w: setattr(w, "token", None), 401, "UNAUTHORIZED"),
    ],
    ids=["wrong-token", "no-credentials"],
)
def test_the_widget_needs_its_conversation_token(chat, tenants, mutate, status, code):
    mutate(chat)
    response = APIClient().post(
        f"{EVENTS_URL}?widget_key={tenants.a1.widget_key}",
        {"conversation_id": chat.conversation_id, "events": [event("e1")]},
        format="json",
        **({"HTTP_X_CONVERSATION_TOKEN": chat.token} if chat.token else {}),
    )
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert not AnalyticsEvent.objects.exists()


def test_another_propertys_widget_key_cannot_report_for_this_conversation(chat, tenants):
    response = widget_events(chat, tenants.a2, [event("e1")])
    assert (response.status_code, response.json()["error"]["code"]) == (404, "RECORD_NOT_FOUND")


def test_a_token_without_widget_key_is_refused(chat):
    response = APIClient().post(
        EVENTS_URL,
        {"conversation_id": chat.conversation_id, "events": [event("e1")]},
        format="json",
        HTTP_X_CONVERSATION_TOKEN=chat.token,
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")


def test_a_foreign_website_cannot_report_events(chat, tenants):
    response = APIClient().post(
        f"{EVENTS_URL}?widget_key={tenants.a1.widget_key}",
        {"conversation_id": chat.conversation_id, "events": [event("e1")]},
        format="json",
        HTTP_X_CONVERSATION_TOKEN=chat.token,
        HTTP_ORIGIN="https://evil.test",
    )
    assert (response.status_code, response.json()["error"]["code"]) == (403, "FORBIDDEN")
    assert not AnalyticsEvent.objects.exists()


def test_cors_answers_the_propertys_own_website_only(chat, tenants):
    own = tenants.a1.website_url
    preflight = APIClient().options(
        f"{EVENTS_URL}?widget_key={tenants.a1.widget_key}",
        HTTP_ORIGIN=own,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,x-conversation-token",
    )
    assert preflight["Access-Control-Allow-Origin"] == own
    foreign = APIClient().options(
        f"{EVENTS_URL}?widget_key={tenants.a1.widget_key}",
        HTTP_ORIGIN="https://evil.test",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert "Access-Control-Allow-Origin" not in foreign


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"events": [{"event_id": "a", "event_type": "answer_button_clicked"}]}, "MISSING_REQUIRED_FIELD", None),
        ({"events": []}, "VALIDATION_ERROR", "events"),
        ({"events": [event(f"e{n}") for n in range(51)]}, "VALIDATION_ERROR", "events"),
        ({"events": [event("e1", "tour_booked")]}, "VALIDATION_ERROR", "events"),
        ({"events": [event("e1", "made_up_event")]}, "VALIDATION_ERROR", "events"),
        ({"events": [event("has space")]}, "VALIDATION_ERROR", "events"),
        ({"events": [event("e1", time=(timezone.now() + timedelta(hours=1)).isoformat())]}, "VALIDATION_ERROR", None),
        ({"events": [event("e1", time="yesterday")]}, "VALIDATION_ERROR", None),
        ({"events": [event("e1", properties={"k": "x" * 501})]}, "VALIDATION_ERROR", None),
        ({"events": [event("e1", properties={f"k{n}": n for n in range(21)})]}, "VALIDATION_ERROR", None),
        ({"events": [event("e1", properties={"nested": {"a": 1}})]}, "VALIDATION_ERROR", None),
        ({"events": [event("e1")], "page_url": "javascript:alert(1)"}, "VALIDATION_ERROR", "page_url"),
        ({"events": "not a list"}, "VALIDATION_ERROR", "events"),
    ],
    ids=[
        "no-conversation",
        "no-events",
        "too-many",
        "server-only-type",
        "unknown-type",
        "bad-id",
        "future-time",
        "bad-time",
        "long-value",
        "too-many-properties",
        "nested-property",
        "bad-page-url",
        "events-not-a-list",
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(chat, tenants, body, code, field):
    if code != "MISSING_REQUIRED_FIELD":
        body = {"conversation_id": chat.conversation_id, **body}
    response = APIClient().post(
        f"{EVENTS_URL}?widget_key={tenants.a1.widget_key}",
        body,
        format="json",
        HTTP_X_CONVERSATION_TOKEN=chat.token,
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code
    if field:
        assert field in error["details"]
    assert not AnalyticsEvent.objects.exists()
    assert not ConversationAnalytics.objects.exists()


def test_malformed_json_is_an_invalid_format(chat, tenants):
    response = APIClient().post(
        f"{EVENTS_URL}?widget_key={tenants.a1.widget_key}",
        data="{not json",
        content_type="application/json",
        HTTP_X_CONVERSATION_TOKEN=chat.token,
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "INVALID_FORMAT")


def test_staff_with_write_access_may_report_events(chat, tenants):
    response = client_for(tenants.manager_write.user).post(
        EVENTS_URL, {"conversation_id": chat.conversation_id, "events": [event("s1", "email_office_clicked")]}
    )
    assert response.status_code == 201
    assert response.json()["data"]["analytics"]["email_office_clicked"] == 1
    assert AnalyticsEvent.objects.get().source == EventSource.STAFF


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [("manager_read", 403, "INSUFFICIENT_PERMISSIONS"), ("admin_b", 404, "RECORD_NOT_FOUND")],
)
def test_staff_without_write_access_cannot_report_events(chat, tenants, who, status, code):
    response = client_for(getattr(tenants, who).user).post(
        EVENTS_URL, {"conversation_id": chat.conversation_id, "events": [event("s1")]}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert not AnalyticsEvent.objects.exists()


def test_a_bad_staff_token_is_not_taken_for_the_widget(chat, tenants):
    response = APIClient().post(
        f"{EVENTS_URL}?widget_key={tenants.a1.widget_key}",
        {"conversation_id": chat.conversation_id, "events": [event("e1")]},
        format="json",
        HTTP_AUTHORIZATION="Bearer not-a-jwt",
        HTTP_X_CONVERSATION_TOKEN=chat.token,
    )
    assert (response.status_code, response.json()["error"]["code"]) == (401, "INVALID_TOKEN")


def test_the_analytics_limit_counts_per_conversation_and_per_address(chat, tenants, settings):
    # A day's window (the limit is per minute): a minute could turn over between these requests.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "analytics": "3/1d"},
    }
    other = WidgetClient("browser-other-0004")
    other.session(tenants.a1, start_new=True)

    def post(widget, event_id, address="127.0.0.1"):
        return APIClient().post(
            f"{EVENTS_URL}?widget_key={tenants.a1.widget_key}",
            {"conversation_id": widget.conversation_id, "events": [event(event_id)]},
            format="json",
            HTTP_X_CONVERSATION_TOKEN=widget.token,
            REMOTE_ADDR=address,
        )

    assert [post(chat, f"t{n}").status_code for n in range(3)] == [201, 201, 201]
    limited = post(other, "o1")  # another conversation, but the same address
    assert (limited.status_code, limited.json()["error"]["code"]) == (429, "RATE_LIMIT_EXCEEDED")
    assert limited["Retry-After"]
    assert post(other, "o2", address="10.0.0.7").status_code == 201
    assert post(chat, "t9", address="10.0.0.8").status_code == 429  # this conversation spent its own
