import re
import time

from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

_RATE = re.compile(r"^(\d+)/(\d*)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "100/15m" -> (100, 900): N requests per window of k units."""
    match = _RATE.match(rate)
    if not match:
        raise ValueError(f"Invalid rate {rate!r}: expected e.g. '100/15m'.")
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * _UNIT_SECONDS[unit]


def _count_hit(key: str, ttl: int) -> int:
    try:
        return cache.incr(key)
    except ValueError:
        if cache.add(key, 1, ttl):
            return 1
        return cache.incr(key)


class ApiRateThrottle(BaseThrottle):
    """The spec's rate limits: at most N requests per fixed window, per user (or per client IP when
    anonymous), scoped by the view's `throttle_scope` ("api" when it names none).

    One cache increment per request; the figures go to the RateLimit-* headers. Subclasses change
    who is counted by overriding `idents`.
    """

    default_scope = "api"

    def idents(self, request, view) -> list[str]:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return [f"user:{user.pk}"]
        return [f"ip:{self.get_ident(request)}"]

    def allow_request(self, request, view):
        scope = getattr(view, "throttle_scope", None) or self.default_scope
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
        if rate is None:
            return True
        limit, duration = parse_rate(rate)
        now = time.time()
        window = int(now // duration)
        self.reset_in = max(int((window + 1) * duration - now), 1)
        counts = [
            _count_hit(f"throttle:{scope}:{ident}:{window}", duration + 1) for ident in self.idents(request, view)
        ]
        used = max(counts)
        request._request.ratelimit = (limit, max(limit - used, 0), self.reset_in)
        return used <= limit

    def wait(self):
        return self.reset_in
