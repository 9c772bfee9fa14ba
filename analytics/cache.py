"""Cached analytics answers (the spec's analytics TTL) that go stale the moment their data changes.

Every cached answer's key holds the version of the data it was computed from: one per company,
and one for everything (platform staff read across companies). A change to any record of a company
replaces both, so the next read computes afresh; the old entries simply expire.
"""

import hashlib
import json
import uuid

from django.conf import settings
from django.core.cache import cache

from core.tenancy import Access

_ALL = "all"


def _version_key(scope) -> str:
    return f"analytics:version:{scope}"


def versions_bump(*, company_id) -> None:
    fresh = uuid.uuid4().hex
    cache.set_many({_version_key(company_id): fresh, _version_key(_ALL): fresh}, None)


def _version(scope) -> str:
    """A random token rather than a counter: if the cache loses it, the new one cannot collide with
    an answer cached under the old."""
    key = _version_key(scope)
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid.uuid4().hex, None)
        version = cache.get(key)
    return version


def answer_key(*, route: str, access: Access, params: dict) -> str:
    """The cache key of one answer: the route, who asks (what they may see), what they asked and
    the version of the data it spans."""
    if access.is_platform:
        who, scope = "platform", _ALL
    elif access.reaches_all_properties:
        who, scope = f"company:{access.company_id}", access.company_id
    else:
        properties = ",".join(sorted(str(pk) for pk in access.property_levels))
        who, scope = f"manager:{access.company_id}:{properties}", access.company_id
    asked = json.dumps(params, sort_keys=True, default=str)
    digest = hashlib.sha256(f"{route}|{who}|{asked}".encode()).hexdigest()[:32]
    return f"analytics:answer:{digest}:v{_version(scope)}"


def cached(key: str, compute):
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, settings.CACHE_TTL["analytics"])
    return value
