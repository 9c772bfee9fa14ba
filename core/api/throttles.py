import re
import time

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

_RATE = re.compile(r"^(\d+)/(\d*)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class ApiRateThrottle(SimpleRateThrottle):
    """Fixed-window limits per user (or per IP when anonymous), scoped by the view.

    Rates read "N/<k><unit>", e.g. "5/15m" for the spec's 15-minute auth window. The view's
    `throttle_scope` picks the rate ("api" when it names none). The figures go to the
    RateLimit-* headers.
    """

    default_scope = "api"

    def allow_request(self, request, view):
        self.scope = getattr(view, "throttle_scope", None) or self.default_scope
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        allowed = super().allow_request(request, view)
        if self.rate is not None:
            reset = self.duration - (self.now - self.history[-1]) if self.history else self.duration
            request._request.ratelimit = (
                self.num_requests,
                max(self.num_requests - len(self.history), 0),
                max(int(reset), 0),
            )
        return allowed

    def __init__(self):
        # The rate depends on the view, so it is read in allow_request rather than here.
        self.timer = time.time

    def get_rate(self):
        # Read at request time (SimpleRateThrottle freezes the rates at import).
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def parse_rate(self, rate):
        if rate is None:
            return None, None
        match = _RATE.match(rate)
        if not match:
            raise ValueError(f"Invalid rate {rate!r}: expected e.g. '100/15m'.")
        count, multiple, unit = match.groups()
        return int(count), int(multiple or 1) * _UNIT_SECONDS[unit]

    def get_cache_key(self, request, view):
        user = getattr(request, "user", None)
        ident = user.pk if user is not None and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
