"""The spec's `chat` limit (30 a minute), counted per browser and, separately, per IP address."""

import time

from django.conf import settings
from django.core.cache import cache

from core.api.throttles import ApiRateThrottle, parse_rate
from core.errors import DomainError, ErrorCode


class ChatRateLimited(DomainError):
    status = 429
    code = ErrorCode.RATE_LIMIT_EXCEEDED
    message = "Too many messages, please slow down."


def browser_ident(browser) -> str:
    return f"browser:{browser}"


def ip_ident(ip) -> str:
    return f"ip:{ip}"


class WidgetThrottle(ApiRateThrottle):
    """Counts the client IP and the browser (its id, or on a conversation's routes the
    conversation, which belongs to one browser); the request passes while both are under the limit."""

    def idents(self, request, view) -> list[str]:
        idents = [ip_ident(self.get_ident(request))]
        browser = view.kwargs.get("browser_id") or view.kwargs.get("conversation_id")
        if browser:
            idents.append(browser_ident(browser))
        return idents


def chat_allowance_take(*, idents: list[str]) -> bool:
    """The same fixed-window counters for WebSocket messages, which do not pass through DRF. One
    increment per ident while its window exists (the usual case), so a message costs two cache
    round trips."""
    limit, duration = parse_rate(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["chat"])
    window = int(time.time() // duration)
    used = 0
    for ident in idents:
        key = f"throttle:chat:{ident}:{window}"
        try:
            count = cache.incr(key)
        except ValueError:
            count = 1 if cache.add(key, 1, duration + 1) else cache.incr(key)
        used = max(used, count)
    return used <= limit
