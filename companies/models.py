from django.db import models

from core.fields import EncryptedTextField
from core.models import SoftDeleteModel


class Company(SoftDeleteModel):
    """A property-management company: the tenant. Its integration secrets are encrypted at rest."""

    name = models.CharField(max_length=200)
    logo_url = models.URLField(max_length=500, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=32, blank=True)
    hubspot_company_id = models.CharField(max_length=64, blank=True)

    calendly_org_uri = models.URLField(max_length=500, blank=True)
    sendgrid_api_key = EncryptedTextField(blank=True)
    amplitude_api_key = EncryptedTextField(blank=True)
    openai_api_key = EncryptedTextField(blank=True)

    resman_base_url = models.URLField(max_length=500, blank=True, help_text="Blank: ResMan's production API.")
    resman_account_id = models.CharField(max_length=32, blank=True)
    resman_integration_partner_id = models.CharField(max_length=128, blank=True)
    resman_api_key = EncryptedTextField(blank=True)

    tenant_company_path = "id"

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "companies"

    def __str__(self):
        return self.name
