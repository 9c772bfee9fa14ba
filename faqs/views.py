import re

from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from companies.selectors import company_for_create
from core.api.inputs import parse_input
from core.errors import InsufficientPermissions, ValidationFailed
from core.tenancy import UUID_PATTERN, TenantScopedViewSet, scope_queryset
from faqs import selectors, serializers, services, tasks
from faqs.models import Faq, FaqConversation, FaqSource, FaqStatus, QuestionRouting, Task, TaskStatus
from properties.models import Property, PropertyManager

MANAGER_ID = rf"(?P<manager_id>{UUID_PATTERN})"
PHRASING_ID = rf"(?P<phrasing_id>{UUID_PATTERN})"
PROPERTY_ID = rf"(?P<property_id>{UUID_PATTERN})"


def _filter_choice(queryset, request, name: str, choices):
    value = request.query_params.get(name)
    if value in (None, ""):
        return queryset
    if value not in choices:
        raise ValidationFailed(f"Unknown {name} '{value}'.", details={name: [f"Choose from {', '.join(choices)}."]})
    return queryset.filter(**{name: value})


def _filter_uuid(queryset, request, name: str, field: str):
    value = request.query_params.get(name)
    if value in (None, ""):
        return queryset
    if not re.fullmatch(UUID_PATTERN, value):
        raise ValidationFailed(f"'{name}' must be an id.", details={name: [value]})
    return queryset.filter(**{field: value})


def _acting_manager(access) -> PropertyManager | None:
    return PropertyManager.objects.get(pk=access.manager_id) if access.manager_id else None


def _manager_in_scope(access, manager_id) -> PropertyManager:
    return scope_queryset(PropertyManager.objects.select_related("user"), access).get(pk=manager_id)


LIST_FILTERS = [
    OpenApiParameter("status", str, enum=FaqStatus.values),
    OpenApiParameter("property_id", OpenApiTypes.UUID),
    OpenApiParameter("scope", str, enum=["property", "company"]),
    OpenApiParameter("category", str),
    OpenApiParameter("source_type", str, enum=FaqSource.values),
]


class FaqViewSet(mixins.RetrieveModelMixin, TenantScopedViewSet):
    """FAQs, the human-in-the-loop answer workflow, and retrieval for the bot.

    Managers see their properties' FAQs and the company's shared ones; shared FAQs are written by
    company administrators.
    """

    base_queryset = Faq.objects.prefetch_related(
        Prefetch("conversation_links", queryset=FaqConversation.objects.only("id", "faq_id", "conversation_id"))
    )
    serializer_class = serializers.FaqSerializer
    write_requires = "property"
    # Retrieval is a read that takes a body.
    action_write_requires = {"rag_query": None, "routing": "company_admin"}

    def _filtered(self, queryset):
        request = self.request
        queryset = _filter_choice(queryset, request, "status", FaqStatus.values)
        queryset = _filter_choice(queryset, request, "source_type", FaqSource.values)
        queryset = _filter_uuid(queryset, request, "property_id", "property_id")
        scope = request.query_params.get("scope")
        if scope not in (None, ""):
            if scope not in ("property", "company"):
                raise ValidationFailed(
                    f"Unknown scope '{scope}'.", details={"scope": ["Choose from property, company."]}
                )
            queryset = queryset.filter(property__isnull=scope == "company")
        if request.query_params.get("category"):
            queryset = queryset.filter(category=request.query_params["category"])
        return queryset

    def _page(self, queryset):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializers.FaqSerializer(page, many=True).data)

    def _reloaded(self, faq) -> Response:
        return Response(serializers.FaqSerializer(self.get_base_queryset().get(pk=faq.pk)).data)

    @extend_schema(parameters=LIST_FILTERS)
    def list(self, request):
        return self._page(self._filtered(self.get_queryset()))

    @extend_schema(request=serializers.FaqWriteSerializer, responses={201: serializers.FaqSerializer})
    def create(self, request):
        data = dict(parse_input(serializers.FaqWriteSerializer, request))
        property_ = data.pop("property", None)
        requested_company = data.pop("company", None)
        if property_ is not None:
            self.check_property_write(property_.pk)
            company = property_.company
        else:
            if not self.access.reaches_all_properties:
                raise InsufficientPermissions("Only company administrators write FAQs shared by every property.")
            company = company_for_create(access=self.access, requested=requested_company)
        faq = services.faq_create(company=company, property=property_, manager=_acting_manager(self.access), **data)
        return Response(self._reloaded(faq).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=serializers.FaqWriteSerializer, responses=serializers.FaqSerializer)
    def update(self, request, pk=None):
        return self._update(request, partial=False)

    @extend_schema(request=serializers.FaqWriteSerializer, responses=serializers.FaqSerializer)
    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)

    def _update(self, request, *, partial):
        faq = self.get_object()
        data = dict(parse_input(serializers.FaqWriteSerializer, request, partial=partial))
        data.pop("company", None)
        if "property" in data and data["property"] != faq.property:
            target = data["property"]
            if target is None and not self.access.reaches_all_properties:
                raise InsufficientPermissions("Only company administrators write FAQs shared by every property.")
            if target is not None:
                self.check_property_write(target.pk)
        faq = services.faq_update(faq=faq, **data)
        return self._reloaded(faq)

    @extend_schema(responses={200: None})
    def destroy(self, request, pk=None):
        services.faq_delete(faq=self.get_object())
        return Response(None)

    @extend_schema(responses=serializers.FaqSerializer(many=True), parameters=LIST_FILTERS[1:])
    @action(detail=False, methods=["get"])
    def pending(self, request):
        """The questions waiting for an answer, oldest first."""
        queryset = self._filtered(self.get_queryset().filter(status=FaqStatus.PENDING))
        return self._page(queryset.order_by("created_at", "id"))

    @extend_schema(responses=serializers.FaqSerializer(many=True), parameters=LIST_FILTERS)
    @action(detail=False, methods=["get"], url_path=f"assigned/{MANAGER_ID}", url_name="assigned")
    def assigned(self, request, manager_id=None):
        manager = _manager_in_scope(self.access, manager_id)
        return self._page(
            self._filtered(selectors.faqs_assigned_to(queryset=self.get_queryset(), manager_id=manager.pk))
        )

    @extend_schema(request=None, responses=serializers.FaqSerializer)
    @action(detail=True, methods=["put"], url_path=f"assign/{MANAGER_ID}", url_name="assign")
    def assign(self, request, pk=None, manager_id=None):
        faq = self.get_object()
        services.faq_assign(faq=faq, manager=_manager_in_scope(self.access, manager_id))
        return self._reloaded(faq)

    @extend_schema(request=serializers.FaqAnswerSerializer, responses=serializers.FaqSerializer)
    @action(detail=True, methods=["put"])
    def answer(self, request, pk=None):
        faq = self.get_object()
        data = parse_input(serializers.FaqAnswerSerializer, request)
        faq = services.faq_answer(faq=faq, answer=data.get("answer", ""), manager=_acting_manager(self.access))
        return self._reloaded(faq)

    @extend_schema(request=serializers.FaqReviewSerializer, responses=serializers.FaqSerializer)
    @action(detail=True, methods=["post"], url_path="needs-review", url_name="needs-review")
    def needs_review(self, request, pk=None):
        faq = self.get_object()
        data = parse_input(serializers.FaqReviewSerializer, request)
        faq = services.faq_flag_for_review(faq=faq, note=data["note"])
        return self._reloaded(faq)

    @extend_schema(responses=serializers.FaqPhrasingSerializer(many=True))
    @action(detail=True, methods=["get"])
    def phrasings(self, request, pk=None):
        """The prospects' wordings of this question that the bot recognises once it is answered."""
        page = self.paginate_queryset(selectors.faq_phrasings(faq=self.get_object()))
        return self.get_paginated_response(serializers.FaqPhrasingSerializer(page, many=True).data)

    @extend_schema(request=None, responses={200: None})
    @action(detail=True, methods=["delete"], url_path=f"phrasings/{PHRASING_ID}", url_name="phrasing")
    def phrasing_delete(self, request, pk=None, phrasing_id=None):
        """Forgets a wording that does not ask this question."""
        phrasing = selectors.faq_phrasings(faq=self.get_object()).get(pk=phrasing_id)
        services.phrasing_delete(phrasing=phrasing)
        return Response(None)

    @extend_schema(request=serializers.RagQuerySerializer, responses=serializers.RagQueryResultSerializer)
    @action(detail=False, methods=["post"], url_path="rag/query", url_name="rag-query")
    def rag_query(self, request):
        """The best answered FAQs for a question, as the bot sees them for this property."""
        data = parse_input(serializers.RagQuerySerializer, request)
        result = selectors.faq_retrieve(property=data["property"], query=data["query"], top_k=data["top_k"])
        return Response(
            {
                "results": [
                    {"faq_id": hit.faq_id, "question": hit.question, "answer": hit.answer, "score": hit.score}
                    for hit in result.results
                ],
                "answered": result.answered,
            }
        )

    @extend_schema(request=serializers.RagUpdateSerializer, responses={202: serializers.RagUpdateResultSerializer})
    @action(detail=False, methods=["post"], url_path="rag/update", url_name="rag-update")
    def rag_update(self, request):
        """Stores the vectors that are missing or stale (all of them with `force`), in the background."""
        data = parse_input(serializers.RagUpdateSerializer, request)
        property_ = data.get("property")
        force = data["force"]
        if property_ is not None:
            self.check_property_write(property_.pk)
            property_ids, company_ids = [property_.pk], []
            jobs = [(str(property_.company_id), str(property_.pk))]
        else:
            if not self.access.reaches_all_properties:
                raise InsufficientPermissions("Only company administrators reindex every property.")
            properties = scope_queryset(Property.objects.all(), self.access)
            property_ids = list(properties.order_by("name", "id").values_list("id", flat=True))
            company_ids = sorted(set(properties.values_list("company_id", flat=True)), key=str)
            jobs = [(str(company_id), None) for company_id in company_ids]
        transaction.on_commit(lambda: [tasks.reindex_faqs.delay(company, prop, force) for company, prop in jobs])
        return Response(
            {"property_ids": property_ids, "company_ids": company_ids, "queued": True},
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(
        responses=serializers.RagStatusSerializer(many=True),
        parameters=[OpenApiParameter("property_id", OpenApiTypes.UUID)],
    )
    @action(detail=False, methods=["get"], url_path="rag/status", url_name="rag-status")
    def rag_status(self, request):
        """What each property's bot answers from, and when it was indexed."""
        properties = _filter_uuid(scope_queryset(Property.objects.all(), self.access), request, "property_id", "id")
        page = self.paginate_queryset(properties.order_by("name", "id"))
        return self.get_paginated_response(
            serializers.RagStatusSerializer(selectors.knowledge_status(properties=page), many=True).data
        )

    @extend_schema(methods=["GET"], responses=serializers.QuestionRoutingSerializer)
    @extend_schema(
        methods=["PUT"],
        request=serializers.QuestionRoutingSerializer,
        responses=serializers.QuestionRoutingSerializer,
    )
    @action(detail=False, methods=["get", "put"], url_path=f"routing/{PROPERTY_ID}", url_name="routing")
    def routing(self, request, property_id=None):
        """Where the property's unanswered questions go: round-robin, a chosen manager, or nobody."""
        property_ = scope_queryset(Property.objects.all(), self.access).get(pk=property_id)
        if request.method == "PUT":
            data = parse_input(serializers.QuestionRoutingSerializer, request)
            routing = services.routing_update(property=property_, mode=data["mode"], manager=data.get("manager"))
        else:
            routing = QuestionRouting.objects.filter(property=property_).first() or QuestionRouting(property=property_)
        return Response(serializers.QuestionRoutingSerializer(routing).data)


class TaskViewSet(mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Tasks of a property's staff; most carry a prospect's question (see `faq_id`)."""

    base_queryset = Task.objects.all()
    serializer_class = serializers.TaskSerializer
    write_requires = "property"

    def _filtered(self, queryset):
        queryset = _filter_choice(queryset, self.request, "status", TaskStatus.values)
        return _filter_uuid(queryset, self.request, "property_id", "property_id")

    def _page(self, queryset):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializers.TaskSerializer(page, many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=TaskStatus.values),
            OpenApiParameter("property_id", OpenApiTypes.UUID),
        ]
    )
    def list(self, request):
        return self._page(self._filtered(self.get_queryset()))

    @extend_schema(request=serializers.TaskCreateSerializer, responses={201: serializers.TaskSerializer})
    def create(self, request):
        data = parse_input(serializers.TaskCreateSerializer, request)
        self.check_property_write(data["property"].pk)
        task = services.task_create(
            property=data["property"],
            question=data["question"],
            conversation=data.get("conversation"),
            assigned_to=data.get("assigned_to"),
        )
        return Response(serializers.TaskSerializer(task).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=serializers.TaskUpdateSerializer, responses=serializers.TaskSerializer)
    def update(self, request, pk=None):
        return self._update(request, partial=False)

    @extend_schema(request=serializers.TaskUpdateSerializer, responses=serializers.TaskSerializer)
    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)

    def _update(self, request, *, partial):
        task = self.get_object()
        data = parse_input(serializers.TaskUpdateSerializer, request, partial=partial)
        return Response(serializers.TaskSerializer(services.task_update(task=task, **data)).data)

    @extend_schema(responses={200: None})
    def destroy(self, request, pk=None):
        services.task_delete(task=self.get_object())
        return Response(None)

    @extend_schema(
        responses=serializers.TaskSerializer(many=True),
        parameters=[
            OpenApiParameter("status", str, enum=TaskStatus.values),
            OpenApiParameter("property_id", OpenApiTypes.UUID),
        ],
    )
    @action(detail=False, methods=["get"], url_path=f"assigned/{MANAGER_ID}", url_name="assigned")
    def assigned(self, request, manager_id=None):
        manager = _manager_in_scope(self.access, manager_id)
        return self._page(
            self._filtered(selectors.tasks_assigned_to(queryset=self.get_queryset(), manager_id=manager.pk))
        )

    @extend_schema(request=None, responses=serializers.TaskSerializer)
    @action(detail=True, methods=["put"], url_path=f"assign/{MANAGER_ID}", url_name="assign")
    def assign(self, request, pk=None, manager_id=None):
        task = services.task_assign(task=self.get_object(), manager=_manager_in_scope(self.access, manager_id))
        return Response(serializers.TaskSerializer(task).data)

    @extend_schema(request=None, responses=serializers.TaskSerializer)
    @action(detail=True, methods=["put"])
    def unassign(self, request, pk=None):
        task = services.task_assign(task=self.get_object(), manager=None)
        return Response(serializers.TaskSerializer(task).data)

    @extend_schema(request=serializers.TaskStatusSerializer, responses=serializers.TaskSerializer)
    @action(detail=True, methods=["put"], url_path="status", url_name="status")
    def set_status(self, request, pk=None):
        task = self.get_object()
        data = parse_input(serializers.TaskStatusSerializer, request)
        return Response(serializers.TaskSerializer(services.task_set_status(task=task, status=data["status"])).data)

    @extend_schema(request=serializers.TaskAnswerSerializer, responses=serializers.TaskSerializer)
    @action(detail=True, methods=["put"])
    def answer(self, request, pk=None):
        task = self.get_object()
        data = parse_input(serializers.TaskAnswerSerializer, request)
        task = services.task_answer(task=task, answer=data["answer"], manager=_acting_manager(self.access))
        return Response(serializers.TaskSerializer(task).data)
