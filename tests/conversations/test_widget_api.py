"""The public widget API: sessions and resume, messages, tokens, origins, CORS and the chat limit."""

import pytest

from conversations.models import Conversation, Message, Prospect, ProspectSession
from tests.conversations.conftest import WidgetClient
from tests.factories import PropertyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def prop():
    return PropertyFactory(website_url="https://www.maple.test/apartments", chatbot_welcome_message="Welcome!")


def test_config_gives_the_widget_its_settings(widget, prop):
    response = widget.client.get(f"/api/widget/config?widget_key={prop.widget_key}")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["property_id"] == str(prop.pk)
    assert data["chatbot_welcome_message"] == "Welcome!"
    assert set(data) >= {"chatbot_theme_color", "chatbot_position", "chatbot_auto_open", "chatbot_business_hours"}


def test_unknown_widget_key_is_404_and_missing_key_is_400(widget):
    assert widget.client.get("/api/widget/config?widget_key=wk_nope").status_code == 404
    response = widget.client.get("/api/widget/config")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_first_session_creates_prospect_and_conversation(widget, prop):
    response = widget.session(prop, page_url="https://www.maple.test/apartments")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["resumed"] is False
    assert data["user"]["session_count"] == 1
    assert data["user"]["last_seen"]
    assert data["conversation"]["token"]
    assert data["websocket_url"].endswith(f"/api/ws/chat/{data['conversation']['id']}")
    prospect = Prospect.objects.get(browser_id=widget.browser_id)
    assert prospect.company_id == prop.company_id
    assert ProspectSession.objects.filter(prospect=prospect, page_url="https://www.maple.test/apartments").count() == 1


def test_the_same_browser_coming_back_resumes_its_conversation(widget, prop):
    first = widget.session(prop).json()["data"]
    widget.send(prop, "Hi there", client_message_id="m1")
    second = widget.session(prop).json()["data"]
    assert second["resumed"] is True
    assert second["conversation"]["id"] == first["conversation"]["id"]
    assert second["user"]["session_count"] == 2
    assert [m["sender"] for m in second["messages"]] == ["prospect", "bot"]
    assert Conversation.objects.count() == 1
    assert ProspectSession.objects.count() == 2


def test_start_new_leaves_the_old_conversation(widget, prop):
    first = widget.session(prop).json()["data"]["conversation"]["id"]
    second = widget.session(prop, start_new=True).json()["data"]
    assert second["resumed"] is False
    assert second["conversation"]["id"] != first


def test_a_closed_conversation_is_not_resumed(widget, prop):
    first = widget.session(prop).json()["data"]["conversation"]["id"]
    Conversation.objects.filter(pk=first).update(status="closed")
    assert widget.session(prop).json()["data"]["conversation"]["id"] != first


def test_browser_lookup_and_last_seen(widget, prop):
    assert widget.client.get(f"/api/users/browser/{widget.browser_id}?widget_key={prop.widget_key}").status_code == 404
    conversation_id = widget.session(prop).json()["data"]["conversation"]["id"]
    data = widget.client.get(f"/api/users/browser/{widget.browser_id}?widget_key={prop.widget_key}").json()["data"]
    assert data["open_conversation_id"] == conversation_id
    assert data["session_count"] == 1
    before = Prospect.objects.get().last_seen
    response = widget.client.put(f"/api/users/browser/{widget.browser_id}/last-seen?widget_key={prop.widget_key}")
    assert response.status_code == 200
    assert Prospect.objects.get().last_seen > before


def test_browser_ids_are_validated(widget, prop):
    response = widget.client.post(f"/api/users/browser/bad id!/session?widget_key={prop.widget_key}", {}, format="json")
    assert response.status_code in (400, 404)
    response = widget.client.post(f"/api/users/browser/short/session?widget_key={prop.widget_key}", {}, format="json")
    assert response.status_code == 400


def test_sending_stores_the_message_and_the_bot_reply(widget, prop):
    widget.session(prop)
    response = widget.send(prop, "We have a dog and need a 2br", client_message_id="c-1")
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["message"]["sender"] == "prospect"
    assert data["message"]["seq"] == 1
    assert data["reply"]["sender"] == "bot"
    assert data["reply"]["seq"] == 2
    assert "2 bedrooms" in data["reply"]["text"]
    conversation = Conversation.objects.get()
    assert conversation.has_pets is True
    assert conversation.apartment_size_preference == "2br"


def test_a_retried_send_is_stored_once(widget, prop):
    widget.session(prop)
    first = widget.send(prop, "Hello", client_message_id="same-id")
    again = widget.send(prop, "Hello", client_message_id="same-id")
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["data"]["duplicate"] is True
    assert again.json()["data"]["message"]["id"] == first.json()["data"]["message"]["id"]
    assert again.json()["data"]["reply"]["id"] == first.json()["data"]["reply"]["id"]
    assert Message.objects.filter(sender="prospect").count() == 1
    assert Message.objects.filter(sender="bot").count() == 1


def test_history_and_after(widget, prop):
    widget.session(prop)
    first = widget.send(prop, "Hello", client_message_id="a").json()["data"]
    widget.send(prop, "2br please", client_message_id="b")
    everything = widget.history(prop).json()["data"]
    assert [m["seq"] for m in everything] == [1, 2, 3, 4]
    after = widget.history(prop, after=first["reply"]["id"]).json()["data"]
    assert [m["seq"] for m in after] == [3, 4]
    assert "metadata" not in everything[0]


def test_message_routes_need_the_conversation_token(widget, prop):
    widget.session(prop)
    widget.token = "not-the-token"
    assert widget.history(prop).status_code == 404
    assert widget.send(prop, "hi").status_code == 404


def test_one_browser_cannot_read_another_browsers_conversation(prop):
    alice, bob = WidgetClient("browser-alice-0001"), WidgetClient("browser-bob-00001")
    alice.session(prop)
    alice.send(prop, "secret plans", client_message_id="x")
    bob.session(prop)
    response = bob.history(prop, conversation_id=alice.conversation_id)
    assert response.status_code == 404
    assert bob.send(prop, "hi", conversation_id=alice.conversation_id).status_code == 404


def test_a_conversation_is_only_reachable_through_its_own_propertys_key(widget, prop):
    widget.session(prop)
    other = PropertyFactory(company=prop.company)
    response = widget.client.get(
        f"/api/widget/conversations/{widget.conversation_id}/messages?widget_key={other.widget_key}",
        HTTP_X_CONVERSATION_TOKEN=widget.token,
    )
    assert response.status_code == 404


def test_an_inactive_chatbot_refuses_sessions(widget, prop):
    prop.chatbot_is_active = False
    prop.save()
    response = widget.session(prop)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"


def test_allowed_origins_get_cors_headers(prop):
    client = WidgetClient(origin="https://www.maple.test")
    response = client.session(prop)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://www.maple.test"


def test_other_origins_are_refused(prop):
    client = WidgetClient(origin="https://evil.test")
    response = client.session(prop)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"
    assert "Access-Control-Allow-Origin" not in response
    assert not Prospect.objects.exists()


def test_preflight_is_answered_for_allowed_origins_only(prop):
    client = WidgetClient()
    url = f"/api/users/browser/{client.browser_id}/session?widget_key={prop.widget_key}"
    allowed = client.client.options(
        url,
        HTTP_ORIGIN="https://www.maple.test",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,x-conversation-token",
    )
    assert allowed["Access-Control-Allow-Origin"] == "https://www.maple.test"
    assert "x-conversation-token" in allowed["Access-Control-Allow-Headers"]
    refused = client.client.options(url, HTTP_ORIGIN="https://evil.test", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert "Access-Control-Allow-Origin" not in refused


def test_company_added_origins_are_allowed(prop, tenants):
    from conversations.services import chat_settings_update

    chat_settings_update(company=prop.company, allowed_origins=["https://partner.test"])
    response = WidgetClient(origin="https://partner.test").session(prop)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://partner.test"


def test_chat_limit_per_browser(widget, prop, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "chat": "3/1m"},
    }
    statuses = [widget.session(prop).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    other = WidgetClient("browser-other-0001")
    other.client.defaults["REMOTE_ADDR"] = "10.0.0.9"
    assert other.session(prop).status_code == 200


def test_chat_limit_per_ip(prop, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "chat": "3/1m"},
    }
    statuses = [WidgetClient(f"browser-ip-test-{n:04d}").session(prop).status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]
    body = WidgetClient("browser-ip-test-9999").session(prop).json()
    assert body["error"]["code"] == "RATE_LIMIT_EXCEEDED"


def test_widget_script_is_served(client):
    response = client.get("/widget/widget.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert b"data-widget-key" in response.content


def test_demo_page_embeds_a_property(client, prop, settings):
    settings.WIDGET_DEMO_PAGE = True
    response = client.get(f"/widget/demo/?widget_key={prop.widget_key}")
    assert response.status_code == 200
    assert f'data-widget-key="{prop.widget_key}"'.encode() in response.content
    settings.WIDGET_DEMO_PAGE = False
    assert client.get("/widget/demo/").status_code == 404
