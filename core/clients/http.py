"""What every outbound HTTP client shares: a session with retries off and timeouts always set."""

import requests
from django.conf import settings


class ExternalServiceError(Exception):
    """The service could not be reached, timed out, or answered 5xx."""


class ExternalServiceRejected(Exception):
    """The service answered, and said no (4xx: bad credentials, bad request)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class JsonHttpClient:
    def __init__(self, base_url: str, *, timeout: float | None = None, headers: dict | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout or settings.OUTBOUND_HTTP_TIMEOUT
        self.session = requests.Session()
        self.session.headers.update(headers or {})

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        try:
            response = self.session.request(method, self.base_url + path, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise ExternalServiceError(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500:
            raise ExternalServiceError(f"HTTP {response.status_code} from {self.base_url}")
        if response.status_code >= 400:
            raise ExternalServiceRejected(_error_message(response), response.status_code)
        return response


def _error_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error)
    if isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"]:
        first = body["errors"][0]
        return str(first.get("message") if isinstance(first, dict) else first)
    return str(error or f"HTTP {response.status_code}")
