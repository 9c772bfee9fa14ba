"""The read routes: a property's records, the summary, engagement scores and qualification rates per
property and date range (cached, and fresh again as soon as new events arrive), and recalculation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.models import ConversationAnalytics
from conversations.models import Conversation
from tests.analytics.conftest import event, widget_events
from tests.analytics.factories import ConversationAnalyticsFactory
from tests.conftest import client_for
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db


def seed(tenants):
    """a1: four records of this week (one of which never chatted), one of 60 days ago; a2: one."""
    now = timezone.now()
    rows = [
        ConversationAnalyticsFactory(
            conversation__property=tenants.a1,
            engagement_score="high",
            engagement_points=15,
            contact_captured=True,
            qualified=True,
            tour_intent=True,
            tour_booked=True,
            hot=True,
            signed=True,
            answer_button_clicks=2,
            session_duration=300,
        ),
        ConversationAnalyticsFactory(
            conversation__property=tenants.a1,
            engagement_score="medium",
            engagement_points=7,
            contact_captured=True,
            qualified=True,
            phone_call_clicked=1,
            session_duration=100,
        ),
        ConversationAnalyticsFactory(conversation__property=tenants.a1, conversation_abandoned=True),
        ConversationAnalyticsFactory(
            conversation__property=tenants.a1,
            chat_session_started=False,
            engagement_score="",
            engagement_points=0,
            user_messages_sent=0,
            bot_messages_received=0,
        ),
        ConversationAnalyticsFactory(conversation__property=tenants.a1, started_at=now - timedelta(days=60)),
        ConversationAnalyticsFactory(conversation__property=tenants.a2, qualified=True),
    ]
    return rows


def test_a_propertys_records_newest_first_with_filters(tenants):
    rows = seed(tenants)
    client = client_for(tenants.manager_read.user)
    url = f"/api/amplitude-data/property/{tenants.a1.pk}"
    body = client.get(url).json()
    assert body["meta"]["pagination"]["total"] == 5
    assert body["data"][-1]["id"] == str(rows[4].pk)  # the oldest last
    assert {item["property_id"] for item in body["data"]} == {str(tenants.a1.pk)}
    hot = client.get(url + "?hot=true").json()["data"]
    assert [item["id"] for item in hot] == [str(rows[0].pk)]
    assert len(client.get(url + "?qualified=false").json()["data"]) == 3
    assert [item["id"] for item in client.get(url + "?abandoned=true").json()["data"]] == [str(rows[2].pk)]
    assert len(client.get(url + "?engagement_score=medium").json()["data"]) == 1
    start = (timezone.now() - timedelta(days=70)).date()
    end = (timezone.now() - timedelta(days=50)).date()
    dated = client.get(f"{url}?start_date={start}&end_date={end}").json()["data"]
    assert [item["id"] for item in dated] == [str(rows[4].pk)]


def test_the_record_answers_in_the_spec_shape(tenants):
    row = seed(tenants)[3]
    data = client_for(tenants.admin_a.user).get(f"/api/amplitude-data/property/{tenants.a1.pk}?limit=100").json()
    item = next(item for item in data["data"] if item["id"] == str(row.pk))
    assert item["conversation_id"] == str(row.conversation_id)
    assert item["user_id"] == str(row.prospect_id)
    # Optional strings of the spec are null, not blank.
    assert (item["engagement_score"], item["contact_method"], item["tour_type"], item["page_url"]) == (
        None,
        None,
        None,
        None,
    )


def test_bad_filters_are_refused(tenants):
    client = client_for(tenants.admin_a.user)
    url = f"/api/amplitude-data/property/{tenants.a1.pk}"
    assert client.get(url + "?engagement_score=extreme").status_code == 400
    assert client.get(url + "?start_date=yesterday").status_code == 400
    response = client.get(url + "?start_date=2025-03-10&end_date=2025-03-01")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert client.get(url + "?page=0").status_code == 400


def test_summary_across_the_callers_properties(tenants):
    seed(tenants)
    admin = client_for(tenants.admin_a.user).get("/api/amplitude-data/summary").json()["data"]
    # This month's conversations of a1 and a2 (the 60-day-old one is outside the default 30 days).
    assert (admin["conversations"], admin["chat_sessions_started"], admin["properties"]) == (5, 4, 2)
    assert (admin["qualified"], admin["hot"], admin["signed"], admin["abandoned"]) == (3, 1, 1, 1)
    assert (admin["high"], admin["medium"], admin["low"]) == (1, 1, 2)
    assert admin["qualified_rate"] == 0.75
    assert (admin["answer_button_clicks"], admin["phone_call_clicked"]) == (2, 1)
    manager = client_for(tenants.manager_write.user).get("/api/amplitude-data/summary").json()["data"]
    assert (manager["conversations"], manager["qualified"], manager["properties"]) == (4, 2, 1)
    outsider = client_for(tenants.admin_b.user).get("/api/amplitude-data/summary").json()["data"]
    assert outsider["conversations"] == 0 and outsider["qualified_rate"] == 0.0


def test_engagement_scores_per_property(tenants):
    seed(tenants)
    rows = client_for(tenants.admin_a.user).get("/api/amplitude-data/engagement-scores").json()["data"]
    assert [row["property_name"] for row in rows] == ["A One", "A Two"]
    a1 = rows[0]
    assert (a1["conversations"], a1["chat_sessions_started"], a1["high"], a1["medium"], a1["low"]) == (4, 3, 1, 1, 1)
    assert a1["high_rate"] == round(1 / 3, 4)
    assert a1["average_points"] == round((15 + 7 + 3) / 3, 1)
    only_a1 = client_for(tenants.manager_read.user).get("/api/amplitude-data/engagement-scores").json()["data"]
    assert [row["property_id"] for row in only_a1] == [str(tenants.a1.pk)]


def test_qualification_rates_per_property_and_period(tenants):
    seed(tenants)
    client = client_for(tenants.admin_a.user)
    rows = client.get(f"/api/amplitude-data/lead-qualification-rates?property_id={tenants.a1.pk}").json()["data"]
    assert len(rows) == 1
    a1 = rows[0]
    assert (a1["contact_captured"], a1["qualified"], a1["tour_booked"], a1["hot"], a1["signed"]) == (2, 2, 1, 1, 1)
    assert (a1["qualified_rate"], a1["signed_rate"]) == (round(2 / 3, 4), round(1 / 3, 4))
    start = (timezone.now() - timedelta(days=90)).date()
    wide = client.get(f"/api/amplitude-data/lead-qualification-rates?property_id={tenants.a1.pk}&start_date={start}")
    assert wide.json()["data"][0]["conversations"] == 5


def test_another_companys_property_cannot_be_named(tenants):
    response = client_for(tenants.admin_b.user).get(
        f"/api/amplitude-data/engagement-scores?property_id={tenants.a1.pk}"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")


def test_answers_are_cached_until_new_events_arrive(tenants, chat, django_assert_max_num_queries):
    client = client_for(tenants.admin_a.user)
    widget_events(chat, tenants.a1, [event("open", "chat_session_started")])
    first = client.get("/api/amplitude-data/summary").json()["data"]
    assert (first["chat_sessions_started"], first["answer_button_clicks"]) == (1, 0)
    # A change that bypasses the services is not seen: the answer comes from the cache...
    ConversationAnalytics.objects.update(answer_button_clicks=99)
    with django_assert_max_num_queries(2):
        cached = client.get("/api/amplitude-data/summary").json()["data"]
    assert cached["answer_button_clicks"] == 0
    # ...until new events arrive, which recompute the record and make the cached answer stale.
    widget_events(chat, tenants.a1, [event("c1"), event("c2")])
    fresh = client.get("/api/amplitude-data/summary").json()["data"]
    assert fresh["answer_button_clicks"] == 2


def test_cached_answers_are_per_caller(tenants):
    seed(tenants)
    admin = client_for(tenants.admin_a.user).get("/api/amplitude-data/engagement-scores").json()["data"]
    manager = client_for(tenants.manager_read.user).get("/api/amplitude-data/engagement-scores").json()["data"]
    outsider = client_for(tenants.admin_b.user).get("/api/amplitude-data/engagement-scores").json()["data"]
    assert (len(admin), len(manager)) == (2, 1)
    assert [row["property_id"] for row in outsider] == [str(tenants.b1.pk)]


def test_pages_of_properties(tenants):
    seed(tenants)
    client = client_for(tenants.admin_a.user)
    page = client.get("/api/amplitude-data/lead-qualification-rates?limit=1&page=2").json()
    assert [row["property_name"] for row in page["data"]] == ["A Two"]
    assert page["meta"]["pagination"] == {"page": 2, "limit": 1, "total": 2, "totalPages": 2}


# --- calculate-engagement -------------------------------------------------------------------------
def test_recalculating_one_conversation_answers_its_record(tenants, chat):
    chat.send(tenants.a1, "Hi")
    response = client_for(tenants.manager_write.user).post(
        "/api/amplitude-data/calculate-engagement", {"conversation_id": chat.conversation_id}, format="json"
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["scope"], data["queued"], data["conversations"]) == ("conversation", False, 1)
    assert data["analytics"]["user_messages_sent"] == 1


def test_recalculating_a_property_runs_in_the_background(tenants, django_capture_on_commit_callbacks):
    conversations = [ConversationFactory(property=tenants.a1) for _ in range(3)]
    ConversationFactory(property=tenants.a2)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenants.manager_write.user).post(
            "/api/amplitude-data/calculate-engagement", {"property_id": str(tenants.a1.pk)}, format="json"
        )
    assert response.status_code == 202
    assert response.json()["data"] == {"scope": "property", "queued": True, "conversations": 3, "analytics": None}
    assert set(ConversationAnalytics.objects.values_list("conversation_id", flat=True)) == {
        conversation.pk for conversation in conversations
    }


def test_recalculating_a_company(tenants, django_capture_on_commit_callbacks):
    for property_ in (tenants.a1, tenants.a2, tenants.b1):
        ConversationFactory(property=property_)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenants.admin_a.user).post("/api/amplitude-data/calculate-engagement", {}, format="json")
    assert (response.status_code, response.json()["data"]["conversations"]) == (202, 2)
    assert ConversationAnalytics.objects.filter(property__company=tenants.company_a).count() == 2
    assert not ConversationAnalytics.objects.filter(property=tenants.b1).exists()


@pytest.mark.parametrize(
    ("who", "body", "status", "code"),
    [
        ("manager_write", {}, 403, "INSUFFICIENT_PERMISSIONS"),
        ("manager_read", {"conversation": True}, 403, "INSUFFICIENT_PERMISSIONS"),
        ("manager_write", {"property_id": "a2"}, 404, "RECORD_NOT_FOUND"),
        ("admin_b", {"conversation": True}, 404, "RECORD_NOT_FOUND"),
        ("admin_b", {"company_id": "company_a"}, 404, "RECORD_NOT_FOUND"),
        ("platform", {}, 400, "MISSING_REQUIRED_FIELD"),
        ("admin_a", {"conversation": True, "property_id": "a1"}, 400, "VALIDATION_ERROR"),
    ],
)
def test_recalculation_is_refused(tenants, who, body, status, code):
    conversation = ConversationFactory(property=tenants.a1)
    ids = {"a1": tenants.a1.pk, "a2": tenants.a2.pk, "company_a": tenants.company_a.pk}
    payload = {key: str(ids[value]) for key, value in body.items() if key != "conversation"}
    if body.get("conversation"):
        payload["conversation_id"] = str(conversation.pk)
    user = tenants.platform if who == "platform" else getattr(tenants, who).user
    response = client_for(user).post("/api/amplitude-data/calculate-engagement", payload, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert not ConversationAnalytics.objects.exists()
    assert Conversation.objects.count() == 1


def test_platform_staff_recalculate_a_named_company(tenants, django_capture_on_commit_callbacks):
    ConversationFactory(property=tenants.b1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenants.platform).post(
            "/api/amplitude-data/calculate-engagement", {"company_id": str(tenants.company_b.pk)}, format="json"
        )
    assert response.status_code == 202
    assert ConversationAnalytics.objects.get().property_id == tenants.b1.pk
