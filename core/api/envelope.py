"""The spec's response envelope: `{success, data, error, meta}`."""

from datetime import UTC, datetime

from core.request_context import current_request_id


def envelope_meta(pagination: dict | None = None) -> dict:
    meta = {
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestId": current_request_id.get(),
    }
    if pagination is not None:
        meta["pagination"] = pagination
    return meta


def success_body(data, pagination: dict | None = None) -> dict:
    return {"success": True, "data": data, "error": None, "meta": envelope_meta(pagination)}


def error_body(code: str, message: str, details=None) -> dict:
    return {
        "success": False,
        "data": None,
        "error": {"code": str(code), "message": message, "details": details},
        "meta": envelope_meta(),
    }
