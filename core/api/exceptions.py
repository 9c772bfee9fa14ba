"""The one place where exceptions become error envelopes."""

import logging

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, IntegrityError
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.api.envelope import error_body
from core.errors import DomainError, ErrorCode

logger = logging.getLogger("api.errors")

# Postgres SQLSTATE for unique_violation; SQLite only says so in its message.
_UNIQUE_VIOLATION = "23505"


def envelope_exception_handler(exc, context):
    set_rollback()
    status, code, message, details = _describe(exc)
    response = Response(error_body(code, message, details), status=status)
    if getattr(exc, "auth_header", None):
        response["WWW-Authenticate"] = exc.auth_header
    if isinstance(exc, drf.Throttled) and exc.wait is not None:
        response["Retry-After"] = str(int(exc.wait) + 1)
    return response


def _describe(exc):
    if isinstance(exc, DomainError):
        return exc.status, exc.code, exc.message, exc.details
    if isinstance(exc, (Http404, ObjectDoesNotExist, drf.NotFound)):
        return 404, ErrorCode.RECORD_NOT_FOUND, "The record does not exist.", None
    if isinstance(exc, drf.ValidationError):
        return _describe_validation(exc)
    if isinstance(exc, (drf.ParseError, drf.UnsupportedMediaType, drf.NotAcceptable)):
        return exc.status_code, ErrorCode.INVALID_FORMAT, str(exc.detail), None
    if isinstance(exc, drf.NotAuthenticated):
        return 401, ErrorCode.UNAUTHORIZED, "Authentication credentials were not provided.", None
    if isinstance(exc, drf.AuthenticationFailed):
        code = _first_code(exc.get_codes())
        known = {"token_expired": ErrorCode.TOKEN_EXPIRED, "token_not_valid": ErrorCode.INVALID_TOKEN}
        return 401, known.get(code, ErrorCode.UNAUTHORIZED), _first_message(exc.detail), None
    if isinstance(exc, drf.PermissionDenied):
        code = _first_code(exc.get_codes())
        error = ErrorCode.INSUFFICIENT_PERMISSIONS if code == "insufficient_permissions" else ErrorCode.FORBIDDEN
        return 403, error, _first_message(exc.detail), None
    if isinstance(exc, DjangoPermissionDenied):
        return 403, ErrorCode.FORBIDDEN, "You do not have access to this resource.", None
    if isinstance(exc, drf.MethodNotAllowed):
        return 405, ErrorCode.METHOD_NOT_ALLOWED, str(exc.detail), None
    if isinstance(exc, drf.Throttled):
        return (
            429,
            ErrorCode.RATE_LIMIT_EXCEEDED,
            "Too many requests, please try again later.",
            {"retryAfterSeconds": int(exc.wait) + 1 if exc.wait is not None else None},
        )
    if isinstance(exc, DjangoValidationError):
        return 400, ErrorCode.VALIDATION_ERROR, "The request is not valid.", {"non_field_errors": exc.messages}
    if isinstance(exc, RequestDataTooBig):
        return 413, ErrorCode.VALIDATION_ERROR, "The request body is too large.", None
    if isinstance(exc, drf.APIException):
        return exc.status_code, ErrorCode.VALIDATION_ERROR, _first_message(exc.detail), None
    if isinstance(exc, IntegrityError) and _is_unique_violation(exc):
        return 409, ErrorCode.DUPLICATE_RECORD, "A record with these values already exists.", None
    if isinstance(exc, DatabaseError):
        logger.exception("Database error")
        return 503, ErrorCode.DATABASE_ERROR, "The database could not complete the request.", None
    logger.exception("Unhandled error", exc_info=exc)
    return 500, ErrorCode.INTERNAL_ERROR, "Something went wrong on our side.", None


def _describe_validation(exc):
    details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
    codes = set(_flatten(exc.get_codes()))
    if codes == {"unique"}:
        return 409, ErrorCode.DUPLICATE_RECORD, "A record with these values already exists.", details
    if "required" in codes:
        return 400, ErrorCode.MISSING_REQUIRED_FIELD, "Required fields are missing.", details
    return 400, ErrorCode.VALIDATION_ERROR, "The request is not valid.", details


def _flatten(codes):
    if isinstance(codes, dict):
        for value in codes.values():
            yield from _flatten(value)
    elif isinstance(codes, list):
        for value in codes:
            yield from _flatten(value)
    else:
        yield codes


def _first_code(codes):
    return next(_flatten(codes), None)


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        detail = detail.get("detail", next(iter(detail.values()), ""))
    if isinstance(detail, list):
        detail = detail[0] if detail else ""
    return str(detail)


def _is_unique_violation(exc: IntegrityError) -> bool:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == _UNIQUE_VIOLATION or "UNIQUE constraint" in str(exc)
