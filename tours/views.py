"""Tours and calendars over HTTP. Thin: parse, call a service or selector, render."""

from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.inputs import parse_input
from core.tenancy import TenantScopedViewSet, scope_queryset
from properties.models import Property, PropertyManager
from tours import calendars, selectors, serializers, services, tasks
from tours.models import CalendarIntegration, Tour

TOURS = ["tours"]
CALENDAR = ["calendar"]


def _query(serializer_class, request, **context) -> dict:
    serializer = serializer_class(data=request.query_params, context={"request": request, **context})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class _PropertyFromBody:
    def property_for_write(self, property_id) -> Property:
        """A property named in a body: another company's answers 404, a read-only one 403."""
        property_ = scope_queryset(Property.objects.all(), self.access).get(pk=property_id)
        self.check_property_write(property_.pk)
        return property_


@extend_schema(tags=TOURS)
class TourViewSet(_PropertyFromBody, mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Tours. Managers see and book the tours of their properties; read-only managers only see them."""

    base_queryset = Tour.objects.select_related("property", "property_manager__user").order_by("tour_datetime", "id")
    serializer_class = serializers.TourSerializer
    write_requires = "property"

    @extend_schema(parameters=[serializers.TourListQuerySerializer])
    def list(self, request):
        params = _query(serializers.TourListQuerySerializer, request)
        tours = selectors.tour_list_filter(self.get_queryset(), params=params)
        page = self.paginate_queryset(tours)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _render(self, tour: Tour, code=status.HTTP_200_OK) -> Response:
        tour = self.get_base_queryset().get(pk=tour.pk)
        return Response(self.get_serializer(tour).data, status=code)

    @extend_schema(request=serializers.TourCreateInputSerializer, responses={201: serializers.TourSerializer})
    def create(self, request):
        data = dict(parse_input(serializers.TourCreateInputSerializer, request))
        property_ = self.property_for_write(data.pop("property_id"))
        tour = services.tour_record(property=property_, start=data.pop("tour_datetime"), **data)
        return self._render(tour, status.HTTP_201_CREATED)

    @extend_schema(request=serializers.TourEditInputSerializer, responses=serializers.TourSerializer)
    def update(self, request, pk=None):
        return self._update(request, partial=False)

    @extend_schema(request=serializers.TourEditInputSerializer, responses=serializers.TourSerializer)
    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)

    def _update(self, request, *, partial):
        tour = self.get_object()
        data = dict(parse_input(serializers.TourEditInputSerializer, request, partial=partial))
        tour = services.tour_update(tour=tour, manager=data.pop("manager", None), **data)
        return self._render(tour)

    @extend_schema(responses={200: None})
    def destroy(self, request, pk=None):
        services.tour_delete(tour=self.get_object())
        return Response(None)

    @extend_schema(request=serializers.TourScheduleInputSerializer, responses={201: serializers.TourSerializer})
    @action(detail=False, methods=["post"])
    def schedule(self, request):
        """Books an available slot; 409 TOUR_UNAVAILABLE when it was taken meanwhile."""
        data = dict(parse_input(serializers.TourScheduleInputSerializer, request))
        property_ = self.property_for_write(data.pop("property_id"))
        tour = services.tour_schedule(
            property=property_,
            start=data.pop("tour_datetime"),
            hold_key=data.pop("hold_key") or None,
            **data,
        )
        return self._render(tour, status.HTTP_201_CREATED)

    @extend_schema(request=serializers.TourRescheduleInputSerializer, responses=serializers.TourSerializer)
    @action(detail=True, methods=["put"])
    def reschedule(self, request, pk=None):
        tour = self.get_object()
        data = parse_input(serializers.TourRescheduleInputSerializer, request)
        return self._render(services.tour_reschedule(tour=tour, start=data["tour_datetime"], manager=data["manager"]))

    @extend_schema(request=serializers.TourCancelInputSerializer, responses=serializers.TourSerializer)
    @action(detail=True, methods=["put"])
    def cancel(self, request, pk=None):
        tour = self.get_object()
        data = parse_input(serializers.TourCancelInputSerializer, request)
        return self._render(services.tour_cancel(tour=tour, reason=data["reason"]))

    @extend_schema(request=None, responses=serializers.TourSerializer)
    @action(detail=True, methods=["put"])
    def confirm(self, request, pk=None):
        return self._render(services.tour_confirm(tour=self.get_object()))

    @extend_schema(request=serializers.TourOutcomeInputSerializer, responses=serializers.TourSerializer)
    @action(detail=True, methods=["put"])
    def outcome(self, request, pk=None):
        tour = self.get_object()
        data = parse_input(serializers.TourOutcomeInputSerializer, request)
        return self._render(services.tour_record_outcome(tour=tour, **data))


class PropertyToursViewSet(TenantScopedViewSet):
    """Per-property tour routes: availability, outcomes, tour settings, calendar free/busy."""

    base_queryset = Property.objects.all()
    write_requires = "property"

    def _manager(self, property_, manager_id) -> PropertyManager | None:
        if manager_id is None:
            return None
        manager = scope_queryset(PropertyManager.objects.select_related("user"), self.access).get(pk=manager_id)
        if not manager.assignments.filter(property=property_).exists():
            raise PropertyManager.DoesNotExist
        return manager

    @extend_schema(
        tags=TOURS,
        operation_id="tours_availability_retrieve",
        parameters=[serializers.AvailabilityQuerySerializer],
        responses=serializers.AvailabilitySerializer,
    )
    def availability(self, request, pk=None, manager_id=None):
        """Bookable slots in the property's tour hours (UTC, with the local offset alongside)."""
        return self._availability(request, manager_id)

    @extend_schema(
        tags=TOURS,
        operation_id="tours_availability_manager_retrieve",
        parameters=[serializers.AvailabilityQuerySerializer],
        responses=serializers.AvailabilitySerializer,
    )
    def manager_availability(self, request, pk=None, manager_id=None):
        """One manager's bookable slots at the property."""
        return self._availability(request, manager_id)

    def _availability(self, request, manager_id):
        property_ = self.get_object()
        manager = self._manager(property_, manager_id)
        query = _query(serializers.AvailabilityQuerySerializer, request, time_zone=property_.time_zone)
        slots = selectors.tour_available_slots(
            property=property_, start=query["start"], end=query["end"], tour_type=query["tour_type"], manager=manager
        )
        config = selectors.tour_settings_get(property=property_)
        return Response(
            serializers.availability_data(
                property=property_,
                manager=manager,
                tour_type=query["tour_type"],
                slot_minutes=config.slot_minutes,
                start=query["start"],
                end=query["end"],
                slots=slots,
            )
        )

    @extend_schema(
        tags=CALENDAR,
        operation_id="calendar_availability_retrieve",
        parameters=[serializers.RangeQuerySerializer],
        responses=serializers.CalendarAvailabilitySerializer,
    )
    def calendar_availability(self, request, pk=None, manager_id=None):
        """Each manager's busy times (tours, holds, calendar events) and free tour-hour windows."""
        return self._calendar_availability(request, manager_id)

    @extend_schema(
        tags=CALENDAR,
        operation_id="calendar_availability_manager_retrieve",
        parameters=[serializers.RangeQuerySerializer],
        responses=serializers.CalendarAvailabilitySerializer,
    )
    def manager_calendar_availability(self, request, pk=None, manager_id=None):
        """One manager's busy times and free tour-hour windows."""
        return self._calendar_availability(request, manager_id)

    def _calendar_availability(self, request, manager_id):
        property_ = self.get_object()
        manager = self._manager(property_, manager_id)
        query = _query(serializers.RangeQuerySerializer, request, time_zone=property_.time_zone)
        data = selectors.calendar_availability(
            property=property_, start=query["start"], end=query["end"], manager=manager
        )
        return Response(serializers.calendar_availability_data(data))

    @extend_schema(
        tags=TOURS,
        parameters=[serializers.OutcomesQuerySerializer],
        responses=serializers.TourOutcomesSerializer,
    )
    def outcomes(self, request, pk=None):
        """Figures of the property's past tours, and the past tours themselves (newest first, paginated)."""
        property_ = self.get_object()
        query = _query(serializers.OutcomesQuerySerializer, request)
        tours = scope_queryset(
            Tour.objects.select_related("property", "property_manager__user").filter(property=property_), self.access
        )
        tours = selectors.tour_list_filter(tours, params=query)
        summary = selectors.tour_outcome_summary(queryset=tours)
        page = self.paginate_queryset(tours.filter(tour_datetime__lte=timezone.now()).order_by("-tour_datetime", "-id"))
        data = {"property_id": property_.pk, "summary": summary, "results": page}
        response = Response(serializers.TourOutcomesSerializer(data).data)
        response.pagination = self.paginator.meta
        return response

    @extend_schema(methods=["GET"], tags=TOURS, responses=serializers.TourSettingsSerializer)
    @extend_schema(
        methods=["PUT", "PATCH"],
        tags=TOURS,
        request=serializers.TourSettingsSerializer,
        responses=serializers.TourSettingsSerializer,
    )
    def tour_settings(self, request, pk=None):
        """Tour hours (local to the property), slot length, buffer, notice, horizon, closed dates, caps."""
        property_ = self.get_object()
        config = selectors.tour_settings_get(property=property_)
        if request.method != "GET":
            fields = parse_input(
                serializers.TourSettingsSerializer, request, instance=config, partial=request.method == "PATCH"
            )
            config = services.tour_settings_update(property=property_, **fields)
        return Response(serializers.TourSettingsSerializer(config).data)


@extend_schema(tags=CALENDAR)
class CalendarIntegrationViewSet(
    _PropertyFromBody, mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet
):
    """Managers' calendars (iCal feeds, Calendly). Credentials are encrypted and read back masked."""

    base_queryset = CalendarIntegration.objects.select_related("property").order_by("created_at", "id")
    serializer_class = serializers.CalendarIntegrationSerializer
    write_requires = "property"

    @extend_schema(parameters=[serializers.CalendarListQuerySerializer])
    def list(self, request):
        params = _query(serializers.CalendarListQuerySerializer, request)
        page = self.paginate_queryset(self.get_queryset().filter(**params))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=serializers.CalendarIntegrationCreateSerializer,
        responses={201: serializers.CalendarIntegrationSerializer},
    )
    def create(self, request):
        data = dict(parse_input(serializers.CalendarIntegrationCreateSerializer, request))
        property_ = self.property_for_write(data.pop("property_id"))
        integration = calendars.calendar_integration_create(property=property_, **data)
        return Response(self.get_serializer(self._reload(integration)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.CalendarIntegrationUpdateSerializer, responses=serializers.CalendarIntegrationSerializer
    )
    def update(self, request, pk=None):
        return self._update(request, partial=False)

    @extend_schema(
        request=serializers.CalendarIntegrationUpdateSerializer, responses=serializers.CalendarIntegrationSerializer
    )
    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)

    def _update(self, request, *, partial):
        integration = self.get_object()
        fields = parse_input(
            serializers.CalendarIntegrationUpdateSerializer, request, instance=integration, partial=partial
        )
        integration = calendars.calendar_integration_update(integration=integration, **fields)
        return Response(self.get_serializer(self._reload(integration)).data)

    @extend_schema(responses={200: None})
    def destroy(self, request, pk=None):
        calendars.calendar_integration_delete(integration=self.get_object())
        return Response(None)

    def _reload(self, integration):
        return self.get_base_queryset().get(pk=integration.pk)


@extend_schema(tags=CALENDAR)
class CalendarSyncViewSet(TenantScopedViewSet):
    """Sync a calendar now, read how the last sync went, test its credentials."""

    base_queryset = CalendarIntegration.objects.all()
    write_requires = "property"

    @extend_schema(request=None, responses={202: serializers.SyncStatusSerializer})
    def sync(self, request, pk=None):
        """Queues a sync (it runs at once on the embedded default); the answer is the status after queueing."""
        integration = self.get_object()
        transaction.on_commit(lambda: tasks.sync_calendar.delay(str(integration.pk)))
        integration.refresh_from_db()
        return Response(serializers.SyncStatusSerializer(integration).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=serializers.SyncStatusSerializer)
    def sync_status(self, request, pk=None):
        return Response(serializers.SyncStatusSerializer(self.get_object()).data)

    @extend_schema(request=None, responses=serializers.SyncTestSerializer)
    def test(self, request, pk=None):
        """Checks the credentials against the calendar service; changes nothing."""
        integration = self.get_object()
        return Response(serializers.SyncTestSerializer(calendars.calendar_test(integration=integration)).data)


class _PublicTourView(APIView):
    """The prospect's own tour, reached with the signed token of their confirmation email."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_scope = "chat"

    def tour(self, token) -> Tour:
        return selectors.tour_by_manage_token(token=token)

    def render(self, tour: Tour, code=status.HTTP_200_OK) -> Response:
        tour = Tour.objects.select_related("property").get(pk=tour.pk)
        deadline = services.tour_change_deadline(tour=tour)
        data = {
            "id": tour.pk,
            "property": tour.property,
            "prospect_name": tour.prospect_name,
            "tour_datetime": tour.tour_datetime,
            "tour_datetime_local": serializers._local(tour.tour_datetime, tour.property.time_zone),
            "ends_at": tour.ends_at,
            "duration_minutes": tour.duration_minutes,
            "tour_type": tour.tour_type,
            "status": tour.status,
            "can_change": tour.is_live and timezone.now() <= deadline,
            "change_deadline": deadline,
        }
        return Response(serializers.PublicTourSerializer(data).data, status=code)


@extend_schema(tags=TOURS, responses=serializers.PublicTourSerializer)
class PublicTourView(_PublicTourView):
    def get(self, request, token):
        return self.render(self.tour(token))


@extend_schema(tags=TOURS, parameters=[serializers.RangeQuerySerializer], responses=serializers.AvailabilitySerializer)
class PublicTourAvailabilityView(_PublicTourView):
    """Slots the prospect may move their tour to."""

    def get(self, request, token):
        tour = self.tour(token)
        zone = tour.property.time_zone
        query = _query(serializers.RangeQuerySerializer, request, time_zone=zone)
        slots = selectors.tour_available_slots(
            property=tour.property, start=query["start"], end=query["end"], tour_type=tour.tour_type, ignoring_tour=tour
        )
        config = selectors.tour_settings_get(property=tour.property)
        data = serializers.availability_data(
            property=tour.property,
            manager=None,
            tour_type=tour.tour_type,
            slot_minutes=config.slot_minutes,
            start=query["start"],
            end=query["end"],
            slots=slots,
            show_managers=False,
        )
        return Response(data)


@extend_schema(
    tags=TOURS, request=serializers.PublicRescheduleInputSerializer, responses=serializers.PublicTourSerializer
)
class PublicTourRescheduleView(_PublicTourView):
    def post(self, request, token):
        tour = self.tour(token)
        data = parse_input(serializers.PublicRescheduleInputSerializer, request)
        return self.render(services.tour_reschedule_by_prospect(tour=tour, start=data["tour_datetime"]))


@extend_schema(tags=TOURS, request=serializers.TourCancelInputSerializer, responses=serializers.PublicTourSerializer)
class PublicTourCancelView(_PublicTourView):
    def post(self, request, token):
        tour = self.tour(token)
        data = parse_input(serializers.TourCancelInputSerializer, request)
        return self.render(services.tour_cancel_by_prospect(tour=tour, reason=data["reason"]))


@extend_schema(
    tags=CALENDAR,
    request={"application/json": {"type": "object", "description": "Calendly's webhook delivery."}},
    responses=serializers.CalendlyWebhookResultSerializer,
    parameters=[OpenApiParameter("Calendly-Webhook-Signature", location=OpenApiParameter.HEADER, required=True)],
)
class CalendlyWebhookView(APIView):
    """Calendly's invitee.created / invitee.canceled deliveries, verified by their signature."""

    authentication_classes = []
    permission_classes = [AllowAny]
    # Calendly delivers in bursts and retries; the signature, not a rate, keeps others out.
    throttle_classes = []

    def post(self, request, integration_id):
        result = calendars.calendly_webhook_receive(
            integration_id=integration_id,
            body=request.body,
            signature=request.headers.get("Calendly-Webhook-Signature", ""),
        )
        return Response(result)
