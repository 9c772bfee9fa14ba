from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from companies import serializers, services
from companies.models import Company
from core.api.inputs import parse_input
from core.tenancy import TenantScopedViewSet


class CompanyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    TenantScopedViewSet,
):
    """Companies: platform staff see all; company staff see their own, admins may edit it."""

    base_queryset = Company.objects.all()
    serializer_class = serializers.CompanySerializer
    write_requires = "company_admin"
    action_write_requires = {"create": "platform", "destroy": "platform"}
    # Integration settings hold secrets: only administrators read them.
    action_read_requires = {"integrations": "company_admin"}

    def perform_create(self, serializer):
        serializer.instance = services.company_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.company_update(company=serializer.instance, **serializer.validated_data)

    @extend_schema(responses={200: None})
    def destroy(self, request, pk=None):
        services.company_delete(company=self.get_object())
        return Response(None)

    @extend_schema(methods=["GET"], responses=serializers.CompanyIntegrationsSerializer)
    @extend_schema(
        methods=["PUT", "PATCH"],
        request=serializers.CompanyIntegrationsSerializer,
        responses=serializers.CompanyIntegrationsSerializer,
    )
    @action(detail=True, methods=["get", "put", "patch"], url_path="integrations")
    def integrations(self, request, pk=None):
        company = self.get_object()
        if request.method != "GET":
            fields = parse_input(
                serializers.CompanyIntegrationsSerializer,
                request,
                instance=company,
                partial=request.method == "PATCH",
            )
            company = services.company_update(company=company, **fields)
        return Response(serializers.CompanyIntegrationsSerializer(company).data)

    @extend_schema(
        request=serializers.TestIntegrationInputSerializer, responses=serializers.TestIntegrationOutputSerializer
    )
    @action(detail=True, methods=["post"], url_path="test-integration")
    def test_integration(self, request, pk=None):
        company = self.get_object()
        data = parse_input(serializers.TestIntegrationInputSerializer, request)
        results = services.company_test_integrations(company=company, integration=data.get("integration"))
        return Response({"results": [result.as_dict() for result in results]})
