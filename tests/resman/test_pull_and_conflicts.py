"""The poller (windows, cursor, the 502 halving), ingestion, and conflicts with their resolution."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from conversations.models import Conversation, Prospect
from resman.models import LeadLink, PropertyResManSettings, ResManEvent, SyncConflict
from resman.services import leads
from tests.resman.conftest import A1_RESMAN_ID, chat_lead

pytestmark = pytest.mark.django_db


def test_a_first_poll_brings_in_resmans_prospects_with_preferences_and_events(resman, tenants):
    resman.seed_prospects(A1_RESMAN_ID, 12, span_hours=48)
    result = leads.property_poll(property_id=tenants.a1.pk)
    assert result["ok"] and result["created"] == 12 and result["events"] == 12
    links = LeadLink.objects.filter(property=tenants.a1)
    assert links.count() == 12 and not links.filter(resman_prospect_id=None).exists()
    card = resman.prospects_at(A1_RESMAN_ID)[3]
    prospect = Prospect.objects.get(resman_links__resman_prospect_id=card.prospect_id)
    conversation = Conversation.objects.get(prospect=prospect, property=tenants.a1)
    assert (prospect.email, prospect.lead_source, conversation.source) == (card.email, "resman", "resman")
    assert conversation.apartment_size_preference == "studio"  # index 3 -> 0 bedrooms
    assert conversation.price_range_max == 1700 and conversation.move_in_date is not None
    state = PropertyResManSettings.objects.get(property=tenants.a1)
    assert state.lead_cursor == datetime.fromisoformat(result["until"]) and state.last_poll_error == ""


def test_polling_again_applies_nothing_twice(resman, tenants):
    resman.seed_prospects(A1_RESMAN_ID, 5)
    leads.property_poll(property_id=tenants.a1.pk)
    PropertyResManSettings.objects.filter(property=tenants.a1).update(lead_cursor=None)
    again = leads.property_poll(property_id=tenants.a1.pk)
    assert again["received"] >= 5 and again["received"] == again["unchanged"]  # windows overlap by a second
    assert (again["created"], again["updated"], again["events"]) == (0, 0, 0)
    assert Prospect.objects.filter(company=tenants.company_a).count() == 5
    assert ResManEvent.objects.count() == 5


def test_a_window_too_wide_is_halved_until_resman_can_answer_it(resman, tenants, settings):
    settings.RESMAN_POLL_WINDOW_HOURS = 24
    start = timezone.now() - timedelta(hours=20)
    resman.seed_prospects(A1_RESMAN_ID, 16, start=start, span_hours=16)
    resman.max_window_results = 5
    PropertyResManSettings.objects.filter(property=tenants.a1).update(lead_cursor=start - timedelta(hours=2))
    result = leads.property_poll(property_id=tenants.a1.pk)
    assert result["ok"] and result["created"] == 16
    searches = [r.form() for r in resman.requests if r.path == "/MITS/SearchProspects"]
    spans = sorted(
        (datetime.fromisoformat(f["ModifiedEndDateTime"]) - datetime.fromisoformat(f["ModifiedStartDateTime"]))
        for f in searches
    )
    assert len(searches) > 4 and spans[0] < timedelta(hours=24) / 4  # halved several times


def test_the_cursor_stays_at_the_last_window_stored_when_resman_fails(resman, tenants, settings):
    settings.RESMAN_POLL_WINDOW_HOURS = 24
    start = timezone.now() - timedelta(days=3)
    PropertyResManSettings.objects.filter(property=tenants.a1).update(lead_cursor=start)
    resman.seed_prospects(A1_RESMAN_ID, 3, start=start + timedelta(hours=1), span_hours=2)
    original = resman.route
    calls = []

    def fail_the_second_window(request):
        calls.append(request.path)
        if len(calls) == 2:
            from core.testing.fake_http import Reply

            return Reply(503, "down")
        return original(request)

    resman.route = fail_the_second_window
    result = leads.property_poll(property_id=tenants.a1.pk)
    assert result["ok"] is False and result["error"]["code"] == "RESMAN_CONNECTION_ERROR"
    state = PropertyResManSettings.objects.get(property=tenants.a1)
    assert state.lead_cursor == start + timedelta(hours=24)  # the first window was stored
    assert LeadLink.objects.filter(property=tenants.a1).count() == 3
    assert "HTTP 503" in state.last_poll_error
    resman.route = original
    assert leads.property_poll(property_id=tenants.a1.pk)["ok"]
    assert PropertyResManSettings.objects.get(property=tenants.a1).lead_cursor > start + timedelta(days=2)


def test_a_resman_prospect_with_our_prospects_email_is_linked_to_them(resman, tenants):
    prospect = chat_lead(tenants.a1, email="known@example.com", first_name="Kim", last_name="")
    resman.seed_prospects(A1_RESMAN_ID, 1)
    card = resman.prospects_at(A1_RESMAN_ID)[0]
    resman.touch(card.prospect_id, email="Known@Example.com", first_name="Kim", last_name="Lee")
    result = leads.property_poll(property_id=tenants.a1.pk)
    assert (result["linked"], result["created"]) == (1, 0)
    prospect.refresh_from_db()
    assert prospect.last_name == "Lee"  # blank here, so ResMan's fills it
    assert LeadLink.objects.get(prospect=prospect).resman_prospect_id == card.prospect_id


def _linked_lead(resman, tenants, commit):
    prospect = chat_lead(tenants.a1, email="both@example.com", move_in_date=date(2027, 3, 1))
    with commit():
        item = leads.lead_push(property=tenants.a1, prospect=prospect)
    item.refresh_from_db()
    return prospect, LeadLink.objects.get(pk=item.result["lead_id"])


def test_a_change_in_resman_only_is_applied_here(resman, tenants, commit):
    prospect, link = _linked_lead(resman, tenants, commit)
    resman.touch(link.resman_prospect_id, first_name="Jamie-Ann")
    result = leads.property_poll(property_id=tenants.a1.pk)
    assert result["updated"] == 1 and result["conflicts"] == 0
    prospect.refresh_from_db()
    assert prospect.first_name == "Jamie-Ann"


def test_a_change_on_both_sides_is_a_conflict_and_neither_side_is_overwritten(resman, tenants, commit, client_a_admin):
    prospect, link = _linked_lead(resman, tenants, commit)
    resman.touch(link.resman_prospect_id, first_name="ResManName")
    prospect.first_name = "OurName"
    prospect.save()
    result = leads.property_poll(property_id=tenants.a1.pk)
    assert result["conflicts"] == 1
    prospect.refresh_from_db()
    assert prospect.first_name == "OurName" and resman.prospects[link.resman_prospect_id].first_name == "ResManName"

    listed = client_a_admin.get("/api/resman/leads/conflicts").json()["data"]
    assert [(c["field"], c["our_value"], c["their_value"], c["base_value"]) for c in listed] == [
        ("first_name", "OurName", "ResManName", "Jamie")
    ]
    # While it is open, a push keeps ResMan's value for that field and changing it here is refused.
    with commit():
        leads.lead_push(property=tenants.a1, prospect=prospect, reason="test")
    assert resman.prospects[link.resman_prospect_id].first_name == "ResManName"
    refused = client_a_admin.put(f"/api/resman/leads/{link.pk}", {"first_name": "Third"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "CONFLICT_RESOLUTION_REQUIRED"


@pytest.mark.parametrize(
    ("resolution", "value", "expected"),
    [("ours", None, "OurName"), ("theirs", None, "ResManName"), ("value", "Agreed", "Agreed")],
)
def test_resolving_a_conflict_applies_the_choice_on_both_sides(
    resman, tenants, commit, client_a_admin, resolution, value, expected
):
    prospect, link = _linked_lead(resman, tenants, commit)
    resman.touch(link.resman_prospect_id, first_name="ResManName")
    prospect.first_name = "OurName"
    prospect.save()
    leads.property_poll(property_id=tenants.a1.pk)
    conflict = SyncConflict.objects.get()
    body = {"resolution": resolution} | ({"value": value} if value else {})
    with commit():
        response = client_a_admin.post(f"/api/resman/leads/resolve-conflict/{conflict.pk}", body)
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["conflict"]["status"] == "resolved"
    prospect.refresh_from_db()
    assert prospect.first_name == expected
    assert resman.prospects[link.resman_prospect_id].first_name == expected
    PropertyResManSettings.objects.filter(property=tenants.a1).update(lead_cursor=None)
    assert leads.property_poll(property_id=tenants.a1.pk)["conflicts"] == 0
    again = client_a_admin.post(f"/api/resman/leads/resolve-conflict/{conflict.pk}", body)
    assert again.status_code == 409


def test_a_resolution_value_is_validated_for_its_field(resman, tenants, commit, client_a_admin):
    prospect, link = _linked_lead(resman, tenants, commit)
    resman.touch(link.resman_prospect_id, email="theirs@example.com")
    prospect.email = "ours@example.com"
    prospect.save()
    leads.property_poll(property_id=tenants.a1.pk)
    conflict = SyncConflict.objects.get(field="email")
    response = client_a_admin.post(
        f"/api/resman/leads/resolve-conflict/{conflict.pk}", {"resolution": "value", "value": "not-an-email"}
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "VALIDATION_ERROR"
    missing = client_a_admin.post(f"/api/resman/leads/resolve-conflict/{conflict.pk}", {"resolution": "value"})
    assert missing.status_code == 400
    assert SyncConflict.objects.get(pk=conflict.pk).status == "open"


def test_lead_detail_with_refresh_pulls_the_guest_card(resman, tenants, commit, client_a_admin):
    _, link = _linked_lead(resman, tenants, commit)
    resman.touch(link.resman_prospect_id, last_name="Pulled")
    plain = client_a_admin.get(f"/api/resman/leads/{link.pk}").json()["data"]
    assert plain["last_name"] == "Rivera"
    fresh = client_a_admin.get(f"/api/resman/leads/{link.pk}?refresh=true").json()["data"]
    assert fresh["last_name"] == "Pulled" and fresh["resman_prospect_id"] == link.resman_prospect_id


def test_pull_route_reads_since_a_given_time(resman, tenants, client_a_admin):
    resman.seed_prospects(A1_RESMAN_ID, 4, start=datetime.now(UTC) - timedelta(hours=3), span_hours=2)
    response = client_a_admin.post(
        "/api/resman/leads/sync",
        {
            "direction": "pull",
            "property_id": str(tenants.a1.pk),
            "since": (timezone.now() - timedelta(hours=4)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert response.json()["data"]["pull"]["created"] == 4
