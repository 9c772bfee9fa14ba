from django.conf import settings
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from companies.selectors import company_for_create
from conversations.models import LeadNotification
from core.api.inputs import parse_input
from core.tenancy import UUID_PATTERN, TenantScopedViewSet, scope_queryset
from properties import serializers, services
from properties.models import Property, PropertyManager, PropertyManagerAssignment

# The spec's manager representation carries its notifications; the latest unread ones are enough
# there (the full list is paginated at /api/property-managers/:id/notifications).
UNREAD_NOTIFICATIONS_SHOWN = 10
ASSIGNMENT_ID = rf"(?P<assignment_id>{UUID_PATTERN})"
MANAGER_ID = rf"(?P<manager_id>{UUID_PATTERN})"


class PropertyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    TenantScopedViewSet,
):
    """Properties and their chatbot settings. Managers see the properties assigned to them."""

    base_queryset = Property.objects.all()
    serializer_class = serializers.PropertySerializer
    write_requires = "property"
    action_write_requires = {
        "create": "company_admin",
        "destroy": "company_admin",
        "managers": "company_admin",
        "remove_manager": "company_admin",
    }

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        company = company_for_create(access=self.access, requested=fields.pop("company", None))
        serializer.instance = services.property_create(company=company, **fields)

    def perform_update(self, serializer):
        serializer.instance = services.property_update(property=serializer.instance, **serializer.validated_data)

    @extend_schema(responses={200: None})
    def destroy(self, request, pk=None):
        services.property_delete(property=self.get_object())
        return Response(None)

    @extend_schema(methods=["GET"], responses=serializers.ChatbotConfigSerializer)
    @extend_schema(
        methods=["PUT", "PATCH"],
        request=serializers.ChatbotConfigSerializer,
        responses=serializers.ChatbotConfigSerializer,
    )
    @action(detail=True, methods=["get", "put", "patch"])
    def chatbot(self, request, pk=None):
        property_ = self.get_object()
        if request.method != "GET":
            fields = parse_input(
                serializers.ChatbotConfigSerializer, request, instance=property_, partial=request.method == "PATCH"
            )
            property_ = services.property_update(property=property_, **fields)
        return Response(serializers.ChatbotConfigSerializer(property_).data)

    @extend_schema(responses=serializers.EmbedCodeSerializer)
    @action(detail=True, methods=["get"], url_path="embed-code")
    def embed_code(self, request, pk=None):
        property_ = self.get_object()
        return Response(
            {
                "property_id": property_.pk,
                "widget_key": property_.widget_key,
                "embed_code": property_.chatbot_embed_code,
                "script_url": f"{settings.PUBLIC_BASE_URL}/widget/widget.js",
            }
        )

    @extend_schema(methods=["GET"], responses=serializers.PropertyManagerOnPropertySerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=serializers.PropertyManagerAssignInputSerializer,
        responses={201: serializers.PropertyManagerOnPropertySerializer},
    )
    @action(detail=True, methods=["get", "post"])
    def managers(self, request, pk=None):
        property_ = self.get_object()
        if request.method == "POST":
            data = parse_input(serializers.PropertyManagerAssignInputSerializer, request)
            assignment = services.assignment_create(
                manager=data["manager"],
                property=property_,
                access_level=data["access_level"],
                is_primary=data["is_primary"],
            )
            return Response(serializers.PropertyManagerOnPropertySerializer(assignment).data, status=201)
        assignments = property_.manager_assignments.select_related("property_manager__user").order_by(
            "-is_primary", "created_at", "id"
        )
        page = self.paginate_queryset(assignments)
        return self.get_paginated_response(serializers.PropertyManagerOnPropertySerializer(page, many=True).data)

    @extend_schema(responses={200: None})
    @action(detail=True, methods=["delete"], url_path=f"managers/{MANAGER_ID}", url_name="manager-detail")
    def remove_manager(self, request, pk=None, manager_id=None):
        property_ = self.get_object()
        assignment = scope_queryset(PropertyManagerAssignment.objects.all(), self.access).get(
            property=property_, property_manager_id=manager_id
        )
        services.assignment_delete(assignment=assignment)
        return Response(None)


class PropertyManagerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """A company's staff. Only company administrators add, change or remove them."""

    base_queryset = PropertyManager.objects.select_related("user")
    serializer_class = serializers.PropertyManagerSerializer
    write_requires = "company_admin"

    @extend_schema(
        request=serializers.PropertyManagerCreateSerializer, responses={201: serializers.PropertyManagerSerializer}
    )
    def create(self, request):
        data = dict(parse_input(serializers.PropertyManagerCreateSerializer, request))
        company = company_for_create(access=self.access, requested=data.pop("company", None))
        manager = services.property_manager_create(company=company, **data)
        return Response(self.get_serializer(self._reload(manager)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=serializers.PropertyManagerUpdateSerializer, responses=serializers.PropertyManagerSerializer)
    def update(self, request, pk=None):
        return self._update(request, partial=False)

    @extend_schema(request=serializers.PropertyManagerUpdateSerializer, responses=serializers.PropertyManagerSerializer)
    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)

    def _update(self, request, *, partial):
        manager = self.get_object()
        data = parse_input(serializers.PropertyManagerUpdateSerializer, request, partial=partial)
        manager = services.property_manager_update(manager=manager, **data)
        return Response(self.get_serializer(self._reload(manager)).data)

    @extend_schema(responses={200: None})
    def destroy(self, request, pk=None):
        services.property_manager_delete(manager=self.get_object(), acting_user=request.user)
        return Response(None)

    @extend_schema(methods=["GET"], responses=serializers.PropertyManagerAssignmentSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=serializers.PropertyManagerAssignmentSerializer,
        responses={201: serializers.PropertyManagerAssignmentSerializer},
    )
    @action(detail=True, methods=["get", "post"])
    def assignments(self, request, pk=None):
        manager = self.get_object()
        if request.method == "POST":
            data = parse_input(serializers.PropertyManagerAssignmentSerializer, request)
            assignment = services.assignment_create(
                manager=manager,
                property=data["property"],
                access_level=data.get("access_level", ""),
                is_primary=data.get("is_primary", False),
            )
            return Response(serializers.PropertyManagerAssignmentSerializer(assignment).data, status=201)
        assignments = scope_queryset(manager.assignments.select_related("property"), self.access)
        page = self.paginate_queryset(assignments)
        return self.get_paginated_response(serializers.PropertyManagerAssignmentSerializer(page, many=True).data)

    @extend_schema(
        methods=["PUT", "PATCH"],
        request=serializers.AssignmentUpdateSerializer,
        responses=serializers.PropertyManagerAssignmentSerializer,
    )
    @extend_schema(methods=["DELETE"], responses={200: None})
    @action(detail=True, methods=["put", "patch", "delete"], url_path=f"assignments/{ASSIGNMENT_ID}")
    def assignment_detail(self, request, pk=None, assignment_id=None):
        manager = self.get_object()
        assignment = manager.assignments.select_related("property").get(pk=assignment_id)
        if request.method == "DELETE":
            services.assignment_delete(assignment=assignment)
            return Response(None)
        data = parse_input(serializers.AssignmentUpdateSerializer, request, partial=request.method == "PATCH")
        assignment = services.assignment_update(assignment=assignment, **data)
        return Response(serializers.PropertyManagerAssignmentSerializer(assignment).data)

    def get_base_queryset(self):
        if self.action in ("assignments", "assignment_detail", "destroy"):
            return self.base_queryset.all()
        return self.base_queryset.prefetch_related(
            Prefetch("assignments", queryset=PropertyManagerAssignment.objects.select_related("property")),
            Prefetch(
                "lead_notifications",
                queryset=LeadNotification.objects.filter(read_at__isnull=True)
                .select_related("conversation")
                .order_by("-created_at", "id")[:UNREAD_NOTIFICATIONS_SHOWN],
                to_attr="unread_notifications",
            ),
        )

    def _reload(self, manager):
        return self.get_base_queryset().get(pk=manager.pk)
