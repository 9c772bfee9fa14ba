"""Reads of the ResMan integration, for the API and for the chat.

`units_available` is what the bot calls to answer "what 2-bedrooms are available in March and for
how much": the units ResMan's marketing feed marks available, with their floor plan, the date they
can be moved into, their rent and the rent per lease term.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet

from resman.models import FloorPlan, LeadLink, OutboxItem, SyncConflict, Unit


@dataclass(frozen=True)
class AvailableUnit:
    unit_id: str
    unit: str
    floor_plan: str
    floor_plan_id: str | None
    bedrooms: Decimal | None
    bathrooms: Decimal | None
    square_feet: int | None
    available_date: date | None  # None: available now (no date given)
    rent: Decimal | None  # market rent
    rent_min: Decimal | None  # the lowest effective rent over its lease terms
    term_pricing: list = field(default_factory=list)  # [{"term": 12, "rent": "1850.00"}]
    building: str = ""
    floor: str = ""


def available_units_queryset(*, property, bedrooms=None, move_in_by: date | None = None) -> QuerySet:
    units = Unit.objects.filter(property=property, is_available=True).select_related("floor_plan")
    if bedrooms is not None:
        units = units.filter(bedrooms=bedrooms)
    if move_in_by is not None:
        units = units.filter(Q(available_date__isnull=True) | Q(available_date__lte=move_in_by))
    return units.order_by("available_date", "market_rent", "resman_id", "id")


def available_unit(unit: Unit) -> AvailableUnit:
    return AvailableUnit(
        unit_id=str(unit.pk),
        unit=unit.marketing_name or unit.resman_id,
        floor_plan=unit.floor_plan.name if unit.floor_plan else "",
        floor_plan_id=str(unit.floor_plan_id) if unit.floor_plan_id else None,
        bedrooms=unit.bedrooms,
        bathrooms=unit.bathrooms,
        square_feet=unit.square_feet,
        available_date=unit.available_date,
        rent=unit.market_rent,
        rent_min=min((Decimal(term["rent"]) for term in unit.offer_terms), default=unit.effective_rent_min),
        term_pricing=list(unit.offer_terms),
        building=unit.building,
        floor=unit.floor,
    )


def units_available(*, property, bedrooms=None, move_in_by: date | None = None) -> list[AvailableUnit]:
    """getUnitAvailability: available units (optionally with this many bedrooms, and ready by a date)."""
    units = available_units_queryset(property=property, bedrooms=bedrooms, move_in_by=move_in_by)
    return [available_unit(unit) for unit in units]


def unit_pricing(*, property) -> QuerySet:
    """getUnitPricing: floor plans with their rent ranges, and their available units' term pricing."""
    available = Unit.objects.filter(is_available=True).order_by("available_date", "resman_id", "id")
    return (
        FloorPlan.objects.filter(property=property)
        .prefetch_related(Prefetch("units", queryset=available, to_attr="available_units"))
        .order_by("bedrooms", "name", "id")
    )


def lead_list_filter(queryset: QuerySet, *, params: dict) -> QuerySet:
    if params.get("property_id"):
        queryset = queryset.filter(property_id=params["property_id"])
    if params.get("status"):
        queryset = queryset.filter(status=params["status"])
    if params.get("linked") is not None:
        queryset = queryset.filter(resman_prospect_id__isnull=not params["linked"])
    return queryset.filter(merged_into__isnull=True)


def conflict_list_filter(queryset: QuerySet, *, params: dict) -> QuerySet:
    if params.get("property_id"):
        queryset = queryset.filter(property_id=params["property_id"])
    if params.get("status"):
        queryset = queryset.filter(status=params["status"])
    if params.get("lead_id"):
        queryset = queryset.filter(lead_id=params["lead_id"])
    return queryset


def outbox_list_filter(queryset: QuerySet, *, params: dict) -> QuerySet:
    for name in ("property_id", "status", "kind"):
        if params.get(name):
            queryset = queryset.filter(**{name: params[name]})
    return queryset


LEADS = LeadLink.objects.select_related("prospect", "property").order_by("-created_at", "id")
CONFLICTS = SyncConflict.objects.select_related("lead__prospect").order_by("-created_at", "id")
OUTBOX = OutboxItem.objects.order_by("-created_at", "id")
