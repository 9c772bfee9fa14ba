"""Connection tests for a company's integrations, registered by the apps that own the clients.

A check takes the company (anything with the integration's settings as attributes) and returns an
`IntegrationCheck`. `POST /api/companies/:id/test-integration` runs them.
"""

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass


@dataclass
class IntegrationCheck:
    integration: str
    configured: bool
    ok: bool
    message: str
    latency_ms: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)


_checks: dict[str, Callable] = {}


def register_integration_check(name: str, check: Callable) -> None:
    _checks[name] = check


def available_integration_checks() -> list[str]:
    return sorted(_checks)


def run_integration_check(name: str, company) -> IntegrationCheck:
    started = time.perf_counter()
    result = _checks[name](company)
    if result.latency_ms is None and result.configured:
        result.latency_ms = round((time.perf_counter() - started) * 1000, 1)
    return result
