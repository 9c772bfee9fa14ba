"""OpenAPI: every response body is described inside the envelope, with the spec's error shapes."""

from drf_spectacular.openapi import AutoSchema

from core.errors import ErrorCode

META_REF = {"$ref": "#/components/schemas/ResponseMeta"}
PAGINATED_META_REF = {"$ref": "#/components/schemas/PaginatedResponseMeta"}
ERROR_ENVELOPE_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}


def envelope_schema(data_schema: dict, *, paginated: bool = False) -> dict:
    return {
        "type": "object",
        "required": ["success", "data", "meta"],
        "properties": {
            "success": {"type": "boolean", "description": "Always true here."},
            "data": data_schema,
            "error": {"type": "object", "nullable": True, "description": "Always null here."},
            "meta": PAGINATED_META_REF if paginated else META_REF,
        },
    }


class EnvelopeAutoSchema(AutoSchema):
    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        if not ("200" <= str(status_code) < "300"):
            for media in response.get("content", {}).values():
                media["schema"] = _error_envelope_with_data(media.get("schema", {}))
            return response
        if "content" not in response:
            response["content"] = {
                "application/json": {"schema": envelope_schema({"type": "object", "nullable": True})}
            }
            return response
        for media in response["content"].values():
            schema = media.get("schema", {})
            if not _is_envelope(schema):
                media["schema"] = envelope_schema(schema)
        return response


def _error_envelope_with_data(data_schema: dict) -> dict:
    return {
        "type": "object",
        "required": ["success", "error", "meta"],
        "properties": {
            "success": {"type": "boolean", "description": "Always false here."},
            "data": data_schema,
            "error": {"$ref": "#/components/schemas/ApiError"},
            "meta": META_REF,
        },
    }


def _is_envelope(schema: dict) -> bool:
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1].startswith("Paginated") or "success" in schema.get("properties", {})


_COMPONENTS = {
    "Pagination": {
        "type": "object",
        "required": ["page", "limit", "total", "totalPages"],
        "properties": {
            "page": {"type": "integer"},
            "limit": {"type": "integer"},
            "total": {"type": "integer"},
            "totalPages": {"type": "integer"},
        },
    },
    "ResponseMeta": {
        "type": "object",
        "required": ["timestamp", "requestId"],
        "properties": {
            "timestamp": {"type": "string", "format": "date-time"},
            "requestId": {"type": "string"},
        },
    },
    "PaginatedResponseMeta": {
        "type": "object",
        "required": ["timestamp", "requestId", "pagination"],
        "properties": {
            "timestamp": {"type": "string", "format": "date-time"},
            "requestId": {"type": "string"},
            "pagination": {"$ref": "#/components/schemas/Pagination"},
        },
    },
    "ApiError": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {"type": "string", "enum": [code.value for code in ErrorCode]},
            "message": {"type": "string"},
            "details": {"nullable": True, "description": "Field errors or other context."},
        },
    },
    "ErrorEnvelope": {
        "type": "object",
        "required": ["success", "error", "meta"],
        "properties": {
            "success": {"type": "boolean", "description": "Always false here."},
            "data": {"nullable": True, "description": "Null, or context such as a health report."},
            "error": {"$ref": "#/components/schemas/ApiError"},
            "meta": {"$ref": "#/components/schemas/ResponseMeta"},
        },
    },
}

_ERROR_DESCRIPTIONS = {
    "400": "VALIDATION_ERROR, MISSING_REQUIRED_FIELD or INVALID_FORMAT",
    "409": "DUPLICATE_RECORD, INVALID_STATUS_TRANSITION, TOUR_UNAVAILABLE or CONFLICT_RESOLUTION_REQUIRED",
    "401": "UNAUTHORIZED, INVALID_TOKEN or TOKEN_EXPIRED",
    "403": "FORBIDDEN or INSUFFICIENT_PERMISSIONS",
    "404": "RECORD_NOT_FOUND",
    "429": "RATE_LIMIT_EXCEEDED",
    "500": "INTERNAL_ERROR",
}


def add_error_responses(result, generator, request, public):
    """Postprocessing hook: the envelope components, the error responses every route can give, and
    paths written as the spec writes them (the routers accept a trailing slash but do not need it)."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(_COMPONENTS)
    result["paths"] = {path.rstrip("/") or "/": item for path, item in result.get("paths", {}).items()}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            public_route = operation.get("security") == [{}] or {} in operation.get("security", [])
            for status, description in _ERROR_DESCRIPTIONS.items():
                if status in ("401", "403") and public_route:
                    continue
                if status in ("400", "409") and method == "get" and not operation.get("parameters"):
                    continue
                if status == "409" and method == "get":
                    continue
                responses.setdefault(
                    status,
                    {"description": description, "content": {"application/json": {"schema": ERROR_ENVELOPE_REF}}},
                )
    return result
