"""The admin back office: every model registered, and company staff held to the same tenancy."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD


def admin_client(user):
    client = Client()
    assert client.login(email=user.email, password=DEFAULT_PASSWORD)
    return client


def _changelists():
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
        if model._meta.app_label in {"accounts", "companies", "properties"}
    ]


def test_every_foundation_model_is_registered():
    from accounts.models import User
    from companies.models import Company
    from properties.models import Property, PropertyManager, PropertyManagerAssignment

    for model in (User, Company, Property, PropertyManager, PropertyManagerAssignment):
        assert model in admin.site._registry


def test_platform_staff_open_every_changelist_and_change_form(tenants):
    client = admin_client(tenants.platform)
    for url in _changelists():
        assert client.get(url).status_code == 200, url
    for obj in (tenants.company_a, tenants.a1, tenants.manager_write):
        url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
        assert client.get(url).status_code == 200, url


def test_company_admin_sees_only_their_company_in_the_admin(tenants):
    client = admin_client(tenants.admin_a.user)
    page = client.get(reverse("admin:properties_property_changelist")).content.decode()
    assert "A One" in page and "A Two" in page and "B One" not in page
    foreign = reverse("admin:properties_property_change", args=[tenants.b1.pk])
    assert client.get(foreign).status_code == 302  # the admin's "does not exist" redirect
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403


def test_manager_sees_assigned_properties_read_only(tenants):
    client = admin_client(tenants.manager_read.user)
    page = client.get(reverse("admin:properties_property_changelist")).content.decode()
    assert "A One" in page and "A Two" not in page
    response = client.post(reverse("admin:properties_property_change", args=[tenants.a1.pk]), {"name": "Hacked"})
    assert response.status_code == 403
    tenants.a1.refresh_from_db()
    assert tenants.a1.name == "A One"


def test_admin_does_not_show_secrets(tenants):
    tenants.company_a.openai_api_key = "sk-live-very-secret-1234"
    tenants.company_a.save()
    page = admin_client(tenants.admin_a.user).get(
        reverse("admin:companies_company_change", args=[tenants.company_a.pk])
    )
    assert "very-secret" not in page.content.decode()


@pytest.mark.django_db
def test_adding_a_manager_in_the_admin_invites_them(tenants, mailoutbox, django_capture_on_commit_callbacks):
    client = admin_client(tenants.admin_a.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:properties_propertymanager_add"),
            {
                "company": tenants.company_a.pk,
                "first_name": "Ivy",
                "last_name": "Invite",
                "email": "ivy@alpha.test",
                "phone": "",
                "role": "property_manager",
                "access_level": "read",
                "assignments-TOTAL_FORMS": "0",
                "assignments-INITIAL_FORMS": "0",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert [mail.to for mail in mailoutbox] == [["ivy@alpha.test"]]
