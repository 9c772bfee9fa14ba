"""The project's routes plus two views that exist only to exercise the error paths."""

from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


class BoomView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("secret internal detail: password=hunter2")


class EchoView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def post(self, request):
        return Response({"received": request.data})


urlpatterns = [
    path("api/test-only/boom", BoomView.as_view()),
    path("api/test-only/echo", EchoView.as_view()),
    path("", include("config.urls")),
]
