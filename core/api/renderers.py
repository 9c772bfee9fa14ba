from rest_framework.renderers import JSONRenderer

from core.api.envelope import error_body, success_body
from core.errors import ErrorCode


class EnvelopeJSONRenderer(JSONRenderer):
    """Wraps what a view returns in the spec's envelope; errors arrive already wrapped."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is None:
            return super().render(data, accepted_media_type, renderer_context)
        if response.status_code == 204:
            return b""
        if response.status_code >= 400:
            body = data if _is_envelope(data) else error_body(ErrorCode.INTERNAL_ERROR, str(data))
        else:
            body = success_body(data, getattr(response, "pagination", None))
        return super().render(body, accepted_media_type, renderer_context)


def _is_envelope(data) -> bool:
    return isinstance(data, dict) and "success" in data and "meta" in data
