"""Pushing leads to the simulator through the outbox, and the lost/reactivated round trip."""

import time
from datetime import date, timedelta

import pytest
from django.utils import timezone

from core.errors import ErrorCode
from core.events import publish
from resman.models import LeadLink, LeadStatus, OutboxItem, OutboxStatus, PropertyResManSettings
from resman.services import leads, outbox
from tests.resman.conftest import A1_RESMAN_ID, chat_lead

pytestmark = pytest.mark.django_db


def push(commit, property_, prospect) -> OutboxItem:
    with commit():
        item = leads.lead_push(property=property_, prospect=prospect)
    item.refresh_from_db()
    return item


def test_a_captured_lead_becomes_one_guest_card_with_its_ids_stored(resman, tenants, commit):
    prospect = chat_lead(
        tenants.a1,
        email="jamie@example.com",
        phone="+15125550100",
        move_in_date=date(2027, 3, 1),
        apartment_size_preference="2br",
        price_range_max=1900,
        occupants_count=2,
        has_pets=True,
    )
    item = push(commit, tenants.a1, prospect)

    assert item.status == OutboxStatus.SUCCEEDED and item.result["action"] == "created"
    link = LeadLink.objects.get(prospect=prospect, property=tenants.a1)
    card = resman.prospects[link.resman_prospect_id]
    assert (link.resman_person_id, card.email, card.phone) == (card.person_id, "jamie@example.com", "5125550100")
    assert "<TargetMoveInDate>2027-03-01</TargetMoveInDate>" in card.preferences_xml
    assert 'Max="1900"' in card.preferences_xml and 'Exact="2"' in card.preferences_xml
    assert card.events[0]["EventType"] == "WalkIn" and card.events[0]["FirstContact"] == "true"
    assert card.events[0]["TransactionSource"] == "SRC-CHAT" and card.events[0]["AgentID"] == "EMP-2"


def test_pushing_the_same_state_again_sends_nothing(resman, tenants, commit):
    prospect = chat_lead(tenants.a1)
    first = push(commit, tenants.a1, prospect)
    again = push(commit, tenants.a1, prospect)
    assert again.pk == first.pk  # same idempotency key: the same push
    with commit():
        item = outbox.outbox_enqueue(kind="lead_push", property=tenants.a1, key="lead:manual-retry", prospect=prospect)
    item.refresh_from_db()
    assert item.result["action"] == "unchanged"
    assert (resman.creates, resman.updates) == (1, 0)


def test_an_existing_resman_prospect_with_the_same_email_is_linked_not_duplicated(resman, tenants, commit):
    resman.seed_prospects(A1_RESMAN_ID, 1)
    existing = resman.prospects_at(A1_RESMAN_ID)[0]
    prospect = chat_lead(
        tenants.a1, email=existing.email.upper(), first_name=existing.first_name, last_name=existing.last_name
    )
    item = push(commit, tenants.a1, prospect)
    assert item.result["action"] == "linked" and item.result["resman_prospect_id"] == existing.prospect_id
    assert resman.creates == 0 and len(resman.prospects_at(A1_RESMAN_ID)) == 1


def test_then_by_phone_when_the_email_is_unknown(resman, tenants, commit):
    resman.seed_prospects(A1_RESMAN_ID, 1)
    existing = resman.prospects_at(A1_RESMAN_ID)[0]
    prospect = chat_lead(
        tenants.a1,
        email="other@example.com",
        phone="+1" + existing.phone,
        first_name=existing.first_name,
        last_name=existing.last_name,
    )
    item = push(commit, tenants.a1, prospect)
    assert item.result["action"] == "linked" and item.result["resman_prospect_id"] == existing.prospect_id
    searches = [r.form() for r in resman.requests if r.path == "/MITS/SearchProspects"]
    assert searches[0]["Email"] == "other@example.com" and searches[1]["Phone"] == existing.phone
    assert resman.creates == 0


def test_a_later_change_updates_the_guest_card_in_place(resman, tenants, commit):
    prospect = chat_lead(tenants.a1)
    link_id = push(commit, tenants.a1, prospect).result["lead_id"]
    conversation = prospect.conversations.get()
    conversation.move_in_date = date(2027, 5, 15)
    conversation.save()
    item = push(commit, tenants.a1, prospect)
    assert item.result == {**item.result, "action": "updated", "lead_id": link_id}
    card = resman.prospects[LeadLink.objects.get(pk=link_id).resman_prospect_id]
    assert "<TargetMoveInDate>2027-05-15</TargetMoveInDate>" in card.preferences_xml
    assert (resman.creates, resman.updates) == (1, 1)


def test_the_chats_lead_events_queue_a_push(resman, tenants, commit):
    prospect = chat_lead(tenants.a1, email="evented@example.com")
    conversation = prospect.conversations.get()
    with commit():
        publish(
            "lead.contact_captured",
            conversation_id=str(conversation.pk),
            prospect_id=str(prospect.pk),
            property_id=str(tenants.a1.pk),
        )
    assert OutboxItem.objects.get(prospect=prospect).status == OutboxStatus.SUCCEEDED
    assert [p.email for p in resman.prospects_at(A1_RESMAN_ID)] == ["evented@example.com"]


def test_properties_without_resman_queue_nothing(resman, tenants, commit):
    tenants.a2.resman_property_id = ""
    tenants.a2.save()
    prospect = chat_lead(tenants.a2)
    with commit():
        publish("lead.updated", conversation_id=None, prospect_id=str(prospect.pk), property_id=str(tenants.a2.pk))
    assert not OutboxItem.objects.exists()


def test_a_prospect_without_email_or_phone_is_skipped(resman, tenants, commit):
    prospect = chat_lead(tenants.a1, email="", phone="")
    item = push(commit, tenants.a1, prospect)
    assert item.status == OutboxStatus.SKIPPED and "no email or phone" in item.last_error
    assert resman.creates == 0


def test_unreachable_resman_is_retried_with_exponential_backoff_then_fails_for_good(resman, tenants, commit, settings):
    settings.RESMAN_OUTBOX_MAX_ATTEMPTS = 3
    resman.failure_rate = 1.0
    prospect = chat_lead(tenants.a1)
    item = push(commit, tenants.a1, prospect)
    delays = []
    for _ in range(2):
        assert item.status == OutboxStatus.PENDING and item.last_error_code == ErrorCode.RESMAN_CONNECTION_ERROR
        delays.append((item.next_attempt_at - timezone.now()).total_seconds())
        assert outbox.outbox_process(item_id=item.pk) == {"status": "not_due"}  # not before its time
        OutboxItem.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        outbox.outbox_process(item_id=item.pk)
        item.refresh_from_db()
    assert 25 < delays[0] < 40 and 55 < delays[1] < 75  # 30 s, then 60 s (with up to 20% jitter)
    assert item.status == OutboxStatus.FAILED and item.attempts == 3
    assert not LeadLink.objects.filter(prospect=prospect).exclude(resman_prospect_id=None).exists()


def test_a_refusal_fails_for_good_at_once_and_a_replay_sends_it(resman, tenants, commit, client_a_admin):
    PropertyResManSettings.objects.filter(property=tenants.a1).update(default_source_id="UNKNOWN-SOURCE")
    prospect = chat_lead(tenants.a1)
    item = push(commit, tenants.a1, prospect)
    assert item.status == OutboxStatus.FAILED and item.attempts == 1
    assert item.last_error_code == ErrorCode.RESMAN_API_ERROR and "Transaction Source" in item.last_error

    listed = client_a_admin.get("/api/resman/outbox?status=failed").json()
    assert [row["id"] for row in listed["data"]] == [str(item.pk)]

    PropertyResManSettings.objects.filter(property=tenants.a1).update(default_source_id="SRC-WEB")
    with commit():
        response = client_a_admin.post(f"/api/resman/outbox/{item.pk}/replay")
    assert response.status_code == 200 and response.json()["data"]["replay_count"] == 1
    assert client_a_admin.get(f"/api/resman/outbox/{item.pk}").json()["data"]["status"] == "succeeded"
    assert resman.creates == 1
    again = client_a_admin.post(f"/api/resman/outbox/{item.pk}/replay")
    assert again.status_code == 409 and again.json()["error"]["code"] == "INVALID_STATUS_TRANSITION"


def test_no_source_and_no_agent_mapped_is_a_final_failure_naming_what_to_map(resman, tenants, commit):
    PropertyResManSettings.objects.filter(property=tenants.a1).update(default_source_id="", default_agent_id="")
    item = push(commit, tenants.a1, chat_lead(tenants.a1))
    assert item.status == OutboxStatus.FAILED and "Map the lead source 'chat'" in item.last_error
    assert resman.creates == 0


def _slow_first_write(resman, seconds):
    """ResMan takes `seconds` over the first guest-card write: the client gives up, the write happens."""
    original, slowed = resman.route, []

    def route(request):
        if request.path.endswith("PostLeadManagement4_0") and not slowed:
            slowed.append(request)
            time.sleep(seconds)
        return original(request)

    resman.route = route


def test_a_create_whose_answer_was_lost_is_found_by_the_retry_not_created_twice(resman, tenants, commit, settings):
    settings.RESMAN_TIMEOUT_SECONDS = 0.3
    _slow_first_write(resman, 0.6)
    prospect = chat_lead(tenants.a1)
    item = push(commit, tenants.a1, prospect)

    assert item.status == OutboxStatus.PENDING and item.last_error_code == ErrorCode.RESMAN_CONNECTION_ERROR
    # Unknown outcome: the retry waits longer than ResMan takes (RESMAN_UNKNOWN_OUTCOME_SECONDS), not 30 s.
    assert (item.next_attempt_at - timezone.now()).total_seconds() > 100
    deadline = time.monotonic() + 3
    while not resman.creates and time.monotonic() < deadline:
        time.sleep(0.05)
    assert resman.creates == 1  # ResMan finished the write after the client had given up

    OutboxItem.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now())
    outbox.outbox_process(item_id=item.pk)
    item.refresh_from_db()
    assert item.status == OutboxStatus.SUCCEEDED and item.result["action"] == "linked"
    assert resman.creates == 1 and len(resman.prospects_at(A1_RESMAN_ID)) == 1
    assert (
        LeadLink.objects.get(prospect=prospect).resman_prospect_id == resman.prospects_at(A1_RESMAN_ID)[0].prospect_id
    )


def test_lost_then_reactivated_use_resmans_cancel_and_reactivate_events(resman, tenants, commit, client_a_admin):
    prospect = chat_lead(tenants.a1)
    link = LeadLink.objects.get(pk=push(commit, tenants.a1, prospect).result["lead_id"])
    with commit():
        lost = client_a_admin.post(
            f"/api/resman/leads/{link.pk}/status",
            {"status": "lost", "reason_id": "LR-2", "comments": "Signed elsewhere"},
        )
    assert lost.status_code == 200, lost.json()
    assert lost.json()["data"]["lead"]["status"] == "lost"
    card = resman.prospects[link.resman_prospect_id]
    assert card.customer_type == "lost"
    assert card.events[-1]["EventType"] == "Cancel" and card.events[-1]["TransactionSource"] == "LR-2"
    assert card.events[-1]["EventReasons"] == "Prospect Lost: Price too high"

    again = client_a_admin.post(f"/api/resman/leads/{link.pk}/status", {"status": "lost"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "INVALID_STATUS_TRANSITION"

    with commit():
        back = client_a_admin.post(f"/api/resman/leads/{link.pk}/status", {"status": "active"})
    assert back.status_code == 200
    assert card.customer_type == "prospect" and card.events[-1]["EventType"] == "ReActivate"
    link.refresh_from_db()
    assert link.status == LeadStatus.ACTIVE


@pytest.mark.django_db(transaction=True)
def test_sync_route_pushes_one_lead_and_reports_the_outcome_within_the_request(resman, tenants, client_a_admin):
    """Eager Celery (the embedded default): the push has run when the answer comes back."""
    prospect = chat_lead(tenants.a1)
    response = client_a_admin.post(
        "/api/resman/leads/sync",
        {"direction": "push", "property_id": str(tenants.a1.pk), "prospect_id": str(prospect.pk)},
    )
    assert response.status_code == 200
    item = response.json()["data"]["outbox_item"]
    assert item["status"] == "succeeded" and item["result"]["action"] == "created"


def test_sync_route_refuses_a_property_without_resman(resman, tenants, client_a_admin):
    tenants.a2.resman_property_id = ""
    tenants.a2.save()
    response = client_a_admin.post("/api/resman/leads/sync", {"direction": "pull", "property_id": str(tenants.a2.pk)})
    assert response.status_code == 400 and "not configured" in response.json()["error"]["message"]


def test_lead_update_route_changes_here_and_pushes(resman, tenants, commit, client_a_admin):
    prospect = chat_lead(tenants.a1)
    link = LeadLink.objects.get(pk=push(commit, tenants.a1, prospect).result["lead_id"])
    with commit():
        response = client_a_admin.put(f"/api/resman/leads/{link.pk}", {"first_name": "Jamie-Lee", "bedrooms": 1})
    assert response.status_code == 200, response.json()
    assert OutboxItem.objects.get(pk=response.json()["data"]["outbox_item"]["id"]).status == OutboxStatus.SUCCEEDED
    card = resman.prospects[link.resman_prospect_id]
    assert card.first_name == "Jamie-Lee" and 'Exact="1"' in card.preferences_xml
    assert prospect.conversations.get().apartment_size_preference == "1br"
    bad = client_a_admin.put(f"/api/resman/leads/{link.pk}", {"rent_min": 3000, "rent_max": 1000})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "VALIDATION_ERROR"


def test_a_push_waiting_for_its_retry_can_be_sent_now(resman, tenants, commit, client_a_admin):
    """With eager Celery (the embedded default) nothing else wakes a waiting push."""
    resman.fail_next(1)
    item = push(commit, tenants.a1, chat_lead(tenants.a1))
    assert item.status == OutboxStatus.PENDING and item.next_attempt_at > timezone.now()
    with commit():
        response = client_a_admin.post(f"/api/resman/outbox/{item.pk}/replay")
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.status == OutboxStatus.SUCCEEDED and item.attempts == 2 and resman.creates == 1
