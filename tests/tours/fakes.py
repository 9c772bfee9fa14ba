"""Local stand-ins for Calendly API v2 and iCal feed hosts, speaking their real wire formats."""

import socket
import uuid
from datetime import UTC, datetime, timedelta

from core.testing.fake_http import FakeService, RecordedRequest, Reply

CALENDLY = "https://api.calendly.com"


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _invalid(parameter: str, message: str) -> Reply:
    return Reply(
        400,
        {
            "title": "Invalid Argument",
            "message": "The supplied parameters are invalid.",
            "details": [{"parameter": parameter, "message": message}],
        },
    )


class _NoDelay(FakeService):
    def start(self):
        super().start()
        # Headers and body leave in two writes; without this, Nagle's algorithm and delayed ACKs
        # hold every answer on a kept-alive connection for 40 ms.
        self._server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self


class FakeCalendly(_NoDelay):
    """Calendly API v2: /users/me, /user_busy_times (7-day limit, no past start), webhook subscriptions."""

    def __init__(self):
        super().__init__()
        self.reset()

    def reset(self, *, token="cal-token-1234", user="U1", organization="O1") -> None:
        """Back to a fresh account (the server is shared by the tests of a session)."""
        self.token = token
        self.user_uri = f"{CALENDLY}/users/{user}"
        self.organization_uri = f"{CALENDLY}/organizations/{organization}"
        self.busy: list[dict] = []
        self.subscriptions: dict[str, dict] = {}
        self.requests.clear()
        self._forced.clear()
        self.delay = 0.0

    def add_busy(self, start: datetime, end: datetime, *, event_id: str | None = None, kind="calendly") -> str:
        item = {
            "type": kind,
            "start_time": start.astimezone(UTC).isoformat(),
            "end_time": end.astimezone(UTC).isoformat(),
        }
        uri = f"{CALENDLY}/scheduled_events/{event_id or uuid.uuid4().hex}"
        if kind == "calendly":
            item["event"] = {"uri": uri}
        self.busy.append(item)
        return uri

    def route(self, request: RecordedRequest) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(401, {"title": "Unauthenticated", "message": "The access token is invalid"})
        if request.method == "GET" and request.path == "/users/me":
            return Reply(
                200,
                {
                    "resource": {
                        "uri": self.user_uri,
                        "name": "Morgan Manager",
                        "email": "morgan@alpha.test",
                        "timezone": "America/Chicago",
                        "current_organization": self.organization_uri,
                    }
                },
            )
        if request.method == "GET" and request.path == "/user_busy_times":
            return self._busy_times(request)
        if request.path == "/webhook_subscriptions":
            return self._subscriptions(request)
        if request.method == "DELETE" and request.path.startswith("/webhook_subscriptions/"):
            uri = f"{CALENDLY}{request.path}"
            if self.subscriptions.pop(uri, None) is None:
                return Reply(
                    404, {"title": "Resource Not Found", "message": "The server could not find the requested resource."}
                )
            return Reply(204, b"")
        return Reply(
            404, {"title": "Resource Not Found", "message": "The server could not find the requested resource."}
        )

    def _busy_times(self, request: RecordedRequest) -> Reply:
        for name in ("user", "start_time", "end_time"):
            if name not in request.query:
                return _invalid(name, "is required")
        if request.query["user"] != self.user_uri:
            return Reply(403, {"title": "Permission Denied", "message": "You do not have permission"})
        start, end = _time(request.query["start_time"]), _time(request.query["end_time"])
        if start < datetime.now(UTC) - timedelta(seconds=5):
            return _invalid("start_time", "must be in the future")
        if end - start > timedelta(days=7):
            return _invalid("end_time", "date range can be no greater than 1 week (7 days)")
        collection = [item for item in self.busy if _time(item["start_time"]) < end and _time(item["end_time"]) > start]
        return Reply(200, {"collection": collection})

    def _subscriptions(self, request: RecordedRequest) -> Reply:
        if request.method == "GET":
            return Reply(
                200,
                {
                    "collection": list(self.subscriptions.values()),
                    "pagination": {"count": len(self.subscriptions), "next_page": None, "next_page_token": None},
                },
            )
        body = request.json()
        for name in ("url", "events", "organization", "scope"):
            if not body.get(name):
                return _invalid(name, "is required")
        if any(sub["callback_url"] == body["url"] for sub in self.subscriptions.values()):
            return Reply(409, {"title": "Already Exists", "message": "Hook with this url already exists"})
        uri = f"{CALENDLY}/webhook_subscriptions/{uuid.uuid4()}"
        resource = {
            "uri": uri,
            "callback_url": body["url"],
            "state": "active",
            "events": body["events"],
            "scope": body["scope"],
            "organization": body["organization"],
            "user": body.get("user"),
            "signing_key": body.get("signing_key"),
        }
        self.subscriptions[uri] = resource
        return Reply(201, {"resource": {k: v for k, v in resource.items() if k != "signing_key"}})


class FakeICalHost(_NoDelay):
    """Serves .ics documents at paths: a calendar host such as a Google or Outlook feed."""

    def __init__(self):
        super().__init__()
        self.reset()

    def reset(self) -> None:
        self.feeds: dict[str, bytes] = {}
        self.requests.clear()
        self._forced.clear()
        self.delay = 0.0

    def publish(self, path: str, document: str | bytes) -> str:
        self.feeds[path] = document.encode() if isinstance(document, str) else document
        return self.url + path

    def route(self, request: RecordedRequest) -> Reply:
        if request.method == "GET" and request.path in self.feeds:
            return Reply(200, self.feeds[request.path], {"Content-Type": "text/calendar; charset=utf-8"})
        return Reply(404, "Not Found")
