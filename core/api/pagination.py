import math

from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from core.errors import ValidationFailed

DEFAULT_LIMIT = 10
MAX_LIMIT = 100


def _positive_int(raw: str | None, name: str, default: int) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValidationFailed(f"'{name}' must be a positive integer.", details={name: [raw]})
    return value


class PagePagination(BasePagination):
    """`?page=&limit=` pagination whose figures go to `meta.pagination` of the envelope."""

    def paginate_queryset(self, queryset, request, view=None):
        page = _positive_int(request.query_params.get("page"), "page", 1)
        limit = min(_positive_int(request.query_params.get("limit"), "limit", DEFAULT_LIMIT), MAX_LIMIT)
        offset = (page - 1) * limit
        results = list(queryset[offset : offset + limit])
        # A short page that is not empty tells the total without a COUNT query.
        if len(results) < limit and (results or offset == 0):
            total = offset + len(results)
        else:
            total = queryset.count()
        self.meta = {
            "page": page,
            "limit": limit,
            "total": total,
            "totalPages": math.ceil(total / limit) if total else 0,
        }
        return results

    def get_paginated_response(self, data):
        response = Response(data)
        response.pagination = self.meta
        return response

    def get_paginated_response_schema(self, schema):
        from core.api.schema import envelope_schema

        return envelope_schema(schema, paginated=True)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "page",
                "in": "query",
                "required": False,
                "description": "Page number, from 1.",
                "schema": {"type": "integer", "minimum": 1, "default": 1},
            },
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": f"Items per page (at most {MAX_LIMIT}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
            },
        ]
