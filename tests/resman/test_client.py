"""ResManClient against the simulator (and a hostile server) over real HTTP."""

import time
from datetime import UTC, date, datetime, timedelta

import pytest

from core.errors import ErrorCode
from core.testing.fake_http import FakeService, Reply
from resman.client import (
    ResManApiError,
    ResManClient,
    ResManConnectionError,
    ResManOutcomeUnknown,
    ResManWindowTooWide,
)
from resman.mits import LeadDocument, LeadEvent
from resman.simulator import ACCOUNT_ID, API_KEY, PARTNER_ID
from tests.resman.conftest import A1_RESMAN_ID


def client(url, **overrides) -> ResManClient:
    return ResManClient(
        base_url=url,
        integration_partner_id=overrides.pop("partner_id", PARTNER_ID),
        api_key=overrides.pop("api_key", API_KEY),
        account_id=overrides.pop("account_id", ACCOUNT_ID),
        timeout=overrides.pop("timeout", 1.0),
        **overrides,
    )


def jane(**fields) -> LeadDocument:
    return LeadDocument(
        first_name="Jane",
        last_name="Doe",
        email="jane.doe@example.com",
        phone="+1 (512) 555-0100",
        move_in_date=date(2027, 9, 1),
        bedrooms=2,
        rent_max=1800,
        events=[
            LeadEvent(
                event_type="WalkIn",
                event_date=datetime(2027, 7, 1, 15, 4, 5, tzinfo=UTC),
                agent_id="EMP-1",
                source_id="SRC-CHAT",
                first_contact=True,
                comments="From the chat.",
            )
        ],
        **fields,
    )


def test_post_lead_sends_a_mits_document_in_a_form_post_and_returns_the_new_ids(simulator):
    record = client(simulator.url).post_lead(property_id=A1_RESMAN_ID, document=jane())

    sent = simulator.requests[-1]
    assert sent.path == "/MITS/PostLeadManagement4_0"
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    form = sent.form()
    assert form["IntegrationPartnerID"] == PARTNER_ID and form["AccountID"] == ACCOUNT_ID
    assert "<TargetMoveInDate>2027-09-01</TargetMoveInDate>" in form["Xml"]
    assert '<DesiredNumBedrooms Exact="2" />' in form["Xml"] or '<DesiredNumBedrooms Exact="2"/>' in form["Xml"]
    assert 'EventDate="2027-07-01T15:04:05Z"' in form["Xml"]
    assert "<PhoneNumber>5125550100</PhoneNumber>" in form["Xml"]
    assert "Identification" not in form["Xml"]
    stored = simulator.prospects[record.prospect_id]
    assert (stored.email, stored.phone, record.person_id) == ("jane.doe@example.com", "5125550100", stored.person_id)
    assert record.move_in_date == date(2027, 9, 1) and record.bedrooms == 2 and record.rent_max == 1800


def test_post_lead_with_ids_updates_the_same_guest_card(simulator):
    resman = client(simulator.url)
    created = resman.post_lead(property_id=A1_RESMAN_ID, document=jane())
    updated = resman.post_lead(
        property_id=A1_RESMAN_ID,
        document=LeadDocument(
            first_name="Janet", last_name="Doe", prospect_id=created.prospect_id, person_id=created.person_id
        ),
    )
    assert updated.prospect_id == created.prospect_id
    assert (simulator.creates, simulator.updates) == (1, 1)
    assert simulator.prospects[created.prospect_id].first_name == "Janet"


def test_search_streams_prospects_by_email_phone_id_and_modified_window(simulator):
    resman = client(simulator.url)
    created = resman.post_lead(property_id=A1_RESMAN_ID, document=jane())
    by = lambda **criteria: [r.prospect_id for r in resman.search_prospects(property_id=A1_RESMAN_ID, **criteria)]  # noqa: E731
    assert by(email="JANE.DOE@example.com") == [created.prospect_id]
    assert by(phone="+15125550100") == [created.prospect_id]
    assert by(prospect_id=created.prospect_id) == [created.prospect_id]
    assert by(email="nobody@example.com") == []
    now = datetime.now(UTC)
    assert by(modified_start=now - timedelta(minutes=1), modified_end=now + timedelta(minutes=1)) == [
        created.prospect_id
    ]
    assert by(modified_start=now - timedelta(days=2), modified_end=now - timedelta(days=1)) == []
    form = simulator.requests[-1].form()
    assert form["ModifiedStartDateTime"].endswith("+00:00")


def test_status_error_is_an_api_error_carrying_resmans_description(simulator):
    with pytest.raises(ResManApiError) as caught:
        client(simulator.url, api_key="wrong").get_properties()
    assert caught.value.code == ErrorCode.RESMAN_API_ERROR
    assert caught.value.description == "Invalid IntegrationPartnerID or ApiKey"
    simulator.bad_credentials = True
    with pytest.raises(ResManApiError, match="Invalid IntegrationPartnerID"):
        list(client(simulator.url).search_prospects(property_id=A1_RESMAN_ID, email="a@b.c"))


def test_unknown_transaction_source_is_refused_with_resmans_words(simulator):
    document = jane()
    document.events[0].source_id = "NOPE"
    with pytest.raises(ResManApiError, match="Transaction Source could not be found"):
        client(simulator.url).post_lead(property_id=A1_RESMAN_ID, document=document)
    simulator.reject_sources = True
    with pytest.raises(ResManApiError, match="Transaction Source could not be found"):
        client(simulator.url).post_lead(property_id=A1_RESMAN_ID, document=jane())
    assert simulator.creates == 0


def test_server_errors_timeouts_and_garbage_are_connection_errors(simulator):
    resman = client(simulator.url, timeout=0.3, read_attempts=1)
    simulator.fail_next(1, status=503)
    with pytest.raises(ResManConnectionError) as caught:
        resman.get_lost_reasons()
    assert caught.value.code == ErrorCode.RESMAN_CONNECTION_ERROR and caught.value.status == 502
    simulator.garbage_next(1)
    with pytest.raises(ResManConnectionError, match="not JSON"):
        resman.get_lost_reasons()
    simulator.garbage_next(1)
    with pytest.raises(ResManConnectionError, match="not readable XML"):
        list(resman.search_prospects(property_id=A1_RESMAN_ID, email="a@b.c"))
    simulator.delay = 0.6
    with pytest.raises(ResManConnectionError, match="in time"):
        resman.get_lost_reasons()


def test_unreachable_host_is_a_connection_error():
    with pytest.raises(ResManConnectionError):
        client("http://127.0.0.1:9", read_attempts=1).get_properties()


def test_reads_are_retried_at_once_but_writes_never(simulator):
    resman = client(simulator.url, read_attempts=2)
    simulator.fail_next(1)
    assert len(resman.get_prospect_sources(property_id=A1_RESMAN_ID)) == 3
    simulator.fail_next(1)
    with pytest.raises(ResManOutcomeUnknown):
        resman.post_lead(property_id=A1_RESMAN_ID, document=jane())
    assert simulator.creates == 0


def test_a_write_that_times_out_is_of_unknown_outcome_and_may_still_happen(simulator):
    simulator.timeout_rate, simulator.hang_seconds = 1.0, 0.5
    with pytest.raises(ResManOutcomeUnknown):
        client(simulator.url, timeout=0.2).post_lead(property_id=A1_RESMAN_ID, document=jane())
    simulator.timeout_rate = 0.0
    deadline = time.monotonic() + 3  # the hung request finishes on the server after the client gave up
    while not simulator.creates and time.monotonic() < deadline:
        time.sleep(0.05)
    assert simulator.creates == 1


def test_a_wide_window_answers_the_buffer_overflow_502(simulator):
    simulator.seed_prospects(A1_RESMAN_ID, 10)
    simulator.max_window_results = 5
    now = datetime.now(UTC)
    with pytest.raises(ResManWindowTooWide):
        list(
            client(simulator.url).search_prospects(
                property_id=A1_RESMAN_ID, modified_start=now - timedelta(days=2), modified_end=now
            )
        )


class _Hostile(FakeService):
    def __init__(self, body: bytes):
        super().__init__()
        self.body = body

    def route(self, request):
        return Reply(200, self.body, {"Content-Type": "application/xml"})


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<ResMan><Status>Success</Status><Response><LeadManagement><Prospects><Prospect>&lol2;</Prospect>
</Prospects></LeadManagement></Response></ResMan>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ResMan><Status>Success</Status><Response>&xxe;</Response></ResMan>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["entity-expansion", "external-entity"])
def test_replies_with_dtds_or_entities_are_refused_not_expanded(body):
    with _Hostile(body) as hostile, pytest.raises(ResManConnectionError, match="not readable XML"):
        list(client(hostile.url).search_prospects(property_id=A1_RESMAN_ID, email="a@b.c"))


def test_marketing_feed_parses_floor_plans_units_availability_and_offer_terms(simulator):
    records = list(client(simulator.url).get_marketing(property_id=A1_RESMAN_ID))
    plans = [r for r in records if hasattr(r, "code")]
    units = {r.number: r for r in records if hasattr(r, "number")}
    assert {p.code for p in plans} == {"S1", "A1", "B2"}
    two_bed = next(p for p in plans if p.code == "B2")
    assert two_bed.bedrooms == 2 and two_bed.unit_count == 3
    assert units["201"].is_available and units["201"].available_date is not None  # occupied, on notice
    assert not units["203"].is_available and units["203"].available_date is None  # leased
    assert [months for months, _ in units["102"].offer_terms] == [6, 12, 15]
