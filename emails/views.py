"""Email routes. Thin: parse, call a service or selector, render."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from companies.models import Company
from companies.selectors import company_for_create
from core.api.inputs import parse_input
from core.api.parsers import SafeJSONParser
from core.errors import InsufficientPermissions, ValidationFailed
from core.tenancy import TenantScopedViewSet, scope_queryset
from emails import rendering, selectors, serializers, services
from emails.models import EmailDelivery, UnsubscribeSource
from properties.models import Property

EMAIL = ["email"]


def _query(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.query_params, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _test_result(result: services.SendTestResult) -> Response:
    return Response(serializers.SendTestResultSerializer(result).data)


@extend_schema(tags=EMAIL)
class EmailDraftViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Emails to leads: follow-ups, triggered drafts and leads' copies of campaigns. Managers see
    those of their properties' conversations; writing needs write access to the property."""

    base_queryset = selectors.email_draft_queryset()
    serializer_class = serializers.EmailDraftSerializer
    write_requires = "property"

    def _render(self, draft, code=status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_base_queryset().get(pk=draft.pk)).data, status=code)

    @extend_schema(parameters=[serializers.EmailDraftListQuerySerializer])
    def list(self, request):
        params = _query(serializers.EmailDraftListQuerySerializer, request)
        page = self.paginate_queryset(selectors.email_draft_list_filter(self.get_queryset(), params=params))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=serializers.EmailDraftCreateSerializer, responses={201: serializers.EmailDraftSerializer})
    def create(self, request):
        data = dict(parse_input(serializers.EmailDraftCreateSerializer, request))
        self.check_property_write(data["conversation"].property_id)
        draft = services.email_draft_create(created_by_id=self.access.manager_id, **data)
        return self._render(draft, status.HTTP_201_CREATED)

    @extend_schema(request=serializers.EmailDraftUpdateSerializer, responses=serializers.EmailDraftSerializer)
    def update(self, request, pk=None):
        return self._update(request, partial=False)

    @extend_schema(request=serializers.EmailDraftUpdateSerializer, responses=serializers.EmailDraftSerializer)
    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)

    def _update(self, request, *, partial):
        draft = self.get_object()
        data = parse_input(serializers.EmailDraftUpdateSerializer, request, partial=partial)
        return self._render(services.email_draft_update(draft=draft, **data))

    @extend_schema(responses={200: None})
    def destroy(self, request, pk=None):
        services.email_draft_delete(draft=self.get_object())
        return Response(None)

    @extend_schema(operation_id="email_send_create", request=None, responses=serializers.EmailDraftSerializer)
    def send(self, request, pk=None):
        """Sends now (queued after commit; on the embedded default it has gone when this answers).
        Works on drafts, scheduled and failed emails; 400 when the lead has no email address."""
        return self._render(services.email_send_now(draft=self.get_object()))

    @extend_schema(
        operation_id="email_schedule_create",
        request=serializers.EmailScheduleInputSerializer,
        responses=serializers.EmailDraftSerializer,
    )
    def schedule(self, request, pk=None):
        """Sends at `scheduled_for` (within a minute: the beat sweep). PUT status 'draft' cancels."""
        draft = self.get_object()
        data = parse_input(serializers.EmailScheduleInputSerializer, request)
        return self._render(services.email_schedule(draft=draft, scheduled_for=data["scheduled_for"]))

    @extend_schema(
        operation_id="email_send_test_create",
        request=serializers.SendTestInputSerializer,
        responses=serializers.SendTestResultSerializer,
    )
    def send_test(self, request):
        """Sends a draft, or a template rendered for a lead (or with sample values), to you, now."""
        data = parse_input(serializers.SendTestInputSerializer, request)
        if data["draft"] is not None:
            draft = data["draft"]
            self.check_property_write(draft.conversation.property_id)
            return _test_result(services.email_send_test_of_draft(user=request.user, draft=draft))
        template, conversation = data["template"], data["conversation"]
        if template.property_id is not None:
            self.check_property_write(template.property_id)
        if conversation is not None:
            self.check_property_write(conversation.property_id)
            if template.property_id not in (None, conversation.property_id):
                raise ValidationFailed(
                    "The template is another property's.", details={"template_id": [str(template.pk)]}
                )
        return _test_result(
            services.email_send_test_of_template(user=request.user, template=template, conversation=conversation)
        )

    @extend_schema(responses=serializers.EmailDeliverySerializer(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """Every attempt to send this email, newest first, with the provider's message id."""
        draft = self.get_object()
        page = self.paginate_queryset(EmailDelivery.objects.filter(draft=draft).order_by("-attempt", "id"))
        return self.get_paginated_response(serializers.EmailDeliverySerializer(page, many=True).data)


@extend_schema(tags=EMAIL)
class EmailTemplateViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, TenantScopedViewSet
):
    """Templates with {{ placeholders }}. Company-wide ones are the administrators' to write; a
    property's, its managers' with write access. Everyone reads those that apply to them."""

    base_queryset = selectors.email_template_queryset()
    serializer_class = serializers.EmailTemplateSerializer
    write_requires = "property"

    @extend_schema(parameters=[serializers.EmailTemplateListQuerySerializer])
    def list(self, request):
        params = _query(serializers.EmailTemplateListQuerySerializer, request)
        page = self.paginate_queryset(selectors.email_template_list_filter(self.get_queryset(), params=params))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=serializers.EmailTemplateCreateSerializer, responses={201: serializers.EmailTemplateSerializer}
    )
    def create(self, request):
        data = dict(parse_input(serializers.EmailTemplateCreateSerializer, request))
        property_, requested = data.pop("property"), data.pop("company")
        if property_ is not None:
            self.check_property_write(property_.pk)
            company = property_.company
        elif not self.access.reaches_all_properties:
            raise InsufficientPermissions("Only company administrators write company-wide templates.")
        else:
            company = company_for_create(access=self.access, requested=requested)
        template = services.email_template_create(company=company, property=property_, **data)
        return Response(self.get_serializer(template).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=serializers.EmailTemplateUpdateSerializer, responses=serializers.EmailTemplateSerializer)
    def update(self, request, pk=None):
        return self._update(request, partial=False)

    @extend_schema(request=serializers.EmailTemplateUpdateSerializer, responses=serializers.EmailTemplateSerializer)
    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)

    def _update(self, request, *, partial):
        template = self.get_object()
        data = parse_input(serializers.EmailTemplateUpdateSerializer, request, partial=partial)
        return Response(self.get_serializer(services.email_template_update(template=template, **data)).data)

    @extend_schema(responses={200: None})
    def destroy(self, request, pk=None):
        services.email_template_delete(template=self.get_object())
        return Response(None)

    @extend_schema(responses=serializers.PlaceholderSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def placeholders(self, request):
        """What {{ placeholders }} templates and campaigns may use."""
        rows = [{"name": name, "description": text} for name, text in rendering.PLACEHOLDERS.items()]
        return Response(serializers.PlaceholderSerializer(rows, many=True).data)


@extend_schema(tags=EMAIL)
class EmailCampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """A property's marketing emails. Sending one creates a copy per matching lead, once per lead."""

    base_queryset = selectors.email_campaign_queryset()
    serializer_class = serializers.EmailCampaignSerializer
    write_requires = "property"

    def _render(self, campaign, code=status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_base_queryset().get(pk=campaign.pk)).data, status=code)

    @extend_schema(
        request=serializers.EmailCampaignCreateSerializer, responses={201: serializers.EmailCampaignSerializer}
    )
    def create(self, request):
        data = dict(parse_input(serializers.EmailCampaignCreateSerializer, request))
        property_ = scope_queryset(Property.objects.all(), self.access).get(pk=data.pop("property_id"))
        self.check_property_write(property_.pk)
        campaign = services.email_campaign_create(property=property_, created_by_id=self.access.manager_id, **data)
        return self._render(campaign, status.HTTP_201_CREATED)

    @extend_schema(request=serializers.EmailCampaignUpdateSerializer, responses=serializers.EmailCampaignSerializer)
    def update(self, request, pk=None):
        return self._update(request, partial=False)

    @extend_schema(request=serializers.EmailCampaignUpdateSerializer, responses=serializers.EmailCampaignSerializer)
    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)

    def _update(self, request, *, partial):
        campaign = self.get_object()
        data = parse_input(serializers.EmailCampaignUpdateSerializer, request, partial=partial)
        return self._render(services.email_campaign_update(campaign=campaign, **data))

    @extend_schema(responses={200: None})
    def destroy(self, request, pk=None):
        services.email_campaign_delete(campaign=self.get_object())
        return Response(None)

    @extend_schema(request=serializers.CampaignSendInputSerializer, responses=serializers.CampaignSendResultSerializer)
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        """Creates one email per matching lead and sends them (now, or at scheduled_for)."""
        campaign = self.get_object()
        data = dict(parse_input(serializers.CampaignSendInputSerializer, request))
        result = services.email_campaign_send(
            campaign=campaign,
            scheduled_for=data.pop("scheduled_for", None),
            dry_run=data.pop("dry_run"),
            filters=data,
        )
        return Response(serializers.CampaignSendResultSerializer(result).data)


@extend_schema(tags=["test"])
class EmailSendingTestViewSet(TenantScopedViewSet):
    """POST /api/test/email-sending: the company's sending path end to end (SendGrid when the
    company has a key, else the mail server), with a message to the caller. Administrators only."""

    base_queryset = Company.objects.all()
    write_requires = "company_admin"

    @extend_schema(
        operation_id="test_email_sending_create",
        request=serializers.EmailSendingTestInputSerializer,
        responses=serializers.SendTestResultSerializer,
    )
    def email_sending(self, request):
        data = parse_input(serializers.EmailSendingTestInputSerializer, request)
        company_id = data.get("company_id") or self.access.company_id
        if company_id is None:
            raise ValidationFailed(
                "Platform staff must say which company.", details={"company_id": ["This field is required."]}
            )
        company = self.get_queryset().get(pk=company_id)
        return _test_result(services.email_sending_test(user=request.user, company=company))


# Nothing is needed in the body; mail clients' one-click unsubscribe sends this form field.
ONE_CLICK_BODY = {
    "application/x-www-form-urlencoded": {
        "type": "object",
        "properties": {"List-Unsubscribe": {"type": "string", "enum": ["One-Click"]}},
    }
}


@extend_schema(tags=EMAIL, request=ONE_CLICK_BODY, responses=serializers.UnsubscribeSerializer)
class UnsubscribeView(APIView):
    """The lead's unsubscribe link (signed; the signature is the credential). GET tells whether the
    address is unsubscribed and changes nothing (mail scanners follow links); POST unsubscribes it.
    Mail clients POST the form body `List-Unsubscribe=One-Click` here (RFC 8058)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [SafeJSONParser, FormParser, MultiPartParser]
    throttle_scope = "chat"

    def get(self, request, token):
        company, email = services.unsubscribe_read(token=token)
        return self._render(company, email, selectors.is_unsubscribed(company_id=company.pk, email=email))

    def post(self, request, token):
        company, email = services.unsubscribe_read(token=token)
        one_click = request.data.get("List-Unsubscribe") == "One-Click"
        source = UnsubscribeSource.ONE_CLICK if one_click else UnsubscribeSource.LINK
        services.email_unsubscribe(company=company, email=email, source=source)
        return self._render(company, email, True)

    def _render(self, company, email: str, unsubscribed: bool) -> Response:
        data = {"company_name": company.name, "email": email, "unsubscribed": unsubscribed}
        return Response(serializers.UnsubscribeSerializer(data).data)
