"""The spec's error codes and the typed exceptions that carry them.

Business code raises a `DomainError` subclass; one exception handler renders the envelope, so no
view builds an error response by hand.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    UNAUTHORIZED = "UNAUTHORIZED"
    INVALID_TOKEN = "INVALID_TOKEN"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    FORBIDDEN = "FORBIDDEN"
    INSUFFICIENT_PERMISSIONS = "INSUFFICIENT_PERMISSIONS"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    MISSING_REQUIRED_FIELD = "MISSING_REQUIRED_FIELD"
    INVALID_FORMAT = "INVALID_FORMAT"
    RECORD_NOT_FOUND = "RECORD_NOT_FOUND"
    DUPLICATE_RECORD = "DUPLICATE_RECORD"
    DATABASE_ERROR = "DATABASE_ERROR"
    RESMAN_CONNECTION_ERROR = "RESMAN_CONNECTION_ERROR"
    RESMAN_API_ERROR = "RESMAN_API_ERROR"
    WEBHOOK_ERROR = "WEBHOOK_ERROR"
    INVALID_STATUS_TRANSITION = "INVALID_STATUS_TRANSITION"
    CONFLICT_RESOLUTION_REQUIRED = "CONFLICT_RESOLUTION_REQUIRED"
    TOUR_UNAVAILABLE = "TOUR_UNAVAILABLE"
    # Not in the spec's list, which names no code for these statuses.
    RATE_LIMIT_EXCEEDED = "RATE_LIMIT_EXCEEDED"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    INTERNAL_ERROR = "INTERNAL_ERROR"


class DomainError(Exception):
    status = 400
    code = ErrorCode.VALIDATION_ERROR
    message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, details=None):
        self.message = message or self.message
        self.details = details
        super().__init__(self.message)


class ValidationFailed(DomainError):
    status = 400
    code = ErrorCode.VALIDATION_ERROR
    message = "The request is not valid."


class RecordNotFound(DomainError):
    status = 404
    code = ErrorCode.RECORD_NOT_FOUND
    message = "The record does not exist."


class DuplicateRecord(DomainError):
    status = 409
    code = ErrorCode.DUPLICATE_RECORD
    message = "A record with these values already exists."


class InsufficientPermissions(DomainError):
    status = 403
    code = ErrorCode.INSUFFICIENT_PERMISSIONS
    message = "You do not have permission to change this record."


class Forbidden(DomainError):
    status = 403
    code = ErrorCode.FORBIDDEN
    message = "You do not have access to this resource."


class InvalidStatusTransition(DomainError):
    status = 409
    code = ErrorCode.INVALID_STATUS_TRANSITION
    message = "This status change is not allowed."

    def __init__(self, current: str, target: str, allowed=()):
        super().__init__(
            f"Cannot move from '{current}' to '{target}'.",
            details={"current": current, "requested": target, "allowed": sorted(allowed)},
        )


class TourUnavailable(DomainError):
    status = 409
    code = ErrorCode.TOUR_UNAVAILABLE
    message = "This tour time is no longer available."


class ConflictResolutionRequired(DomainError):
    status = 409
    code = ErrorCode.CONFLICT_RESOLUTION_REQUIRED
    message = "The record changed on both sides; resolve the conflict first."
