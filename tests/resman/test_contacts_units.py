"""Contacts (read, update, merge here and in ResMan) and units (marketing feed, availability, pricing)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import Conversation, Prospect
from resman import selectors
from resman.models import FloorPlan, LeadLink, OutboxItem, OutboxStatus, PropertyResManSettings, ResManEvent, Unit
from resman.services import leads, units
from tests.factories import ConversationFactory
from tests.resman.conftest import A1_RESMAN_ID, chat_lead

pytestmark = pytest.mark.django_db


def pushed(commit, property_, prospect) -> LeadLink:
    with commit():
        item = leads.lead_push(property=property_, prospect=prospect)
    item.refresh_from_db()
    return LeadLink.objects.get(pk=item.result["lead_id"])


def test_contact_read_shows_every_guest_card_and_refresh_pulls_them(resman, tenants, commit, client_a_admin):
    prospect = chat_lead(tenants.a1, email="multi@example.com")
    ConversationFactory(property=tenants.a2, prospect=prospect)
    link_a1 = pushed(commit, tenants.a1, prospect)
    pushed(commit, tenants.a2, prospect)
    resman.touch(link_a1.resman_prospect_id, phone="5125550142")
    data = client_a_admin.get(f"/api/resman/contacts/{prospect.pk}").json()["data"]
    assert len(data["guest_cards"]) == 2 and data["phone"] == ""
    fresh = client_a_admin.get(f"/api/resman/contacts/{prospect.pk}?refresh=true").json()["data"]
    assert fresh["phone"] == "+15125550142"


def test_contact_update_changes_here_and_pushes_to_each_guest_card(resman, tenants, commit, client_a_admin):
    prospect = chat_lead(tenants.a1)
    ConversationFactory(property=tenants.a2, prospect=prospect)
    links = [pushed(commit, tenants.a1, prospect), pushed(commit, tenants.a2, prospect)]
    with commit():
        response = client_a_admin.put(f"/api/resman/contacts/{prospect.pk}", {"email": "New@Example.com"})
    assert response.status_code == 200, response.json()
    assert len(response.json()["data"]["outbox_items"]) == 2
    assert [resman.prospects[link.resman_prospect_id].email for link in links] == ["new@example.com"] * 2
    bad = client_a_admin.put(f"/api/resman/contacts/{prospect.pk}", {"email": "nope"})
    assert bad.status_code == 400


def test_contact_sync_pushes_one_property(resman, tenants, commit, client_a_admin):
    prospect = chat_lead(tenants.a1)
    with commit():
        response = client_a_admin.post(
            "/api/resman/contacts/sync", {"contact_id": str(prospect.pk), "property_id": str(tenants.a1.pk)}
        )
    assert response.status_code == 200
    assert OutboxItem.objects.get(prospect=prospect).status == OutboxStatus.SUCCEEDED
    assert len(resman.prospects_at(A1_RESMAN_ID)) == 1


def test_merging_two_prospects_keeps_everything_here_and_closes_the_duplicate_in_resman(
    resman, tenants, commit, client_a_admin
):
    primary = chat_lead(tenants.a1, email="person@example.com", phone="")
    secondary = chat_lead(tenants.a1, email="person.work@example.com", phone="+15125550177")
    primary_link, secondary_link = pushed(commit, tenants.a1, primary), pushed(commit, tenants.a1, secondary)
    resman.add_event(
        secondary_link.resman_prospect_id, EventType="CallFromProspect", EventDate="2026-11-01T10:00:00+00:00"
    )
    leads.property_poll(property_id=tenants.a1.pk)
    conversations = set(Conversation.objects.filter(prospect__in=[primary, secondary]).values_list("pk", flat=True))
    events_before = ResManEvent.objects.filter(lead__in=[primary_link, secondary_link]).count()

    with commit():
        response = client_a_admin.post(
            "/api/resman/contacts/merge", {"primary_id": str(primary.pk), "secondary_id": str(secondary.pk)}
        )
    assert response.status_code == 200, response.json()
    result = response.json()["data"]
    assert result["conversations_moved"] == 1 and len(result["resman_merges"]) == 1

    assert not Prospect.objects.filter(pk=secondary.pk).exists()
    assert set(Conversation.objects.filter(prospect=primary).values_list("pk", flat=True)) == conversations
    primary.refresh_from_db()
    assert primary.phone == "+15125550177"  # filled from the secondary
    assert ResManEvent.objects.filter(lead=primary_link).count() == events_before
    secondary_link.refresh_from_db()
    assert secondary_link.merged_into_id == primary_link.pk and secondary_link.prospect_id is None

    primary_card = resman.prospects[primary_link.resman_prospect_id]
    secondary_card = resman.prospects[secondary_link.resman_prospect_id]
    copied = [e for e in primary_card.events if "[Merged from guest card" in e["Comments"]]
    assert {e["EventType"] for e in copied} == {"WalkIn", "CallFromProspect"}
    assert secondary_card.customer_type == "lost" and secondary_card.events[-1]["EventType"] == "Cancel"
    assert primary_card.phone == "5125550177"

    # The closed duplicate comes back in polls; it is not revived as a prospect.
    PropertyResManSettings.objects.filter(property=tenants.a1).update(lead_cursor=None)
    assert leads.property_poll(property_id=tenants.a1.pk)["skipped"] == 1
    assert Prospect.objects.filter(company=tenants.company_a).count() == 1


def test_a_prospect_cannot_be_merged_into_itself_or_across_companies(resman, tenants, client_a_admin):
    prospect = chat_lead(tenants.a1)
    other = chat_lead(tenants.b1)
    same = client_a_admin.post(
        "/api/resman/contacts/merge", {"primary_id": str(prospect.pk), "secondary_id": str(prospect.pk)}
    )
    assert same.status_code == 400
    foreign = client_a_admin.post(
        "/api/resman/contacts/merge", {"primary_id": str(prospect.pk), "secondary_id": str(other.pk)}
    )
    assert foreign.status_code == 404 and foreign.json()["error"]["code"] == "RECORD_NOT_FOUND"


def test_unit_sync_reads_floor_plans_units_availability_and_term_pricing(resman, tenants, client_a_admin):
    response = client_a_admin.post("/api/resman/units/sync", {"property_id": str(tenants.a1.pk), "frequency": "hourly"})
    assert response.status_code == 200, response.json()
    body = response.json()["data"]
    assert (body["floor_plans"], body["units"], body["available_units"], body["frequency"]) == (3, 6, 4, "hourly")
    unit = Unit.objects.get(property=tenants.a1, resman_id="102")
    assert unit.floor_plan.name == "One Bedroom" and unit.is_available
    assert [term["term"] for term in unit.offer_terms] == [6, 12, 15]
    assert not Unit.objects.get(property=tenants.a1, resman_id="203").is_available


def test_a_second_sync_follows_resmans_changes(resman, tenants):
    units.units_sync(property=tenants.a1)
    prop = resman.properties[A1_RESMAN_ID]
    del prop.units["101"]
    prop.units["102"].market_rent += 100
    units.units_sync(property=tenants.a1)
    assert not Unit.objects.filter(property=tenants.a1, resman_id="101").exists()
    assert Unit.objects.get(property=tenants.a1, resman_id="102").market_rent == prop.units["102"].market_rent


def test_the_bot_can_ask_for_two_bedrooms_available_by_a_date_and_their_price(resman, tenants):
    units.units_sync(property=tenants.a1)
    today = timezone.now().date()
    soon = selectors.units_available(property=tenants.a1, bedrooms=2, move_in_by=today + timedelta(days=60))
    assert [u.unit for u in soon] == ["201"]  # 202 is ready only in 95 days, 203 is leased
    later = selectors.units_available(property=tenants.a1, bedrooms=2, move_in_by=today + timedelta(days=120))
    assert [u.unit for u in later] == ["201", "202"]
    two_bed = later[0]
    assert two_bed.floor_plan == "Two Bedroom" and two_bed.rent is not None
    assert {t["term"] for t in two_bed.term_pricing} == {6, 12, 15} and two_bed.rent_min < two_bed.rent
    assert len(selectors.units_available(property=tenants.a1)) == 4


def test_availability_and_pricing_routes(resman, tenants, client_a_admin):
    units.units_sync(property=tenants.a1)
    available = client_a_admin.get(f"/api/resman/units/availability/{tenants.a1.pk}?bedrooms=2").json()
    assert [u["unit"] for u in available["data"]] == ["201", "202"] and available["meta"]["pagination"]["total"] == 2
    pricing = client_a_admin.get(f"/api/resman/units/pricing/{tenants.a1.pk}").json()["data"]
    assert [p["code"] for p in pricing] == ["S1", "A1", "B2"]
    assert len(pricing[2]["available_units"]) == 2 and pricing[2]["available_units"][0]["term_pricing"]


def test_schedule_sync_runs_due_properties_only(resman, tenants):
    from resman.tasks import sync_due_units

    units.units_schedule_sync(property=tenants.a1, frequency="hourly")
    units.units_schedule_sync(property=tenants.a2, frequency="off")
    units.units_schedule_sync(property=tenants.b1, frequency="daily")
    PropertyResManSettings.objects.filter(property=tenants.b1).update(units_synced_at=timezone.now())
    assert sync_due_units() == 1
    assert FloorPlan.objects.filter(property=tenants.a1).count() == 3
    assert not FloorPlan.objects.exclude(property=tenants.a1).exists()
    assert sync_due_units() == 0
    PropertyResManSettings.objects.filter(property=tenants.a1).update(
        units_synced_at=timezone.now() - timedelta(hours=2)
    )
    assert sync_due_units() == 1


def test_unknown_frequency_is_refused(resman, tenants, client_a_admin):
    response = client_a_admin.post("/api/resman/units/sync", {"property_id": str(tenants.a1.pk), "frequency": "weekly"})
    assert response.status_code == 400


def test_units_sync_failure_is_recorded_and_keeps_the_last_good_feed(resman, tenants, client_a_admin):
    units.units_sync(property=tenants.a1)
    resman.failure_rate = 1.0
    response = client_a_admin.post("/api/resman/units/sync", {"property_id": str(tenants.a1.pk)})
    assert response.status_code == 502 and response.json()["error"]["code"] == "RESMAN_CONNECTION_ERROR"
    assert "HTTP 500" in PropertyResManSettings.objects.get(property=tenants.a1).units_sync_error
    assert Unit.objects.filter(property=tenants.a1).count() == 6
