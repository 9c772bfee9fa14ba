"""The project's routes plus a bare DRF view: the yardstick for `GET /api/properties?limit=20`.

The bare view serializes 20 rows of the same table with a plain ModelSerializer, no
authentication, permissions, throttling, pagination or envelope: what DRF costs on its own.
"""

from django.urls import include, path
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from properties.models import Property


class BarePropertySerializer(serializers.ModelSerializer):
    class Meta:
        model = Property
        exclude = ["deleted_at"]


class BarePropertiesView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    renderer_classes = [JSONRenderer]

    def get(self, request):
        rows = Property.objects.order_by("name", "id")[:20]
        return Response(BarePropertySerializer(rows, many=True).data)


urlpatterns = [
    path("bench/bare-properties", BarePropertiesView.as_view()),
    path("", include("config.urls")),
]
