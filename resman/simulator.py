"""A ResMan simulator: a small HTTP server that answers the v1 methods we call, in ResMan's wire
format (form POSTs; MITS methods in XML, the rest in JSON; logical errors as HTTP 200 with
`Status` Error), keeps its own state, and can be told to misbehave.

Knobs (attributes, or `POST /_simulator/config` with a JSON object of them):
    failure_rate         share of requests answered 500 (seeded, repeatable)
    timeout_rate         share of requests that hang `hang_seconds` before being processed: the
                         client has given up, but the write still happens, as on a slow server
    hang_seconds         how long those hang (default 3 s)
    delay                latency added to every request, in seconds
    max_window_results   SearchProspects over a modified-date window matching more prospects than
                         this answers 502 "buffer overflow" (ResMan's own behaviour); 0 turns it off
    bad_credentials      every call answers Status Error "Invalid IntegrationPartnerID or ApiKey"
    reject_sources       every TransactionSource answers "Transaction Source could not be found"
Control routes: `GET /_simulator/state` (counts), `GET /_simulator/prospects[?property_id=]`,
`POST /_simulator/seed` ({"prospects": n, "property_id": ..., "span_hours": 24}) and
`POST /_simulator/config` (knobs). Tests use the Python methods directly.

Run it with `python manage.py resman_simulator --port 8765 --seed`.
"""

import json
import random
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.etree.ElementTree import Element, tostring
from xml.sax.saxutils import escape, quoteattr

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from core.testing.fake_http import FakeService, RecordedRequest, Reply

PARTNER_ID = "sim-partner"
API_KEY = "sim-api-key"
ACCOUNT_ID = "400"
DEMO_PROPERTY_IDS = ["07413576-f764-44c6-be35-df4139deec01", "5c1b8a8e-6a4f-4bb6-9d7e-2f0d4b1c9a11"]
XML_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<ResMan xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
)
KNOBS = (
    "failure_rate",
    "timeout_rate",
    "hang_seconds",
    "delay",
    "max_window_results",
    "bad_credentials",
    "reject_sources",
)
FIRST_NAMES = ["Avery", "Jordan", "Riley", "Casey", "Morgan", "Quinn", "Taylor", "Jamie", "Rowan", "Skyler"]
LAST_NAMES = ["Nguyen", "Garcia", "Smith", "Patel", "Kim", "Lopez", "Brown", "Okafor", "Rossi", "Cohen"]


@dataclass
class SimProspect:
    prospect_id: str
    person_id: str
    property_id: str
    customer_type: str = "prospect"
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    preferences_xml: str = ""
    events: list[dict] = field(default_factory=list)
    modified_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class SimUnit:
    number: str
    floor_plan: str
    bedrooms: int
    bathrooms: int
    square_feet: int
    market_rent: Decimal
    occupancy: str = "vacant"  # vacant | occupied
    leased: str = "available"  # available | on_notice | leased
    ready: date | None = None
    vacate: date | None = None
    building: str = "A"
    floor: int = 1


@dataclass
class SimProperty:
    property_id: str
    name: str
    sources: dict[str, str] = field(default_factory=dict)
    employees: dict[str, dict] = field(default_factory=dict)
    floor_plans: dict[str, dict] = field(default_factory=dict)
    units: dict[str, SimUnit] = field(default_factory=dict)


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "T", 1).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class ResManSimulator(FakeService):
    def __init__(self, *, seed: int = 1234, partner_id=PARTNER_ID, api_key=API_KEY, account_id=ACCOUNT_ID):
        super().__init__(seed=seed)
        self.partner_id, self.api_key, self.account_id = partner_id, api_key, account_id
        self.timeout_rate = 0.0
        self.hang_seconds = 3.0
        self.max_window_results = 0
        self.bad_credentials = False
        self.reject_sources = False
        self.properties: dict[str, SimProperty] = {}
        self.prospects: dict[str, SimProspect] = {}
        self.lost_reasons = {"LR-1": "Rented elsewhere", "LR-2": "Price too high", "LR-3": "Duplicate guest card"}
        self.creates = 0
        self.updates = 0
        self.served = 0
        self.requests = deque(maxlen=5000)
        self._state_lock = threading.RLock()
        self._names = random.Random(seed)  # noqa: S311 (made-up names, not secrets)
        self._people = 0

    # --- seeding ------------------------------------------------------------------------------
    def add_property(self, property_id: str | None = None, *, name: str = "Simulated Apartments") -> SimProperty:
        property_id = property_id or str(uuid.uuid4())
        prop = SimProperty(property_id=property_id, name=name)
        prop.sources = {"SRC-WEB": "Property Website", "SRC-CHAT": "Website Chat", "SRC-ILS": "Apartments.com"}
        prop.employees = {
            "EMP-1": {"Name": "Lee Leasing", "Email": "lee@sim.test", "SecurityGroup": "Leasing"},
            "EMP-2": {"Name": "Bot Agent", "Email": "bot@sim.test", "SecurityGroup": "Leasing"},
        }
        self.properties[property_id] = prop
        return prop

    def seed_marketing(self, property_id: str, *, today: date | None = None) -> None:
        today = today or datetime.now(UTC).date()
        prop = self.properties[property_id]
        prop.floor_plans = {
            "S1": {"name": "Studio", "bedrooms": 0, "bathrooms": 1, "sqft": (480, 520), "rent": (1195, 1295)},
            "A1": {"name": "One Bedroom", "bedrooms": 1, "bathrooms": 1, "sqft": (680, 740), "rent": (1450, 1550)},
            "B2": {"name": "Two Bedroom", "bedrooms": 2, "bathrooms": 2, "sqft": (980, 1050), "rent": (1895, 2050)},
        }
        rows = [
            ("101", "S1", "vacant", "available", today - timedelta(days=3), None),
            ("102", "A1", "vacant", "available", today + timedelta(days=10), None),
            ("201", "B2", "occupied", "on_notice", None, today + timedelta(days=40)),
            ("202", "B2", "vacant", "available", today + timedelta(days=95), None),
            ("203", "B2", "occupied", "leased", None, None),
            ("301", "A1", "vacant", "leased", today, None),
        ]
        prop.units = {}
        for number, plan, occupancy, leased, ready, vacate in rows:
            spec = prop.floor_plans[plan]
            prop.units[number] = SimUnit(
                number=number,
                floor_plan=plan,
                bedrooms=spec["bedrooms"],
                bathrooms=spec["bathrooms"],
                square_feet=spec["sqft"][1],
                market_rent=Decimal(spec["rent"][0]) + int(number) % 7 * 10,
                occupancy=occupancy,
                leased=leased,
                ready=ready,
                vacate=vacate,
                building="A",
                floor=int(number[0]),
            )

    def seed_demo(self) -> None:
        for index, property_id in enumerate(DEMO_PROPERTY_IDS):
            self.add_property(property_id, name=["Maple Court Apartments", "Harbor View Residences"][index])
            self.seed_marketing(property_id)
            self.seed_prospects(property_id, 25)

    def seed_prospects(self, property_id: str, count: int, *, start: datetime | None = None, span_hours=24) -> None:
        """`count` prospects modified across `span_hours` from `start` (default: the last day)."""
        start = start or datetime.now(UTC) - timedelta(hours=span_hours)
        step = timedelta(hours=span_hours) / max(count, 1)
        with self._state_lock:
            for index in range(count):
                first, last = self._names.choice(FIRST_NAMES), self._names.choice(LAST_NAMES)
                moment = start + step * index
                self._people += 1  # every seeded person is someone else: their own email and phone
                prospect = SimProspect(
                    prospect_id=str(uuid.uuid4()),
                    person_id=str(uuid.uuid4()),
                    property_id=property_id,
                    first_name=first,
                    last_name=f"{last}{self._people}",
                    email=f"{first.lower()}.{last.lower()}{self._people}@example.com",
                    phone=f"512{self._people % 10_000_000:07d}",
                    preferences_xml=(
                        "<CustomerPreferences>"
                        f"<TargetMoveInDate>{(moment + timedelta(days=30 + index % 60)).date()}</TargetMoveInDate>"
                        f'<DesiredRent Max="{1400 + index % 8 * 100}"/>'
                        f'<DesiredNumBedrooms Exact="{index % 3}"/>'
                        "</CustomerPreferences>"
                    ),
                    events=[
                        {
                            "EventType": "WalkIn",
                            "EventDate": _ts(moment),
                            "AgentID": "EMP-1",
                            "FirstContact": "true",
                            "TransactionSource": "SRC-ILS",
                            "Comments": "Guest card from an ILS lead.",
                            "EventReasons": "",
                            "EventID": "",
                        }
                    ],
                    modified_at=moment,
                    created_at=moment,
                )
                self.prospects[prospect.prospect_id] = prospect

    # --- reads for tests and the benchmark ----------------------------------------------------
    def prospects_at(self, property_id: str) -> list[SimProspect]:
        with self._state_lock:
            return [p for p in self.prospects.values() if p.property_id == property_id]

    def touch(self, prospect_id: str, **changes) -> SimProspect:
        """Changes a prospect as a leasing agent would in ResMan's UI (and stamps it modified)."""
        with self._state_lock:
            prospect = self.prospects[prospect_id]
            for name, value in changes.items():
                setattr(prospect, name, value)
            prospect.modified_at = datetime.now(UTC)
            return prospect

    def add_event(self, prospect_id: str, **event) -> None:
        with self._state_lock:
            prospect = self.prospects[prospect_id]
            prospect.events.append(
                {"FirstContact": "false", "Comments": "", "EventReasons": "", "EventID": "", **event}
            )
            prospect.modified_at = datetime.now(UTC)

    def state(self) -> dict:
        with self._state_lock:
            emails: dict[str, int] = {}
            for prospect in self.prospects.values():
                if prospect.email:
                    emails[prospect.email] = emails.get(prospect.email, 0) + 1
            return {
                "properties": len(self.properties),
                "prospects": len(self.prospects),
                "creates": self.creates,
                "updates": self.updates,
                "duplicate_emails": sum(1 for count in emails.values() if count > 1),
                "requests": self.served,
                **{knob: getattr(self, knob) for knob in KNOBS},
            }

    def configure(self, **knobs) -> None:
        for name, value in knobs.items():
            if name not in KNOBS:
                raise ValueError(f"Unknown knob {name!r}; known: {', '.join(KNOBS)}")
            setattr(self, name, value)

    # --- misbehaviour -------------------------------------------------------------------------
    def _answer(self, request: RecordedRequest) -> Reply:
        if request.path.startswith("/_simulator/"):
            return self._control(request)
        with self._lock:
            self.served += 1
            hang = self.timeout_rate and self._random.random() < self.timeout_rate
        if hang:
            time.sleep(self.hang_seconds)
        return super()._answer(request)

    def _control(self, request: RecordedRequest) -> Reply:
        try:
            body = json.loads(request.body or b"{}")
            if request.path == "/_simulator/config" and request.method == "POST":
                self.configure(**body)
            elif request.path == "/_simulator/seed" and request.method == "POST":
                property_id = body.get("property_id") or DEMO_PROPERTY_IDS[0]
                if property_id not in self.properties:
                    self.add_property(property_id)
                    self.seed_marketing(property_id)
                start = _parse_time(body.get("start"))
                self.seed_prospects(
                    property_id, int(body.get("prospects", 0)), start=start, span_hours=body.get("span_hours", 24)
                )
            elif request.path == "/_simulator/prospects":
                wanted = request.query.get("property_id")
                with self._state_lock:
                    rows = [
                        {"prospect_id": p.prospect_id, "email": p.email, "property_id": p.property_id}
                        for p in self.prospects.values()
                        if wanted in (None, p.property_id)
                    ]
                return Reply(200, rows)
            elif request.path != "/_simulator/state":
                return Reply(404, {"error": "not found"})
        except (ValueError, TypeError) as exc:
            return Reply(400, {"error": str(exc)})
        return Reply(200, self.state())

    # --- the wire format ----------------------------------------------------------------------
    def route(self, request: RecordedRequest) -> Reply:
        if request.method != "POST":
            return Reply(405, "Method Not Allowed")
        params = {k.lower(): v[-1] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        params.update({k.lower(): v for k, v in request.query.items()})
        method = request.path.strip("/")
        interface, _, name = method.partition("/")
        is_mits = interface.lower() in ("mits", "mitslite")
        wants_xml = is_mits or "application/xml" in request.headers.get("accept", "")
        handler = {
            "mits/postleadmanagement4_0": self._post_lead,
            "mits/searchprospects": self._search,
            "mits/getmarketing4_0": self._marketing,
            "leasing/getprospectsources": self._sources,
            "leasing/getemployees": self._employees,
            "leasing/getlostprospectreasons": self._lost_reasons,
            "account/getproperties": self._properties,
        }.get(method.lower())
        if handler is None:
            return Reply(404, "Not Found")
        if (
            self.bad_credentials
            or params.get("integrationpartnerid") != self.partner_id
            or params.get("apikey") != self.api_key
        ):
            return self._error(name, "Invalid IntegrationPartnerID or ApiKey", wants_xml, params)
        if params.get("accountid") != self.account_id:
            return self._error(name, "Invalid AccountID", wants_xml, params)
        needs_property = handler not in (self._lost_reasons, self._properties)
        if needs_property and params.get("propertyid") not in self.properties:
            return self._error(name, "Invalid PropertyID", wants_xml, params)
        with self._state_lock:
            return handler(name, params, wants_xml)

    def _envelope(self, name: str, params: dict, inner: str) -> Reply:
        body = (
            f"{XML_HEAD}<MethodName>{name}</MethodName><Status>Success</Status>"
            f"<AccountID>{escape(self.account_id)}</AccountID>"
            f"<PropertyID>{escape(params.get('propertyid', ''))}</PropertyID>"
            f"<Response>{inner}</Response></ResMan>"
        )
        return Reply(200, body.encode(), {"Content-Type": "application/xml; charset=utf-8"})

    def _json(self, name: str, params: dict, payload: dict, wants_xml: bool) -> Reply:
        if wants_xml:
            inner = "".join(
                f"<{key}>{''.join('<Item>' + ''.join(f'<{k}>{escape(str(v))}</{k}>' for k, v in item.items()) + '</Item>' for item in items)}</{key}>"  # noqa: E501
                for key, items in payload.items()
            )
            return self._envelope(name, params, inner)
        body = {
            **payload,
            "MethodName": name,
            "ErrorDescription": None,
            "Status": "Success",
            "AccountID": int(self.account_id) if self.account_id.isdigit() else self.account_id,
            "PropertyID": params.get("propertyid"),
        }
        return Reply(200, body)

    def _error(self, name: str, description: str, wants_xml: bool, params: dict) -> Reply:
        if wants_xml:
            body = (
                f"{XML_HEAD}<MethodName>{name}</MethodName><Status>Error</Status>"
                f"<ErrorDescription>{escape(description)}</ErrorDescription></ResMan>"
            )
            return Reply(200, body.encode(), {"Content-Type": "application/xml; charset=utf-8"})
        return Reply(200, {"MethodName": name, "Status": "Error", "ErrorDescription": description})

    # --- methods ------------------------------------------------------------------------------
    def _sources(self, name, params, wants_xml):
        prop = self.properties[params["propertyid"]]
        return self._json(
            name, params, {"ProspectSources": [{"ID": k, "Name": v} for k, v in prop.sources.items()]}, wants_xml
        )

    def _employees(self, name, params, wants_xml):
        prop = self.properties[params["propertyid"]]
        return self._json(name, params, {"Employees": [{"ID": k, **v} for k, v in prop.employees.items()]}, wants_xml)

    def _lost_reasons(self, name, params, wants_xml):
        items = [{"ID": k, "Name": v} for k, v in self.lost_reasons.items()]
        return self._json(name, params, {"LostProspectReasons": items}, wants_xml)

    def _properties(self, name, params, wants_xml):
        items = [{"PropertyID": p.property_id, "Name": p.name} for p in self.properties.values()]
        return self._json(name, params, {"Properties": items}, wants_xml)

    def _post_lead(self, name, params, wants_xml):
        prop = self.properties[params["propertyid"]]
        try:
            root = fromstring(params.get("xml") or "", forbid_dtd=True)
        except (SyntaxError, DefusedXmlException):
            return self._error(name, "The Xml parameter is not a valid LeadManagement document", True, params)
        echoed = []
        for element in root.findall("Prospects/Prospect"):
            customer = element.find("Customers/Customer")
            if customer is None:
                return self._error(name, "A Prospect has no Customer", True, params)
            for event in element.findall("Events/Event"):
                source = (event.findtext("TransactionSource") or "").strip()
                is_cancel = (event.get("EventType") or "").lower() == "cancel"
                known = source in (self.lost_reasons if is_cancel else prop.sources)
                if source and (self.reject_sources or not known):
                    return self._error(name, "Transaction Source could not be found", True, params)
                agent = event.find("Agent/AgentID")
                if agent is not None and agent.get("IDValue") not in prop.employees:
                    return self._error(name, "Agent could not be found", True, params)
            ids = {i.get("IDType"): i.get("IDValue") for i in customer.findall("Identification")}
            if ids.get("ProspectID"):
                prospect = self.prospects.get(ids["ProspectID"])
                if prospect is None or prospect.property_id != prop.property_id:
                    return self._error(name, "Prospect could not be found", True, params)
                self.updates += 1
            else:
                prospect = SimProspect(
                    prospect_id=str(uuid.uuid4()), person_id=str(uuid.uuid4()), property_id=prop.property_id
                )
                self.prospects[prospect.prospect_id] = prospect
                self.creates += 1
            self._apply(prospect, customer, element)
            echoed.append(self._prospect_xml(prospect))
        return self._envelope(
            name, params, f"<LeadManagement><Prospects>{''.join(echoed)}</Prospects></LeadManagement>"
        )

    def _apply(self, prospect: SimProspect, customer: Element, element: Element) -> None:
        prospect.customer_type = (customer.get("Type") or "prospect").lower()
        if (first := customer.findtext("Name/FirstName")) is not None:
            prospect.first_name = first.strip()
        if (last := customer.findtext("Name/LastName")) is not None:
            prospect.last_name = last.strip()
        if (email := customer.findtext("Email")) is not None:
            prospect.email = email.strip()
        if (phone := customer.findtext("Phone/PhoneNumber")) is not None:
            prospect.phone = phone.strip()
        preferences = element.find("CustomerPreferences")
        if preferences is not None and len(preferences):
            prospect.preferences_xml = tostring(preferences, encoding="unicode")
        for event in element.findall("Events/Event"):
            event_id = event.find("EventID")
            agent = event.find("Agent/AgentID")
            item = {
                "EventType": event.get("EventType") or "",
                "EventDate": event.get("EventDate") or _ts(datetime.now(UTC)),
                "EventID": (event_id.get("IDValue") or "") if event_id is not None else "",
                "AgentID": (agent.get("IDValue") or "") if agent is not None else "",
                "FirstContact": (event.findtext("FirstContact") or "false").strip(),
                "TransactionSource": (event.findtext("TransactionSource") or "").strip(),
                "Comments": (event.findtext("Comments") or "").strip(),
                "EventReasons": (event.findtext("EventReasons") or "").strip(),
            }
            if item["EventType"].lower() == "cancel" and item["TransactionSource"] in self.lost_reasons:
                item["EventReasons"] = f"Prospect Lost: {self.lost_reasons[item['TransactionSource']]}"
            # An event we sent before with the same EventID (a moved appointment) is updated in place.
            same = [e for e in prospect.events if item["EventID"] and e.get("EventID") == item["EventID"]]
            if same:
                same[0].update(item)
            else:
                prospect.events.append(item)
        prospect.modified_at = datetime.now(UTC)

    def _search(self, name, params, wants_xml):
        property_id = params["propertyid"]
        start, end = _parse_time(params.get("modifiedstartdatetime")), _parse_time(params.get("modifiedenddatetime"))
        email, phone = (params.get("email") or "").lower(), "".join(c for c in params.get("phone") or "" if c.isdigit())
        matches = []
        for prospect in self.prospects.values():
            if prospect.property_id != property_id:
                continue
            if params.get("prospectid") and prospect.prospect_id != params["prospectid"]:
                continue
            if email and prospect.email.lower() != email:
                continue
            if phone and "".join(c for c in prospect.phone if c.isdigit())[-10:] != phone[-10:]:
                continue
            if params.get("firstname") and prospect.first_name.lower() != params["firstname"].lower():
                continue
            if params.get("lastname") and prospect.last_name.lower() != params["lastname"].lower():
                continue
            if start and prospect.modified_at < start:
                continue
            if end and prospect.modified_at > end:
                continue
            matches.append(prospect)
        if (start or end) and self.max_window_results and len(matches) > self.max_window_results:
            return Reply(502, "Error: buffer overflow while building the response.")
        matches.sort(key=lambda p: p.modified_at)
        inner = "".join(self._prospect_xml(p) for p in matches)
        return self._envelope(name, params, f"<LeadManagement><Prospects>{inner}</Prospects></LeadManagement>")

    def _prospect_xml(self, p: SimProspect) -> str:
        events = "".join(
            f"<Event EventType={quoteattr(e['EventType'])} EventDate={quoteattr(e['EventDate'])}>"
            + (f'<EventID IDType="ThirdPartyID" IDValue={quoteattr(e["EventID"])}/>' if e.get("EventID") else "")
            + (f"<Agent><AgentID IDValue={quoteattr(e['AgentID'])}/></Agent>" if e.get("AgentID") else "")
            + f"<FirstContact>{escape(e.get('FirstContact', 'false'))}</FirstContact>"
            + f"<TransactionSource>{escape(e.get('TransactionSource', ''))}</TransactionSource>"
            + f"<Comments>{escape(e.get('Comments', ''))}</Comments>"
            + f"<EventReasons>{escape(e.get('EventReasons', ''))}</EventReasons></Event>"
            for e in p.events
        )
        phone = f'<Phone PhoneType="cell"><PhoneNumber>{escape(p.phone)}</PhoneNumber></Phone>' if p.phone else ""
        return (
            f"<Prospect><Customers><Customer Type={quoteattr(p.customer_type)}>"
            f'<Identification IDType="ProspectID" IDValue="{p.prospect_id}" OrganizationName="ResMan"/>'
            f'<Identification IDType="PersonID" IDValue="{p.person_id}" OrganizationName="ResMan"/>'
            f"<Name><FirstName>{escape(p.first_name)}</FirstName><LastName>{escape(p.last_name)}</LastName></Name>"
            f"{phone}<Email>{escape(p.email)}</Email></Customer></Customers>"
            f"{p.preferences_xml or '<CustomerPreferences/>'}<Events>{events}</Events></Prospect>"
        )

    def _marketing(self, name, params, wants_xml):
        prop = self.properties[params["propertyid"]]
        plans = []
        for code, spec in prop.floor_plans.items():
            units = [u for u in prop.units.values() if u.floor_plan == code]
            available = sum(1 for u in units if u.leased in ("available", "on_notice"))
            rents = [u.market_rent for u in units] or [Decimal(spec["rent"][0])]
            plans.append(
                f'<Floorplan IDValue="{code}" OrganizationName="ResMan"><Name>{escape(spec["name"])}</Name>'
                f"<UnitCount>{len(units)}</UnitCount><UnitsAvailable>{available}</UnitsAvailable>"
                f'<Room RoomType="Bedroom"><Count>{spec["bedrooms"]}</Count></Room>'
                f'<Room RoomType="Bathroom"><Count>{spec["bathrooms"]}</Count></Room>'
                f'<SquareFeet Min="{spec["sqft"][0]}" Max="{spec["sqft"][1]}"/>'
                f'<MarketRent Min="{min(rents)}" Max="{max(rents)}"/>'
                f'<EffectiveRent Min="{min(rents) - 25}" Max="{max(rents)}"/>'
                f'<Deposit><Amount><ValueRange Exact="500"/></Amount></Deposit></Floorplan>'
            )
        units_xml = []
        for unit in prop.units.values():
            ready = (
                unit.ready
                and f'<MadeReadyDate Year="{unit.ready.year}" Month="{unit.ready.month}" Day="{unit.ready.day}"/>'
            )
            vacate = (
                unit.vacate
                and f'<VacateDate Year="{unit.vacate.year}" Month="{unit.vacate.month}" Day="{unit.vacate.day}"/>'
            )
            terms = "".join(
                f"<MITS-OfferTerm><EffectiveRent>{unit.market_rent + delta}</EffectiveRent>"
                f"<Term>{months}</Term></MITS-OfferTerm>"
                for months, delta in ((6, 150), (12, 0), (15, -25))
            )
            units_xml.append(
                f'<ILS_Unit IDValue="{escape(unit.number)}" OrganizationName="ResMan" IDType="Number">'
                f"<FloorLevel>{unit.floor}</FloorLevel><Units><Unit><Identification IDValue={quoteattr(unit.number)}/>"
                f"<MarketingName>{escape(unit.number)}</MarketingName><UnitType>{unit.floor_plan}</UnitType>"
                f"<FloorplanName>{escape(prop.floor_plans[unit.floor_plan]['name'])}</FloorplanName>"
                f"<BuildingName>{escape(unit.building)}</BuildingName><UnitBedrooms>{unit.bedrooms}</UnitBedrooms>"
                f"<UnitBathrooms>{unit.bathrooms}</UnitBathrooms><MaxSquareFeet>{unit.square_feet}</MaxSquareFeet>"
                f"<MarketRent>{unit.market_rent}</MarketRent><UnitEconomicStatus>residential</UnitEconomicStatus>"
                f"<UnitOccupancyStatus>{unit.occupancy}</UnitOccupancyStatus><UnitLeasedStatus>{unit.leased}</UnitLeasedStatus>"
                f'</Unit></Units><EffectiveRent Min="{unit.market_rent - 25}" Max="{unit.market_rent + 150}"/>'
                f"<Availability>{vacate or ''}{ready or ''}<VacancyClass>Unoccupied</VacancyClass></Availability>"
                f"<Pricing>{terms}</Pricing></ILS_Unit>"
            )
        inner = (
            f'<PhysicalProperty><Property IDValue="{prop.property_id}"><PropertyID>'
            f"<MarketingName>{escape(prop.name)}</MarketingName></PropertyID>"
            f"{''.join(plans)}{''.join(units_xml)}</Property></PhysicalProperty>"
        )
        return self._envelope(name, params, inner)

    # --- lifecycle: any port (the command line picks one), one write per reply ----------------
    def start(self, port: int = 0, host: str = "127.0.0.1") -> "ResManSimulator":
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        # A short poll interval: stopping waits for it (the default 0.5 s adds up over a test suite).
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        # A client that gave up on a hung request leaves a closed socket: not worth a traceback.
        self._server.handle_error = lambda request, client_address: None
        return self


def _handler_for(fake: FakeService):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            parts = urlsplit(self.path)
            request = RecordedRequest(
                method=self.command,
                path=parts.path,
                query={k: v[-1] for k, v in parse_qs(parts.query).items()},
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            reply = fake._answer(request)
            body, content_type = reply.encoded()
            self.send_response(reply.status)
            for name, value in {
                "Content-Type": content_type,
                **reply.headers,
                "Content-Length": str(len(body)),
            }.items():
                self.send_header(name, value)
            # Headers and body in one write: two small writes meet the client's delayed ACK (40 ms).
            self._headers_buffer.extend([b"\r\n", body])
            self.flush_headers()

        do_GET = do_POST = _handle

        def log_message(self, *args):
            pass

    return Handler
