from rest_framework import serializers

from companies.models import Company
from core.api.fields import SecretField
from core.integrations import available_integration_checks

SECRET_FIELDS = ("sendgrid_api_key", "amplitude_api_key", "openai_api_key", "resman_api_key")


class CompanySerializer(serializers.ModelSerializer):
    sendgrid_api_key = SecretField()
    amplitude_api_key = SecretField()
    openai_api_key = SecretField()

    class Meta:
        model = Company
        fields = [
            "id",
            "name",
            "logo_url",
            "contact_email",
            "contact_phone",
            "hubspot_company_id",
            "calendly_org_uri",
            "sendgrid_api_key",
            "amplitude_api_key",
            "openai_api_key",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class CompanyIntegrationsSerializer(serializers.ModelSerializer):
    """A company's connections to ResMan, SendGrid, Amplitude, OpenAI and Calendly."""

    sendgrid_api_key = SecretField()
    amplitude_api_key = SecretField()
    openai_api_key = SecretField()
    resman_api_key = SecretField()
    configured = serializers.SerializerMethodField()

    class Meta:
        model = Company
        fields = [
            "resman_base_url",
            "resman_account_id",
            "resman_integration_partner_id",
            "resman_api_key",
            "sendgrid_api_key",
            "amplitude_api_key",
            "openai_api_key",
            "calendly_org_uri",
            "configured",
        ]

    def get_configured(self, company) -> dict[str, bool]:
        return {
            "resman": bool(
                company.resman_account_id and company.resman_integration_partner_id and company.resman_api_key
            ),
            "sendgrid": bool(company.sendgrid_api_key),
            "amplitude": bool(company.amplitude_api_key),
            "openai": bool(company.openai_api_key),
            "calendly": bool(company.calendly_org_uri),
        }


class TestIntegrationInputSerializer(serializers.Serializer):
    integration = serializers.CharField(
        help_text="Which integration to test; omit to test every one that is configured.", required=False
    )

    def validate_integration(self, value):
        if value not in available_integration_checks():
            raise serializers.ValidationError(
                f"No connection test for '{value}'. Available: {', '.join(available_integration_checks())}."
            )
        return value


class IntegrationCheckSerializer(serializers.Serializer):
    integration = serializers.CharField()
    configured = serializers.BooleanField()
    ok = serializers.BooleanField()
    message = serializers.CharField()
    latency_ms = serializers.FloatField(allow_null=True)


class TestIntegrationOutputSerializer(serializers.Serializer):
    results = IntegrationCheckSerializer(many=True)
