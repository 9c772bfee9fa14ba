"""The spec's Amplitude Analytics routes (`/api/amplitude-data...`) and testing routes (`/api/test/...`)."""

import hashlib

from django.db import transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import cache, diagnostics, selectors, serializers, services, tasks
from analytics.models import ConversationAnalytics, EventSource
from companies.models import Company
from conversations import selectors as chat_selectors
from conversations.models import Conversation
from core.api.inputs import parse_input
from core.api.throttles import ApiRateThrottle
from core.errors import ErrorCode, InsufficientPermissions, RecordNotFound, ValidationFailed
from core.tenancy import Access, TenantScopedViewSet, get_access, scope_queryset
from properties.models import Property

TAGS = ["analytics"]
TOKEN_HEADER = "X-Conversation-Token"
RANGE_PARAMETERS = [
    OpenApiParameter("property_id", OpenApiTypes.UUID, description="Only this property."),
    OpenApiParameter("start_date", OpenApiTypes.DATE, description="Default: 29 days before end_date."),
    OpenApiParameter("end_date", OpenApiTypes.DATE, description="Default: today (UTC)."),
]


class MissingRequiredField(ValidationFailed):
    code = ErrorCode.MISSING_REQUIRED_FIELD


def _query(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.query_params, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class AnalyticsEventThrottle(ApiRateThrottle):
    """The analytics limit per staff user, or for the widget per IP and per conversation token."""

    def idents(self, request, view) -> list[str]:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return [f"user:{user.pk}"]
        idents = [f"ip:{self.get_ident(request)}"]
        token = request.headers.get(TOKEN_HEADER)
        if token:
            idents.append(f"conversation:{hashlib.sha256(token.encode()).hexdigest()[:24]}")
        return idents


@extend_schema(
    tags=TAGS,
    parameters=[
        OpenApiParameter("widget_key", str, description="Widget: the property's public widget key."),
        OpenApiParameter(
            TOKEN_HEADER, str, OpenApiParameter.HEADER, description="Widget: the conversation's secret token."
        ),
    ],
    request=serializers.AnalyticsEventsInputSerializer,
    responses={201: serializers.AnalyticsEventsResultSerializer, 200: serializers.AnalyticsEventsResultSerializer},
    description=(
        "Events of one conversation: from the widget (`?widget_key=` and the conversation's token in "
        "`X-Conversation-Token`) or from staff with write access to its property (Bearer token). Stored once "
        "per event_id; 201 when something new was stored, 200 when every event was a repeat."
    ),
)
class AmplitudeDataView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [AnalyticsEventThrottle]
    throttle_scope = "analytics"

    def post(self, request):
        if request.user.is_authenticated:
            source, find = EventSource.STAFF, self._staff_conversation
        elif request.headers.get(TOKEN_HEADER):
            source, find = EventSource.WIDGET, self._widget_conversation
        else:
            raise NotAuthenticated()
        data = parse_input(serializers.AnalyticsEventsInputSerializer, request)
        conversation = find(request, data["conversation_id"])
        ingest = services.events_ingest(
            conversation=conversation,
            events=data["events"],
            source=source,
            device_id=data.get("device_id", ""),
            session_id=data.get("session_id", ""),
            page_url=data.get("page_url", ""),
        )
        body = {
            "conversation_id": conversation.pk,
            "accepted": ingest.accepted,
            "duplicates": ingest.duplicates,
            "analytics": ingest.calculation.record,
        }
        code = status.HTTP_201_CREATED if ingest.accepted else status.HTTP_200_OK
        return Response(serializers.AnalyticsEventsResultSerializer(body).data, status=code)

    def _staff_conversation(self, request, conversation_id) -> Conversation:
        access = get_access(request)
        conversation = (
            scope_queryset(Conversation.objects.select_related("property__company"), access)
            .filter(pk=conversation_id)
            .first()
        )
        if conversation is None:
            raise RecordNotFound("No such conversation.")
        if not access.can_write_property(conversation.property_id):
            raise InsufficientPermissions("Your access to this property is read-only.")
        return conversation

    def _widget_conversation(self, request, conversation_id) -> Conversation:
        property_ = chat_selectors.widget_property(widget_key=request.query_params.get("widget_key"))
        chat_selectors.check_widget_origin(
            widget_key=property_.widget_key,
            origin=request.headers.get("Origin"),
            own_origin=f"{request.scheme}://{request.get_host()}",
        )
        conversation = chat_selectors.widget_conversation(
            property=property_, conversation_id=conversation_id, token=request.headers.get(TOKEN_HEADER)
        )
        conversation.property = property_
        return conversation


def _conversation_in_scope(access: Access, conversation_id) -> Conversation:
    conversation = (
        scope_queryset(Conversation.objects.select_related("property"), access).filter(pk=conversation_id).first()
    )
    if conversation is None:
        raise RecordNotFound("No such conversation.")
    return conversation


@extend_schema(tags=TAGS)
class AmplitudeDataViewSet(TenantScopedViewSet):
    """Reads and recalculation of the per-conversation records. Reads need read access to the
    property; recalculating needs write access (a whole company: its administrators)."""

    base_queryset = ConversationAnalytics.objects.all()
    serializer_class = serializers.AmplitudeAnalyticsSerializer
    throttle_scope = "analytics"

    @extend_schema(responses=serializers.AmplitudeAnalyticsSerializer)
    def conversation(self, request, conversation_id=None):
        conversation = _conversation_in_scope(self.access, conversation_id)
        record = ConversationAnalytics.objects.filter(conversation=conversation).first()
        if selectors.record_is_stale(
            record=record, conversation=conversation, abandon_before=timezone.now() - services.abandon_after()
        ):
            record = services.conversation_analytics_refresh(conversation_id=conversation.pk).record
        return Response(self.get_serializer(record).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("start_date", OpenApiTypes.DATE, description="Conversations started from this day (UTC)."),
            OpenApiParameter("end_date", OpenApiTypes.DATE, description="...to this day, inclusive."),
            OpenApiParameter("engagement_score", str, enum=["low", "medium", "high"]),
            *[OpenApiParameter(flag, bool) for flag in ("qualified", "hot", "signed", "tour_booked", "abandoned")],
        ],
        responses=serializers.AmplitudeAnalyticsSerializer(many=True),
    )
    def property(self, request, property_id=None):
        property_ = scope_queryset(Property.objects.all(), self.access).filter(pk=property_id).first()
        if property_ is None:
            raise RecordNotFound("No such property.")
        query = _query(serializers.PropertyRecordsQuerySerializer, request)
        if query.get("start_date") or query.get("end_date"):
            query["start"], query["end"] = chat_selectors.date_range(
                start=query.get("start_date"), end=query.get("end_date")
            )
        page = self.paginate_queryset(selectors.property_records(property=property_, filters=query))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _range(self, request) -> tuple[dict, dict]:
        query = _query(serializers.RangeQuerySerializer, request)
        start, end = chat_selectors.date_range(start=query.get("start_date"), end=query.get("end_date"))
        params = {"property": str(query["property"].pk) if query.get("property") else None, "start": start, "end": end}
        return query, params

    @extend_schema(parameters=RANGE_PARAMETERS, responses=serializers.AmplitudeSummarySerializer)
    def summary(self, request):
        query, params = self._range(request)

        def compute():
            records = self.get_queryset()
            if query.get("property"):
                records = records.filter(property=query["property"])
            figures = selectors.summary_figures(records=records, start=params["start"], end=params["end"])
            return serializers.AmplitudeSummarySerializer(figures).data

        key = cache.answer_key(route="summary", access=self.access, params=params)
        return Response(cache.cached(key, compute))

    def _per_property(self, request, *, route: str, serializer_class):
        query, params = self._range(request)
        params |= {"page": request.query_params.get("page"), "limit": request.query_params.get("limit")}

        def compute():
            properties = scope_queryset(Property.objects.all(), self.access).order_by("name", "id")
            if query.get("property"):
                properties = properties.filter(pk=query["property"].pk)
            page = self.paginate_queryset(properties)
            rows = selectors.per_property_figures(properties=page, start=params["start"], end=params["end"])
            return {"data": serializer_class(rows, many=True).data, "pagination": self.paginator.meta}

        answer = cache.cached(cache.answer_key(route=route, access=self.access, params=params), compute)
        response = Response(answer["data"])
        response.pagination = answer["pagination"]
        return response

    @extend_schema(parameters=RANGE_PARAMETERS, responses=serializers.EngagementScoresSerializer(many=True))
    def engagement_scores(self, request):
        """Per property: how many prospects engaged low, medium or high (see analytics.metrics)."""
        return self._per_property(
            request, route="engagement-scores", serializer_class=serializers.EngagementScoresSerializer
        )

    @extend_schema(parameters=RANGE_PARAMETERS, responses=serializers.QualificationRatesSerializer(many=True))
    def lead_qualification_rates(self, request):
        """Per property: contact, qualification, tour and signing counts and rates among prospects who chatted."""
        return self._per_property(
            request, route="lead-qualification-rates", serializer_class=serializers.QualificationRatesSerializer
        )

    @extend_schema(
        request=serializers.CalculateEngagementInputSerializer,
        responses={
            200: serializers.CalculateEngagementResultSerializer,
            202: serializers.CalculateEngagementResultSerializer,
        },
        description=(
            "Recomputes records: one conversation (at once), a property, or every property of a company "
            "(in the background; an empty body means the caller's own company)."
        ),
    )
    def calculate_engagement(self, request):
        data = parse_input(serializers.CalculateEngagementInputSerializer, request)
        access = self.access
        if "conversation_id" in data:
            conversation = _conversation_in_scope(access, data["conversation_id"])
            self.check_property_write(conversation.property_id)
            record = services.conversation_analytics_refresh(conversation_id=conversation.pk).record
            body = {"scope": "conversation", "queued": False, "conversations": 1, "analytics": record}
            return Response(serializers.CalculateEngagementResultSerializer(body).data)
        if "property_id" in data:
            property_ = scope_queryset(Property.objects.all(), access).filter(pk=data["property_id"]).first()
            if property_ is None:
                raise RecordNotFound("No such property.")
            self.check_property_write(property_.pk)
            count = Conversation.objects.filter(property=property_).count()
            transaction.on_commit(lambda: tasks.recalculate_property.delay(str(property_.pk)))
            body = {"scope": "property", "queued": True, "conversations": count, "analytics": None}
        else:
            company = _company_for(access, data.get("company_id"))
            count = Conversation.objects.filter(property__company=company).count()
            transaction.on_commit(lambda: tasks.recalculate_company.delay(str(company.pk)))
            body = {"scope": "company", "queued": True, "conversations": count, "analytics": None}
        return Response(serializers.CalculateEngagementResultSerializer(body).data, status=status.HTTP_202_ACCEPTED)


def _company_for(access: Access, company_id) -> Company:
    """The company an administrator acts on: their own, or for platform staff the one named."""
    if access.is_platform:
        if company_id is None:
            raise MissingRequiredField(
                "Platform staff must say which company.", details={"company_id": ["This field is required."]}
            )
        company = Company.objects.filter(pk=company_id).first()
    else:
        if not access.is_company_admin:
            raise InsufficientPermissions("Only company administrators can do this for a whole company.")
        company = Company.objects.filter(pk=access.company_id).first()
        if company_id is not None and company is not None and company_id != company.pk:
            company = None
    if company is None:
        raise RecordNotFound("No such company.")
    return company


# --- testing endpoints ----------------------------------------------------------------------------
@extend_schema(tags=["test"])
class DiagnosticsViewSet(TenantScopedViewSet):
    """Diagnostics for company administrators and platform staff."""

    base_queryset = Company.objects.all()
    write_requires = "company_admin"
    action_read_requires = {"analytics_calculation": "company_admin"}

    @extend_schema(
        request=serializers.ResManConnectionInputSerializer, responses=serializers.ResManConnectionResultSerializer
    )
    def resman_connection(self, request):
        data = parse_input(serializers.ResManConnectionInputSerializer, request)
        company = _company_for(self.access, data.get("company_id"))
        check = diagnostics.resman_connection_test(company=company)
        return Response(
            serializers.ResManConnectionResultSerializer({"company_id": company.pk, **check.as_dict()}).data
        )

    @extend_schema(
        request=serializers.WebhookDeliveryInputSerializer,
        responses=serializers.WebhookDeliveryResultSerializer,
        description=(
            "Signs a test delivery with the company's webhook secret and POSTs it over HTTP to our own "
            "`/api/resman/webhooks/<event_type>` (at PUBLIC_BASE_URL, or `target_url` for platform staff)."
        ),
    )
    def webhook_delivery(self, request):
        data = parse_input(serializers.WebhookDeliveryInputSerializer, request)
        if data.get("target_url") and not self.access.is_platform:
            raise InsufficientPermissions("Only platform staff may deliver to another URL.")
        company = _company_for(self.access, data.get("company_id"))
        result = diagnostics.webhook_test_deliver(
            company=company,
            event_type=data["event_type"],
            property_id=data.get("property_id"),
            prospect_id=data.get("prospect_id"),
            base_url=data.get("target_url"),
        )
        return Response(serializers.WebhookDeliveryResultSerializer(result).data)

    @extend_schema(
        parameters=[OpenApiParameter("conversation_id", OpenApiTypes.UUID, required=True)],
        responses={200: serializers.AnalyticsCalculationSerializer, 404: OpenApiResponse(description="Not found.")},
        description="Recomputes one conversation's analytics and shows the inputs, the rules and the result.",
    )
    def analytics_calculation(self, request):
        query = _query(serializers.AnalyticsCalculationQuerySerializer, request)
        conversation = _conversation_in_scope(self.access, query["conversation_id"])
        explained = diagnostics.analytics_calculation_explain(conversation=conversation)
        return Response(serializers.AnalyticsCalculationSerializer(explained).data)
