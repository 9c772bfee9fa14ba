"""Health checks in the spec's HealthCheckAPI shape, each with its latency.

Core checks the database, the cache and the email backend. Integration apps register their own
(`register_check("resman", ...)`); a check the spec names that no app has registered reports
`not_configured`.
"""

import smtplib
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.core.mail import get_connection
from django.db import connection

HEALTHY, DEGRADED, UNHEALTHY, NOT_CONFIGURED = "healthy", "degraded", "unhealthy", "not_configured"
SPEC_CHECKS = ("database", "resman", "email", "analytics")
# Failing these makes the service unhealthy; any other failing check only degrades it.
CRITICAL_CHECKS = {"database"}

_checks: dict[str, Callable[[], dict]] = {}


def register_check(name: str, check: Callable[[], dict]) -> None:
    """`check()` returns {"status", "message"}; latency is measured here."""
    _checks[name] = check


def run_check(name: str) -> dict:
    check = _checks.get(name)
    if check is None:
        return {"status": NOT_CONFIGURED, "message": "No integration is installed.", "latency_ms": None}
    started = time.perf_counter()
    try:
        result = check()
    except Exception as exc:  # a health check reports failures, it does not raise them
        result = {"status": UNHEALTHY, "message": f"{type(exc).__name__}"}
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result


def health_report(names) -> dict:
    checks = {name: run_check(name) for name in names}
    failing = {name for name, check in checks.items() if check["status"] == UNHEALTHY}
    status = UNHEALTHY if failing & CRITICAL_CHECKS else DEGRADED if failing else HEALTHY
    return {
        "status": status,
        "checks": checks,
        "timestamp": datetime.now(UTC).isoformat(),
        "version": settings.APP_VERSION,
    }


def all_check_names() -> list[str]:
    return list(dict.fromkeys([*SPEC_CHECKS, *_checks]))


def external_check_names() -> list[str]:
    return [name for name in all_check_names() if name not in ("database", "cache")]


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": HEALTHY, "message": f"{connection.vendor} answered."}


def _cache() -> dict:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", 5)
    ok = cache.get(key) == "1"
    cache.delete(key)
    return {"status": HEALTHY if ok else UNHEALTHY, "message": "read back" if ok else "value not read back"}


def _email() -> dict:
    backend = settings.EMAIL_BACKEND.rsplit(".", 2)[-2]
    if backend != "smtp":
        return {"status": HEALTHY, "message": f"Using the {backend} email backend."}
    mail = get_connection(timeout=3)
    try:
        mail.open()
    except (OSError, smtplib.SMTPException):
        return {"status": UNHEALTHY, "message": "The SMTP server could not be reached."}
    mail.close()
    return {"status": HEALTHY, "message": "The SMTP server accepted a connection."}


def register_default_checks() -> None:
    register_check("database", _database)
    register_check("cache", _cache)
    register_check("email", _email)
