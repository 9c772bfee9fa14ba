"""MITS Lead Management 4.0 and Marketing 4.0, as ResMan speaks them: documents we send, and the
records we read back out of ResMan's replies.

Plain data in and out (dataclasses), no Django: `resman/client.py` moves the bytes, the services
translate to and from our models. Element names follow ../shared/resman/resman-api-notes.md §3-§5.
"""

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, SubElement, tostring

# --- what we send -------------------------------------------------------------------------------


@dataclass
class LeadEvent:
    event_type: str  # WalkIn, Appointment, Cancel, ReActivate, Other, ...
    event_date: datetime
    agent_id: str = ""
    source_id: str = ""
    first_contact: bool = False
    comments: str = ""
    reasons: str = ""
    event_id: str = ""  # our id for an event we may update later (an appointment)


@dataclass
class LeadDocument:
    """One prospect (its main customer) for PostLeadManagement4_0."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    customer_type: str = "prospect"  # prospect | lost
    prospect_id: str = ""
    person_id: str = ""
    move_in_date: date | None = None
    bedrooms: int | None = None
    rent_min: int | None = None
    rent_max: int | None = None
    occupants: int | None = None
    has_pets: bool | None = None
    pet_type: str = ""
    comment: str = ""
    events: list[LeadEvent] = field(default_factory=list)


def event_date_text(moment: datetime) -> str:
    """ResMan reads appointment times as UTC (PX); we always send them in UTC, with the Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def lead_xml(document: LeadDocument) -> str:
    root = Element("LeadManagement")
    prospect = SubElement(SubElement(root, "Prospects"), "Prospect")
    customer = SubElement(SubElement(prospect, "Customers"), "Customer", Type=document.customer_type)
    if document.prospect_id:
        SubElement(
            customer, "Identification", IDType="ProspectID", IDValue=document.prospect_id, OrganizationName="ResMan"
        )
    if document.person_id:
        SubElement(customer, "Identification", IDType="PersonID", IDValue=document.person_id, OrganizationName="ResMan")
    name = SubElement(customer, "Name")
    SubElement(name, "FirstName").text = document.first_name
    SubElement(name, "LastName").text = document.last_name
    if document.phone:
        phone = SubElement(customer, "Phone", PhoneType="cell")
        SubElement(phone, "PhoneNumber").text = phone_digits(document.phone)
    if document.email:
        SubElement(customer, "Email").text = document.email
    preferences = SubElement(prospect, "CustomerPreferences")
    if document.move_in_date:
        SubElement(preferences, "TargetMoveInDate").text = document.move_in_date.isoformat()
    rent = {}
    if document.rent_min is not None:
        rent["Min"] = str(document.rent_min)
    if document.rent_max is not None:
        rent["Max"] = str(document.rent_max)
    if rent:
        SubElement(preferences, "DesiredRent", **rent)
    if document.bedrooms is not None:
        SubElement(preferences, "DesiredNumBedrooms", Exact=str(document.bedrooms))
    if document.has_pets is not None:
        SubElement(preferences, "Pets", PetType=document.pet_type or "Pet", Count="1" if document.has_pets else "0")
    if document.occupants is not None:
        SubElement(preferences, "NumberOfOccupants").text = str(document.occupants)
    if document.comment:
        SubElement(preferences, "Comment").text = document.comment[:2000]
    if document.events:
        events = SubElement(prospect, "Events")
        for item in document.events:
            event = SubElement(events, "Event", EventType=item.event_type, EventDate=event_date_text(item.event_date))
            if item.event_id:
                SubElement(event, "EventID", IDType="ThirdPartyID", IDValue=item.event_id)
            if item.agent_id:
                agent = SubElement(event, "Agent")
                SubElement(agent, "AgentID", IDValue=item.agent_id)
            SubElement(event, "FirstContact").text = "true" if item.first_contact else "false"
            if item.source_id:
                SubElement(event, "TransactionSource").text = item.source_id
            SubElement(event, "Comments").text = item.comments[:2000]
            SubElement(event, "EventReasons").text = item.reasons[:500]
    return tostring(root, encoding="unicode")


# --- what we read -------------------------------------------------------------------------------


@dataclass
class ProspectEvent:
    event_type: str
    event_date: datetime | None
    event_id: str = ""
    agent_id: str = ""
    source_id: str = ""
    first_contact: bool = False
    comments: str = ""
    reasons: str = ""

    def key(self) -> str:
        """Events have no id of their own in ResMan: their content is their identity."""
        parts = [
            self.event_type.lower(),
            self.event_date.isoformat() if self.event_date else "",
            self.event_id,
            self.comments,
            self.reasons,
        ]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


@dataclass
class ProspectRecord:
    """A ResMan prospect as SearchProspects returns it: its main customer, preferences and events."""

    prospect_id: str
    person_id: str = ""
    customer_type: str = "prospect"
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    move_in_date: date | None = None
    bedrooms: int | None = None
    rent_min: int | None = None
    rent_max: int | None = None
    occupants: int | None = None
    has_pets: bool | None = None
    events: list[ProspectEvent] = field(default_factory=list)

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True, default=str).encode()).hexdigest()


def _text(element: Element | None, path: str = "") -> str:
    found = element.find(path) if (element is not None and path) else element
    return (found.text or "").strip() if found is not None else ""


def _int(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value).replace(",", "").replace("$", ""))
    except InvalidOperation:
        return None


def parse_datetime(value: str) -> datetime | None:
    """ResMan's dates are lenient (.NET): with or without an offset, with or without fractions."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_date(value: str) -> date | None:
    parsed = parse_datetime(value)
    return parsed.date() if parsed else None


def phone_digits(value: str) -> str:
    """The digits ResMan stores: a North American number without its country code."""
    digits = re.sub(r"\D", "", value or "")
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def normalize_phone(value: str) -> str:
    """The chat keeps North American numbers as +1XXXXXXXXXX; ResMan's come as free text."""
    digits = phone_digits(value)
    if len(digits) == 10:
        return "+1" + digits
    return ("+" + digits) if digits else ""


def _range_value(element: Element | None) -> tuple[int | None, int | None]:
    if element is None:
        return None, None
    exact = _int(element.get("Exact"))
    if exact is not None:
        return exact, exact
    return _int(element.get("Min")), _int(element.get("Max"))


def prospect_from_element(element: Element) -> ProspectRecord | None:
    """A `<Prospect>` of SearchProspects (or of PostLeadManagement4_0's echo)."""
    customers = element.findall("Customers/Customer")
    if not customers:
        return None
    main = customers[0]
    ids = {ident.get("IDType"): ident.get("IDValue") or "" for ident in main.findall("Identification")}
    if not ids.get("ProspectID"):
        return None
    preferences = element.find("CustomerPreferences")
    rent_min, rent_max = _range_value(preferences.find("DesiredRent") if preferences is not None else None)
    bedrooms_min, bedrooms_max = _range_value(
        preferences.find("DesiredNumBedrooms") if preferences is not None else None
    )
    pets = preferences.find("Pets") if preferences is not None else None
    phones = main.findall("Phone")
    record = ProspectRecord(
        prospect_id=ids["ProspectID"],
        person_id=ids.get("PersonID", ""),
        customer_type=(main.get("Type") or "prospect").lower(),
        first_name=_text(main, "Name/FirstName"),
        last_name=_text(main, "Name/LastName"),
        email=_text(main, "Email").lower(),
        phone=normalize_phone(_text(phones[0], "PhoneNumber")) if phones else "",
        move_in_date=parse_date(_text(preferences, "TargetMoveInDate")) if preferences is not None else None,
        bedrooms=bedrooms_max if bedrooms_max is not None else bedrooms_min,
        rent_min=rent_min,
        rent_max=rent_max,
        occupants=_int(_text(preferences, "NumberOfOccupants")) if preferences is not None else None,
        has_pets=(_int(pets.get("Count")) or 0) > 0 if pets is not None else None,
    )
    for event in element.findall("Events/Event"):
        agent = event.find("Agent/AgentID")
        event_id = event.find("EventID")
        record.events.append(
            ProspectEvent(
                event_type=event.get("EventType") or "",
                event_date=parse_datetime(event.get("EventDate") or ""),
                event_id=(event_id.get("IDValue") or "") if event_id is not None else "",
                agent_id=(agent.get("IDValue") or "") if agent is not None else "",
                source_id=_text(event, "TransactionSource"),
                first_contact=_text(event, "FirstContact").lower() == "true",
                comments=_text(event, "Comments"),
                reasons=_text(event, "EventReasons"),
            )
        )
    return record


# --- GetMarketing4_0 ----------------------------------------------------------------------------


@dataclass
class FloorPlanRecord:
    code: str
    name: str = ""
    bedrooms: Decimal | None = None
    bathrooms: Decimal | None = None
    square_feet_min: int | None = None
    square_feet_max: int | None = None
    market_rent_min: Decimal | None = None
    market_rent_max: Decimal | None = None
    effective_rent_min: Decimal | None = None
    effective_rent_max: Decimal | None = None
    deposit: Decimal | None = None
    unit_count: int = 0
    units_available: int = 0


@dataclass
class UnitRecord:
    number: str
    floor_plan_code: str = ""
    marketing_name: str = ""
    building: str = ""
    floor: str = ""
    bedrooms: Decimal | None = None
    bathrooms: Decimal | None = None
    square_feet: int | None = None
    market_rent: Decimal | None = None
    effective_rent_min: Decimal | None = None
    effective_rent_max: Decimal | None = None
    economic_status: str = ""
    occupancy_status: str = ""
    leased_status: str = ""
    vacate_date: date | None = None
    made_ready_date: date | None = None
    offer_terms: list[tuple[int, Decimal]] = field(default_factory=list)

    @property
    def is_available(self) -> bool:
        """DWELL's rule: vacant and available, or occupied on notice (residential units only)."""
        status = (self.economic_status or "residential", self.occupancy_status, self.leased_status)
        return status in {("residential", "vacant", "available"), ("residential", "occupied", "on_notice")}

    @property
    def available_date(self) -> date | None:
        if not self.is_available:
            return None
        if self.occupancy_status == "occupied":
            return self.vacate_date or self.made_ready_date
        return self.made_ready_date or self.vacate_date


def _ymd(element: Element | None) -> date | None:
    if element is None:
        return None
    try:
        return date(int(element.get("Year")), int(element.get("Month")), int(element.get("Day")))
    except (TypeError, ValueError):
        return None


def floor_plan_from_element(element: Element) -> FloorPlanRecord:
    rooms = {room.get("RoomType"): _decimal(_text(room, "Count")) for room in element.findall("Room")}
    square_feet = element.find("SquareFeet")
    market = element.find("MarketRent")
    effective = element.find("EffectiveRent")
    deposit = element.find("Deposit/Amount/ValueRange")
    return FloorPlanRecord(
        code=element.get("IDValue") or "",
        name=_text(element, "Name") or (element.get("IDValue") or ""),
        bedrooms=rooms.get("Bedroom"),
        bathrooms=rooms.get("Bathroom"),
        square_feet_min=_int(square_feet.get("Min")) if square_feet is not None else None,
        square_feet_max=_int(square_feet.get("Max")) if square_feet is not None else None,
        market_rent_min=_decimal(market.get("Min")) if market is not None else None,
        market_rent_max=_decimal(market.get("Max")) if market is not None else None,
        effective_rent_min=_decimal(effective.get("Min")) if effective is not None else None,
        effective_rent_max=_decimal(effective.get("Max")) if effective is not None else None,
        deposit=_decimal(deposit.get("Exact")) if deposit is not None else None,
        unit_count=_int(_text(element, "UnitCount")) or 0,
        units_available=_int(_text(element, "UnitsAvailable")) or 0,
    )


def unit_from_element(element: Element) -> UnitRecord:
    unit = element.find("Units/Unit")
    effective = element.find("EffectiveRent")
    terms = []
    for term in element.findall("Pricing/MITS-OfferTerm"):
        months, rent = _int(_text(term, "Term")), _decimal(_text(term, "EffectiveRent"))
        if months and rent is not None:
            terms.append((months, rent))
    return UnitRecord(
        number=element.get("IDValue") or _text(unit, "MarketingName"),
        floor_plan_code=_text(unit, "UnitType"),
        marketing_name=_text(unit, "MarketingName"),
        building=_text(unit, "BuildingName"),
        floor=_text(element, "FloorLevel"),
        bedrooms=_decimal(_text(unit, "UnitBedrooms")),
        bathrooms=_decimal(_text(unit, "UnitBathrooms")),
        square_feet=_int(_text(unit, "MaxSquareFeet")),
        market_rent=_decimal(_text(unit, "MarketRent")),
        effective_rent_min=_decimal(effective.get("Min")) if effective is not None else None,
        effective_rent_max=_decimal(effective.get("Max")) if effective is not None else None,
        economic_status=_text(unit, "UnitEconomicStatus").lower(),
        occupancy_status=_text(unit, "UnitOccupancyStatus").lower(),
        leased_status=_text(unit, "UnitLeasedStatus").lower(),
        vacate_date=_ymd(element.find("Availability/VacateDate")),
        made_ready_date=_ymd(element.find("Availability/MadeReadyDate")),
        offer_terms=sorted(terms),
    )
