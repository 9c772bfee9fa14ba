from datetime import UTC, datetime

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import serializers, services
from core.api.inputs import parse_input

FORGOT_PASSWORD_ANSWER = "If an account exists for this email, a link to reset the password has been sent."


class LoginView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_scope = "auth"

    @extend_schema(request=serializers.LoginInputSerializer, responses=serializers.LoginOutputSerializer, tags=["auth"])
    def post(self, request):
        data = parse_input(serializers.LoginInputSerializer, request)
        user, pair = services.user_login(request=request, **data)
        return Response(serializers.LoginOutputSerializer({**pair, "user": user}).data)


class LogoutView(APIView):
    """Works with an expired access token too: the refresh token is the proof."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=serializers.RefreshInputSerializer, responses=serializers.MessageSerializer, tags=["auth"])
    def post(self, request):
        data = parse_input(serializers.RefreshInputSerializer, request)
        services.user_logout(refresh=data["refresh"], access=services.user_access_token_from_header(request))
        return Response({"message": "Signed out."})


class RefreshView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=serializers.RefreshInputSerializer, responses=serializers.TokenPairSerializer, tags=["auth"])
    def post(self, request):
        data = parse_input(serializers.RefreshInputSerializer, request)
        return Response(serializers.TokenPairSerializer(services.tokens_refresh(refresh=data["refresh"])).data)


class VerifyView(APIView):
    @extend_schema(responses=serializers.VerifyOutputSerializer, tags=["auth"])
    def get(self, request):
        expires_at = datetime.fromtimestamp(request.auth["exp"], UTC)
        return Response(
            serializers.VerifyOutputSerializer({"valid": True, "expires_at": expires_at, "user": request.user}).data
        )


class ForgotPasswordView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_scope = "auth"

    @extend_schema(
        request=serializers.ForgotPasswordInputSerializer, responses=serializers.MessageSerializer, tags=["auth"]
    )
    def post(self, request):
        data = parse_input(serializers.ForgotPasswordInputSerializer, request)
        services.password_reset_request(email=data["email"])
        return Response({"message": FORGOT_PASSWORD_ANSWER})


class ResetPasswordView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_scope = "auth"

    @extend_schema(
        request=serializers.ResetPasswordInputSerializer, responses=serializers.MessageSerializer, tags=["auth"]
    )
    def post(self, request):
        data = parse_input(serializers.ResetPasswordInputSerializer, request)
        services.password_reset_confirm(**data)
        return Response({"message": "Your password has been set. You can now sign in."})
