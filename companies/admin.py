from django.contrib import admin
from django.db.models import Count

from companies.models import Company
from core.admin import TenantScopedAdmin, TenantScopedInline
from properties.models import Property


class PropertyInline(TenantScopedInline):
    model = Property
    fields = ["name", "city", "state", "time_zone", "chatbot_is_active"]
    show_change_link = True


@admin.register(Company)
class CompanyAdmin(TenantScopedAdmin):
    list_display = ["name", "contact_email", "contact_phone", "property_count", "created_at"]
    search_fields = ["name", "contact_email", "hubspot_company_id"]
    list_filter = ["created_at"]
    add_requires = "platform"
    inlines = [PropertyInline]
    fieldsets = [
        (None, {"fields": ["name", "logo_url", "contact_email", "contact_phone", "hubspot_company_id"]}),
        ("Integrations", {"fields": ["calendly_org_uri", "sendgrid_api_key", "amplitude_api_key", "openai_api_key"]}),
        (
            "ResMan",
            {"fields": ["resman_base_url", "resman_account_id", "resman_integration_partner_id", "resman_api_key"]},
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(property_total=Count("properties"))

    @admin.display(description="Properties", ordering="property_total")
    def property_count(self, company):
        return company.property_total

    def delete_model(self, request, obj):
        from companies.services import company_delete

        company_delete(company=obj)

    def delete_queryset(self, request, queryset):
        for company in queryset:
            self.delete_model(request, company)
