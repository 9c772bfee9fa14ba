"""The spec's testing endpoints (company admins and platform staff): the ResMan connection test, a
signed webhook delivery to our own webhook route, and one conversation's analytics explained."""

import json
import time
import uuid

import requests
from django.conf import settings

from analytics import metrics, services
from core.errors import ValidationFailed
from core.integrations import IntegrationCheck, available_integration_checks, run_integration_check
from properties.models import Property
from resman.services.common import company_settings
from resman.services.webhooks import MERGE_EVENTS, PROSPECT_EVENTS, sign


def resman_connection_test(*, company) -> IntegrationCheck:
    if "resman" not in available_integration_checks():
        return IntegrationCheck(
            "resman", configured=False, ok=False, message="The ResMan integration is not installed."
        )
    return run_integration_check("resman", company)


def _test_data(event_type: str, prospect_id: str | None) -> dict:
    if event_type in PROSPECT_EVENTS:
        return {"prospect_id": prospect_id or f"test-{uuid.uuid4().hex[:12]}"}
    if event_type in MERGE_EVENTS:
        return {"primary_prospect_id": "test-primary", "secondary_prospect_id": "test-secondary"}
    return {}


def _property_for(company, property_id) -> Property:
    properties = Property.objects.filter(company=company).exclude(resman_property_id="")
    found = properties.filter(pk=property_id).first() if property_id else properties.order_by("name", "id").first()
    if found is None:
        raise ValidationFailed(
            "The delivery must name a property with a ResMan property id, and this company has none"
            + (" by that id." if property_id else "."),
            details={"property_id": [str(property_id) if property_id else "No property has a ResMan property id."]},
        )
    return found


def webhook_test_deliver(
    *, company, event_type: str, property_id=None, prospect_id: str | None = None, base_url: str | None = None
) -> dict:
    """Builds a delivery exactly as ResMan's webhook contract wants it (body, company, timestamp and
    HMAC signature under the company's webhook secret) and POSTs it to our own webhook route over
    HTTP. The route then handles it like any other: stored, and processed by the worker."""
    property_ = _property_for(company, property_id)
    event_id = f"test-{uuid.uuid4().hex}"
    body = json.dumps(
        {
            "event_id": event_id,
            "property_id": property_.resman_property_id,
            "data": _test_data(event_type, prospect_id),
        },
        separators=(",", ":"),
    ).encode()
    timestamp = str(int(time.time()))
    url = f"{(base_url or settings.PUBLIC_BASE_URL).rstrip('/')}/api/resman/webhooks/{event_type}"
    headers = {
        "Content-Type": "application/json",
        "X-Webhook-Company": str(company.pk),
        "X-Webhook-Timestamp": timestamp,
        "X-Webhook-Signature": sign(secret=company_settings(company).webhook_secret, timestamp=timestamp, body=body),
    }
    result = {
        "company_id": company.pk,
        "property_id": property_.pk,
        "event_type": event_type,
        "event_id": event_id,
        "url": url,
        "delivered": False,
        "ok": False,
        "status_code": None,
        "response": None,
        "error": None,
    }
    started = time.perf_counter()
    try:
        response = requests.post(url, data=body, headers=headers, timeout=settings.WEBHOOK_TEST_TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"[:500]
    else:
        try:
            answer = response.json()
        except ValueError:
            answer = response.text[:1000]
        result.update(
            delivered=True, ok=response.status_code in (200, 202), status_code=response.status_code, response=answer
        )
        if not result["ok"]:
            result["error"] = f"The webhook route answered HTTP {response.status_code}."
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def analytics_calculation_explain(*, conversation) -> dict:
    """Recomputes the record and shows what went in, the rules, and what came out."""
    calculation = services.conversation_analytics_refresh(conversation_id=conversation.pk)
    return {
        "conversation_id": conversation.pk,
        "property_id": conversation.property_id,
        "changed": calculation.changed,
        "abandon_after_minutes": settings.ANALYTICS_ABANDON_MINUTES,
        "inputs": calculation.inputs.as_dict(),
        "rules": metrics.RULES,
        "result": calculation.record,
    }
