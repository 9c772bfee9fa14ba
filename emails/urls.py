"""Email routes (included at /api/)."""

from django.urls import re_path

from core.api.routers import ApiRouter
from core.tenancy import UUID_PATTERN
from emails import views

router = ApiRouter()
router.register("email/drafts", views.EmailDraftViewSet, basename="email-draft")
router.register("email/templates", views.EmailTemplateViewSet, basename="email-template")
router.register("email/campaigns", views.EmailCampaignViewSet, basename="email-campaign")

PK = rf"(?P<pk>{UUID_PATTERN})"
drafts = views.EmailDraftViewSet
# Signed tokens: base64url with ':' separators, and a leading '.' when compressed.
TOKEN = r"(?P<token>[A-Za-z0-9_\-:.]+)"

urlpatterns = [
    re_path(r"^email/send-test/?$", drafts.as_view({"post": "send_test"}), name="email-send-test"),
    re_path(rf"^email/send/{PK}/?$", drafts.as_view({"post": "send"}), name="email-send"),
    re_path(rf"^email/schedule/{PK}/?$", drafts.as_view({"post": "schedule"}), name="email-schedule"),
    re_path(rf"^email/unsubscribe/{TOKEN}/?$", views.UnsubscribeView.as_view(), name="email-unsubscribe"),
    re_path(
        r"^test/email-sending/?$",
        views.EmailSendingTestViewSet.as_view({"post": "email_sending"}),
        name="test-email-sending",
    ),
    *router.urls,
]
