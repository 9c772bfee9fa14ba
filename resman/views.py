"""The ResMan routes. Thin: parse, check the caller may act, call a service or selector, render.

Writes to ResMan go through the outbox and Celery; with eager Celery (the embedded default) they
finish inside the request, and the outbox item returned shows the outcome.
"""

import re
from dataclasses import asdict

from django.conf import settings
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from companies.models import Company
from conversations.models import Prospect
from core.api.inputs import parse_input
from core.errors import InsufficientPermissions, ValidationFailed
from core.tenancy import UUID_PATTERN, TenantScopedViewSet, scope_queryset
from properties.models import Property, PropertyManager
from resman import selectors, serializers
from resman.models import (
    AgentMapping,
    LeadLink,
    OutboxItem,
    ResManReference,
    SourceMapping,
    SyncConflict,
    new_webhook_secret,
)
from resman.services import appointments, contacts, leads, outbox, units, webhooks
from resman.services.common import (
    company_settings,
    property_settings,
    property_settings_update,
    references_sync,
    require_configured,
)
from tours import selectors as tour_selectors
from tours import serializers as tour_serializers
from tours.models import Tour

TAGS = ["resman"]


def _is_uuid(value: str) -> bool:
    return re.fullmatch(UUID_PATTERN, value or "") is not None


def _query(serializer_class, request, **context) -> dict:
    serializer = serializer_class(data=request.query_params, context={"request": request, **context})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class _ResManViewSet(TenantScopedViewSet):
    throttle_scope = "resman"
    write_requires = "property"

    def property_for_read(self, property_id) -> Property:
        return scope_queryset(Property.objects.select_related("company"), self.access).get(pk=property_id)

    def property_for_write(self, property_id) -> Property:
        """A property named in a body: another company's answers 404, a read-only one 403."""
        property_ = self.property_for_read(property_id)
        self.check_property_write(property_.pk)
        return property_

    def prospect_for(self, prospect_id) -> Prospect:
        return scope_queryset(Prospect.objects.all(), self.access).get(pk=prospect_id)

    def check_prospect_write(self, prospect) -> None:
        """A manager changes a prospect only through a property they may write."""
        if self.access.reaches_all_properties:
            return
        properties = set(prospect.conversations.values_list("property_id", flat=True)) | set(
            LeadLink.objects.filter(prospect=prospect).values_list("property_id", flat=True)
        )
        if not properties & self.access.writable_property_ids:
            raise InsufficientPermissions("Your access to this prospect's properties is read-only.")

    @staticmethod
    def outbox_data(item: OutboxItem) -> dict:
        item.refresh_from_db()
        return serializers.ResManOutboxItemSerializer(item).data


# --- leads --------------------------------------------------------------------------------------------
@extend_schema(tags=TAGS)
class LeadViewSet(_ResManViewSet, mixins.ListModelMixin):
    """Guest cards: our prospects at each property as ResMan knows them."""

    base_queryset = selectors.LEADS
    serializer_class = serializers.ResManLeadSerializer

    @extend_schema(parameters=[serializers.ResManLeadListQuerySerializer])
    def list(self, request):
        params = _query(serializers.ResManLeadListQuerySerializer, request)
        page = self.paginate_queryset(selectors.lead_list_filter(self.get_queryset(), params=params))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(parameters=[serializers.ResManLeadDetailQuerySerializer], responses=serializers.ResManLeadSerializer)
    def retrieve(self, request, pk=None):
        """pullLead with `?refresh=true`: the guest card is read from ResMan and ingested first."""
        lead = self.get_object()
        if _query(serializers.ResManLeadDetailQuerySerializer, request)["refresh"]:
            leads.lead_pull(lead=lead)
            lead = self.get_object()
        return Response(self.get_serializer(lead).data)

    @extend_schema(
        request=serializers.ResManLeadUpdateInputSerializer, responses=serializers.ResManLeadUpdateOutputSerializer
    )
    def update(self, request, pk=None):
        """updateLead: changes the lead here and pushes it; 409 while a changed field is in conflict."""
        lead = self.get_object()
        data = parse_input(serializers.ResManLeadUpdateInputSerializer, request)
        item = leads.lead_update(lead=lead, updates=dict(data))
        return Response({"lead": self.get_serializer(self.get_object()).data, "outbox_item": self.outbox_data(item)})

    @extend_schema(
        request=serializers.ResManLeadStatusInputSerializer, responses=serializers.ResManLeadUpdateOutputSerializer
    )
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        """Lost (ResMan Cancel with a lost reason) or active again (ReActivate)."""
        lead = self.get_object()
        data = parse_input(serializers.ResManLeadStatusInputSerializer, request)
        item = leads.lead_status_set(
            lead=lead, status=data["status"], reason_id=data.get("reason_id", ""), comments=data.get("comments", "")
        )
        return Response({"lead": self.get_serializer(self.get_object()).data, "outbox_item": self.outbox_data(item)})

    @extend_schema(
        request=serializers.ResManLeadSyncInputSerializer, responses=serializers.ResManLeadSyncOutputSerializer
    )
    @action(detail=False, methods=["post"])
    def sync(self, request):
        """A push of one lead, or a pull of the property's changes, now."""
        data = parse_input(serializers.ResManLeadSyncInputSerializer, request)
        property_ = self.property_for_write(data["property_id"])
        require_configured(property_)
        if data["direction"] == "push":
            prospect = self.prospect_for(data["prospect_id"])
            item = leads.lead_push(property=property_, prospect=prospect, reason="manual sync")
            return Response({"direction": "push", "outbox_item": self.outbox_data(item), "pull": None})
        if data.get("since"):
            result = {"ok": True, **leads.lead_pull_updates(property=property_, since=data["since"]).as_dict()}
        else:
            result = leads.property_poll(property_id=property_.pk)
        return Response({"direction": "pull", "outbox_item": None, "pull": result})

    @extend_schema(
        parameters=[serializers.ResManConflictListQuerySerializer],
        responses=serializers.ResManConflictSerializer(many=True),
    )
    @action(detail=False, methods=["get"])
    def conflicts(self, request):
        """Fields changed on both sides since the last sync (open ones unless `status` says otherwise)."""
        params = _query(serializers.ResManConflictListQuerySerializer, request)
        queryset = selectors.conflict_list_filter(scope_queryset(selectors.CONFLICTS.all(), self.access), params=params)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializers.ResManConflictSerializer(page, many=True).data)

    @extend_schema(
        request=serializers.ResManResolveConflictInputSerializer,
        responses=serializers.ResManResolveConflictOutputSerializer,
    )
    @action(detail=False, methods=["post"], url_path=rf"resolve-conflict/(?P<conflict_id>{UUID_PATTERN})")
    def resolve_conflict(self, request, conflict_id=None):
        """Keeps ours, takes ResMan's, or sets a value; then pushes the lead."""
        conflict = scope_queryset(SyncConflict.objects.all(), self.access).get(pk=conflict_id)
        self.check_property_write(conflict.property_id)
        data = parse_input(serializers.ResManResolveConflictInputSerializer, request)
        conflict, item = leads.conflict_resolve(
            conflict=conflict, resolution=data["resolution"], value=data.get("value"), user=request.user
        )
        conflict = selectors.CONFLICTS.get(pk=conflict.pk)
        return Response(
            {"conflict": serializers.ResManConflictSerializer(conflict).data, "outbox_item": self.outbox_data(item)}
        )


@extend_schema(tags=TAGS)
class OutboxViewSet(_ResManViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Every write to ResMan, with its attempts and outcome; final failures can be replayed."""

    base_queryset = selectors.OUTBOX
    serializer_class = serializers.ResManOutboxItemSerializer

    @extend_schema(parameters=[serializers.ResManOutboxListQuerySerializer])
    def list(self, request):
        params = _query(serializers.ResManOutboxListQuerySerializer, request)
        page = self.paginate_queryset(selectors.outbox_list_filter(self.get_queryset(), params=params))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=None, responses=serializers.ResManOutboxItemSerializer)
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        """Sends a failed (or skipped) write again, with a fresh set of attempts."""
        item = outbox.outbox_replay(item=self.get_object())
        return Response(self.outbox_data(item))


# --- tours --------------------------------------------------------------------------------------------
@extend_schema(tags=TAGS)
class ResManTourViewSet(_ResManViewSet):
    """Tours as ResMan appointment events (the tours app books them; these routes send them)."""

    base_queryset = Tour.objects.select_related("property__company", "conversation")

    def _render(self, tour: Tour, item: OutboxItem, code=status.HTTP_200_OK) -> Response:
        tour.refresh_from_db()
        data = {
            "tour_id": tour.pk,
            "tour_status": tour.status,
            "tour_datetime": tour.tour_datetime,
            "outbox_item": self.outbox_data(item),
        }
        return Response(serializers.ResManTourPushOutputSerializer(data).data, status=code)

    @extend_schema(
        request=serializers.ResManTourBookInputSerializer, responses={201: serializers.ResManTourPushOutputSerializer}
    )
    @action(detail=False, methods=["post"])
    def book(self, request):
        """bookTour: sends a booked tour to ResMan as an appointment event (UTC)."""
        data = parse_input(serializers.ResManTourBookInputSerializer, request)
        tour = self.get_queryset().get(pk=data["tour_id"])
        self.check_property_write(tour.property_id)
        return self._render(tour, appointments.tour_book(tour=tour), status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.ResManTourUpdateInputSerializer, responses=serializers.ResManTourPushOutputSerializer
    )
    def update(self, request, pk=None):
        """updateTour: moves the tour (when a time is given) and its ResMan appointment."""
        tour = self.get_object()
        data = parse_input(serializers.ResManTourUpdateInputSerializer, request)
        manager = None
        if data.get("property_manager_id"):
            manager = scope_queryset(PropertyManager.objects.all(), self.access).get(pk=data["property_manager_id"])
        with transaction.atomic():
            item = appointments.tour_update(tour=tour, start=data.get("tour_datetime"), manager=manager)
        return self._render(tour, item)

    @extend_schema(
        request=serializers.ResManTourCancelInputSerializer, responses=serializers.ResManTourPushOutputSerializer
    )
    def destroy(self, request, pk=None):
        """cancelTour: cancels the tour and records the cancellation on the guest card."""
        tour = self.get_object()
        data = parse_input(serializers.ResManTourCancelInputSerializer, request)
        with transaction.atomic():
            item = appointments.tour_cancel(tour=tour, reason=data["reason"])
        return self._render(tour, item)

    @extend_schema(
        request=serializers.ResManSyncAvailabilityInputSerializer,
        responses=serializers.ResManSyncAvailabilityOutputSerializer,
    )
    @action(detail=False, methods=["post"], url_path="sync-availability")
    def sync_availability(self, request):
        """syncTourChanges: reads ResMan's guest cards and blocks the times of its agents' appointments."""
        data = parse_input(serializers.ResManSyncAvailabilityInputSerializer, request)
        property_ = self.property_for_write(data["property_id"])
        return Response(
            serializers.ResManSyncAvailabilityOutputSerializer(appointments.tour_changes_sync(property=property_)).data
        )


# --- contacts -----------------------------------------------------------------------------------------
def _contact_data(prospect: Prospect) -> dict:
    links = LeadLink.objects.filter(prospect=prospect).order_by("created_at", "id")
    return serializers.ResManContactSerializer(
        {
            "id": prospect.pk,
            "first_name": prospect.first_name,
            "last_name": prospect.last_name,
            "email": prospect.email,
            "phone": prospect.phone,
            "lead_source": prospect.lead_source,
            "guest_cards": links,
            "updated_at": prospect.updated_at,
        }
    ).data


@extend_schema(tags=TAGS)
class ContactViewSet(_ResManViewSet):
    """A prospect's contact details across their ResMan guest cards."""

    base_queryset = Prospect.objects.all()

    @extend_schema(parameters=[serializers.ResManContactQuerySerializer], responses=serializers.ResManContactSerializer)
    def retrieve(self, request, pk=None):
        """getContact (`?refresh=true` reads the guest cards from ResMan first)."""
        prospect = self.get_object()
        if _query(serializers.ResManContactQuerySerializer, request)["refresh"]:
            contacts.contact_get(prospect=prospect, refresh=True)
            prospect = self.get_object()
        return Response(_contact_data(prospect))

    @extend_schema(
        request=serializers.ResManContactUpdateInputSerializer, responses=serializers.ResManContactPushOutputSerializer
    )
    def update(self, request, pk=None):
        """updateContact: changes the details here and pushes them to every guest card."""
        prospect = self.get_object()
        self.check_prospect_write(prospect)
        data = parse_input(serializers.ResManContactUpdateInputSerializer, request)
        items = contacts.contact_update(prospect=prospect, updates=dict(data))
        prospect.refresh_from_db()
        return Response({"contact": _contact_data(prospect), "outbox_items": [self.outbox_data(i) for i in items]})

    def get_object(self):
        # Prospects are reached through their conversations: the scope applies, not a property path.
        return self.get_queryset().get(pk=self.kwargs["pk"])

    @extend_schema(
        request=serializers.ResManContactSyncInputSerializer, responses=serializers.ResManContactPushOutputSerializer
    )
    @action(detail=False, methods=["post"])
    def sync(self, request):
        """syncContact: pushes the prospect to their guest cards (or the one at `property_id`)."""
        data = parse_input(serializers.ResManContactSyncInputSerializer, request)
        prospect = self.prospect_for(data["contact_id"])
        property_ = self.property_for_write(data["property_id"]) if data.get("property_id") else None
        if property_ is not None:
            require_configured(property_)
        else:
            self.check_prospect_write(prospect)
        items = contacts.contact_sync(prospect=prospect, property=property_)
        prospect.refresh_from_db()
        return Response({"contact": _contact_data(prospect), "outbox_items": [self.outbox_data(i) for i in items]})

    @extend_schema(
        request=serializers.ResManContactMergeInputSerializer, responses=serializers.ResManContactMergeOutputSerializer
    )
    @action(detail=False, methods=["post"])
    def merge(self, request):
        """mergeContacts: two prospects who are one person become one, here and in ResMan."""
        data = parse_input(serializers.ResManContactMergeInputSerializer, request)
        primary, secondary = self.prospect_for(data["primary_id"]), self.prospect_for(data["secondary_id"])
        self.check_prospect_write(primary)
        self.check_prospect_write(secondary)
        result = contacts.contacts_merge(primary=primary, secondary=secondary)
        return Response(serializers.ResManContactMergeOutputSerializer(result).data)


# --- per property: units, tour availability, settings -------------------------------------------------
@extend_schema(tags=TAGS)
class PropertyResManViewSet(_ResManViewSet):
    base_queryset = Property.objects.select_related("company")

    @extend_schema(
        parameters=[serializers.ResManUnitAvailabilityQuerySerializer],
        responses=serializers.ResManUnitAvailabilitySerializer(many=True),
    )
    def unit_availability(self, request, pk=None):
        """getUnitAvailability: available units, soonest first (`bedrooms`, `move_in_by` narrow it)."""
        property_ = self.get_object()
        params = _query(serializers.ResManUnitAvailabilityQuerySerializer, request)
        queryset = selectors.available_units_queryset(
            property=property_, bedrooms=params.get("bedrooms"), move_in_by=params.get("move_in_by")
        )
        page = self.paginate_queryset(queryset)
        data = [asdict(selectors.available_unit(unit)) for unit in page]
        return self.get_paginated_response(serializers.ResManUnitAvailabilitySerializer(data, many=True).data)

    @extend_schema(responses=serializers.ResManFloorPlanPricingSerializer(many=True))
    def unit_pricing(self, request, pk=None):
        """getUnitPricing: floor plans with rent ranges and their available units' term pricing."""
        page = self.paginate_queryset(selectors.unit_pricing(property=self.get_object()))
        return self.get_paginated_response(serializers.ResManFloorPlanPricingSerializer(page, many=True).data)

    @extend_schema(
        parameters=[tour_serializers.AvailabilityQuerySerializer], responses=tour_serializers.AvailabilitySerializer
    )
    def tour_availability(self, request, pk=None):
        """getTourAvailability: bookable tour slots, leaving out the appointments booked in ResMan."""
        property_ = self.get_object()
        query = _query(tour_serializers.AvailabilityQuerySerializer, request, time_zone=property_.time_zone)
        slots = appointments.tour_availability(
            property=property_, start=query["start"], end=query["end"], tour_type=query["tour_type"]
        )
        config = tour_selectors.tour_settings_get(property=property_)
        return Response(
            tour_serializers.availability_data(
                property=property_,
                manager=None,
                tour_type=query["tour_type"],
                slot_minutes=config.slot_minutes,
                start=query["start"],
                end=query["end"],
                slots=slots,
            )
        )

    def _settings_data(self, property_) -> dict:
        state = property_settings(property_)
        data = serializers.ResManPropertySettingsSerializer(state).data
        data["property_id"] = str(property_.pk)
        data["source_mappings"] = dict(
            SourceMapping.objects.filter(property=property_).values_list("lead_source", "resman_source_id")
        )
        data["agent_mappings"] = {
            str(manager_id): employee
            for manager_id, employee in AgentMapping.objects.filter(property=property_).values_list(
                "property_manager_id", "resman_employee_id"
            )
        }
        return data

    @extend_schema(methods=["GET"], responses=serializers.ResManPropertySettingsSerializer)
    @extend_schema(
        methods=["PUT"],
        request=serializers.ResManPropertySettingsSerializer,
        responses=serializers.ResManPropertySettingsSerializer,
    )
    def resman_settings(self, request, pk=None):
        """Default source, agent and lost reason, source and agent mappings, unit-sync schedule."""
        property_ = self.get_object()
        if request.method == "PUT":
            state = property_settings(property_)
            data = dict(
                parse_input(serializers.ResManPropertySettingsSerializer, request, instance=state, partial=True)
            )
            managers = {}
            if "agent_mappings" in data:
                ids = list(data["agent_mappings"])
                found = {
                    str(m.pk): m
                    for m in scope_queryset(
                        PropertyManager.objects.filter(company=property_.company), self.access
                    ).filter(pk__in=[i for i in ids if _is_uuid(i)])
                }
                unknown = [i for i in ids if i not in found]
                if unknown:
                    raise ValidationFailed("Unknown property managers.", details={"agent_mappings": unknown})
                managers = {found[i]: v for i, v in data["agent_mappings"].items()}
            property_settings_update(property=property_, managers=managers, **data)
        return Response(self._settings_data(property_))

    @extend_schema(request=None, responses=serializers.ResManReferencesOutputSerializer)
    def references(self, request, pk=None):
        """Pulls ResMan's prospect sources, employees and lost reasons (the ids to map to)."""
        property_ = self.get_object()
        counts = references_sync(property=property_)
        rows = ResManReference.objects.filter(property=property_).order_by("kind", "name", "id")
        return Response(
            serializers.ResManReferencesOutputSerializer(
                {"counts": counts, "references": rows.values("kind", "resman_id", "name", "email")}
            ).data
        )

    @extend_schema(
        request=serializers.ResManUnitsSyncInputSerializer, responses=serializers.ResManUnitsSyncOutputSerializer
    )
    def units_sync(self, request):
        """syncUnitData now, and scheduleSync (hourly, daily, off) when `frequency` is given."""
        data = parse_input(serializers.ResManUnitsSyncInputSerializer, request)
        property_ = self.property_for_write(data["property_id"])
        require_configured(property_)
        if data.get("frequency"):
            units.units_schedule_sync(property=property_, frequency=data["frequency"])
        result = units.units_sync(property=property_) if data["run_now"] else {}
        state = property_settings(property_)
        return Response(
            serializers.ResManUnitsSyncOutputSerializer(
                {
                    **result,
                    "property_id": property_.pk,
                    "frequency": state.units_sync_frequency,
                    "synced_at": state.units_synced_at,
                }
            ).data
        )


# --- company webhook secret -----------------------------------------------------------------------------
@extend_schema(tags=TAGS)
class CompanyWebhookViewSet(_ResManViewSet):
    """The company's webhook secret (administrators only) and where deliveries go."""

    base_queryset = Company.objects.all()
    write_requires = "company_admin"
    action_read_requires = {"webhook_settings": "company_admin"}

    @extend_schema(responses=serializers.ResManCompanyWebhookSettingsSerializer)
    def webhook_settings(self, request, pk=None):
        company = self.get_object()
        secret = company_settings(company).webhook_secret
        base = f"{settings.PUBLIC_BASE_URL}/api/resman/webhooks/"
        return Response(
            serializers.ResManCompanyWebhookSettingsSerializer(
                {
                    "company_id": company.pk,
                    "webhook_secret": secret,
                    "webhook_urls": {event: base + event for event in webhooks.EVENT_TYPES},
                    "signature": (
                        "Headers X-Webhook-Company (this id), X-Webhook-Timestamp (Unix seconds) and "
                        "X-Webhook-Signature: sha256=hex(HMAC-SHA256(secret, timestamp + '.' + raw body))."
                    ),
                }
            ).data
        )

    @extend_schema(request=None, responses=serializers.ResManRotatedSecretSerializer)
    def rotate(self, request, pk=None):
        company = self.get_object()
        state = company_settings(company)
        state.webhook_secret = new_webhook_secret()
        state.save(update_fields=["webhook_secret", "updated_at"])
        return Response({"company_id": str(company.pk), "webhook_secret": state.webhook_secret})


# --- webhooks -----------------------------------------------------------------------------------------
@extend_schema(
    tags=TAGS,
    request={"application/json": {"type": "object", "description": "{event_id, property_id, data}"}},
    responses={200: serializers.ResManWebhookResultSerializer, 202: serializers.ResManWebhookResultSerializer},
    parameters=[
        OpenApiParameter("X-Webhook-Company", location=OpenApiParameter.HEADER, required=True),
        OpenApiParameter("X-Webhook-Timestamp", location=OpenApiParameter.HEADER, required=True),
        OpenApiParameter("X-Webhook-Signature", location=OpenApiParameter.HEADER, required=True),
    ],
)
class WebhookView(APIView):
    """A delivery from the customer's relay, verified by its signature, stored, and answered at once."""

    authentication_classes = []
    permission_classes = [AllowAny]
    # The signature keeps strangers out; relays deliver in bursts and retry.
    throttle_classes = []
    event_type = ""

    def post(self, request):
        result = webhooks.webhook_receive(
            event_type=self.event_type,
            body=request.body,
            company_id=request.headers.get("X-Webhook-Company", ""),
            timestamp=request.headers.get("X-Webhook-Timestamp", ""),
            signature=request.headers.get("X-Webhook-Signature", ""),
        )
        code = status.HTTP_202_ACCEPTED if result["status"] == "accepted" else status.HTTP_200_OK
        return Response(result, status=code)
