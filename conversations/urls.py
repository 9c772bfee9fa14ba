"""Routes of the chat (included at /api/ after properties.urls)."""

from django.urls import re_path

from conversations import public_views, views
from core.api.routers import ApiRouter
from core.tenancy import UUID_PATTERN

router = ApiRouter()
router.register("users", views.ProspectViewSet, basename="user")
router.register("conversations", views.ConversationViewSet, basename="conversation")
router.register("lead-notifications", views.LeadNotificationViewSet, basename="lead-notification")

PK = rf"(?P<pk>{UUID_PATTERN})"
BROWSER = r"(?P<browser_id>[^/]+)"
manager_notifications = views.ManagerNotificationViewSet
chat_settings = views.ChatSettingsViewSet

urlpatterns = [
    # Public widget routes first: "users/browser/..." must not reach the users router.
    re_path(r"^widget/config/?$", public_views.WidgetConfigView.as_view(), name="widget-config"),
    re_path(
        rf"^widget/conversations/(?P<conversation_id>{UUID_PATTERN})/messages/?$",
        public_views.WidgetMessagesView.as_view(),
        name="widget-messages",
    ),
    re_path(rf"^users/browser/{BROWSER}/session/?$", public_views.BrowserSessionView.as_view(), name="browser-session"),
    re_path(
        rf"^users/browser/{BROWSER}/last-seen/?$", public_views.BrowserLastSeenView.as_view(), name="browser-last-seen"
    ),
    re_path(rf"^users/browser/{BROWSER}/?$", public_views.BrowserProspectView.as_view(), name="browser-prospect"),
    *router.urls,
    re_path(
        rf"^property-managers/{PK}/notifications/?$",
        manager_notifications.as_view({"get": "list_notifications"}),
        name="manager-notifications",
    ),
    re_path(
        rf"^property-managers/{PK}/notifications/mark-read/?$",
        manager_notifications.as_view({"post": "mark_read"}),
        name="manager-notifications-mark-read",
    ),
    re_path(
        rf"^property-managers/{PK}/notifications/(?P<notification_id>{UUID_PATTERN})/?$",
        manager_notifications.as_view({"put": "update_notification", "patch": "update_notification"}),
        name="manager-notification-detail",
    ),
    re_path(
        rf"^properties/{PK}/chatbot/test/?$", views.ChatbotTestViewSet.as_view({"post": "test"}), name="chatbot-test"
    ),
    re_path(
        rf"^companies/{PK}/chat-settings/?$",
        chat_settings.as_view({"get": "retrieve_settings", "put": "update_settings", "patch": "update_settings"}),
        name="company-chat-settings",
    ),
]
