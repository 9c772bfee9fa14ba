"""A fake Amplitude HTTP V2 API on 127.0.0.1, speaking its wire format.

`POST /2/httpapi` with `{"api_key", "events": [...]}`:
- 200 `{"code": 200, "events_ingested": N, "payload_size_bytes", "server_upload_time"}`; an event whose
  insert_id was seen before is not stored again (as Amplitude deduplicates);
- 400 `{"code": 400, "error": "Invalid API key: ..."}` for a key it does not know,
  `{"code": 400, "error": "Request missing required field", "missing_field": "events"}` without events,
  `{"code": 400, "error": "Invalid field values on some events", "events_with_invalid_fields": {...},
  "events_with_missing_fields": {...}}` naming bad events (nothing of that request is stored);
- 413 when the body is over `max_body_bytes`; 429 `throttle_next(n)`; `hang_rate` of requests held
  `hang_seconds` and then stored (a client that timed out does not know they were); and the base
  misbehaviours (`fail_next`, `failure_rate`, `delay`, `garbage_next`).
"""

import json
import time

from core.testing.fake_http import FakeService, RecordedRequest, Reply

VALID_KEY = "amp-valid-key-0001"


class FakeAmplitude(FakeService):
    def __init__(self, *, valid_keys=(VALID_KEY,), seed: int = 1234):
        super().__init__(seed=seed)
        self.valid_keys = set(valid_keys)
        self.max_body_bytes = 1024 * 1024
        self.stored: dict[str, dict] = {}  # insert_id -> event
        self.received = 0  # events in accepted requests, repeats included
        # Events with these insert_ids are named invalid (as Amplitude names events it will never take).
        self.invalid_insert_ids: set[str] = set()
        # This share of requests is held `hang_seconds` (past a client's timeout) and then stored.
        self.hang_rate = 0.0
        self.hang_seconds = 0.0
        self._throttle = 0

    def throttle_next(self, count: int = 1) -> None:
        with self._lock:
            self._throttle += count

    def route(self, request: RecordedRequest) -> Reply:
        if request.method != "POST" or request.path != "/2/httpapi":
            return Reply(404, {"code": 404, "error": "Not found"})
        with self._lock:
            if self._throttle:
                self._throttle -= 1
                return Reply(
                    429,
                    {"code": 429, "error": "Too many requests for some devices and users", "eps_threshold": 30},
                )
        with self._lock:
            hang = self.hang_rate and self._random.random() < self.hang_rate
        if hang:
            time.sleep(self.hang_seconds)
        if len(request.body) > self.max_body_bytes:
            return Reply(413, {"code": 413, "error": "Payload too large"})
        if "application/json" not in request.headers.get("content-type", ""):
            return Reply(400, {"code": 400, "error": "Invalid content type"})
        try:
            body = request.json()
        except ValueError:
            return Reply(400, {"code": 400, "error": "Invalid JSON request body"})
        key = body.get("api_key") if isinstance(body, dict) else None
        if not key:
            return Reply(400, {"code": 400, "error": "Request missing required field", "missing_field": "api_key"})
        if key not in self.valid_keys:
            return Reply(400, {"code": 400, "error": f"Invalid API key: {key}"})
        events = body.get("events")
        if not isinstance(events, list) or not events:
            return Reply(400, {"code": 400, "error": "Request missing required field", "missing_field": "events"})
        invalid, missing = {}, {}
        for index, event in enumerate(events):
            if not event.get("event_type"):
                missing.setdefault("event_type", []).append(index)
            if not (len(str(event.get("user_id") or "")) >= 5 or len(str(event.get("device_id") or "")) >= 5):
                missing.setdefault("user_id", []).append(index)
            if "time" in event and not isinstance(event["time"], int):
                invalid.setdefault("time", []).append(index)
            if not isinstance(event.get("event_properties", {}), dict):
                invalid.setdefault("event_properties", []).append(index)
            if event.get("insert_id") in self.invalid_insert_ids:
                invalid.setdefault("insert_id", []).append(index)
        if invalid or missing:
            return Reply(
                400,
                {
                    "code": 400,
                    "error": "Invalid field values on some events",
                    "events_with_invalid_fields": invalid,
                    "events_with_missing_fields": missing,
                },
            )
        with self._lock:
            for event in events:
                self.received += 1
                self.stored.setdefault(event.get("insert_id") or f"none-{self.received}", event)
        return Reply(
            200,
            {
                "code": 200,
                "events_ingested": len(events),
                "payload_size_bytes": len(request.body),
                "server_upload_time": int(time.time() * 1000),
            },
        )

    def event_types(self) -> list[str]:
        return sorted(event["event_type"] for event in self.stored.values())

    def batches(self) -> list[list[dict]]:
        return [json.loads(r.body)["events"] for r in self.requests if r.path == "/2/httpapi" and r.body]
