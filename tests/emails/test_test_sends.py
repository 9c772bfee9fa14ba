"""Sending to oneself: a draft or a template (POST /api/email/send-test), the company's whole path
(POST /api/test/email-sending), and the "sendgrid" connection test."""

import pytest

from emails.models import DeliveryStatus, EmailDelivery
from tests.conftest import client_for
from tests.emails.factories import EmailDraftFactory, EmailTemplateFactory

pytestmark = pytest.mark.django_db


def test_a_draft_goes_to_the_caller_marked_as_a_test(writer, lead_a1, sendgrid_a, tenants):
    draft = EmailDraftFactory(conversation=lead_a1[1], subject="Your visit")

    response = writer.post("/api/email/send-test", {"draft_id": str(draft.pk)}, format="json")

    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    me = tenants.manager_write.user.email
    assert data["sent"] is True and data["recipient"] == me and data["provider"] == "sendgrid"
    [message] = sendgrid_a.accepted
    assert message["personalizations"][0]["to"][0]["email"] == me
    assert message["subject"] == "[Test] Your visit"
    assert data["provider_message_id"] == message["_message_id"]
    delivery = EmailDelivery.objects.get()
    assert delivery.is_test and delivery.draft is None and delivery.status == DeliveryStatus.SENT
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_a_template_with_sample_values(writer, tenants, mailoutbox):
    template = EmailTemplateFactory(property=tenants.a1, content="Hi {{ first_name }}, see you {{ tour_datetime }}")
    response = writer.post("/api/email/send-test", {"template_id": str(template.pk)}, format="json")
    assert response.json()["data"]["sent"] is True
    [mail] = mailoutbox
    assert mail.body == "Hi [first_name], see you [tour_datetime]"
    assert mail.subject == "[Test] Welcome to A One"


def test_a_template_rendered_for_a_lead(writer, tenants, lead_a1, mailoutbox):
    template = EmailTemplateFactory(company=tenants.company_a, property=None, content="Hi {{ first_name }}")
    body = {"template_id": str(template.pk), "conversation_id": str(lead_a1[1].pk)}
    assert writer.post("/api/email/send-test", body, format="json").status_code == 200
    assert mailoutbox[0].body == "Hi Jamie"
    assert mailoutbox[0].to == [f"{tenants.manager_write.user.get_full_name()} <{tenants.manager_write.user.email}>"]


def test_a_failing_provider_is_reported_not_raised(writer, lead_a1, sendgrid_a):
    sendgrid_a.reject_next(403, "The from address does not match a verified Sender Identity.")
    draft = EmailDraftFactory(conversation=lead_a1[1])
    data = writer.post("/api/email/send-test", {"draft_id": str(draft.pk)}, format="json").json()["data"]
    assert data["sent"] is False and "verified Sender Identity" in data["message"]
    assert EmailDelivery.objects.get().status == DeliveryStatus.FAILED


@pytest.mark.parametrize("body", [{}, {"draft_id": "x", "template_id": "y"}])
def test_send_test_needs_exactly_one_source(writer, body):
    assert writer.post("/api/email/send-test", body, format="json").status_code == 400


def test_the_email_sending_test_uses_the_companys_path(admin_a, sendgrid_a, tenants):
    response = admin_a.post("/api/test/email-sending", {}, format="json")

    data = response.json()["data"]
    assert data["sent"] is True and data["provider"] == "sendgrid"
    assert data["recipient"] == tenants.admin_a.user.email
    assert sendgrid_a.accepted[0]["subject"] == "Email sending test"


def test_the_email_sending_test_reports_sendgrid_down(admin_a, sendgrid_a):
    sendgrid_a.fail_next(1, status=503)
    data = admin_a.post("/api/test/email-sending", {}, format="json").json()["data"]
    assert data["sent"] is False and "503" in data["message"]


def test_platform_staff_name_the_company_to_test(tenants, mailoutbox):
    platform = client_for(tenants.platform)
    assert platform.post("/api/test/email-sending", {}, format="json").status_code == 400
    data = platform.post("/api/test/email-sending", {"company_id": str(tenants.company_b.pk)}, format="json").json()[
        "data"
    ]
    assert data["provider"] == "django" and data["recipient"] == tenants.platform.email
    assert len(mailoutbox) == 1


def _check(client, company):
    response = client.post(f"/api/companies/{company.pk}/test-integration", {"integration": "sendgrid"}, format="json")
    [result] = response.json()["data"]["results"]
    return result


def test_the_sendgrid_connection_test_reads_the_keys_scopes(admin_a, sendgrid_a, tenants):
    result = _check(admin_a, tenants.company_a)
    assert result["configured"] and result["ok"], result
    assert [r.path for r in sendgrid_a.requests] == ["/v3/scopes"]


def test_the_sendgrid_connection_test_without_a_key(admin_a, tenants):
    result = _check(admin_a, tenants.company_a)
    assert result["configured"] is False and result["ok"] is False


def test_the_sendgrid_connection_test_with_a_revoked_key(admin_a, sendgrid_a, tenants):
    tenants.company_a.sendgrid_api_key = "SG.revoked"
    tenants.company_a.save()
    result = _check(admin_a, tenants.company_a)
    assert result["ok"] is False and "authorization grant is invalid" in result["message"]


def test_the_sendgrid_connection_test_with_a_key_that_cannot_send(admin_a, sendgrid_a, tenants):
    sendgrid_a.api_keys["SG.read-only"] = ["scopes.read"]
    tenants.company_a.sendgrid_api_key = "SG.read-only"
    tenants.company_a.save()
    result = _check(admin_a, tenants.company_a)
    assert result["ok"] is False and "mail.send" in result["message"]


def test_the_sendgrid_connection_test_when_sendgrid_is_down(admin_a, sendgrid_a, tenants):
    sendgrid_a.fail_next(1, status=502)
    result = _check(admin_a, tenants.company_a)
    assert result["ok"] is False and result["message"].startswith("Unreachable")
