"""What every ResMan service needs: a client for the company, connection health, pick lists and
the mapping of our lead sources and managers to ResMan's ids."""

from contextlib import contextmanager
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.errors import ValidationFailed
from resman.client import ResManApiError, ResManClient, ResManConnectionError
from resman.models import (
    AgentMapping,
    CompanyResManSettings,
    PropertyResManSettings,
    ReferenceKind,
    ResManReference,
    SourceMapping,
)


class ResManNotConfigured(ValidationFailed):
    message = "ResMan is not configured for this company or property."


class ResManNotMapped(ValidationFailed):
    message = "No ResMan prospect source or leasing agent is mapped for this lead."


def company_configured(company) -> bool:
    return bool(company.resman_account_id and company.resman_integration_partner_id and company.resman_api_key)


def property_configured(property) -> bool:
    return bool(property.resman_property_id) and company_configured(property.company)


def require_configured(property) -> None:
    if not property_configured(property):
        raise ResManNotConfigured(
            "ResMan is not configured: the company needs its ResMan account, partner id and API key, "
            "and the property its ResMan property id.",
            details={"property_id": str(property.pk)},
        )


def client_for(company) -> ResManClient:
    if not company_configured(company):
        raise ResManNotConfigured()
    return ResManClient(
        base_url=company.resman_base_url,
        integration_partner_id=company.resman_integration_partner_id,
        api_key=company.resman_api_key,
        account_id=company.resman_account_id,
    )


def company_settings(company) -> CompanyResManSettings:
    settings_, _ = CompanyResManSettings.objects.get_or_create(company=company)
    return settings_


def property_settings(property) -> PropertyResManSettings:
    settings_, _ = PropertyResManSettings.objects.get_or_create(property=property)
    return settings_


@contextmanager
def tracked(company):
    """Records whether ResMan answered, for the health check (a refusal still means it answered)."""
    now = timezone.now()
    rows = CompanyResManSettings.objects.filter(company=company)
    try:
        yield
    except ResManConnectionError as exc:
        with transaction.atomic():
            company_settings(company)
            rows.update(
                last_failure_at=now, last_error=exc.message[:500], consecutive_failures=F("consecutive_failures") + 1
            )
        raise
    except ResManApiError as exc:
        rows.update(last_success_at=now, last_error=exc.message[:500], consecutive_failures=0)
        raise
    else:
        # One cheap write, skipped while nothing changed in the last minute.
        updated = rows.filter(
            Q(consecutive_failures__gt=0)
            | Q(last_success_at__isnull=True)
            | Q(last_success_at__lt=now - timedelta(minutes=1))
        ).update(last_success_at=now, consecutive_failures=0)
        if not updated and not rows.exists():
            CompanyResManSettings.objects.get_or_create(company=company, defaults={"last_success_at": now})


# --- pick lists and mappings --------------------------------------------------------------------
def references_sync(*, property) -> dict:
    """Pulls ResMan's prospect sources, employees and lost reasons of the property."""
    require_configured(property)
    client = client_for(property.company)
    with tracked(property.company):
        pulled = {
            ReferenceKind.SOURCE: client.get_prospect_sources(property_id=property.resman_property_id),
            ReferenceKind.EMPLOYEE: client.get_employees(property_id=property.resman_property_id),
            ReferenceKind.LOST_REASON: client.get_lost_reasons(),
        }
    with transaction.atomic():
        for kind, items in pulled.items():
            ids = [item["id"] for item in items]
            ResManReference.objects.filter(property=property, kind=kind).exclude(resman_id__in=ids).delete()
            for item in items:
                ResManReference.objects.update_or_create(
                    property=property,
                    kind=kind,
                    resman_id=item["id"],
                    defaults={"name": item["name"][:200], "email": item.get("email", "")[:254]},
                )
        state = property_settings(property)
        state.references_synced_at = timezone.now()
        state.save(update_fields=["references_synced_at", "updated_at"])
    return {str(kind): len(items) for kind, items in pulled.items()}


def source_id_for(*, property, lead_source: str) -> str:
    mapped = (
        SourceMapping.objects.filter(property=property, lead_source=lead_source or "chat")
        .values_list("resman_source_id", flat=True)
        .first()
    )
    return mapped or property_settings(property).default_source_id


def agent_id_for(*, property, manager=None) -> str:
    if manager is not None:
        mapped = (
            AgentMapping.objects.filter(property=property, property_manager=manager)
            .values_list("resman_employee_id", flat=True)
            .first()
        )
        if mapped:
            return mapped
    return property_settings(property).default_agent_id


def manager_for_agent(*, property, agent_id: str):
    if not agent_id:
        return None
    mapping = AgentMapping.objects.filter(property=property, resman_employee_id=agent_id).first()
    return mapping.property_manager if mapping else None


def lost_reason_id_for(*, property, reason_id: str = "") -> str:
    return reason_id or property_settings(property).default_lost_reason_id


@transaction.atomic
def property_settings_update(
    *, property, managers: dict | None = None, source_mappings: dict | None = None, agent_mappings=None, **fields
) -> PropertyResManSettings:
    """Defaults and schedule; `source_mappings` ({lead source: ResMan id}) and `managers`
    ({PropertyManager: ResMan employee id}) replace the property's mappings when given."""
    state = property_settings(property)
    for name, value in fields.items():
        setattr(state, name, value)
    state.save()
    if source_mappings is not None:
        SourceMapping.objects.filter(property=property).delete()
        SourceMapping.objects.bulk_create(
            [
                SourceMapping(property=property, lead_source=k[:64], resman_source_id=v)
                for k, v in source_mappings.items()
            ]
        )
    if agent_mappings is not None:
        AgentMapping.objects.filter(property=property).delete()
        AgentMapping.objects.bulk_create(
            [
                AgentMapping(property=property, property_manager=m, resman_employee_id=v)
                for m, v in (managers or {}).items()
            ]
        )
    return state
