"""The emails app in the admin: every model registered, scoped to the company, failed emails sent
again from the list."""

import pytest
from django.contrib import admin
from django.urls import reverse

from emails.models import (
    DeliveryStatus,
    EmailCampaign,
    EmailDelivery,
    EmailDraft,
    EmailStatus,
    EmailTemplate,
    EmailUnsubscribe,
    Provider,
)
from tests.emails.conftest import make_lead
from tests.emails.factories import EmailCampaignFactory, EmailDraftFactory, EmailTemplateFactory
from tests.test_admin import admin_client

pytestmark = pytest.mark.django_db
MODELS = (EmailTemplate, EmailCampaign, EmailDraft, EmailDelivery, EmailUnsubscribe)


@pytest.fixture
def rows(tenants):
    _, conversation_a = make_lead(tenants.a1)
    _, conversation_b = make_lead(tenants.b1)
    draft_a = EmailDraftFactory(conversation=conversation_a, subject="Alpha draft", status=EmailStatus.FAILED)
    draft_b = EmailDraftFactory(conversation=conversation_b, subject="Beta draft")
    campaign = EmailCampaignFactory(property=tenants.a1)
    template = EmailTemplateFactory(property=tenants.a1)
    delivery = EmailDelivery.objects.create(
        company=tenants.company_a,
        draft=draft_a,
        provider=Provider.DJANGO,
        recipient="x@example.com",
        status=DeliveryStatus.FAILED,
        error="Connection refused",
    )
    unsubscribe = EmailUnsubscribe.objects.create(company=tenants.company_a, email="gone@example.com")
    return {"draft_a": draft_a, "draft_b": draft_b, "objects": [draft_a, campaign, template, delivery, unsubscribe]}


def test_every_email_model_is_registered():
    for model in MODELS:
        assert model in admin.site._registry


def test_platform_staff_open_every_changelist_and_change_form(tenants, rows):
    client = admin_client(tenants.platform)
    for model in MODELS:
        url = reverse(f"admin:emails_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
        assert client.get(url + "?q=x").status_code == 200, url
    for obj in rows["objects"]:
        url = reverse(f"admin:emails_{obj._meta.model_name}_change", args=[obj.pk])
        assert client.get(url).status_code == 200, url


def test_company_staff_see_only_their_companys_emails(tenants, rows):
    page = admin_client(tenants.admin_a.user).get(reverse("admin:emails_emaildraft_changelist")).content.decode()
    assert "Alpha draft" in page and "Beta draft" not in page


def test_failed_emails_are_sent_again_from_the_list(tenants, rows, mailoutbox, django_capture_on_commit_callbacks):
    client = admin_client(tenants.admin_a.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:emails_emaildraft_changelist"),
            {"action": "send_again", "_selected_action": [rows["draft_a"].pk, rows["draft_b"].pk]},
        )
    assert response.status_code == 302
    rows["draft_a"].refresh_from_db()
    assert rows["draft_a"].status == EmailStatus.SENT
    assert len(mailoutbox) == 1


def test_the_admin_holds_templates_to_the_placeholder_rules(tenants):
    client = admin_client(tenants.admin_a.user)
    response = client.post(
        reverse("admin:emails_emailtemplate_add"),
        {"company": tenants.company_a.pk, "name": "Bad", "subject": "Hi", "content": "{{ nickname }}", "trigger": ""},
    )
    assert response.status_code == 200 and "Unknown placeholder" in response.content.decode()
    assert not EmailTemplate.objects.exists()


def test_a_sent_email_is_read_only_in_the_admin(tenants, rows):
    draft = rows["draft_a"]
    EmailDraft.objects.filter(pk=draft.pk).update(status=EmailStatus.SENT)
    client = admin_client(tenants.admin_a.user)
    url = reverse("admin:emails_emaildraft_change", args=[draft.pk])
    assert (
        client.post(url, {"subject": "Rewritten", "content": "x", "priority": "low", "tags": "[]"}).status_code == 403
    )
    delete = reverse("admin:emails_emaildraft_delete", args=[draft.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    draft.refresh_from_db()
    assert draft.subject == "Alpha draft"


def test_staff_add_an_unsubscribe_in_lower_case(tenants):
    client = admin_client(tenants.admin_a.user)
    response = client.post(
        reverse("admin:emails_emailunsubscribe_add"), {"company": tenants.company_a.pk, "email": "Lee@Example.com"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(EmailUnsubscribe.objects.values_list("email", "source")) == [("lee@example.com", "staff")]
