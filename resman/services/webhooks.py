"""Webhook deliveries from a relay or partner on the customer's side (ResMan itself only polls).

A delivery is `POST /api/resman/webhooks/<event>` with a JSON body
`{"event_id": "...", "property_id": "<ResMan PropertyID>", "data": {...}}` and the headers
`X-Webhook-Company` (our company id), `X-Webhook-Timestamp` (Unix seconds) and
`X-Webhook-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + raw body, keyed by the company's
webhook secret>`. Deliveries older than five minutes are replays and are refused; a delivery whose
event id was seen before answers 200 "duplicate" and does nothing.

Accepted deliveries are stored and answered at once (202); a Celery task then processes them through
the same path as the poller: the prospect named in `data.prospect_id` is read from ResMan and
ingested (so the same change arriving by poll is applied once), a merge is applied here, and unit
events re-read the marketing feed.
"""

import hashlib
import hmac
import json
import time
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from companies.models import Company
from conversations.models import Prospect
from core.errors import DomainError, ErrorCode
from properties.models import Property
from resman.client import ResManConnectionError
from resman.models import CompanyResManSettings, LeadLink, WebhookDelivery, WebhookStatus
from resman.services.common import client_for, tracked
from resman.services.contacts import contacts_merge
from resman.services.ingestion import prospects_ingest
from resman.services.units import units_sync

PROSPECT_EVENTS = {
    "lead-created",
    "lead-updated",
    "lead-status-changed",
    "tour-created",
    "tour-updated",
    "tour-cancelled",
    "contact-created",
    "contact-updated",
}
MERGE_EVENTS = {"contact-merged"}
UNIT_EVENTS = {"unit-availability-changed", "unit-pricing-changed"}
EVENT_TYPES = sorted(PROSPECT_EVENTS | MERGE_EVENTS | UNIT_EVENTS)


class WebhookRejected(DomainError):
    status = 401
    code = ErrorCode.WEBHOOK_ERROR
    message = "The webhook delivery could not be verified."


class WebhookMalformed(DomainError):
    status = 400
    code = ErrorCode.WEBHOOK_ERROR
    message = "The webhook delivery is not in the expected format."


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _verify(company_id: str, timestamp: str, signature: str, body: bytes) -> Company:
    try:
        company = Company.objects.get(pk=uuid.UUID(company_id or ""))
        secret = CompanyResManSettings.objects.get(company=company).webhook_secret
        sent_at = int(timestamp)
    except (ValueError, Company.DoesNotExist, CompanyResManSettings.DoesNotExist):
        raise WebhookRejected() from None
    if abs(time.time() - sent_at) > settings.RESMAN_WEBHOOK_TOLERANCE_SECONDS:
        raise WebhookRejected("The webhook delivery is too old (a replay) or from the future.")
    if not hmac.compare_digest(sign(secret=secret, timestamp=timestamp, body=body), signature or ""):
        raise WebhookRejected()
    return company


def _parse(event_type: str, body: bytes) -> dict:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookMalformed("The webhook body is not JSON.") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("data", {}), dict):
        raise WebhookMalformed()
    event_id, property_id, data = payload.get("event_id"), payload.get("property_id"), payload.get("data") or {}
    problems = {}
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 100:
        problems["event_id"] = ["Required: a string of at most 100 characters."]
    if not isinstance(property_id, str) or not property_id:
        problems["property_id"] = ["Required: the ResMan PropertyID."]
    wanted = {"prospect_id"} if event_type in PROSPECT_EVENTS else set()
    if event_type in MERGE_EVENTS:
        wanted = {"primary_prospect_id", "secondary_prospect_id"}
    for name in sorted(wanted):
        if not isinstance(data.get(name), str) or not data[name]:
            problems[f"data.{name}"] = ["Required: a ResMan ProspectID."]
    if problems:
        raise WebhookMalformed(details=problems)
    return payload


def webhook_receive(*, event_type: str, body: bytes, company_id: str, timestamp: str, signature: str) -> dict:
    """Verifies, deduplicates and stores a delivery; its processing is queued after commit."""
    company = _verify(company_id, timestamp, signature, body)
    payload = _parse(event_type, body)
    if not Property.objects.filter(company=company, resman_property_id=payload["property_id"]).exists():
        raise WebhookMalformed("No property of this company has that ResMan property id.")
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                company=company,
                event_id=payload["event_id"],
                event_type=event_type,
                resman_property_id=payload["property_id"],
                payload=payload,
            )
    except IntegrityError:
        return {"status": "duplicate", "event_id": payload["event_id"]}
    from resman import tasks

    transaction.on_commit(lambda: tasks.process_webhook.delay(str(delivery.pk)))
    return {"status": "accepted", "event_id": payload["event_id"], "delivery_id": str(delivery.pk)}


def webhook_process(*, delivery_id) -> dict:
    """Applies a stored delivery once (a conditional update claims it)."""
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status__in=[WebhookStatus.RECEIVED, WebhookStatus.FAILED]
    ).update(status=WebhookStatus.PROCESSING, attempts=F("attempts") + 1)
    if not claimed:
        return {"status": "already_processed"}
    delivery = WebhookDelivery.objects.select_related("company").get(pk=delivery_id)
    property = Property.objects.select_related("company").get(
        company=delivery.company, resman_property_id=delivery.resman_property_id
    )
    data = delivery.payload.get("data") or {}
    try:
        if delivery.event_type in PROSPECT_EVENTS:
            client = client_for(property.company)
            with tracked(property.company):
                records = list(
                    client.search_prospects(property_id=property.resman_property_id, prospect_id=data["prospect_id"])
                )
            result = prospects_ingest(property=property, records=records, origin="webhook").as_dict()
        elif delivery.event_type in MERGE_EVENTS:
            result = _merge(property, data["primary_prospect_id"], data["secondary_prospect_id"])
        else:
            result = units_sync(property=property)
    except DomainError as exc:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookStatus.FAILED, last_error=exc.message[:1000]
        )
        if isinstance(exc, ResManConnectionError):
            raise
        return {"status": "failed", "error": exc.message}
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookStatus.PROCESSED, processed_at=timezone.now(), result=result, last_error=""
    )
    return {"status": "processed", **result}


def _merge(property, primary_resman_id: str, secondary_resman_id: str) -> dict:
    links = {
        link.resman_prospect_id: link
        for link in LeadLink.objects.filter(
            property=property, resman_prospect_id__in=[primary_resman_id, secondary_resman_id]
        )
    }
    primary, secondary = links.get(primary_resman_id), links.get(secondary_resman_id)
    if primary is None or secondary is None or not (primary.prospect_id and secondary.prospect_id):
        return {"merged": False, "message": "One of the guest cards is not known here (or already merged)."}
    prospects = Prospect.objects.in_bulk([primary.prospect_id, secondary.prospect_id])
    result = contacts_merge(
        primary=prospects[primary.prospect_id], secondary=prospects[secondary.prospect_id], push=False
    )
    return {"merged": True, **result}
