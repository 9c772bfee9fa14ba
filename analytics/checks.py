"""The analytics health check (from what forwarding recorded; no call out) and the per-company
Amplitude connection test."""

from datetime import timedelta

from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from analytics.clients import AmplitudeClient, AmplitudeRejected, AmplitudeTooLarge, AmplitudeUnavailable
from analytics.models import AmplitudeState, AnalyticsEvent, ForwardStatus
from core import health
from core.integrations import IntegrationCheck

# This many failed sends in a row to one company's Amplitude means it is unreachable for them.
UNREACHABLE_AFTER = 3
# A backlog older than this means forwarding is not keeping up (or no worker runs).
STUCK_AFTER = timedelta(hours=1)


def analytics_health() -> dict:
    """Unhealthy when some company's Amplitude failed the last sends in a row; degraded while events
    failed for good (waiting for a replay) or the backlog is older than an hour."""
    outbox = AnalyticsEvent.objects.filter(
        forward_status__in=[ForwardStatus.PENDING, ForwardStatus.SENDING, ForwardStatus.FAILED]
    ).aggregate(
        backlog=Count("id", filter=~Q(forward_status=ForwardStatus.FAILED)),
        failed=Count("id", filter=Q(forward_status=ForwardStatus.FAILED)),
        oldest=Min("created_at", filter=~Q(forward_status=ForwardStatus.FAILED)),
    )
    states = AmplitudeState.objects.aggregate(
        failing=Count("id", filter=Q(consecutive_failures__gte=UNREACHABLE_AFTER)), last_failure=Max("last_failure_at")
    )
    last = ""
    if states["last_failure"] is not None:
        error = (
            AmplitudeState.objects.filter(last_failure_at=states["last_failure"])
            .values_list("last_error", flat=True)
            .first()
        )
        last = f" Last failure {states['last_failure']:%Y-%m-%d %H:%M:%S} UTC: {error}"
    backlog = f"{outbox['backlog']} event(s) waiting, {outbox['failed']} failed for good."
    if states["failing"]:
        return {
            "status": health.UNHEALTHY,
            "message": f"Amplitude is unreachable for {states['failing']} company(ies). {backlog}{last}",
        }
    stuck = outbox["oldest"] is not None and outbox["oldest"] < timezone.now() - STUCK_AFTER
    if outbox["failed"] or stuck:
        waiting = " The oldest has waited over an hour." if stuck else ""
        return {"status": health.DEGRADED, "message": f"{backlog}{waiting}{last}"}
    return {"status": health.HEALTHY, "message": f"Forwarding keeps up: {backlog}{last}"}


def amplitude_connection_check(company) -> IntegrationCheck:
    if not company.amplitude_api_key:
        return IntegrationCheck("amplitude", configured=False, ok=False, message="No Amplitude API key is set.")
    try:
        AmplitudeClient(company.amplitude_api_key).check_key()
    except AmplitudeRejected as exc:
        return IntegrationCheck("amplitude", configured=True, ok=False, message=f"Rejected: {exc.message}")
    except (AmplitudeUnavailable, AmplitudeTooLarge) as exc:
        return IntegrationCheck("amplitude", configured=True, ok=False, message=f"Unreachable: {exc}")
    return IntegrationCheck("amplitude", configured=True, ok=True, message="Key accepted.")
