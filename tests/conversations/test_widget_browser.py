"""The widget in a real browser: headless Chromium (Debian's package, driven by Playwright) opens
the demo page, chats with the bot over the WebSocket, and a reload resumes the conversation; its
session events reach the analytics route."""

import shutil
import time

import pytest

from analytics.models import AnalyticsEvent
from conversations.models import Conversation, Message, Prospect
from tests.live_server import free_port, serve_asgi

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    shutil.which("chromium") is None, reason="needs Debian's chromium: apt-get install -y chromium"
)


@pytest.fixture
def widget_server(transactional_db):
    """The page's many HTTP requests each run in a thread of their own: their connections close with
    the request, or they would outlive the test (see tests.live_server)."""
    with serve_asgi(free_port(8300), persistent_connections=False) as address:
        yield address


def test_the_demo_page_chats_and_a_reload_resumes(widget_server, tenants, settings):
    from playwright.sync_api import expect, sync_playwright

    settings.WIDGET_DEMO_PAGE = True
    property_ = tenants.a1
    property_.chatbot_welcome_message = "Welcome to A One!"
    property_.save()
    url = f"http://{widget_server}/widget/demo/?widget_key={property_.widget_key}"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        socket_urls = []
        page.on("websocket", lambda socket: socket_urls.append(socket.url))
        page.goto(url)
        page.get_by_test_id("launcher").click()
        expect(page.locator(".msg.welcome")).to_have_text("Welcome to A One!")
        page.get_by_test_id("input").fill("Hi! We need a 2br and have a dog")
        page.get_by_test_id("input").press("Enter")
        bot = page.locator(".msg.bot")
        expect(bot).to_have_count(1, timeout=10_000)
        expect(bot.first).to_contain_text("2 bedrooms")
        first_reply = bot.first.inner_text()

        page.reload()
        page.get_by_test_id("launcher").click()
        expect(page.locator(".msg.prospect")).to_have_text(["Hi! We need a 2br and have a dog"], timeout=10_000)
        expect(page.locator(".msg.bot")).to_have_text([first_reply])
        page.get_by_test_id("input").fill("just me")
        page.get_by_test_id("input").press("Enter")
        expect(page.locator(".msg.bot")).to_have_count(2, timeout=10_000)
        with page.expect_response(lambda response: "/api/amplitude-data" in response.url):
            page.get_by_label("Close chat").click()  # widget_minimized, sent before the browser goes
        browser.close()

    assert any("/api/ws/chat/" in socket_url for socket_url in socket_urls)
    assert Conversation.objects.count() == 1
    conversation = Conversation.objects.get()
    assert conversation.apartment_size_preference == "2br"
    assert conversation.has_pets is True
    assert Message.objects.filter(conversation=conversation, sender="prospect").count() == 2
    assert Prospect.objects.get().session_count == 2

    widget_events = AnalyticsEvent.objects.filter(conversation=conversation, source="widget")

    def arrived() -> bool:
        kinds = list(widget_events.values_list("event_type", flat=True))
        return kinds.count("chat_session_started") == 2 and {"widget_minimized", "widget_session_ended"} <= set(kinds)

    deadline = time.monotonic() + 10  # events travel beside the chat, the last ones after the page is gone
    while time.monotonic() < deadline and not arrived():
        time.sleep(0.1)
    started = widget_events.filter(event_type="chat_session_started")
    assert [event.properties["resumed"] for event in started.order_by("occurred_at")] == [False, True]
    assert widget_events.filter(event_type="widget_session_ended").count() >= 1  # the reload ended one
    assert widget_events.filter(event_type="widget_minimized").count() == 1
    assert len({event.session_id for event in started}) == 2  # one per page load
