"""ResManClient: ResMan's v1 API over real HTTP (../shared/resman/resman-api-notes.md §1-§5).

Every call is a form POST to `{base}/{Interface}/{Method}` carrying IntegrationPartnerID, ApiKey and
AccountID. MITS methods answer XML, which is parsed as it streams (defusedxml: no DTDs, no entity
expansion, no external entities) so a reply of thousands of prospects never sits in memory whole;
the other methods answer JSON. Logical errors come back as HTTP 200 with `<Status>Error</Status>`.

Errors are typed and carry the spec's codes: `ResManConnectionError` (network, timeout, 5xx, a reply
that is not ResMan's format) and `ResManApiError` (ResMan said no, with its description).
`ResManWindowTooWide` is the 502 "buffer overflow" of a SearchProspects window that holds too much.
The client knows nothing of Django models: services hand it plain values.
"""

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from xml.etree.ElementTree import ParseError

import requests
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from django.conf import settings

from core.errors import DomainError, ErrorCode
from resman.mits import (
    FloorPlanRecord,
    LeadDocument,
    ProspectRecord,
    UnitRecord,
    floor_plan_from_element,
    lead_xml,
    phone_digits,
    prospect_from_element,
    unit_from_element,
)

DEFAULT_BASE_URL = "https://api.myresman.com"
# JSON replies of the pick-list methods are small; anything bigger is not what we asked for.
MAX_JSON_BYTES = 5 * 1024 * 1024


class ResManConnectionError(DomainError):
    """ResMan could not be reached, timed out, answered 5xx, or answered something unreadable."""

    status = 502
    code = ErrorCode.RESMAN_CONNECTION_ERROR
    message = "ResMan could not be reached."


class ResManOutcomeUnknown(ResManConnectionError):
    """A write was sent but no answer came back (timeout, 5xx, cut-off reply): it may have happened."""

    message = "ResMan did not confirm the write; it may or may not have been applied."


class ResManWindowTooWide(ResManConnectionError):
    message = "ResMan refused the search window as too large (buffer overflow)."


class ResManApiError(DomainError):
    """ResMan answered and refused (Status Error), with its own description."""

    status = 502
    code = ErrorCode.RESMAN_API_ERROR
    message = "ResMan refused the request."

    def __init__(self, description: str, *, method: str = ""):
        self.description = description or "No description given."
        super().__init__(f"ResMan: {self.description}", details={"method": method, "description": self.description})


def resman_time(moment: datetime, *, round_up: bool = False) -> str:
    """Whole seconds, UTC. A window's end is rounded up so nothing modified in its last second
    waits for the next poll (the overlap is read twice, and ingestion applies it once)."""
    if round_up and moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


class ResManClient:
    def __init__(
        self,
        *,
        base_url: str = "",
        integration_partner_id: str,
        api_key: str,
        account_id: str,
        timeout: float | None = None,
        read_attempts: int | None = None,
        stream_deadline: float | None = None,
    ):
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.credentials = {"IntegrationPartnerID": integration_partner_id, "ApiKey": api_key, "AccountID": account_id}
        self.timeout = timeout or settings.RESMAN_TIMEOUT_SECONDS
        # Reads are idempotent, so a failed one is tried again at once (writes never are).
        self.read_attempts = read_attempts or settings.RESMAN_READ_ATTEMPTS
        self.stream_deadline = stream_deadline or settings.RESMAN_STREAM_DEADLINE_SECONDS
        self.session = requests.Session()

    # --- transport ----------------------------------------------------------------------------
    def _post(self, method: str, params: dict, *, accept: str | None = None, write=False) -> requests.Response:
        form = {**self.credentials, **{k: v for k, v in params.items() if v not in (None, "")}}
        headers = {"Accept": accept} if accept else {}
        # Once a write has left, a failure cannot tell whether ResMan applied it.
        unsure = ResManOutcomeUnknown if write else ResManConnectionError
        try:
            response = self.session.post(
                f"{self.base_url}/{method}", data=form, headers=headers, timeout=self.timeout, stream=True
            )
        except requests.ConnectTimeout as exc:
            raise ResManConnectionError(
                f"ResMan could not be reached for {method}.", details=_why(method, exc)
            ) from exc
        except requests.Timeout as exc:
            raise unsure(f"ResMan did not answer {method} in time.", details=_why(method, exc)) from exc
        except requests.RequestException as exc:
            raise unsure(f"ResMan could not be reached for {method}.", details=_why(method, exc)) from exc
        if response.status_code >= 400:
            body = _read_capped(response, 64 * 1024)
            response.close()
            if response.status_code == 502 and b"buffer overflow" in body.lower():
                raise ResManWindowTooWide(details={"method": method, "status": 502})
            if response.status_code >= 500 or response.status_code == 429:
                raise unsure(
                    f"ResMan answered HTTP {response.status_code} to {method}.",
                    details={"method": method, "status": response.status_code},
                )
            raise ResManApiError(_xml_error_description(body) or f"HTTP {response.status_code}", method=method)
        return response

    def _attempts(self, call):
        for attempt in range(1, self.read_attempts + 1):
            try:
                return call()
            except ResManWindowTooWide:
                raise
            except ResManConnectionError:
                if attempt == self.read_attempts:
                    raise
        raise AssertionError("unreachable")

    def _xml(self, method: str, response: requests.Response, wanted: set[str], *, write=False) -> Iterator:
        """Yields each wanted element as its end tag arrives, after ResMan's Status said Success."""
        broken = ResManOutcomeUnknown if write else ResManConnectionError
        status = description = None
        started = time.monotonic()
        response.raw.decode_content = True
        try:
            for _event, element in iterparse(response.raw, events=("end",), forbid_dtd=True):
                tag = element.tag
                if tag == "Status" and status is None:
                    status = (element.text or "").strip()
                elif tag == "ErrorDescription":
                    description = (element.text or "").strip()
                elif tag in wanted:
                    if status not in (None, "Success"):
                        break
                    yield element
                    element.clear()
                    if time.monotonic() - started > self.stream_deadline:
                        raise broken(f"ResMan's {method} reply took too long to read.")
        except (ParseError, DefusedXmlException) as exc:
            raise broken(f"ResMan's {method} reply is not readable XML.", details=_why(method, exc)) from exc
        except requests.RequestException as exc:
            raise broken(f"ResMan's {method} reply was cut off.", details=_why(method, exc)) from exc
        finally:
            response.close()
        if status is None:
            raise broken(f"ResMan's {method} reply has no Status.", details={"method": method})
        if status != "Success":
            raise ResManApiError(description or f"Status {status}", method=method)

    def _json(self, method: str, params: dict) -> dict:
        def call():
            response = self._post(method, params, accept="application/json")
            body = _read_capped(response, MAX_JSON_BYTES)
            response.close()
            try:
                data = json.loads(body)
            except ValueError as exc:
                raise ResManConnectionError(
                    f"ResMan's {method} reply is not JSON.", details={"method": method}
                ) from exc
            if not isinstance(data, dict):
                raise ResManConnectionError(f"ResMan's {method} reply is not an object.", details={"method": method})
            return data

        data = self._attempts(call)
        if data.get("Status") != "Success":
            raise ResManApiError(data.get("ErrorDescription") or f"Status {data.get('Status')}", method=method)
        return data

    # --- methods ------------------------------------------------------------------------------
    def post_lead(self, *, property_id: str, document: LeadDocument) -> ProspectRecord:
        """MITS/PostLeadManagement4_0: creates the guest card (no ids) or updates it (with ids)."""
        method = "MITS/PostLeadManagement4_0"
        response = self._post(method, {"PropertyID": property_id, "Xml": lead_xml(document)}, write=True)
        echoed = [prospect_from_element(element) for element in self._xml(method, response, {"Prospect"}, write=True)]
        records = [record for record in echoed if record is not None]
        if not records:
            raise ResManOutcomeUnknown(
                "ResMan accepted the guest card but returned no ids.", details={"method": method}
            )
        return records[0]

    def search_prospects(
        self,
        *,
        property_id: str,
        prospect_id: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        modified_start: datetime | None = None,
        modified_end: datetime | None = None,
    ) -> Iterator[ProspectRecord]:
        """MITS/SearchProspects, one record at a time as the reply streams in."""
        method = "MITS/SearchProspects"
        params = {
            "PropertyID": property_id,
            "ProspectID": prospect_id,
            "Email": email,
            "Phone": phone_digits(phone) if phone else None,
            "FirstName": first_name,
            "LastName": last_name,
            "ModifiedStartDateTime": resman_time(modified_start) if modified_start else None,
            "ModifiedEndDateTime": resman_time(modified_end, round_up=True) if modified_end else None,
        }
        response = self._attempts(lambda: self._post(method, params))
        for element in self._xml(method, response, {"Prospect"}):
            record = prospect_from_element(element)
            if record is not None:
                yield record

    def get_marketing(self, *, property_id: str) -> Iterator[FloorPlanRecord | UnitRecord]:
        """MITS/GetMarketing4_0: floor plans, then units with availability and offer-term pricing."""
        method = "MITS/GetMarketing4_0"
        params = {"PropertyID": property_id, "includeConcessionsInLeaseTermPricing": "True"}
        response = self._attempts(lambda: self._post(method, params))
        for element in self._xml(method, response, {"Floorplan", "ILS_Unit"}):
            yield floor_plan_from_element(element) if element.tag == "Floorplan" else unit_from_element(element)

    def get_prospect_sources(self, *, property_id: str) -> list[dict]:
        data = self._json("Leasing/GetProspectSources", {"PropertyID": property_id})
        return [
            {"id": str(item.get("ID")), "name": item.get("Name") or ""} for item in data.get("ProspectSources") or []
        ]

    def get_employees(self, *, property_id: str) -> list[dict]:
        data = self._json("Leasing/GetEmployees", {"PropertyID": property_id})
        return [
            {"id": str(item.get("ID")), "name": item.get("Name") or "", "email": item.get("Email") or ""}
            for item in data.get("Employees") or []
        ]

    def get_lost_reasons(self) -> list[dict]:
        data = self._json("Leasing/GetLostProspectReasons", {})
        return [
            {"id": str(item.get("ID")), "name": item.get("Name") or ""}
            for item in data.get("LostProspectReasons") or []
        ]

    def get_properties(self) -> list[dict]:
        data = self._json("Account/GetProperties", {})
        return [
            {"id": str(item.get("PropertyID")), "name": item.get("Name") or ""} for item in data.get("Properties") or []
        ]


def _why(method: str, exc: Exception) -> dict:
    return {"method": method, "reason": type(exc).__name__}


def _read_capped(response: requests.Response, limit: int) -> bytes:
    try:
        chunks, size = [], 0
        for chunk in response.iter_content(64 * 1024):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise ResManConnectionError("ResMan's reply is larger than expected.")
        return b"".join(chunks)
    except requests.RequestException as exc:
        raise ResManConnectionError("ResMan's reply was cut off.") from exc


def _xml_error_description(body: bytes) -> str:
    """A non-200 reply may still carry `<ResMan><ErrorDescription>` (Quext saw this)."""
    start, end = body.find(b"<ErrorDescription>"), body.find(b"</ErrorDescription>")
    if start < 0 or end < start:
        return ""
    return body[start + len(b"<ErrorDescription>") : end].decode("utf-8", "replace").strip()
