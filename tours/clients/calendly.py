"""Calendly API v2: the few calls tours need, and Calendly's webhook signature scheme.

Knows nothing of Django models: it takes a token and a base URL, speaks Calendly's JSON, and raises
`ExternalServiceError` (unreachable, timeout, 5xx, garbage: worth retrying) or
`ExternalServiceRejected` (4xx: bad token, bad request: not worth retrying).
"""

import hashlib
import hmac
import time
from datetime import UTC, datetime, timedelta

import requests

from core.clients.http import ExternalServiceError, ExternalServiceRejected, JsonHttpClient

SIGNATURE_HEADER = "Calendly-Webhook-Signature"
WEBHOOK_EVENTS = ("invitee.created", "invitee.canceled")
# GET /user_busy_times answers for at most seven days at a time.
BUSY_TIMES_MAX_RANGE = timedelta(days=7)


def calendly_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_calendly_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


class CalendlyClient(JsonHttpClient):
    def __init__(self, *, token: str, base_url: str, timeout: float | None = None):
        super().__init__(base_url, timeout=timeout, headers={"Authorization": f"Bearer {token}"})

    def _json(self, method: str, path: str, **kwargs):
        try:
            response = self.session.request(method, self.base_url + path, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise ExternalServiceError(f"Calendly could not be reached ({type(exc).__name__}).") from exc
        if response.status_code >= 500:
            raise ExternalServiceError(f"Calendly answered HTTP {response.status_code}.")
        if response.status_code >= 400:
            raise ExternalServiceRejected(_calendly_error(response), response.status_code)
        if response.status_code == 204:
            return None
        try:
            body = response.json()
        except ValueError as exc:
            raise ExternalServiceError("Calendly answered with something that is not JSON.") from exc
        if not isinstance(body, dict):
            raise ExternalServiceError("Calendly answered with an unexpected document.")
        return body

    def current_user(self) -> dict:
        """GET /users/me: {uri, name, email, current_organization, timezone, ...}."""
        resource = self._json("GET", "/users/me").get("resource")
        if not isinstance(resource, dict) or "uri" not in resource:
            raise ExternalServiceError("Calendly's /users/me answer has no user resource.")
        return resource

    def user_busy_times(self, *, user_uri: str, start: datetime, end: datetime) -> list[dict]:
        """GET /user_busy_times over [start, end), asked for in windows of at most seven days."""
        items = []
        window_start = start
        while window_start < end:
            window_end = min(window_start + BUSY_TIMES_MAX_RANGE, end)
            body = self._json(
                "GET",
                "/user_busy_times",
                params={
                    "user": user_uri,
                    "start_time": calendly_time(window_start),
                    "end_time": calendly_time(window_end),
                },
            )
            collection = body.get("collection")
            if not isinstance(collection, list):
                raise ExternalServiceError("Calendly's busy times answer has no collection.")
            items.extend(collection)
            window_start = window_end
        return items

    def create_webhook_subscription(self, *, callback_url: str, organization: str, user: str, signing_key: str) -> dict:
        body = self._json(
            "POST",
            "/webhook_subscriptions",
            json={
                "url": callback_url,
                "events": list(WEBHOOK_EVENTS),
                "organization": organization,
                "user": user,
                "scope": "user",
                "signing_key": signing_key,
            },
        )
        resource = body.get("resource")
        if not isinstance(resource, dict) or "uri" not in resource:
            raise ExternalServiceError("Calendly's webhook answer has no subscription resource.")
        return resource

    def list_webhook_subscriptions(self, *, organization: str, user: str) -> list[dict]:
        body = self._json(
            "GET",
            "/webhook_subscriptions",
            params={"organization": organization, "user": user, "scope": "user", "count": 100},
        )
        return [item for item in body.get("collection") or [] if isinstance(item, dict)]

    def delete_webhook_subscription(self, *, uri: str) -> None:
        self._json("DELETE", "/webhook_subscriptions/" + uri.rstrip("/").rsplit("/", 1)[-1])


def _calendly_error(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"Calendly answered HTTP {response.status_code}."
    if not isinstance(body, dict):
        return f"Calendly answered HTTP {response.status_code}."
    message = body.get("message") or body.get("title") or f"HTTP {response.status_code}"
    details = body.get("details")
    if isinstance(details, list) and details and isinstance(details[0], dict):
        message = f"{message} ({details[0].get('parameter', '')}: {details[0].get('message', '')})"
    return f"Calendly: {message}"


def sign_webhook(*, signing_key: str, body: bytes, timestamp: int | None = None) -> str:
    """The `Calendly-Webhook-Signature` value for a body: `t=<unix time>,v1=<hex HMAC-SHA256>`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(signing_key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_webhook_signature(*, signing_key: str, header: str, body: bytes, tolerance_seconds: int) -> bool:
    """Calendly signs `<t>.<raw body>` with the subscription's signing key; stale deliveries fail."""
    parts = dict(item.split("=", 1) for item in (header or "").split(",") if "=" in item)
    timestamp, signature = parts.get("t", ""), parts.get("v1", "")
    if not timestamp.isdigit() or not signature or not signing_key:
        return False
    if abs(time.time() - int(timestamp)) > tolerance_seconds:
        return False
    expected = sign_webhook(signing_key=signing_key, body=body, timestamp=int(timestamp)).split("v1=", 1)[1]
    return hmac.compare_digest(expected, signature)
