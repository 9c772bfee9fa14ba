"""The ResMan health check (GET /api/health/resman) and the per-company connection test."""

from datetime import timedelta

from django.utils import timezone

from core import health
from core.integrations import IntegrationCheck
from resman.client import ResManApiError, ResManConnectionError
from resman.models import CompanyResManSettings, OutboxItem, OutboxStatus
from resman.services.common import client_for, company_configured, tracked

# This many failed calls in a row to one company's ResMan means it is unreachable for them.
UNREACHABLE_AFTER = 3


def resman_health() -> dict:
    """From what the sync recorded (no calls out: load balancers hit this): unhealthy when some
    company's ResMan failed the last calls in a row, degraded while pushes wait for a human."""
    configured = CompanyResManSettings.objects.exclude(company__resman_account_id="").exclude(
        company__resman_integration_partner_id=""
    )
    if not configured.exists():
        return {"status": health.NOT_CONFIGURED, "message": "No company has ResMan configured."}
    failing = configured.filter(consecutive_failures__gte=UNREACHABLE_AFTER).count()
    if failing:
        return {"status": health.UNHEALTHY, "message": f"ResMan is unreachable for {failing} company(ies)."}
    failed = OutboxItem.objects.filter(status=OutboxStatus.FAILED).count()
    stuck = OutboxItem.objects.filter(
        status=OutboxStatus.PENDING, created_at__lt=timezone.now() - timedelta(hours=1)
    ).count()
    if failed or stuck:
        return {
            "status": health.DEGRADED,
            "message": f"{failed} push(es) failed for good (replay them), {stuck} waiting over an hour.",
        }
    return {"status": health.HEALTHY, "message": "ResMan answered the last calls; no push is failing."}


def resman_connection_check(company) -> IntegrationCheck:
    """Calls Account/GetProperties with the company's credentials and checks its properties' ids."""
    if not company_configured(company):
        return IntegrationCheck("resman", configured=False, ok=False, message="ResMan is not configured.")
    try:
        with tracked(company):
            remote = {item["id"] for item in client_for(company).get_properties()}
    except (ResManConnectionError, ResManApiError) as exc:
        return IntegrationCheck("resman", configured=True, ok=False, message=exc.message)
    ours = set(company.properties.exclude(resman_property_id="").values_list("resman_property_id", flat=True))
    unknown = sorted(ours - remote)
    if unknown:
        return IntegrationCheck(
            "resman",
            configured=True,
            ok=False,
            message=f"Connected, but ResMan does not know these property ids: {', '.join(unknown)}.",
        )
    return IntegrationCheck(
        "resman", configured=True, ok=True, message=f"Connected: {len(remote)} properties in the ResMan account."
    )
