"""Templates: company-wide (administrators) or per property (its writers), placeholders checked
when saved, one template per trigger."""

import pytest

from emails.models import EmailTemplate
from tests.conftest import client_for
from tests.emails.factories import EmailTemplateFactory

pytestmark = pytest.mark.django_db

BODY = {"name": "Tour follow-up", "subject": "Thanks for touring {{ property_name }}", "content": "Hi {{ first_name }}"}


def test_an_admin_creates_a_company_wide_template(admin_a, tenants):
    response = admin_a.post("/api/email/templates", BODY, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["company_id"] == str(tenants.company_a.pk) and data["property_id"] is None
    assert data["placeholders"] == ["first_name", "property_name"]
    assert data["trigger"] == ""


def test_a_manager_cannot_create_a_company_wide_template(writer):
    response = writer.post("/api/email/templates", BODY, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "INSUFFICIENT_PERMISSIONS"


def test_a_manager_creates_a_template_for_their_property(writer, tenants):
    response = writer.post("/api/email/templates", {**BODY, "property_id": str(tenants.a1.pk)}, format="json")
    assert response.status_code == 201
    assert response.json()["data"]["property_id"] == str(tenants.a1.pk)


def test_a_manager_cannot_name_a_property_they_do_not_manage(writer, tenants):
    response = writer.post("/api/email/templates", {**BODY, "property_id": str(tenants.a2.pk)}, format="json")
    assert response.status_code == 400
    assert not EmailTemplate.objects.exists()


def test_platform_staff_must_say_which_company(tenants):
    platform = client_for(tenants.platform)
    assert platform.post("/api/email/templates", BODY, format="json").status_code == 400
    response = platform.post("/api/email/templates", {**BODY, "company_id": str(tenants.company_b.pk)}, format="json")
    assert response.status_code == 201
    assert response.json()["data"]["company_id"] == str(tenants.company_b.pk)


def test_company_staff_cannot_put_a_template_in_another_company(admin_a, tenants):
    response = admin_a.post("/api/email/templates", {**BODY, "company_id": str(tenants.company_b.pk)}, format="json")
    assert response.status_code == 400
    assert not EmailTemplate.objects.filter(company=tenants.company_b).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("content", "Hi {{ nickname }}"),
        ("content", "{% load static %}"),
        ("subject", "{{ first_name|title }}"),
        ("subject", "Two\nlines"),
        ("trigger", "lead_lost"),
    ],
)
def test_templates_are_checked_when_saved(admin_a, field, value):
    response = admin_a.post("/api/email/templates", {**BODY, field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]


def test_a_manager_lists_company_wide_templates_and_their_propertys(writer, tenants):
    EmailTemplateFactory(company=tenants.company_a, property=None, name="Everyone")
    EmailTemplateFactory(property=tenants.a1, name="A One's")
    EmailTemplateFactory(property=tenants.a2, name="A Two's")
    EmailTemplateFactory(property=tenants.b1, name="B's")

    names = [t["name"] for t in writer.get("/api/email/templates").json()["data"]]
    assert names == ["A One's", "Everyone"]
    company_only = writer.get("/api/email/templates?scope=company").json()["data"]
    assert [t["name"] for t in company_only] == ["Everyone"]


def test_a_manager_may_not_change_a_company_wide_template(writer, tenants):
    template = EmailTemplateFactory(company=tenants.company_a, property=None)
    response = writer.put(f"/api/email/templates/{template.pk}", BODY, format="json")
    assert response.status_code == 403


def test_put_updates_and_rechecks(writer, tenants):
    template = EmailTemplateFactory(property=tenants.a1)
    ok = writer.put(f"/api/email/templates/{template.pk}", {**BODY, "name": "Renamed"}, format="json")
    assert ok.status_code == 200 and ok.json()["data"]["name"] == "Renamed"
    bad = writer.put(f"/api/email/templates/{template.pk}", {**BODY, "content": "{{ x }}"}, format="json")
    assert bad.status_code == 400
    template.refresh_from_db()
    assert template.name == "Renamed"


def test_one_template_per_trigger_per_property(writer, tenants):
    EmailTemplateFactory(property=tenants.a1, trigger="tour_booked")
    body = {**BODY, "property_id": str(tenants.a1.pk), "trigger": "tour_booked"}
    response = writer.post("/api/email/templates", body, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "DUPLICATE_RECORD"


def test_placeholders_are_listed_with_descriptions(writer):
    rows = writer.get("/api/email/templates/placeholders").json()["data"]
    names = {row["name"] for row in rows}
    assert {"first_name", "property_name", "tour_datetime", "unsubscribe_url"} <= names
    assert all(row["description"] for row in rows)
