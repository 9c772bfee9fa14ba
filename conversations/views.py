"""Staff API of the chat: prospects (the spec's users), conversations, messages, lead
notifications and preferences, the company's chat settings and the chatbot sandbox."""

import uuid

from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from companies.models import Company
from companies.selectors import company_for_create
from conversations import notifications, selectors, serializers, services
from conversations.models import Conversation, LeadNotification, Message, Prospect, ProspectSession
from core.api.inputs import parse_input
from core.errors import InsufficientPermissions, ValidationFailed
from core.tenancy import UUID_PATTERN, TenantScopedViewSet, scope_queryset
from properties.models import Property, PropertyManager

MESSAGE_ID = rf"(?P<message_id>{UUID_PATTERN})"
MANAGER_ID = rf"(?P<manager_id>{UUID_PATTERN})"


def _bool_param(request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise ValidationFailed(f"'{name}' must be true or false.", details={name: [raw]})


def _uuid_param(request, name: str):
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ValidationFailed(f"'{name}' must be a UUID.", details={name: [raw]}) from None


# --- prospects ------------------------------------------------------------------------------------
class ProspectViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    TenantScopedViewSet,
):
    """The spec's users: prospects who chat in the widget (not staff logins). Managers see the
    prospects who talked to their properties, and change those of properties they may write."""

    base_queryset = Prospect.objects.all()
    serializer_class = serializers.ProspectSerializer
    # Prospects belong to no single property: writes are checked per prospect in _check_write.
    write_requires = None
    action_write_requires = {"create": "company_admin"}

    def get_base_queryset(self):
        queryset = Prospect.objects.order_by("-created_at", "id")
        if self.action == "list":
            if search := self.request.query_params.get("search", "").strip():
                queryset = queryset.filter(
                    Q(first_name__icontains=search)
                    | Q(last_name__icontains=search)
                    | Q(email__icontains=search)
                    | Q(phone__icontains=search)
                )
            if browser_id := self.request.query_params.get("browser_id"):
                queryset = queryset.filter(browser_id=browser_id)
        return queryset

    def _check_write(self, prospect: Prospect) -> None:
        access = self.access
        if access.reaches_all_properties:
            return
        properties = set(prospect.conversations.values_list("property_id", flat=True))
        if not properties & access.writable_property_ids:
            raise InsufficientPermissions("Your access to this prospect's properties is read-only.")

    @extend_schema(
        parameters=[
            OpenApiParameter("search", str, description="Name, email or phone contains."),
            OpenApiParameter("browser_id", str),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=serializers.ProspectCreateSerializer, responses={201: serializers.ProspectSerializer})
    def create(self, request):
        data = dict(parse_input(serializers.ProspectCreateSerializer, request))
        company = company_for_create(access=self.access, requested=data.pop("company", None))
        prospect = services.prospect_create(company=company, **data)
        return Response(serializers.ProspectSerializer(prospect).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=serializers.ProspectSerializer, responses=serializers.ProspectSerializer)
    def update(self, request, pk=None):
        return self._update(request, partial=False)

    @extend_schema(request=serializers.ProspectSerializer, responses=serializers.ProspectSerializer)
    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)

    def _update(self, request, *, partial):
        prospect = self.get_object()
        self._check_write(prospect)
        data = parse_input(serializers.ProspectSerializer, request, instance=prospect, partial=partial)
        prospect = services.prospect_update(prospect=prospect, **data)
        return Response(serializers.ProspectSerializer(prospect).data)

    @extend_schema(responses={200: None})
    def destroy(self, request, pk=None):
        prospect = self.get_object()
        self._check_write(prospect)
        services.prospect_delete(prospect=prospect)
        return Response(None)

    @extend_schema(responses=serializers.ProspectSessionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def sessions(self, request, pk=None):
        prospect = self.get_object()
        sessions = scope_queryset(ProspectSession.objects.filter(prospect=prospect), self.access).order_by(
            "-started_at", "id"
        )
        page = self.paginate_queryset(sessions)
        return self.get_paginated_response(serializers.ProspectSessionSerializer(page, many=True).data)

    @extend_schema(responses=serializers.ConversationSerializer(many=True))
    @action(detail=True, methods=["get"])
    def conversations(self, request, pk=None):
        prospect = self.get_object()
        conversations = scope_queryset(Conversation.objects.filter(prospect=prospect), self.access).order_by(
            "-start_time", "id"
        )
        page = self.paginate_queryset(conversations)
        return self.get_paginated_response(serializers.ConversationSerializer(page, many=True).data)


# --- conversations --------------------------------------------------------------------------------
class ConversationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    TenantScopedViewSet,
):
    """Conversations between prospects and a property's bot (and its managers after a takeover)."""

    base_queryset = Conversation.objects.all()
    serializer_class = serializers.ConversationSerializer
    write_requires = "property"

    def get_base_queryset(self):
        queryset = Conversation.objects.order_by("-start_time", "id")
        if self.action != "list":
            return queryset
        params = self.request.query_params
        if property_id := _uuid_param(self.request, "property_id"):
            queryset = queryset.filter(property_id=property_id)
        if user_id := _uuid_param(self.request, "user_id"):
            queryset = queryset.filter(prospect_id=user_id)
        if status_ := params.get("status"):
            queryset = queryset.filter(status=status_)
        for flag in ("is_qualified", "is_book_tour"):
            if (value := _bool_param(self.request, flag)) is not None:
                queryset = queryset.filter(**{flag: value})
        if (taken := _bool_param(self.request, "taken_over")) is not None:
            queryset = queryset.filter(taken_over_by__isnull=not taken)
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter("property_id", OpenApiTypes.UUID),
            OpenApiParameter("user_id", OpenApiTypes.UUID),
            OpenApiParameter("status", str),
            OpenApiParameter("is_qualified", bool),
            OpenApiParameter("is_book_tour", bool),
            OpenApiParameter("taken_over", bool),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=serializers.ConversationCreateSerializer, responses={201: serializers.ConversationSerializer}
    )
    def create(self, request):
        data = dict(parse_input(serializers.ConversationCreateSerializer, request))
        property_ = data.pop("property")
        self.check_property_write(property_.pk)
        conversation = services.conversation_create(
            property=property_, prospect=data.pop("prospect", None), source=data.pop("source", "staff"), **data
        )
        return Response(self.get_serializer(conversation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=serializers.QualificationFieldsSerializer, responses=serializers.ConversationSerializer)
    def update(self, request, pk=None):
        return self._update(request, partial=False)

    @extend_schema(request=serializers.QualificationFieldsSerializer, responses=serializers.ConversationSerializer)
    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)

    def _update(self, request, *, partial):
        conversation = self.get_object()
        data = parse_input(serializers.QualificationFieldsSerializer, request, partial=partial)
        conversation = services.conversation_qualify(conversation=conversation, **data)
        return Response(self.get_serializer(conversation).data)

    @extend_schema(responses={200: None})
    def destroy(self, request, pk=None):
        services.conversation_delete(conversation=self.get_object())
        return Response(None)

    @extend_schema(methods=["GET"], responses=serializers.ChatMessageSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=serializers.MessageCreateSerializer,
        responses={201: serializers.ChatMessageSerializer, 200: serializers.ChatMessageSerializer},
        description="A manager's message; writing in a conversation that the bot runs takes it over.",
    )
    @action(detail=True, methods=["get", "post"])
    def messages(self, request, pk=None):
        conversation = self.get_object()
        if request.method == "POST":
            data = parse_input(serializers.MessageCreateSerializer, request)
            manager = self._acting_manager()
            message, created = services.manager_message_send(
                conversation=conversation,
                manager=manager,
                text=data["text"],
                client_message_id=data.get("client_message_id"),
            )
            return Response(serializers.ChatMessageSerializer(message).data, status=201 if created else 200)
        page = self.paginate_queryset(selectors.messages_of(conversation))
        return self.get_paginated_response(serializers.ChatMessageSerializer(page, many=True).data)

    def _acting_manager(self) -> PropertyManager | None:
        manager_id = self.access.manager_id
        return PropertyManager.objects.select_related("user").get(pk=manager_id) if manager_id else None

    @extend_schema(
        methods=["PUT", "PATCH"],
        request=serializers.MessageUpdateSerializer,
        responses=serializers.ChatMessageSerializer,
    )
    @extend_schema(methods=["DELETE"], responses={200: None})
    @action(
        detail=True, methods=["put", "patch", "delete"], url_path=f"messages/{MESSAGE_ID}", url_name="message-detail"
    )
    def message_detail(self, request, pk=None, message_id=None):
        conversation = self.get_object()
        message = Message.objects.select_related("sender_manager__user").get(conversation=conversation, pk=message_id)
        if request.method == "DELETE":
            services.message_delete(message=message)
            return Response(None)
        data = parse_input(serializers.MessageUpdateSerializer, request)
        return Response(
            serializers.ChatMessageSerializer(services.message_update(message=message, text=data["text"])).data
        )

    @extend_schema(request=serializers.StatusSerializer, responses=serializers.ConversationSerializer)
    @action(detail=True, methods=["put"], url_path="status")
    def set_status(self, request, pk=None):
        conversation = self.get_object()
        data = parse_input(serializers.StatusSerializer, request)
        conversation = services.conversation_set_status(
            conversation=conversation, status=data["status"], manager=self._acting_manager()
        )
        return Response(self.get_serializer(conversation).data)

    @extend_schema(request=serializers.QualifySerializer, responses=serializers.ConversationSerializer)
    @action(detail=True, methods=["post"])
    def qualify(self, request, pk=None):
        conversation = self.get_object()
        data = dict(parse_input(serializers.QualifySerializer, request))
        conversation = services.conversation_qualify(
            conversation=conversation, contact=data.pop("contact", None), **data
        )
        return Response(self.get_serializer(conversation).data)

    @extend_schema(request=serializers.BookTourSerializer, responses=serializers.BookTourResultSerializer)
    @action(detail=True, methods=["post"], url_path="book-tour")
    def book_tour(self, request, pk=None):
        conversation = self.get_object()
        data = parse_input(serializers.BookTourSerializer, request)
        booking = services.conversation_book_tour(
            conversation=conversation,
            start=data["tour_datetime"],
            tour_type=data["tour_type"],
            prospect_name=data["prospect_name"],
            prospect_email=data["prospect_email"],
            prospect_phone=data["prospect_phone"],
            unit_interest=data["unit_interest"],
            source="chat",
        )
        return Response(
            {
                "conversation": self.get_serializer(booking.conversation).data,
                "tour_id": booking.tour.pk if booking.tour is not None else None,
            }
        )

    @extend_schema(request=None, responses=serializers.ConversationSerializer)
    @action(detail=True, methods=["post"])
    def takeover(self, request, pk=None):
        conversation = services.conversation_take_over(conversation=self.get_object(), manager=self._acting_manager())
        return Response(self.get_serializer(conversation).data)

    @extend_schema(request=None, responses=serializers.ConversationSerializer)
    @action(detail=True, methods=["post"])
    def handback(self, request, pk=None):
        conversation = services.conversation_hand_back(conversation=self.get_object(), manager=self._acting_manager())
        return Response(self.get_serializer(conversation).data)

    @extend_schema(responses=serializers.ConversationAnalyticsSerializer)
    @action(detail=True, methods=["get"])
    def analytics(self, request, pk=None):
        return Response(selectors.conversation_analytics(conversation=self.get_object()))

    @extend_schema(
        parameters=[
            OpenApiParameter("property_id", OpenApiTypes.UUID),
            OpenApiParameter("start_date", OpenApiTypes.DATE, description="Default: 29 days before end_date."),
            OpenApiParameter("end_date", OpenApiTypes.DATE, description="Default: today (UTC)."),
        ],
        responses=serializers.AnalyticsSummarySerializer,
    )
    @action(detail=False, methods=["get"], url_path="analytics/summary")
    def analytics_summary(self, request):
        query = serializers.AnalyticsQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        conversations = self.get_queryset()
        if property_ := query.validated_data.get("property"):
            conversations = conversations.filter(property=property_)
        start, end = selectors.date_range(
            start=query.validated_data.get("start_date"), end=query.validated_data.get("end_date")
        )
        summary = selectors.analytics_summary(conversations=conversations, start=start, end=end)
        return Response(serializers.AnalyticsSummarySerializer(summary).data)


# --- lead notifications ---------------------------------------------------------------------------
class NotificationAccessMixin:
    def _check_own_or_writer(self, notification: LeadNotification) -> None:
        """A manager handles their own notifications; others need write access to the property."""
        access = self.access
        if notification.property_manager_id is not None and notification.property_manager_id == access.manager_id:
            return
        if not access.can_write_property(notification.conversation.property_id):
            raise InsufficientPermissions("This notification is another manager's.")

    def _manager_for_self_or_admin(self, manager_id) -> PropertyManager:
        manager = scope_queryset(PropertyManager.objects.select_related("user"), self.access).get(pk=manager_id)
        if not (self.access.manager_id == manager.pk or self.access.can_administer(manager.company_id)):
            raise InsufficientPermissions("Only this manager or a company administrator can do this.")
        return manager


class LeadNotificationViewSet(
    NotificationAccessMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet
):
    """Notifications of the properties the caller can see. Managers mark their own read and
    answered; changing others' needs write access to the property."""

    base_queryset = LeadNotification.objects.select_related("conversation")
    serializer_class = serializers.LeadNotificationSerializer
    write_requires = "property"
    # Personal state: checked per notification / per manager in the actions.
    action_write_requires = {
        "update": None,
        "partial_update": None,
        "read": None,
        "respond": None,
        "preferences": None,
    }

    def get_base_queryset(self):
        queryset = LeadNotification.objects.select_related("conversation").order_by("-created_at", "id")
        if self.action != "list":
            return queryset
        params = self.request.query_params
        if manager_id := _uuid_param(self.request, "property_manager_id"):
            queryset = queryset.filter(property_manager_id=manager_id)
        if conversation_id := _uuid_param(self.request, "conversation_id"):
            queryset = queryset.filter(conversation_id=conversation_id)
        if status_ := params.get("status"):
            queryset = queryset.filter(status=status_)
        if kind := params.get("notification_type"):
            queryset = queryset.filter(notification_type=kind)
        if (unread := _bool_param(self.request, "unread")) is not None:
            queryset = queryset.filter(read_at__isnull=unread)
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter("property_manager_id", OpenApiTypes.UUID),
            OpenApiParameter("conversation_id", OpenApiTypes.UUID),
            OpenApiParameter("status", str),
            OpenApiParameter("notification_type", str),
            OpenApiParameter("unread", bool),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=serializers.LeadNotificationCreateSerializer, responses={201: serializers.LeadNotificationSerializer}
    )
    def create(self, request):
        data = parse_input(serializers.LeadNotificationCreateSerializer, request)
        conversation, manager = data["conversation"], data["manager"]
        self.check_property_write(conversation.property_id)
        if manager.company_id != conversation.property.company_id:
            raise ValidationFailed(
                "The manager works for another company.", details={"property_manager_id": ["Other company."]}
            )
        notification = notifications.notification_create(
            conversation=conversation,
            manager=manager,
            notification_type=data["notification_type"],
            title=data["title"],
            body=data["body"],
            payload=data["payload"],
        )
        if data["send"]:
            notification = notifications.notification_deliver(notification=notification, force=True)
        return Response(self.get_serializer(notification).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.LeadNotificationUpdateSerializer, responses=serializers.LeadNotificationSerializer
    )
    def update(self, request, pk=None):
        return self._update(request, partial=False)

    @extend_schema(
        request=serializers.LeadNotificationUpdateSerializer, responses=serializers.LeadNotificationSerializer
    )
    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)

    def _update(self, request, *, partial):
        notification = self.get_object()
        self._check_own_or_writer(notification)
        data = parse_input(serializers.LeadNotificationUpdateSerializer, request, partial=partial)
        return Response(self.get_serializer(notifications.notification_update(notification=notification, **data)).data)

    @extend_schema(responses={200: None})
    def destroy(self, request, pk=None):
        notifications.notification_delete(notification=self.get_object())
        return Response(None)

    @extend_schema(request=None, responses=serializers.LeadNotificationSerializer)
    @action(detail=True, methods=["put"])
    def read(self, request, pk=None):
        notification = self.get_object()
        self._check_own_or_writer(notification)
        return Response(self.get_serializer(notifications.notification_mark_read(notification=notification)).data)

    @extend_schema(request=None, responses=serializers.LeadNotificationSerializer)
    @action(detail=True, methods=["put"])
    def respond(self, request, pk=None):
        notification = self.get_object()
        self._check_own_or_writer(notification)
        return Response(self.get_serializer(notifications.notification_respond(notification=notification)).data)

    @extend_schema(request=None, responses=serializers.LeadNotificationSerializer)
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        """Delivers now over the manager's channels, even inside their quiet hours."""
        notification = self.get_object()
        return Response(
            self.get_serializer(notifications.notification_deliver(notification=notification, force=True)).data
        )

    @extend_schema(methods=["GET"], responses=serializers.NotificationPreferenceSerializer)
    @extend_schema(
        methods=["PUT", "PATCH"],
        request=serializers.NotificationPreferenceSerializer,
        responses=serializers.NotificationPreferenceSerializer,
    )
    @action(detail=False, methods=["get", "put", "patch"], url_path=f"preferences/{MANAGER_ID}")
    def preferences(self, request, manager_id=None):
        manager = self._manager_for_self_or_admin(manager_id)
        preference = notifications.preference_of(manager)
        if request.method != "GET":
            data = parse_input(
                serializers.NotificationPreferenceSerializer,
                request,
                instance=preference if preference.pk else None,
                partial=request.method == "PATCH",
            )
            preference = notifications.preference_update(manager=manager, **data)
        return Response(serializers.NotificationPreferenceSerializer(preference).data)


class ManagerNotificationViewSet(NotificationAccessMixin, TenantScopedViewSet):
    """/api/property-managers/:id/notifications: one manager's inbox, for them or their admins."""

    base_queryset = PropertyManager.objects.select_related("user")
    write_requires = None

    def _inbox(self):
        manager = self._manager_for_self_or_admin(self.kwargs["pk"])
        return manager, scope_queryset(
            LeadNotification.objects.filter(property_manager=manager).select_related("conversation"), self.access
        ).order_by("-created_at", "id")

    @extend_schema(
        parameters=[OpenApiParameter("unread", bool)], responses=serializers.LeadNotificationSerializer(many=True)
    )
    def list_notifications(self, request, pk=None):
        _, inbox = self._inbox()
        if (unread := _bool_param(request, "unread")) is not None:
            inbox = inbox.filter(read_at__isnull=unread)
        page = self.paginate_queryset(inbox)
        return self.get_paginated_response(serializers.LeadNotificationSerializer(page, many=True).data)

    @extend_schema(
        request=serializers.LeadNotificationUpdateSerializer, responses=serializers.LeadNotificationSerializer
    )
    def update_notification(self, request, pk=None, notification_id=None):
        _, inbox = self._inbox()
        notification = inbox.get(pk=notification_id)
        data = parse_input(serializers.LeadNotificationUpdateSerializer, request, partial=request.method == "PATCH")
        notification = notifications.notification_update(notification=notification, **data)
        return Response(serializers.LeadNotificationSerializer(notification).data)

    @extend_schema(request=serializers.MarkReadSerializer, responses=serializers.MarkReadResultSerializer)
    def mark_read(self, request, pk=None):
        manager, _ = self._inbox()
        data = parse_input(serializers.MarkReadSerializer, request)
        updated = notifications.notifications_mark_read(manager=manager, ids=data.get("notification_ids"))
        return Response({"updated": updated})


# --- company chat settings, chatbot test ------------------------------------------------------------
class ChatSettingsViewSet(TenantScopedViewSet):
    """/api/companies/:id/chat-settings: origins allowed to embed the widget, the reply engine."""

    base_queryset = Company.objects.all()
    write_requires = "company_admin"

    @extend_schema(responses=serializers.ChatSettingsSerializer)
    def retrieve_settings(self, request, pk=None):
        return Response(serializers.ChatSettingsSerializer(selectors.chat_settings_of(self.get_object())).data)

    @extend_schema(request=serializers.ChatSettingsSerializer, responses=serializers.ChatSettingsSerializer)
    def update_settings(self, request, pk=None):
        company = self.get_object()
        chat_settings = selectors.chat_settings_of(company)
        data = parse_input(
            serializers.ChatSettingsSerializer,
            request,
            instance=chat_settings if chat_settings.pk else None,
            partial=request.method == "PATCH",
        )
        chat_settings = services.chat_settings_update(company=company, **data)
        return Response(serializers.ChatSettingsSerializer(chat_settings).data)


class ChatbotTestViewSet(TenantScopedViewSet):
    """POST /api/properties/:id/chatbot/test: the property's bot answers without storing anything."""

    base_queryset = Property.objects.select_related("company__chat_settings")
    # Nothing is written: whoever can see the property may try its bot.
    write_requires = None

    @extend_schema(request=serializers.ChatbotTestSerializer, responses=serializers.ChatbotTestResultSerializer)
    def test(self, request, pk=None):
        property_ = self.get_object()
        data = parse_input(serializers.ChatbotTestSerializer, request)
        return Response(services.chatbot_test(property=property_, message=data["message"], history=data.get("history")))
