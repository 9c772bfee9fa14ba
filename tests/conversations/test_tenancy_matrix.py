"""Every staff route of the chat against each role of company A and company B's admin.

Statuses per role, in this order: platform staff, admin of A, manager of a1 (write), manager of
a1 (read), admin of B (the outsider). Company B never gets anything but 403/404 for A's records.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import LeadNotification, Message
from tests.conftest import client_for
from tests.factories import ConversationFactory

ROLES = ["platform", "admin_a", "manager_write", "manager_read", "admin_b"]
SOON = (timezone.now() + timedelta(days=3)).replace(hour=15, minute=0, second=0, microsecond=0).isoformat()

# (method, path template, body, expected statuses per role)
CASES = [
    ("get", "/api/users/{prospect}", None, [200, 200, 200, 200, 404]),
    ("get", "/api/users/{prospect_a2}", None, [200, 200, 404, 404, 404]),
    ("put", "/api/users/{prospect}", {"first_name": "Jo"}, [200, 200, 200, 403, 404]),
    ("patch", "/api/users/{prospect}", {"phone": "+15125550100"}, [200, 200, 200, 403, 404]),
    ("delete", "/api/users/{prospect}", None, [200, 200, 200, 403, 404]),
    ("post", "/api/users", {"first_name": "New", "company_id": "{company_a}"}, [201, 201, 403, 403, 400]),
    ("get", "/api/users/{prospect}/sessions", None, [200, 200, 200, 200, 404]),
    ("get", "/api/users/{prospect}/conversations", None, [200, 200, 200, 200, 404]),
    ("get", "/api/conversations/{conversation}", None, [200, 200, 200, 200, 404]),
    ("get", "/api/conversations/{conversation_a2}", None, [200, 200, 404, 404, 404]),
    ("post", "/api/conversations", {"property_id": "{a1}"}, [201, 201, 201, 403, 400]),
    ("put", "/api/conversations/{conversation}", {"occupants_count": 2}, [200, 200, 200, 403, 404]),
    ("patch", "/api/conversations/{conversation}", {"has_pets": False}, [200, 200, 200, 403, 404]),
    ("delete", "/api/conversations/{conversation}", None, [200, 200, 200, 403, 404]),
    ("get", "/api/conversations/{conversation}/messages", None, [200, 200, 200, 200, 404]),
    (
        "post",
        "/api/conversations/{conversation}/messages",
        {"text": "Hello from the office"},
        [201, 201, 201, 403, 404],
    ),
    ("put", "/api/conversations/{conversation}/messages/{bot_message}", {"text": "Edited"}, [200, 200, 200, 403, 404]),
    ("delete", "/api/conversations/{conversation}/messages/{bot_message}", None, [200, 200, 200, 403, 404]),
    ("put", "/api/conversations/{conversation}/status", {"status": "closed"}, [200, 200, 200, 403, 404]),
    ("post", "/api/conversations/{conversation}/qualify", {"move_in_date": "2030-01-01"}, [200, 200, 200, 403, 404]),
    (
        "post",
        "/api/conversations/{conversation}/book-tour",
        {"tour_datetime": SOON, "prospect_name": "Jo Prospect", "prospect_email": "jo@p.test"},
        [200, 200, 200, 403, 404],
    ),
    ("post", "/api/conversations/{conversation}/takeover", None, [200, 200, 200, 403, 404]),
    ("get", "/api/conversations/{conversation}/analytics", None, [200, 200, 200, 200, 404]),
    ("get", "/api/conversations/analytics/summary", None, [200, 200, 200, 200, 200]),
    ("get", "/api/lead-notifications/{notification}", None, [200, 200, 200, 200, 404]),
    (
        "post",
        "/api/lead-notifications",
        {"conversation_id": "{conversation}", "property_manager_id": "{manager_write}", "title": "Call back"},
        [201, 201, 201, 403, 400],
    ),
    ("put", "/api/lead-notifications/{notification}", {"title": "Renamed"}, [200, 200, 200, 403, 404]),
    ("delete", "/api/lead-notifications/{notification}", None, [200, 200, 200, 403, 404]),
    ("put", "/api/lead-notifications/{notification}/read", None, [200, 200, 200, 403, 404]),
    ("put", "/api/lead-notifications/{notification}/respond", None, [200, 200, 200, 403, 404]),
    ("post", "/api/lead-notifications/{notification}/send", None, [200, 200, 200, 403, 404]),
    ("put", "/api/lead-notifications/{read_notification}/read", None, [200, 200, 200, 200, 404]),
    ("get", "/api/lead-notifications/preferences/{manager_read}", None, [200, 200, 403, 200, 404]),
    (
        "put",
        "/api/lead-notifications/preferences/{manager_read}",
        {"event_types": ["tour_request"]},
        [200, 200, 403, 200, 404],
    ),
    ("get", "/api/property-managers/{manager_read}/notifications", None, [200, 200, 403, 200, 404]),
    ("post", "/api/property-managers/{manager_read}/notifications/mark-read", {}, [200, 200, 403, 200, 404]),
    (
        "put",
        "/api/property-managers/{manager_read}/notifications/{read_notification}",
        {"status": "read"},
        [200, 200, 403, 200, 404],
    ),
    ("post", "/api/properties/{a1}/chatbot/test", {"message": "Do you allow dogs?"}, [200, 200, 200, 200, 404]),
    ("get", "/api/companies/{company_a}/chat-settings", None, [200, 200, 200, 200, 404]),
    (
        "put",
        "/api/companies/{company_a}/chat-settings",
        {"allowed_origins": ["https://partner.test"], "reply_engine": "local"},
        [200, 200, 403, 403, 404],
    ),
]


@pytest.fixture
def objects(tenants):
    conversation = ConversationFactory(property=tenants.a1)
    conversation_a2 = ConversationFactory(property=tenants.a2)
    bot_message = Message.objects.create(conversation=conversation, sender="bot", text="Hi!", seq=1)
    conversation.message_count = 1
    conversation.save()
    notification = LeadNotification.objects.create(
        conversation=conversation,
        property_manager=tenants.manager_write,
        notification_type="qualified_lead",
        title="Lead",
    )
    read_notification = LeadNotification.objects.create(
        conversation=conversation, property_manager=tenants.manager_read, notification_type="tour_request", title="Tour"
    )
    return {
        "company_a": tenants.company_a.pk,
        "a1": tenants.a1.pk,
        "prospect": conversation.prospect.pk,
        "prospect_a2": conversation_a2.prospect.pk,
        "conversation": conversation.pk,
        "conversation_a2": conversation_a2.pk,
        "bot_message": bot_message.pk,
        "notification": notification.pk,
        "read_notification": read_notification.pk,
        "manager_write": tenants.manager_write.pk,
        "manager_read": tenants.manager_read.pk,
    }


def _fill(value, objects):
    if isinstance(value, str):
        return value.format(**objects)
    if isinstance(value, dict):
        return {key: _fill(item, objects) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, objects) for item in value]
    return value


@pytest.mark.parametrize(("method", "path", "body", "expected"), CASES, ids=[f"{c[0]} {c[1]}" for c in CASES])
@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
def test_route_by_role(tenants, objects, method, path, body, expected, role_index):
    role = ROLES[role_index]
    user = getattr(tenants, role)
    user = user if role == "platform" else user.user
    response = getattr(client_for(user), method)(_fill(path, objects), _fill(body, objects), format="json")
    assert response.status_code == expected[role_index], response.json()
    if response.status_code == 404:
        assert response.json()["error"]["code"] == "RECORD_NOT_FOUND"
    if response.status_code == 403 and role == "manager_read":
        assert response.json()["error"]["code"] == "INSUFFICIENT_PERMISSIONS"


def test_the_outsider_never_sees_company_a_in_lists(tenants, objects):
    client = client_for(tenants.admin_b.user)
    for url in ("/api/users", "/api/conversations", "/api/lead-notifications"):
        assert client.get(url).json()["data"] == [], url
    summary = client.get("/api/conversations/analytics/summary").json()["data"]
    assert summary["totals"]["conversations"] == 0


def test_a_manager_lists_only_their_properties(tenants, objects):
    data = client_for(tenants.manager_write.user).get("/api/conversations").json()["data"]
    assert [row["id"] for row in data] == [str(objects["conversation"])]
