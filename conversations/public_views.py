"""The public widget API: anonymous, identified by the property's widget key and the browser id
that the widget keeps in localStorage; each conversation's routes also need its secret token.

Every route takes `?widget_key=` in the URL, so that CORS (and its preflight, which carries no
body or custom header values) can be decided per property: see conversations.cors.
"""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from conversations import selectors, serializers, services
from conversations.throttles import WidgetThrottle
from core.errors import Forbidden, ValidationFailed

WIDGET_KEY = OpenApiParameter("widget_key", str, required=True, description="The property's public widget key.")
TOKEN_HEADER = OpenApiParameter(
    "X-Conversation-Token", str, OpenApiParameter.HEADER, required=True, description="The conversation's secret token."
)


def websocket_url(conversation) -> str:
    base = settings.PUBLIC_BASE_URL.replace("https://", "wss://").replace("http://", "ws://")
    return f"{base}/api/ws/chat/{conversation.pk}"


class WidgetView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [WidgetThrottle]
    throttle_scope = "chat"

    def initial(self, request, *args, **kwargs):
        browser_id = kwargs.get("browser_id")
        if browser_id is not None and not serializers.BROWSER_ID.match(browser_id):
            raise ValidationFailed(
                "A browser id is 8 to 64 letters, digits, '-' or '_'.", details={"browser_id": [browser_id]}
            )
        super().initial(request, *args, **kwargs)
        self.property = selectors.widget_property(widget_key=request.query_params.get("widget_key"))
        selectors.check_widget_origin(
            widget_key=self.property.widget_key,
            origin=request.headers.get("Origin"),
            own_origin=f"{request.scheme}://{request.get_host()}",
        )

    def require_active(self) -> None:
        if not self.property.chatbot_is_active:
            raise Forbidden("The chat is switched off for this property.")


class WidgetConfigView(WidgetView):
    @extend_schema(parameters=[WIDGET_KEY], responses=serializers.WidgetConfigSerializer, auth=[], tags=["widget"])
    def get(self, request):
        return Response(serializers.WidgetConfigSerializer(self.property).data)


class BrowserProspectView(WidgetView):
    @extend_schema(parameters=[WIDGET_KEY], responses=serializers.BrowserProspectSerializer, auth=[], tags=["widget"])
    def get(self, request, browser_id):
        prospect = selectors.browser_prospect(property=self.property, browser_id=browser_id)
        prospect.open_conversation_id = getattr(
            selectors.open_conversation(prospect=prospect, property=self.property), "pk", None
        )
        return Response(serializers.BrowserProspectSerializer(prospect).data)


class BrowserSessionView(WidgetView):
    @extend_schema(
        parameters=[WIDGET_KEY],
        request=serializers.WidgetSessionInputSerializer,
        responses=serializers.WidgetSessionSerializer,
        auth=[],
        tags=["widget"],
        description="Starts a widget session: resumes the browser's open conversation or starts one.",
    )
    def post(self, request, browser_id):
        self.require_active()
        data = serializers.WidgetSessionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.prospect_session_start(
            property=self.property,
            browser_id=browser_id,
            page_url=data.validated_data["page_url"],
            user_agent=request.headers.get("User-Agent", ""),
            start_new=data.validated_data["start_new"],
        )
        history = selectors.messages_after(conversation=session.conversation) if session.resumed else []
        body = {
            "resumed": session.resumed,
            "user": session.prospect,
            "conversation": session.conversation,
            "config": self.property,
            "messages": history,
            "websocket_url": websocket_url(session.conversation),
        }
        return Response(serializers.WidgetSessionSerializer(body).data)


class BrowserLastSeenView(WidgetView):
    @extend_schema(
        parameters=[WIDGET_KEY], request=None, responses=serializers.PublicProspectSerializer, auth=[], tags=["widget"]
    )
    def put(self, request, browser_id):
        prospect = services.prospect_touch(property=self.property, browser_id=browser_id)
        return Response(serializers.PublicProspectSerializer(prospect).data)


class WidgetMessagesView(WidgetView):
    """The REST fallback of the WebSocket: history (or what came after a message) and sending."""

    def conversation(self, conversation_id):
        return selectors.widget_conversation(
            property=self.property,
            conversation_id=conversation_id,
            token=self.request.headers.get("X-Conversation-Token"),
        )

    @extend_schema(
        parameters=[
            WIDGET_KEY,
            TOKEN_HEADER,
            OpenApiParameter("after", OpenApiTypes.UUID, description="Only messages after this one."),
        ],
        responses=serializers.PublicMessageSerializer(many=True),
        auth=[],
        tags=["widget"],
    )
    def get(self, request, conversation_id):
        conversation = self.conversation(conversation_id)
        messages = selectors.messages_after(
            conversation=conversation, after_id=request.query_params.get("after") or None
        )
        return Response(serializers.PublicMessageSerializer(messages, many=True).data)

    @extend_schema(
        parameters=[WIDGET_KEY, TOKEN_HEADER],
        request=serializers.MessageCreateSerializer,
        responses=serializers.WidgetTurnSerializer,
        auth=[],
        tags=["widget"],
    )
    def post(self, request, conversation_id):
        self.require_active()
        conversation = self.conversation(conversation_id)
        data = serializers.MessageCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        turn = services.prospect_message_handle(
            conversation=conversation,
            text=data.validated_data["text"],
            client_message_id=data.validated_data.get("client_message_id"),
        )
        body = {"message": turn.message, "reply": turn.reply, "duplicate": not turn.created}
        return Response(serializers.WidgetTurnSerializer(body).data, status=201 if turn.created else 200)
