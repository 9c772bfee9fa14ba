"""Webhook deliveries: HMAC over timestamp and raw body, replays refused, duplicates applied once,
processed through the poller's ingestion path."""

import json
import time
import uuid

import pytest
from rest_framework.test import APIClient

from conversations.models import Prospect
from resman.models import LeadLink, PropertyResManSettings, Unit, WebhookDelivery, WebhookStatus
from resman.services import leads
from resman.services.common import company_settings
from resman.services.webhooks import sign
from tests.conftest import client_for
from tests.resman.conftest import A1_RESMAN_ID, chat_lead

pytestmark = pytest.mark.django_db


def deliver(company, event, payload, *, secret=None, timestamp=None, signature=None, company_id=None):
    body = json.dumps(payload).encode()
    timestamp = str(timestamp if timestamp is not None else int(time.time()))
    secret = secret or company_settings(company).webhook_secret
    return APIClient().post(
        f"/api/resman/webhooks/{event}",
        data=body,
        content_type="application/json",
        HTTP_X_WEBHOOK_COMPANY=str(company_id or company.pk),
        HTTP_X_WEBHOOK_TIMESTAMP=timestamp,
        HTTP_X_WEBHOOK_SIGNATURE=signature or sign(secret=secret, timestamp=timestamp, body=body),
    )


def event(prospect_id, property_id=A1_RESMAN_ID, **data):
    return {"event_id": str(uuid.uuid4()), "property_id": property_id, "data": {"prospect_id": prospect_id, **data}}


def test_a_signed_delivery_is_answered_at_once_and_ingested_like_a_poll(resman, tenants, commit):
    resman.seed_prospects(A1_RESMAN_ID, 1)
    card = resman.prospects_at(A1_RESMAN_ID)[0]
    with commit():
        response = deliver(tenants.company_a, "lead-created", event(card.prospect_id))
    assert response.status_code == 202 and response.json()["data"]["status"] == "accepted"
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookStatus.PROCESSED and delivery.result["created"] == 1
    link = LeadLink.objects.get(resman_prospect_id=card.prospect_id)
    assert link.prospect.email == card.email

    # The same change read again by the poller is applied once.
    poll = leads.property_poll(property_id=tenants.a1.pk)
    assert poll["received"] >= 1 and poll["received"] == poll["unchanged"]  # windows overlap by a second
    assert (poll["created"], poll["updated"], poll["events"]) == (0, 0, 0)
    assert Prospect.objects.filter(company=tenants.company_a).count() == 1


def test_a_change_seen_by_poll_first_is_not_applied_again_by_the_webhook(resman, tenants, commit):
    prospect = chat_lead(tenants.a1)
    with commit():
        item = leads.lead_push(property=tenants.a1, prospect=prospect)
    item.refresh_from_db()
    link = LeadLink.objects.get(pk=item.result["lead_id"])
    resman.touch(link.resman_prospect_id, last_name="Changed")
    assert leads.property_poll(property_id=tenants.a1.pk)["updated"] == 1
    with commit():
        deliver(tenants.company_a, "lead-updated", event(link.resman_prospect_id))
    assert WebhookDelivery.objects.get().result["unchanged"] == 1


def test_a_redelivered_event_id_is_acknowledged_and_ignored(resman, tenants, commit):
    resman.seed_prospects(A1_RESMAN_ID, 1)
    payload = event(resman.prospects_at(A1_RESMAN_ID)[0].prospect_id)
    with commit():
        first = deliver(tenants.company_a, "contact-updated", payload)
        second = deliver(tenants.company_a, "contact-updated", payload)
    assert (first.status_code, second.status_code) == (202, 200)
    assert second.json()["data"]["status"] == "duplicate"
    assert WebhookDelivery.objects.count() == 1
    searches = [r for r in resman.requests if r.path == "/MITS/SearchProspects"]
    assert len(searches) == 1


@pytest.mark.parametrize(
    "tamper",
    [
        {"signature": "sha256=" + "0" * 64},
        {"secret": "whsec_someone-elses"},
        {"timestamp": int(time.time()) - 301},  # a replay, signed correctly but too old
        {"timestamp": "yesterday"},
        {"company_id": "not-a-uuid"},
        {"company_id": str(uuid.uuid4())},
    ],
    ids=["bad-signature", "wrong-secret", "replay", "bad-timestamp", "bad-company", "unknown-company"],
)
def test_unverifiable_deliveries_are_refused(resman, tenants, tamper):
    resman.seed_prospects(A1_RESMAN_ID, 1)
    response = deliver(tenants.company_a, "lead-updated", event("x"), **tamper)
    assert response.status_code == 401 and response.json()["error"]["code"] == "WEBHOOK_ERROR"
    assert not WebhookDelivery.objects.exists()


def test_another_companys_secret_does_not_sign_for_this_one(resman, tenants):
    other_secret = company_settings(tenants.company_b).webhook_secret
    response = deliver(tenants.company_a, "lead-updated", event("x"), secret=other_secret)
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("event_type", "payload"),
    [
        ("lead-updated", {"event_id": "e1", "property_id": A1_RESMAN_ID, "data": {}}),
        ("lead-updated", {"property_id": A1_RESMAN_ID, "data": {"prospect_id": "p"}}),
        ("lead-updated", {"event_id": "e1", "property_id": "not-ours", "data": {"prospect_id": "p"}}),
        ("contact-merged", {"event_id": "e1", "property_id": A1_RESMAN_ID, "data": {"primary_prospect_id": "p"}}),
        ("lead-updated", ["not", "an", "object"]),
    ],
    ids=["no-prospect", "no-event-id", "unknown-property", "merge-without-secondary", "not-an-object"],
)
def test_malformed_deliveries_are_a_400(resman, tenants, event_type, payload):
    response = deliver(tenants.company_a, event_type, payload)
    assert response.status_code == 400 and response.json()["error"]["code"] == "WEBHOOK_ERROR"


def test_a_merge_delivery_merges_our_two_prospects_without_writing_to_resman(resman, tenants, commit):
    resman.seed_prospects(A1_RESMAN_ID, 2)
    first, second = resman.prospects_at(A1_RESMAN_ID)
    leads.property_poll(property_id=tenants.a1.pk)
    writes_before = resman.creates + resman.updates
    with commit():
        response = deliver(
            tenants.company_a,
            "contact-merged",
            {
                "event_id": "merge-1",
                "property_id": A1_RESMAN_ID,
                "data": {"primary_prospect_id": first.prospect_id, "secondary_prospect_id": second.prospect_id},
            },
        )
    assert response.status_code == 202
    assert WebhookDelivery.objects.get().result["merged"] is True
    assert Prospect.objects.filter(company=tenants.company_a).count() == 1
    assert resman.creates + resman.updates == writes_before


def test_unit_deliveries_read_the_marketing_feed(resman, tenants, commit):
    with commit():
        deliver(tenants.company_a, "unit-pricing-changed", {"event_id": "u1", "property_id": A1_RESMAN_ID, "data": {}})
    assert Unit.objects.filter(property=tenants.a1).count() == 6
    assert PropertyResManSettings.objects.get(property=tenants.a1).units_synced_at is not None


def test_a_delivery_resman_cannot_answer_for_is_recorded_as_failed(resman, tenants, commit):
    resman.failure_rate = 1.0
    with commit():
        response = deliver(tenants.company_a, "lead-updated", event("whatever"))
    assert response.status_code == 202
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookStatus.FAILED and "HTTP 500" in delivery.last_error


def test_admins_read_the_masked_secret_and_rotate_it(resman, tenants):
    admin = client_for(tenants.admin_a.user)
    settings_url = f"/api/resman/companies/{tenants.company_a.pk}/webhook-settings"
    data = admin.get(settings_url).json()["data"]
    secret = company_settings(tenants.company_a).webhook_secret
    assert data["webhook_secret"] == "••••••••" + secret[-4:] and data["webhook_urls"]["lead-created"].endswith(
        "/api/resman/webhooks/lead-created"
    )
    assert client_for(tenants.manager_write.user).get(settings_url).status_code == 403
    assert client_for(tenants.admin_b.user).get(settings_url).status_code == 404
    rotated = admin.post(f"/api/resman/companies/{tenants.company_a.pk}/rotate-webhook-secret").json()["data"]
    assert rotated["webhook_secret"] != secret
    assert deliver(tenants.company_a, "lead-updated", event("x"), secret=secret).status_code == 401
