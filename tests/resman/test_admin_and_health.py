"""The back office, the health check and the company connection test."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from resman.models import CompanyResManSettings, OutboxItem, OutboxStatus
from tests.conftest import client_for
from tests.resman.conftest import A1_RESMAN_ID, chat_lead, connect
from tests.test_admin import admin_client

pytestmark = pytest.mark.django_db


def _failed_item(tenants, key="k-failed"):
    return OutboxItem.objects.create(
        company=tenants.company_a,
        property=tenants.a1,
        kind="lead_push",
        idempotency_key=key,
        prospect=chat_lead(tenants.a1),
        status=OutboxStatus.FAILED,
        last_error="ResMan: Transaction Source could not be found",
    )


def test_every_resman_model_opens_in_the_admin(resman, tenants):
    _failed_item(tenants)
    client = admin_client(tenants.platform)
    models = [model for model in admin.site._registry if model._meta.app_label == "resman"]
    assert set(apps.get_app_config("resman").get_models()) == set(models)
    for model in models:
        url = reverse(f"admin:resman_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
    item = OutboxItem.objects.get()
    assert client.get(reverse("admin:resman_outboxitem_change", args=[item.pk])).status_code == 200


def test_a_final_failure_is_visible_and_replayable_in_the_admin(resman, tenants, commit):
    item = _failed_item(tenants)
    client = admin_client(tenants.admin_a.user)
    page = client.get(reverse("admin:resman_outboxitem_changelist") + "?status=failed").content.decode()
    assert "Failed (needs a human)" in page
    with commit():
        client.post(
            reverse("admin:resman_outboxitem_changelist"), {"action": "replay", "_selected_action": [str(item.pk)]}
        )
    item.refresh_from_db()
    assert item.status == OutboxStatus.SUCCEEDED and item.replay_count == 1
    assert len(resman.prospects_at(A1_RESMAN_ID)) == 1


def test_the_outsider_does_not_see_another_companys_outbox(resman, tenants):
    _failed_item(tenants)
    page = admin_client(tenants.admin_b.user).get(reverse("admin:resman_outboxitem_changelist")).content.decode()
    assert "0 outbox items" in page or "0 Outbox items" in page


def test_health_is_not_configured_without_resman(api_client, db):
    check = api_client.get("/api/health/resman").json()["data"]["checks"]["resman"]
    assert check["status"] == "not_configured"


def test_health_follows_what_the_sync_saw(resman, tenants, commit, api_client):
    from resman.services import leads

    with commit():
        leads.lead_push(property=tenants.a1, prospect=chat_lead(tenants.a1))
    assert api_client.get("/api/health/resman").json()["data"]["checks"]["resman"]["status"] == "healthy"

    _failed_item(tenants)
    degraded = api_client.get("/api/health/resman").json()["data"]["checks"]["resman"]
    assert degraded["status"] == "degraded" and "1 push(es) failed" in degraded["message"]

    CompanyResManSettings.objects.filter(company=tenants.company_a).update(consecutive_failures=3)
    response = api_client.get("/api/health/resman")
    assert response.json()["data"]["checks"]["resman"]["status"] == "unhealthy"
    assert response.status_code == 200  # ResMan down degrades the service, it does not take it down


def test_failed_calls_in_a_row_are_counted_and_a_success_resets_them(resman, tenants):
    from resman.services import units

    resman.failure_rate = 1.0
    for _ in range(2):
        with pytest.raises(Exception, match="HTTP 500"):
            units.units_sync(property=tenants.a1)
    assert CompanyResManSettings.objects.get(company=tenants.company_a).consecutive_failures == 2
    resman.failure_rate = 0.0
    units.units_sync(property=tenants.a1)
    assert CompanyResManSettings.objects.get(company=tenants.company_a).consecutive_failures == 0


def test_the_connection_test_checks_credentials_and_property_ids(resman, tenants):
    client = client_for(tenants.admin_a.user)
    url = f"/api/companies/{tenants.company_a.pk}/test-integration"
    ok = client.post(url, {"integration": "resman"}).json()["data"]["results"][0]
    assert ok["ok"] and ok["configured"] and "3 properties" in ok["message"]

    tenants.a2.resman_property_id = "ffffffff-0000-4000-8000-000000000000"
    tenants.a2.save()
    unknown = client.post(url, {"integration": "resman"}).json()["data"]["results"][0]
    assert not unknown["ok"] and "ffffffff-0000-4000-8000-000000000000" in unknown["message"]

    connect(tenants.company_a, resman, api_key="wrong-key")
    refused = client.post(url, {"integration": "resman"}).json()["data"]["results"][0]
    assert not refused["ok"] and "Invalid IntegrationPartnerID or ApiKey" in refused["message"]


def test_the_connection_test_says_when_resman_is_not_configured(tenants):
    client = client_for(tenants.admin_a.user)
    result = client.post(f"/api/companies/{tenants.company_a.pk}/test-integration", {"integration": "resman"})
    assert result.json()["data"]["results"][0] == {
        "integration": "resman",
        "configured": False,
        "ok": False,
        "message": "ResMan is not configured.",
        "latency_ms": None,
    }
