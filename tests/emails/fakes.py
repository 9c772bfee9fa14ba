"""A fake SendGrid v3 API on 127.0.0.1 speaking the real wire format: POST /v3/mail/send (202 with
X-Message-Id, 400 with field errors for a payload SendGrid would refuse) and GET /v3/scopes, with
SendGrid's `{"errors": [...]}` bodies for 401, 403 and 429 (with X-RateLimit-Reset), and able to
fail like any FakeService (fail_next for 5xx, delay for timeouts, garbage_next).

    fake.reject_next(429)      # the next request is rate limited
    fake.reject_next(403, "The from address does not match a verified Sender Identity.")
"""

import secrets
import time

from core.testing.fake_http import FakeService, RecordedRequest, Reply

API_KEY = "SG.test-key.0123456789"
DEFAULT_SCOPES = ["mail.send", "scopes.read", "user.profile.read"]
MESSAGES = {
    400: "Bad Request",
    401: "The provided authorization grant is invalid, expired, or revoked",
    403: "access forbidden",
    413: "Payload Too Large",
    429: "too many requests",
    500: "internal error",
}


def errors(status: int, message: str | None = None, field: str | None = None, headers=None) -> Reply:
    return Reply(
        status, {"errors": [{"message": message or MESSAGES.get(status, "error"), "field": field}]}, headers or {}
    )


class FakeSendGrid(FakeService):
    def __init__(self, api_keys: dict | None = None, **kwargs):
        super().__init__(**kwargs)
        # key -> its scopes
        self.api_keys = api_keys if api_keys is not None else {API_KEY: list(DEFAULT_SCOPES)}
        self.accepted: list[dict] = []
        self._rejections: list[Reply] = []

    def reject_next(self, status: int, message: str | None = None) -> None:
        headers = {"X-RateLimit-Reset": str(int(time.time()) + 2)} if status == 429 else {}
        with self._lock:
            self._rejections.append(errors(status, message, headers=headers))

    @property
    def sends(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == "/v3/mail/send"]

    def accepted_to(self, address: str) -> list[dict]:
        return [m for m in self.accepted if m["personalizations"][0]["to"][0]["email"] == address]

    def route(self, request: RecordedRequest) -> Reply:
        auth = request.headers.get("authorization", "")
        key = auth[7:] if auth.startswith("Bearer ") else None
        if key not in self.api_keys:
            return errors(401)
        with self._lock:
            rejection = self._rejections.pop(0) if self._rejections else None
        if rejection is not None:
            return rejection
        if request.method == "GET" and request.path == "/v3/scopes":
            return Reply(200, {"scopes": self.api_keys[key]})
        if request.method == "POST" and request.path == "/v3/mail/send":
            if "mail.send" not in self.api_keys[key]:
                return errors(403)
            return self._mail_send(request)
        return errors(404, "not found")

    def _mail_send(self, request: RecordedRequest) -> Reply:
        try:
            body = request.json()
        except ValueError:
            return errors(400, "Invalid JSON")
        problem = _validate(body)
        if problem:
            return errors(400, *problem)
        message_id = secrets.token_urlsafe(16)
        with self._lock:
            self.accepted.append({**body, "_message_id": message_id})
        return Reply(202, b"", {"X-Message-Id": message_id})


def _validate(body) -> tuple[str, str] | None:
    """The checks SendGrid makes that our payloads could fail (message, field)."""
    if not isinstance(body, dict):
        return "Bad Request", None
    personalizations = body.get("personalizations")
    if not personalizations:
        return "The personalizations field is required and must have at least one personalization.", "personalizations"
    for index, item in enumerate(personalizations):
        to = item.get("to") or []
        if not to or not all(isinstance(r, dict) and "@" in str(r.get("email", "")) for r in to):
            return "Does not contain a valid address.", f"personalizations.{index}.to"
    if "@" not in str((body.get("from") or {}).get("email", "")):
        return "The from email does not contain a valid address.", "from.email"
    if not body.get("subject") and not any(p.get("subject") for p in personalizations):
        return "The subject is required.", "subject"
    content = body.get("content") or []
    if not content or any(not c.get("value") for c in content):
        return "The content value must be a string at least one character in length.", "content.0.value"
    types = [c.get("type") for c in content]
    if "text/plain" in types and types.index("text/plain") != 0:
        return "If present, text/plain content must be first, followed by any other content.", "content"
    headers = body.get("headers") or {}
    if any(not isinstance(v, str) for v in headers.values()):
        return "Invalid type. Expected: string, given: other.", "headers"
    return None
