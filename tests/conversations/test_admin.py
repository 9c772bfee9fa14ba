"""The chat's models in the admin, under the same tenancy as the API."""

import pytest
from django.contrib import admin
from django.urls import reverse

from conversations.models import (
    ChatSettings,
    Conversation,
    LeadNotification,
    Message,
    NotificationPreference,
    Prospect,
    ProspectSession,
)
from tests.factories import ConversationFactory
from tests.test_admin import admin_client

MODELS = (Prospect, ProspectSession, Conversation, Message, LeadNotification, NotificationPreference, ChatSettings)


def test_every_chat_model_is_registered():
    for model in MODELS:
        assert model in admin.site._registry


@pytest.mark.django_db
def test_staff_open_the_changelists_and_see_only_their_company(tenants):
    mine = ConversationFactory(property=tenants.a1)
    theirs = ConversationFactory(property=tenants.b1)
    for model in MODELS:
        url = reverse(f"admin:conversations_{model._meta.model_name}_changelist")
        assert admin_client(tenants.platform).get(url).status_code == 200, url
        assert admin_client(tenants.admin_a.user).get(url).status_code == 200, url
    url = reverse("admin:conversations_conversation_changelist")
    page = admin_client(tenants.admin_a.user).get(url).content.decode()
    assert str(mine.pk)[:8] in page
    assert str(theirs.pk)[:8] not in page
    change = reverse("admin:conversations_conversation_change", args=[theirs.pk])
    assert admin_client(tenants.admin_a.user).get(change).status_code in (302, 404)
