"""ResManUnitAvailabilityAPI (writes): GetMarketing4_0 into floor plans and units, on demand or on
the property's schedule (hourly or daily, run by Celery beat)."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import ValidationFailed
from properties.models import Property
from resman.mits import FloorPlanRecord
from resman.models import FloorPlan, PropertyResManSettings, SyncFrequency, Unit
from resman.services.common import client_for, property_settings, require_configured, tracked

PERIODS = {SyncFrequency.HOURLY: timedelta(hours=1), SyncFrequency.DAILY: timedelta(days=1)}
PLAN_FIELDS = [
    "name",
    "bedrooms",
    "bathrooms",
    "square_feet_min",
    "square_feet_max",
    "market_rent_min",
    "market_rent_max",
    "effective_rent_min",
    "effective_rent_max",
    "deposit",
    "unit_count",
    "units_available",
]
UNIT_FIELDS = [
    "floor_plan",
    "marketing_name",
    "building",
    "floor",
    "bedrooms",
    "bathrooms",
    "square_feet",
    "market_rent",
    "effective_rent_min",
    "effective_rent_max",
    "economic_status",
    "occupancy_status",
    "leased_status",
    "is_available",
    "available_date",
    "offer_terms",
]


def units_sync(*, property) -> dict:
    """syncUnitData: replaces the property's floor plans and units with ResMan's current feed."""
    require_configured(property)
    state = property_settings(property)
    client = client_for(property.company)
    try:
        with tracked(property.company):
            plans, units = [], []
            for record in client.get_marketing(property_id=property.resman_property_id):
                (plans if isinstance(record, FloorPlanRecord) else units).append(record)
    except Exception as exc:
        PropertyResManSettings.objects.filter(pk=state.pk).update(
            units_sync_error=str(getattr(exc, "message", exc))[:500]
        )
        raise
    with transaction.atomic():
        existing_plans = {plan.resman_id: plan for plan in FloorPlan.objects.filter(property=property)}
        created_plans, updated_plans = [], []
        for record in plans:
            plan = existing_plans.get(record.code) or FloorPlan(property=property, resman_id=record.code)
            for name in PLAN_FIELDS:
                value = getattr(record, name)
                setattr(plan, name, value[:200] if name == "name" else value)
            (updated_plans if plan.resman_id in existing_plans else created_plans).append(plan)
            existing_plans[plan.resman_id] = plan
        FloorPlan.objects.bulk_create(created_plans)
        FloorPlan.objects.bulk_update(updated_plans, PLAN_FIELDS)
        FloorPlan.objects.filter(property=property).exclude(resman_id__in=[r.code for r in plans]).delete()
        existing_units = {unit.resman_id: unit for unit in Unit.objects.filter(property=property)}
        created_units, updated_units = [], []
        for record in units:
            unit = existing_units.get(record.number) or Unit(property=property, resman_id=record.number[:64])
            unit.floor_plan = existing_plans.get(record.floor_plan_code)
            for name in UNIT_FIELDS[1:-3]:
                setattr(unit, name, getattr(record, name))
            unit.is_available = record.is_available
            unit.available_date = record.available_date
            unit.offer_terms = [{"term": months, "rent": str(rent)} for months, rent in record.offer_terms]
            (updated_units if unit.resman_id in existing_units else created_units).append(unit)
        Unit.objects.bulk_create(created_units)
        Unit.objects.bulk_update(updated_units, UNIT_FIELDS)
        Unit.objects.filter(property=property).exclude(resman_id__in=[r.number for r in units]).delete()
        PropertyResManSettings.objects.filter(pk=state.pk).update(units_synced_at=timezone.now(), units_sync_error="")
    return {
        "property_id": str(property.pk),
        "floor_plans": len(plans),
        "units": len(units),
        "available_units": sum(1 for record in units if record.is_available),
        "synced_at": timezone.now().isoformat(),
    }


def units_schedule_sync(*, property, frequency: str) -> PropertyResManSettings:
    """scheduleSync: hourly, daily, or off; the beat job picks it up from here."""
    if frequency not in SyncFrequency.values:
        raise ValidationFailed("Frequency must be hourly, daily or off.", details={"frequency": [frequency]})
    state = property_settings(property)
    state.units_sync_frequency = frequency
    state.save(update_fields=["units_sync_frequency", "updated_at"])
    return state


def properties_due_for_units() -> list:
    now = timezone.now()
    due = Q()
    for frequency, period in PERIODS.items():
        due |= Q(resman_settings__units_sync_frequency=frequency) & (
            Q(resman_settings__units_synced_at__isnull=True) | Q(resman_settings__units_synced_at__lt=now - period)
        )
    return list(
        Property.objects.exclude(resman_property_id="")
        .exclude(company__resman_account_id="")
        .filter(due)
        .values_list("pk", flat=True)
    )
