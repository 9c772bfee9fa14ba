from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core import health
from core.api.envelope import envelope_meta
from core.errors import ErrorCode

_CHECK = inline_serializer(
    "HealthStatus",
    {
        "status": serializers.ChoiceField([health.HEALTHY, health.DEGRADED, health.UNHEALTHY, health.NOT_CONFIGURED]),
        "message": serializers.CharField(),
        "latency_ms": serializers.FloatField(allow_null=True),
    },
)
_REPORT = inline_serializer(
    "HealthCheck",
    {
        "status": serializers.ChoiceField([health.HEALTHY, health.DEGRADED, health.UNHEALTHY]),
        "checks": serializers.DictField(child=_CHECK),
        "timestamp": serializers.DateTimeField(),
        "version": serializers.CharField(),
    },
)


class HealthView(APIView):
    """Unauthenticated, unthrottled, and free of secrets: load balancers call it."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    check_names = staticmethod(health.all_check_names)

    @extend_schema(responses={200: _REPORT, 503: _REPORT}, tags=["health"])
    def get(self, request):
        report = health.health_report(self.check_names())
        if report["status"] != health.UNHEALTHY:
            return Response(report)
        body = {
            "success": False,
            "data": report,
            "error": {"code": ErrorCode.DATABASE_ERROR, "message": "The service is unhealthy.", "details": None},
            "meta": envelope_meta(),
        }
        return Response(body, status=503)


class DatabaseHealthView(HealthView):
    check_names = staticmethod(lambda: ["database"])


class ResManHealthView(HealthView):
    check_names = staticmethod(lambda: ["resman"])


class ExternalServicesHealthView(HealthView):
    check_names = staticmethod(health.external_check_names)
