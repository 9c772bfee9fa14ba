"""Calendar connections (iCal feeds, Calendly), their sync into the busy-time cache, Calendly
webhooks, and the cache writes that any app may use (`busy_times_replace`, `busy_time_upsert`,
`busy_time_remove`).

A calendar that fails marks its integration `error` with the reason and leaves the cached busy times
as they were: availability goes on from the last good read.
"""

import json
import logging
import secrets
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.clients.http import ExternalServiceError, ExternalServiceRejected
from core.errors import DomainError, DuplicateRecord, ErrorCode, RecordNotFound, ValidationFailed
from core.integrations import IntegrationCheck
from tours import tasks
from tours.clients.calendly import CalendlyClient, parse_calendly_time, verify_webhook_signature
from tours.clients.ical import ICalFeedInvalid, ical_busy_events, ical_download
from tours.models import BusyInterval, CalendarIntegration, CalendarProvider, SyncStatus
from tours.selectors import tour_managers, tour_settings_get

logger = logging.getLogger(__name__)
CLAIM_FOR = timedelta(minutes=5)
# What a sync writes back on its integration, success or not.
SYNC_FIELDS = [
    "sync_status",
    "last_error",
    "last_attempt_at",
    "sync_claimed_until",
    "calendly_uri",
    "calendly_webhook_uri",
    "updated_at",
]


class WebhookRejected(DomainError):
    status = 401
    code = ErrorCode.WEBHOOK_ERROR
    message = "The webhook delivery could not be verified."


class WebhookMalformed(WebhookRejected):
    status = 400
    message = "The webhook delivery is not a Calendly invitee event."


@dataclass
class SyncResult:
    ok: bool
    message: str
    transient: bool = False
    event_count: int = 0
    skipped: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


# --- the busy-time cache ----------------------------------------------------------------------------
def _owned(*, source: str, integration=None, property_manager=None, property=None):
    if integration is not None:
        return BusyInterval.objects.filter(integration=integration)
    if property_manager is None and property is None:
        raise ValueError("Busy times belong to a manager, a property or an integration.")
    return BusyInterval.objects.filter(source=source, property_manager=property_manager, property=property)


def busy_times_replace(
    *,
    source: str,
    company,
    window_start: datetime,
    window_end: datetime,
    intervals,
    property_manager=None,
    property=None,
    integration=None,
) -> int:
    """Makes the cache of one owner (an integration, or a source for a manager or a property) hold
    exactly `intervals` [(start, end, external_id), ...] within the window. Returns how many."""
    owned = _owned(source=source, integration=integration, property_manager=property_manager, property=property)
    rows = [
        BusyInterval(
            company=company,
            property_manager=property_manager,
            property=property,
            integration=integration,
            source=source,
            external_id=(external_id or "")[:500],
            starts_at=begin,
            ends_at=finish,
        )
        for begin, finish, external_id in intervals
        if finish > begin
    ]
    with transaction.atomic():
        owned.filter(starts_at__lt=window_end, ends_at__gt=window_start).delete()
        # What ended long ago will never matter to availability again.
        owned.filter(ends_at__lt=window_start - timedelta(days=1)).delete()
        BusyInterval.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def busy_time_upsert(
    *,
    source: str,
    company,
    external_id: str,
    starts_at: datetime,
    ends_at: datetime,
    property_manager=None,
    property=None,
    integration=None,
) -> BusyInterval:
    owned = _owned(source=source, integration=integration, property_manager=property_manager, property=property)
    with transaction.atomic():
        owned.filter(external_id=external_id).delete()
        return BusyInterval.objects.create(
            company=company,
            property_manager=property_manager,
            property=property,
            integration=integration,
            source=source,
            external_id=external_id,
            starts_at=starts_at,
            ends_at=ends_at,
        )


def busy_time_remove(*, source: str, external_id: str, property_manager=None, property=None, integration=None) -> int:
    owned = _owned(source=source, integration=integration, property_manager=property_manager, property=property)
    return owned.filter(external_id=external_id).delete()[0]


# --- integrations -----------------------------------------------------------------------------------
def _validate(integration: CalendarIntegration) -> None:
    if (
        integration.property_manager.company_id != integration.property.company_id
        or integration.property_manager_id not in {m.pk for m in tour_managers(property=integration.property)}
    ):
        raise ValidationFailed(
            "This manager is not assigned to the property.",
            details={"property_manager_id": [str(integration.property_manager_id)]},
        )
    if integration.provider == CalendarProvider.ICAL and not integration.ical_url:
        raise ValidationFailed("An iCal integration needs its feed address.", details={"ical_url": ["Required."]})
    if integration.provider == CalendarProvider.CALENDLY and not integration.calendly_token:
        raise ValidationFailed(
            "A Calendly integration needs an access token.", details={"calendly_token": ["Required."]}
        )


def _save(integration: CalendarIntegration) -> None:
    try:
        with transaction.atomic():
            integration.save()
    except IntegrityError:
        raise DuplicateRecord("This manager already has a calendar of this kind at this property.") from None


def _enqueue_sync(integration: CalendarIntegration) -> None:
    if integration.sync_status != SyncStatus.INACTIVE:
        transaction.on_commit(lambda: tasks.sync_calendar.delay(str(integration.pk)))


@transaction.atomic
def calendar_integration_create(
    *,
    property,
    property_manager,
    provider: str,
    calendly_uri: str = "",
    calendly_token: str = "",
    ical_url: str = "",
    sync_status: str = SyncStatus.ACTIVE,
) -> CalendarIntegration:
    integration = CalendarIntegration(
        property=property,
        property_manager=property_manager,
        provider=provider,
        calendly_uri=calendly_uri or "",
        calendly_token=calendly_token or "",
        ical_url=ical_url or "",
        sync_status=sync_status,
    )
    if provider == CalendarProvider.CALENDLY:
        integration.webhook_signing_key = secrets.token_hex(32)
    _validate(integration)
    _save(integration)
    _enqueue_sync(integration)
    return integration


CREDENTIAL_FIELDS = ("calendly_uri", "calendly_token", "ical_url")


@transaction.atomic
def calendar_integration_update(*, integration: CalendarIntegration, **fields) -> CalendarIntegration:
    changed = {name for name, value in fields.items() if getattr(integration, name) != value}
    if changed & {"calendly_uri", "calendly_token"} and integration.calendly_webhook_uri:
        # The subscription belongs to the old credentials; a new one is made by the next sync.
        _unsubscribe(integration)
        integration.calendly_webhook_uri = ""
        integration.webhook_signing_key = secrets.token_hex(32)
    for name, value in fields.items():
        setattr(integration, name, value)
    _validate(integration)
    if changed & set(CREDENTIAL_FIELDS):
        integration.last_error = ""
    if "sync_status" in changed and integration.sync_status == SyncStatus.INACTIVE:
        # A calendar switched off no longer blocks tours.
        integration.busy_intervals.all().delete()
    _save(integration)
    if changed & {*CREDENTIAL_FIELDS, "sync_status"}:
        _enqueue_sync(integration)
    return integration


def calendar_integration_delete(*, integration: CalendarIntegration) -> None:
    """Removes the connection and its busy times; Calendly stops calling our webhook (best effort)."""
    if integration.calendly_webhook_uri:
        _unsubscribe(integration)
    integration.delete()


def _calendly(integration: CalendarIntegration) -> CalendlyClient:
    return CalendlyClient(token=integration.calendly_token, base_url=settings.CALENDLY_API_URL)


def _unsubscribe(integration: CalendarIntegration) -> None:
    try:
        _calendly(integration).delete_webhook_subscription(uri=integration.calendly_webhook_uri)
    except (ExternalServiceError, ExternalServiceRejected) as exc:
        # The subscription then points at a URL that answers 404 and Calendly disables it itself.
        logger.warning("Could not remove Calendly webhook %s: %s", integration.calendly_webhook_uri, exc)


# --- sync -------------------------------------------------------------------------------------------
def _calendly_user(client: CalendlyClient, integration: CalendarIntegration) -> dict:
    """Checks the token's user against the configured user URI and the company's organisation."""
    me = client.current_user()
    if integration.calendly_uri and me["uri"] != integration.calendly_uri:
        raise ExternalServiceRejected(
            f"The Calendly token belongs to {me['uri']}, not {integration.calendly_uri}.", 403
        )
    organization = integration.property.company.calendly_org_uri
    if organization and me.get("current_organization") != organization:
        raise ExternalServiceRejected("The Calendly user is not in the company's Calendly organisation.", 403)
    return me


def _calendly_subscribe(client: CalendlyClient, integration: CalendarIntegration, me: dict) -> None:
    organization = integration.property.company.calendly_org_uri or me.get("current_organization", "")
    options = {
        "callback_url": integration.webhook_url,
        "organization": organization,
        "user": me["uri"],
        "signing_key": integration.webhook_signing_key,
    }
    try:
        resource = client.create_webhook_subscription(**options)
    except ExternalServiceRejected as exc:
        if exc.status != 409:
            raise
        # A subscription for our URL already exists (made before a restore, say) with a signing key
        # we may not have: replace it with one whose key we know.
        for existing in client.list_webhook_subscriptions(organization=organization, user=me["uri"]):
            if existing.get("callback_url") == integration.webhook_url:
                client.delete_webhook_subscription(uri=existing["uri"])
        resource = client.create_webhook_subscription(**options)
    integration.calendly_webhook_uri = resource["uri"]


def _fetch(integration: CalendarIntegration, start: datetime, end: datetime) -> list[tuple]:
    if integration.provider == CalendarProvider.ICAL:
        data = ical_download(
            integration.ical_url,
            timeout=settings.OUTBOUND_HTTP_TIMEOUT,
            max_bytes=settings.ICAL_MAX_BYTES,
            allow_private=settings.ICAL_ALLOW_PRIVATE_HOSTS,
        )
        events = ical_busy_events(data, tz=ZoneInfo(integration.property.time_zone), start=start, end=end)
        return [(event.start, event.end, event.external_id) for event in events]
    client = _calendly(integration)
    me = _calendly_user(client, integration)
    if not integration.calendly_uri:
        integration.calendly_uri = me["uri"]
    if not integration.calendly_webhook_uri:
        _calendly_subscribe(client, integration, me)
    intervals = []
    for item in client.user_busy_times(user_uri=me["uri"], start=start, end=end):
        try:
            begin, finish = parse_calendly_time(item["start_time"]), parse_calendly_time(item["end_time"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ExternalServiceError("Calendly returned a busy time without valid start and end.") from exc
        event_uri = (item.get("event") or {}).get("uri") if isinstance(item.get("event"), dict) else None
        intervals.append((begin, finish, event_uri or f"{item.get('type', 'busy')}|{begin.isoformat()}"))
    return intervals


def calendar_sync(*, integration_id) -> SyncResult:
    """Reads the calendar into the busy-time cache. Claims the integration first, so two workers
    never sync one calendar at once; an inactive calendar is not read."""
    now = timezone.now()
    claimed = (
        CalendarIntegration.objects.filter(pk=integration_id)
        .exclude(sync_status=SyncStatus.INACTIVE)
        .filter(Q(sync_claimed_until__isnull=True) | Q(sync_claimed_until__lt=now))
        .update(sync_claimed_until=now + CLAIM_FOR)
    )
    if not claimed:
        return SyncResult(ok=False, message="Not synced: inactive, missing or already syncing.", skipped=True)
    integration = CalendarIntegration.objects.select_related("property__company").get(pk=integration_id)
    # Calendly refuses ranges that start in the past. Read at least as far as tours can be booked.
    start = now + timedelta(minutes=1)
    horizon = tour_settings_get(property=integration.property).horizon_days
    end = now + timedelta(days=max(settings.CALENDAR_SYNC_DAYS, horizon))
    try:
        intervals = _fetch(integration, start, end)
    except (ExternalServiceError, ExternalServiceRejected, ICalFeedInvalid) as exc:
        transient = isinstance(exc, ExternalServiceError)
        integration.sync_status, integration.last_error = SyncStatus.ERROR, str(exc)[:1000]
        integration.last_attempt_at, integration.sync_claimed_until = now, None
        integration.save(update_fields=SYNC_FIELDS)
        return SyncResult(ok=False, message=str(exc), transient=transient)
    with transaction.atomic():
        count = busy_times_replace(
            source=integration.provider,
            company=integration.property.company,
            window_start=start,
            window_end=end,
            intervals=intervals,
            property_manager=integration.property_manager,
            integration=integration,
        )
        integration.sync_status, integration.last_error = SyncStatus.ACTIVE, ""
        integration.last_sync = integration.last_attempt_at = timezone.now()
        integration.last_event_count, integration.sync_claimed_until = count, None
        # Only what the sync owns: credentials may have been edited while it read the calendar.
        integration.save(update_fields=[*SYNC_FIELDS, "last_sync", "last_event_count"])
    return SyncResult(ok=True, message=f"Read {count} busy times.", event_count=count)


def calendar_integrations_due() -> list:
    """Active or failing calendars not read for CALENDAR_SYNC_INTERVAL_MINUTES."""
    stale = timezone.now() - timedelta(minutes=settings.CALENDAR_SYNC_INTERVAL_MINUTES)
    return list(
        CalendarIntegration.objects.exclude(sync_status=SyncStatus.INACTIVE)
        .filter(Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lt=stale))
        .values_list("pk", flat=True)
    )


def calendar_test(*, integration: CalendarIntegration) -> dict:
    """Checks the credentials against the real service; changes nothing."""
    started = time.perf_counter()
    try:
        if integration.provider == CalendarProvider.ICAL:
            now = timezone.now()
            data = ical_download(
                integration.ical_url,
                timeout=settings.OUTBOUND_HTTP_TIMEOUT,
                max_bytes=settings.ICAL_MAX_BYTES,
                allow_private=settings.ICAL_ALLOW_PRIVATE_HOSTS,
            )
            events = ical_busy_events(
                data, tz=ZoneInfo(integration.property.time_zone), start=now, end=now + timedelta(days=7)
            )
            ok, message = True, f"The feed was read: {len(events)} busy times in the next 7 days."
        else:
            me = _calendly_user(_calendly(integration), integration)
            ok, message = True, f"Connected to Calendly as {me.get('name', '')} <{me.get('email', '')}>."
    except (ExternalServiceError, ExternalServiceRejected, ICalFeedInvalid) as exc:
        ok, message = False, str(exc)
    return {
        "integration_id": integration.pk,
        "provider": integration.provider,
        "ok": ok,
        "message": message,
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
    }


def calendly_connection_check(company) -> IntegrationCheck:
    """The "calendly" connection test of POST /api/companies/:id/test-integration."""
    integrations = list(
        CalendarIntegration.objects.filter(property__company=company, provider=CalendarProvider.CALENDLY)
        .exclude(sync_status=SyncStatus.INACTIVE)
        .select_related("property__company")[:10]
    )
    if not integrations:
        return IntegrationCheck("calendly", configured=False, ok=False, message="No Calendly calendar is connected.")
    results = [calendar_test(integration=integration) for integration in integrations]
    failing = [result["message"] for result in results if not result["ok"]]
    message = f"{len(results) - len(failing)} of {len(results)} Calendly connections answered."
    if failing:
        message += " " + failing[0]
    return IntegrationCheck("calendly", configured=True, ok=not failing, message=message)


# --- Calendly webhooks ------------------------------------------------------------------------------
def calendly_webhook_receive(*, integration_id, body: bytes, signature: str) -> dict:
    """invitee.created adds the event's time to the manager's busy times; invitee.canceled removes it."""
    integration = (
        CalendarIntegration.objects.filter(pk=integration_id, provider=CalendarProvider.CALENDLY)
        .select_related("property__company", "property_manager")
        .first()
    )
    if integration is None:
        raise RecordNotFound("No Calendly integration answers at this address.")
    if not verify_webhook_signature(
        signing_key=integration.webhook_signing_key,
        header=signature,
        body=body,
        tolerance_seconds=settings.CALENDLY_WEBHOOK_TOLERANCE_SECONDS,
    ):
        raise WebhookRejected("The Calendly-Webhook-Signature is missing, wrong or too old.")
    try:
        delivery = json.loads(body)
        event = delivery["event"]
        scheduled = delivery["payload"]["scheduled_event"]
        event_uri = scheduled["uri"]
    except (ValueError, KeyError, TypeError) as exc:
        raise WebhookMalformed() from exc
    if integration.sync_status == SyncStatus.INACTIVE:
        return {"event": event, "handled": False}
    if event == "invitee.created":
        try:
            begin = parse_calendly_time(scheduled["start_time"])
            finish = parse_calendly_time(scheduled["end_time"])
        except (KeyError, TypeError, ValueError) as exc:
            raise WebhookMalformed("The scheduled event has no valid start and end.") from exc
        busy_time_upsert(
            source=CalendarProvider.CALENDLY,
            company=integration.property.company,
            external_id=event_uri,
            starts_at=begin,
            ends_at=finish,
            property_manager=integration.property_manager,
            integration=integration,
        )
        return {"event": event, "handled": True}
    if event == "invitee.canceled":
        busy_time_remove(source=CalendarProvider.CALENDLY, external_id=event_uri, integration=integration)
        return {"event": event, "handled": True}
    return {"event": event, "handled": False}
