"""SendGridClient: SendGrid's v3 Web API over real HTTP (Mail Send and the key's scopes).

`POST /v3/mail/send` answers 202 with an empty body and the message's id in `X-Message-Id`;
errors answer `{"errors": [{"message", "field", "help"}]}`: 400 (the payload), 401 (bad key),
403 (a key without the scope, an unverified sender, or a temporary block), 413, 429 (with
`X-RateLimit-Reset`), 5xx.

Errors are typed by what the caller may do next:
- `SendGridUnavailable` (unreachable before the request left, 5xx, an unreadable answer to a read):
  nothing was sent; try again later. `SendGridRateLimited` says when.
- `SendGridRejected` (4xx): SendGrid refused; the same request will be refused again.
- `SendGridOutcomeUnknown`: the message left but no answer came back (read timeout, a reply that is
  not SendGrid's): it may have been accepted, so it must not be sent again blindly.

It is written on `requests` directly rather than core's JsonHttpClient because those decisions need
what that client folds together: a connect failure apart from a read timeout, and the headers of an
error reply. It knows nothing of Django models.
"""

import time
from dataclasses import dataclass, field

import requests
from django.conf import settings
from urllib3.exceptions import NewConnectionError

MAIL_SEND = "/v3/mail/send"
SCOPES = "/v3/scopes"
# A 429 without a usable reset header waits this long.
DEFAULT_RATE_LIMIT_WAIT = 60


class SendGridError(Exception):
    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status


class SendGridUnavailable(SendGridError):
    pass


class SendGridRateLimited(SendGridUnavailable):
    def __init__(self, message: str, *, retry_after: float):
        super().__init__(message, status=429)
        self.retry_after = retry_after


class SendGridRejected(SendGridError):
    pass


class SendGridOutcomeUnknown(SendGridError):
    pass


@dataclass
class Address:
    email: str
    name: str = ""

    def as_json(self) -> dict:
        return {"email": self.email, "name": self.name} if self.name else {"email": self.email}


@dataclass
class Mail:
    """One message to one recipient, in the terms of the Mail Send API."""

    to: Address
    sender: Address
    subject: str
    text: str
    html: str = ""
    reply_to: Address | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Returned by SendGrid's event webhook with each event, to find our row again.
    custom_args: dict[str, str] = field(default_factory=dict)
    categories: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        # text/plain must come before text/html (SendGrid refuses the other order).
        content = [{"type": "text/plain", "value": self.text}]
        if self.html:
            content.append({"type": "text/html", "value": self.html})
        payload: dict = {
            "personalizations": [{"to": [self.to.as_json()]}],
            "from": self.sender.as_json(),
            "subject": self.subject,
            "content": content,
        }
        if self.reply_to is not None:
            payload["reply_to"] = self.reply_to.as_json()
        if self.headers:
            payload["headers"] = self.headers
        if self.custom_args:
            payload["custom_args"] = self.custom_args
        if self.categories:
            payload["categories"] = self.categories[:10]
        return payload


class SendGridClient:
    def __init__(self, api_key: str, *, base_url: str | None = None, timeout: float | None = None):
        self.base_url = (base_url or settings.SENDGRID_API_URL).rstrip("/")
        self.timeout = timeout or settings.SENDGRID_TIMEOUT_SECONDS
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {api_key}", "Accept": "application/json"})

    def send(self, mail: Mail) -> str | None:
        """Hands one message to SendGrid; returns its X-Message-Id (None if SendGrid gave none)."""
        try:
            response = self.session.post(self.base_url + MAIL_SEND, json=mail.as_json(), timeout=self.timeout)
        except (requests.ConnectionError, requests.ConnectTimeout) as exc:
            if isinstance(exc, requests.ConnectTimeout) or not _may_have_left(exc):
                raise SendGridUnavailable(f"SendGrid could not be reached: {_reason(exc)}") from exc
            raise SendGridOutcomeUnknown(f"The connection to SendGrid broke during the send: {_reason(exc)}") from exc
        except requests.Timeout as exc:
            raise SendGridOutcomeUnknown(
                f"SendGrid did not answer within {self.timeout:g} s; the email may have been accepted."
            ) from exc
        except requests.RequestException as exc:
            raise SendGridUnavailable(f"SendGrid could not be reached: {_reason(exc)}") from exc
        if response.status_code == 202 or (response.status_code == 200 and _is_json_or_empty(response)):
            return response.headers.get("X-Message-Id") or None
        if response.ok:
            raise SendGridOutcomeUnknown(
                f"HTTP {response.status_code} with a body that is not SendGrid's: is SENDGRID_API_URL right?",
                status=response.status_code,
            )
        raise _error_for(response)

    def scopes(self) -> list[str]:
        """The key's permissions (GET /v3/scopes): cheap, authenticated, sends nothing."""
        try:
            response = self.session.get(self.base_url + SCOPES, timeout=self.timeout)
        except requests.RequestException as exc:
            raise SendGridUnavailable(f"SendGrid could not be reached: {_reason(exc)}") from exc
        if not response.ok:
            raise _error_for(response)
        try:
            scopes = response.json()["scopes"]
        except (ValueError, KeyError, TypeError):
            raise SendGridUnavailable("SendGrid answered with something that is not a list of scopes.") from None
        if not isinstance(scopes, list):
            raise SendGridUnavailable("SendGrid answered with something that is not a list of scopes.")
        return [str(scope) for scope in scopes]


def _may_have_left(exc: requests.ConnectionError) -> bool:
    """A connection that was never made (refused, unresolvable) sent nothing; one that broke
    mid-request may have delivered it."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return not isinstance(reason, NewConnectionError)


def _is_json_or_empty(response: requests.Response) -> bool:
    if not response.content.strip():
        return True
    try:
        response.json()
    except ValueError:
        return False
    return True


def _messages(response: requests.Response) -> str:
    try:
        errors = response.json().get("errors")
    except (ValueError, AttributeError):
        errors = None
    if isinstance(errors, list) and errors:
        parts = []
        for error in errors:
            if isinstance(error, dict):
                where = f" ({error['field']})" if error.get("field") else ""
                parts.append(f"{error.get('message') or 'error'}{where}")
            else:
                parts.append(str(error))
        return "; ".join(parts)
    return f"HTTP {response.status_code}"


def _error_for(response: requests.Response) -> SendGridError:
    status = response.status_code
    message = f"SendGrid {status}: {_messages(response)}"
    if status == 429:
        return SendGridRateLimited(message, retry_after=_retry_after(response))
    if status >= 500:
        return SendGridUnavailable(message, status=status)
    return SendGridRejected(message, status=status)


def _retry_after(response: requests.Response) -> float:
    reset = response.headers.get("X-RateLimit-Reset")
    try:
        return max(float(reset) - time.time(), 1.0)
    except (TypeError, ValueError):
        return DEFAULT_RATE_LIMIT_WAIT


def _reason(exc: Exception) -> str:
    return type(exc).__name__
