import logging
import re
import time
import uuid

from django.http import JsonResponse

from core.api.envelope import error_body
from core.errors import ErrorCode
from core.request_context import current_request_id

access_log = logging.getLogger("api.access")
error_log = logging.getLogger("api.errors")

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestIdMiddleware:
    """Takes the caller's X-Request-ID (or makes one), echoes it, and logs the request with it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            access_log.info(
                "%s %s %s %.1fms",
                request.method,
                request.path,
                response.status_code,
                (time.perf_counter() - started) * 1000,
            )
            return response
        finally:
            current_request_id.reset(token)


def is_api_request(request) -> bool:
    return request.path.startswith("/api/")


# Django answers these outside DRF (unknown route, CSRF, oversized body...) with HTML pages.
_FALLBACK_ERRORS = {
    400: (ErrorCode.INVALID_FORMAT, "The request could not be read."),
    403: (ErrorCode.FORBIDDEN, "You do not have access to this resource."),
    404: (ErrorCode.RECORD_NOT_FOUND, "No resource at this address."),
    405: (ErrorCode.METHOD_NOT_ALLOWED, "This method is not allowed here."),
    413: (ErrorCode.VALIDATION_ERROR, "The request body is too large."),
    500: (ErrorCode.INTERNAL_ERROR, "Something went wrong on our side."),
}


class ApiErrorMiddleware:
    """Keeps every /api/ error in the envelope, even those raised outside DRF views."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            is_api_request(request)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            code, message = _FALLBACK_ERRORS.get(
                response.status_code, _FALLBACK_ERRORS[500 if response.status_code >= 500 else 400]
            )
            replacement = JsonResponse(error_body(code, message), status=response.status_code)
            if response.has_header("Allow"):
                replacement["Allow"] = response["Allow"]
            return replacement
        return response

    def process_exception(self, request, exception):
        if not is_api_request(request):
            return None
        error_log.exception("Unhandled error on %s %s", request.method, request.path)
        return JsonResponse(error_body(ErrorCode.INTERNAL_ERROR, _FALLBACK_ERRORS[500][1]), status=500)


class RateLimitHeadersMiddleware:
    """Adds the standard RateLimit-* headers that the throttle recorded on the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        ratelimit = getattr(request, "ratelimit", None)
        if ratelimit is not None:
            limit, remaining, reset = ratelimit
            response["RateLimit-Limit"] = str(limit)
            response["RateLimit-Remaining"] = str(remaining)
            response["RateLimit-Reset"] = str(reset)
        return response
