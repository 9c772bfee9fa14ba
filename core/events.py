"""A tiny in-process publish/subscribe for domain events, delivered after the transaction commits.

Domain services publish what happened (`publish("tour.booked", tour_id=...)`); integration apps
subscribe in their `AppConfig.ready()` and enqueue their own Celery tasks. The domain never imports
an integration, so one can be switched off without touching the chat.

Payloads carry ids and plain values only (they are handed to Celery as JSON).
"""

import logging
from collections import defaultdict
from collections.abc import Callable

from django.db import transaction

logger = logging.getLogger(__name__)

_subscribers: dict[str, list[Callable[..., None]]] = defaultdict(list)


def subscribe(event: str, handler: Callable[..., None]) -> None:
    if handler not in _subscribers[event]:
        _subscribers[event].append(handler)


def publish(event: str, **payload) -> None:
    """Delivers to every subscriber once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: _deliver(event, payload))


def _deliver(event: str, payload: dict) -> None:
    for handler in list(_subscribers[event]):
        try:
            handler(**payload)
        except Exception:
            # One subscriber failing must not stop the others or the request that published.
            logger.exception("Subscriber %s of %s failed", getattr(handler, "__qualname__", handler), event)
