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
            "success": {"type": "boolean", "enum": [True]},
            "data": data_schema,
            "error": {"type": "object", "nullable": True, "enum": [None]},
            "meta": PAGINATED_META_REF if paginated else META_REF,
        },
    }


class EnvelopeAutoSchema(AutoSchema):
    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        if not ("200" <= str(status_code) < "300"):
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
            "success": {"type": "boolean", "enum": [False]},
            "data": {"nullable": True, "enum": [None]},
            "error": {"$ref": "#/components/schemas/ApiError"},
            "meta": {"$ref": "#/components/schemas/ResponseMeta"},
        },
    },
}

_ERROR_DESCRIPTIONS = {
    "400": "VALIDATION_ERROR, MISSING_REQUIRED_FIELD or INVALID_FORMAT",
    "401": "UNAUTHORIZED, INVALID_TOKEN or TOKEN_EXPIRED",
    "403": "FORBIDDEN or INSUFFICIENT_PERMISSIONS",
    "404": "RECORD_NOT_FOUND",
    "429": "RATE_LIMIT_EXCEEDED",
    "500": "INTERNAL_ERROR",
}


def add_error_responses(result, generator, request, public):
    """Postprocessing hook: the envelope components, and the error responses every route can give."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(_COMPONENTS)
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            public_route = operation.get("security") == [{}] or {} in operation.get("security", [])
            for status, description in _ERROR_DESCRIPTIONS.items():
                if status in ("401", "403") and public_route:
                    continue
                if status == "400" and method == "get" and "parameters" not in operation:
                    continue
                responses.setdefault(
                    status,
                    {"description": description, "content": {"application/json": {"schema": ERROR_ENVELOPE_REF}}},
                )
    return result
