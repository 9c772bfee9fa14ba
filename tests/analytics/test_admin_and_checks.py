"""The "amplitude" connection test, the "analytics" health check, and the admin back office."""

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from analytics import services
from analytics.models import AmplitudeState, AnalyticsEvent, ConversationAnalytics, ForwardStatus
from tests.analytics.conftest import event, widget_events
from tests.analytics.factories import ConversationAnalyticsFactory
from tests.analytics.fakes import VALID_KEY
from tests.conftest import client_for
from tests.test_admin import admin_client

pytestmark = pytest.mark.django_db


def amplitude_test(tenants):
    response = client_for(tenants.admin_a.user).post(
        f"/api/companies/{tenants.company_a.pk}/test-integration", {"integration": "amplitude"}, format="json"
    )
    assert response.status_code == 200
    return response.json()["data"]["results"][0]


def test_the_connection_test_without_a_key(tenants, amplitude):
    result = amplitude_test(tenants)
    assert (result["configured"], result["ok"]) == (False, False)
    assert amplitude.requests == []


def test_the_connection_test_with_a_good_key(tenants, amplitude_on):
    result = amplitude_test(tenants)
    assert (result["configured"], result["ok"]) == (True, True)
    assert result["latency_ms"] is not None
    sent = amplitude_on.requests[-1].json()
    assert sent == {"api_key": VALID_KEY, "events": []}
    assert amplitude_on.stored == {}


def test_the_connection_test_with_a_bad_key(tenants, amplitude):
    tenants.company_a.amplitude_api_key = "amp-not-a-key"
    tenants.company_a.save()
    result = amplitude_test(tenants)
    assert result["ok"] is False and "Invalid API key" in result["message"]


@pytest.mark.parametrize("failure", ["5xx", "timeout", "garbage"])
def test_the_connection_test_when_amplitude_is_down(tenants, amplitude_on, settings, failure):
    if failure == "5xx":
        amplitude_on.fail_next(1, status=502)
    elif failure == "timeout":
        settings.AMPLITUDE_TIMEOUT_SECONDS = 0.1
        amplitude_on.delay = 0.3
    else:
        amplitude_on.garbage_next(1)
    result = amplitude_test(tenants)
    assert result["ok"] is False and result["message"].startswith("Unreachable")


def analytics_health(api_client):
    return api_client.get("/api/health/external-services").json()["data"]["checks"]["analytics"]


def test_health_is_healthy_with_nothing_waiting(api_client, db):
    check = analytics_health(api_client)
    assert check["status"] == "healthy"
    assert "0 event(s) waiting, 0 failed" in check["message"]


def test_health_is_degraded_while_events_failed_for_good(api_client, tenants, chat, amplitude, settings):
    tenants.company_a.amplitude_api_key = "amp-wrong-key"
    tenants.company_a.save()
    from analytics.forwarding import company_events_forward

    widget_events(chat, tenants.a1, [event("e1")])
    company_events_forward(company_id=tenants.company_a.pk)
    check = analytics_health(api_client)
    assert check["status"] == "degraded"
    assert "1 failed for good" in check["message"] and "Invalid API key" in check["message"]
    # Amplitude quotes the key back; it is not kept, nor shown.
    assert "amp-wrong-key" not in api_client.get("/api/health").content.decode()
    assert "amp-wrong-key" not in AnalyticsEvent.objects.get().last_error


def test_health_is_unhealthy_after_failures_in_a_row(api_client, tenants, chat, amplitude_on):
    from analytics.forwarding import company_events_forward

    widget_events(chat, tenants.a1, [event("e1")])
    amplitude_on.failure_rate = 1.0
    for _ in range(3):
        AnalyticsEvent.objects.update(next_attempt_at=timezone.now())
        company_events_forward(company_id=tenants.company_a.pk)
    assert AmplitudeState.objects.get().consecutive_failures == 3
    check = analytics_health(api_client)
    assert check["status"] == "unhealthy"
    assert "1 event(s) waiting" in check["message"]
    # A failing integration degrades the service; only the database makes it unhealthy.
    assert api_client.get("/api/health").json()["data"]["status"] == "degraded"


def test_health_makes_no_call_out(api_client, tenants, amplitude_on):
    analytics_health(api_client)
    assert amplitude_on.requests == []


def test_every_analytics_model_is_in_the_admin():
    for model in (ConversationAnalytics, AnalyticsEvent, AmplitudeState):
        assert model in admin.site._registry


def test_the_admin_lists_are_scoped_by_company(tenants, chat):
    widget_events(chat, tenants.a1, [event("e1")])
    ConversationAnalyticsFactory(conversation__property=tenants.b1)
    platform = admin_client(tenants.platform)
    for name in ("conversationanalytics", "analyticsevent", "amplitudestate"):
        assert platform.get(reverse(f"admin:analytics_{name}_changelist")).status_code == 200
    outsider = admin_client(tenants.admin_b.user)
    assert outsider.get(reverse("admin:analytics_analyticsevent_changelist")).context["cl"].result_count == 0
    records = outsider.get(reverse("admin:analytics_conversationanalytics_changelist")).context["cl"]
    assert [record.property_id for record in records.result_list] == [tenants.b1.pk]
    owner = admin_client(tenants.admin_a.user)
    assert owner.get(reverse("admin:analytics_analyticsevent_changelist")).context["cl"].result_count == 1


def test_failed_events_are_replayed_from_the_admin(tenants, chat, amplitude, django_capture_on_commit_callbacks):
    tenants.company_a.amplitude_api_key = "amp-wrong-key"
    tenants.company_a.save()
    from analytics.forwarding import company_events_forward

    widget_events(chat, tenants.a1, [event("e1")])
    company_events_forward(company_id=tenants.company_a.pk)
    tenants.company_a.amplitude_api_key = VALID_KEY
    tenants.company_a.save()
    client = admin_client(tenants.admin_a.user)
    row = AnalyticsEvent.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:analytics_analyticsevent_changelist"),
            {"action": "replay", "_selected_action": [str(row.pk)]},
        )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.forward_status == ForwardStatus.SENT


def test_a_read_only_manager_cannot_replay(tenants, chat, amplitude):
    widget_events(chat, tenants.a1, [event("e1")])
    AnalyticsEvent.objects.update(forward_status=ForwardStatus.FAILED)
    client = admin_client(tenants.manager_read.user)
    row = AnalyticsEvent.objects.get()
    client.post(
        reverse("admin:analytics_analyticsevent_changelist"), {"action": "replay", "_selected_action": [str(row.pk)]}
    )
    row.refresh_from_db()
    assert row.forward_status == ForwardStatus.FAILED


def test_records_are_recalculated_from_the_admin(tenants, chat):
    chat.send(tenants.a1, "Hello there")
    services.conversation_analytics_refresh(conversation_id=chat.conversation_id)
    ConversationAnalytics.objects.update(user_messages_sent=0)
    response = admin_client(tenants.manager_write.user).post(
        reverse("admin:analytics_conversationanalytics_changelist"),
        {"action": "recalculate", "_selected_action": [str(ConversationAnalytics.objects.get().pk)]},
    )
    assert response.status_code == 302
    assert ConversationAnalytics.objects.get().user_messages_sent == 1


def test_a_read_only_manager_has_no_recalculate_action(tenants, chat):
    chat.send(tenants.a1, "Hello there")
    services.conversation_analytics_refresh(conversation_id=chat.conversation_id)
    ConversationAnalytics.objects.update(user_messages_sent=0)
    admin_client(tenants.manager_read.user).post(
        reverse("admin:analytics_conversationanalytics_changelist"),
        {"action": "recalculate", "_selected_action": [str(ConversationAnalytics.objects.get().pk)]},
    )
    assert ConversationAnalytics.objects.get().user_messages_sent == 0
