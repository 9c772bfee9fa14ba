"""Amplitude's HTTP V2 API (`POST /2/httpapi`), in its real wire format. Knows nothing of models.

Request: `{"api_key": "...", "events": [{"event_type", "user_id" or "device_id", "time" (ms),
"insert_id", "event_properties"}]}`. Answers: 200 `{"code": 200, "events_ingested": N, ...}`;
400 `{"code": 400, "error", "missing_field"?, "events_with_invalid_fields"?,
"events_with_missing_fields"?}` (a bad key, or events it will never take); 413 for a batch too large;
429 and 5xx when it cannot take them now. Amplitude drops an event whose insert_id it saw in the
past 7 days, so a send whose outcome is unknown is simply sent again.
"""

from dataclasses import dataclass

import requests
from django.conf import settings

PATH = "/2/httpapi"


class AmplitudeUnavailable(Exception):
    """Try again later: unreachable, timed out, 429, 5xx, or an answer that is not Amplitude's."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status


class AmplitudeTooLarge(Exception):
    """413: the batch must be split."""


class AmplitudeRejected(Exception):
    """400: Amplitude will never take this request as it is."""

    def __init__(self, message: str, *, missing_field: str | None = None, bad_events: set[int] | None = None):
        super().__init__(message)
        self.message = message
        self.missing_field = missing_field
        # Indices (into the events sent) of the events Amplitude named as bad.
        self.bad_events = bad_events or set()

    @property
    def bad_key(self) -> bool:
        return self.missing_field == "api_key" or "api key" in self.message.lower()


@dataclass
class Ingested:
    events_ingested: int
    server_upload_time: int | None = None


class AmplitudeClient:
    def __init__(self, api_key: str, *, base_url: str | None = None, timeout: float | None = None):
        self.api_key = api_key
        self.base_url = (base_url or settings.AMPLITUDE_API_URL).rstrip("/")
        self.timeout = timeout or settings.AMPLITUDE_TIMEOUT_SECONDS
        self.session = requests.Session()

    def send_events(self, events: list[dict]) -> Ingested:
        body = self._post({"api_key": self.api_key, "events": events})
        ingested = body.get("events_ingested")
        if not isinstance(ingested, int):
            raise AmplitudeUnavailable("Amplitude's answer does not say how many events it ingested.", status=200)
        return Ingested(events_ingested=ingested, server_upload_time=body.get("server_upload_time"))

    def check_key(self) -> None:
        """Amplitude has no call that only checks a key. An upload without events stores nothing
        and is refused; whether the refusal names the key tells whether the key is good. Raises
        AmplitudeRejected for a bad key, AmplitudeUnavailable when Amplitude cannot be asked."""
        try:
            self._post({"api_key": self.api_key, "events": []})
        except AmplitudeRejected as exc:
            if exc.bad_key:
                raise

    def _post(self, payload: dict) -> dict:
        try:
            response = self.session.post(self.base_url + PATH, json=payload, timeout=self.timeout)
        except requests.RequestException as exc:
            raise AmplitudeUnavailable(f"{type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if status == 413:
            raise AmplitudeTooLarge("The batch is too large for Amplitude.")
        if status == 429 or status >= 500:
            raise AmplitudeUnavailable(f"Amplitude answered HTTP {status}.", status=status)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise AmplitudeUnavailable(f"Amplitude answered HTTP {status} with a body that is not JSON.", status=status)
        if status == 400:
            raise _rejection(body, secret=self.api_key)
        if status != 200:
            raise AmplitudeUnavailable(f"Amplitude answered HTTP {status}.", status=status)
        return body


def _rejection(body: dict, *, secret: str) -> AmplitudeRejected:
    """Amplitude's refusal, without the key it may quote back (the message is stored and shown)."""
    bad: set[int] = set()
    for key in ("events_with_invalid_fields", "events_with_missing_fields"):
        named = body.get(key)
        if isinstance(named, dict):
            for indices in named.values():
                if isinstance(indices, list):
                    bad.update(index for index in indices if isinstance(index, int))
    missing = body.get("missing_field")
    return AmplitudeRejected(
        str(body.get("error") or "Amplitude refused the request.").replace(secret, "****")[:400],
        missing_field=missing if isinstance(missing, str) else None,
        bad_events=bad,
    )
