"""A base for fake external services (and simulators): a real HTTP server on 127.0.0.1 in a thread.

Subclasses add routes (`handle_GET_/v1/models`-style is not needed: override `route`) and speak the
service's real wire format. Every fake can be told to misbehave the same ways:

    fake.fail_next(3, status=503)   # the next 3 requests answer 503
    fake.failure_rate = 0.3         # 30% of requests answer 500 (seeded, repeatable)
    fake.delay = 2.0                # every answer waits 2 s (trips client timeouts)
    fake.garbage_next(1)            # the next answer is 200 with a body that is not the format
"""

import json
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body or b"null")

    def form(self) -> dict:
        return {key: values[-1] for key, values in parse_qs(self.body.decode()).items()}


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict | list | None = None
    headers: dict = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, (dict, list)):
            return json.dumps(self.body).encode(), "application/json"
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return self.body or b"", "application/octet-stream"


class FakeService:
    def __init__(self, seed: int = 1234):
        self.requests: list[RecordedRequest] = []
        self.failure_rate = 0.0
        self.delay = 0.0
        self._random = random.Random(seed)
        self._forced: list[Reply] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- what subclasses implement ------------------------------------------------------------
    def route(self, request: RecordedRequest) -> Reply:
        return Reply(404, {"error": "not found"})

    # --- misbehaviour -------------------------------------------------------------------------
    def fail_next(self, count: int = 1, status: int = 500) -> None:
        with self._lock:
            self._forced.extend(Reply(status, "Internal Server Error") for _ in range(count))

    def garbage_next(self, count: int = 1) -> None:
        with self._lock:
            self._forced.extend(Reply(200, b"\x00<<not the expected format>>\xff") for _ in range(count))

    def _answer(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            forced = self._forced.pop(0) if self._forced else None
            fail = forced is None and self.failure_rate and self._random.random() < self.failure_rate
        if self.delay:
            time.sleep(self.delay)
        if forced is not None:
            return forced
        if fail:
            return Reply(500, "Internal Server Error")
        return self.route(request)

    # --- lifecycle ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeService":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                request = RecordedRequest(
                    method=self.command,
                    path=parts.path,
                    query={k: v[-1] for k, v in parse_qs(parts.query).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                reply = fake._answer(request)
                body, content_type = reply.encoded()
                self.send_response(reply.status)
                headers = {"Content-Type": content_type, **reply.headers, "Content-Length": str(len(body))}
                for name, value in headers.items():
                    self.send_header(name, value)
                # One write for headers and body: two small writes cost ~40 ms each on loopback
                # (Nagle's algorithm waiting for the client's delayed ACK).
                self._headers_buffer.append(b"\r\n")
                self.wfile.write(b"".join(self._headers_buffer) + body)
                self._headers_buffer = []

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll interval so that stop() returns in milliseconds, not half a second.
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
