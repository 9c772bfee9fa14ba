"""Emails to leads: templates, one-to-one follow-ups (the spec's drafts), campaigns, every delivery
attempt, and the addresses that unsubscribed from marketing mail.

An email's row is its own idempotency key: sending first claims it with a conditional UPDATE, and
each attempt is an `EmailDelivery` written before the provider is called, so a task delivered twice,
or retried after a worker died mid-send, never sends the same email twice.
"""

import builtins

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from core.models import SoftDeleteModel, TimeStampedModel
from emails.rendering import TemplateError, check_template


def _check_texts(instance, names) -> None:
    """Model validation (the admin's forms) holds texts to the API's placeholder rules."""
    errors = {}
    for name in names:
        try:
            check_template(getattr(instance, name))
        except TemplateError as exc:
            errors[name] = str(exc)
    if errors:
        raise ValidationError(errors)


class TemplateTrigger(models.TextChoices):
    NONE = "", "None (used by hand)"
    TOUR_BOOKED = "tour_booked", "A tour is booked"
    CONTACT_CAPTURED = "contact_captured", "A lead leaves contact details"


class EmailTemplate(TimeStampedModel):
    """A reusable subject and text with `{{ placeholder }}`s, for the whole company or one property.

    A template with a trigger drafts a follow-up (for a manager to review and send) when its event
    happens; a property's template replaces the company-wide one with the same trigger.
    """

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="email_templates")
    property = models.ForeignKey(
        "properties.Property", on_delete=models.CASCADE, null=True, blank=True, related_name="email_templates"
    )
    name = models.CharField(max_length=200)
    subject = models.CharField(max_length=255)
    content = models.TextField(max_length=50_000)
    trigger = models.CharField(max_length=32, choices=TemplateTrigger.choices, blank=True, default="")

    tenant_company_path = "company"
    # Writes: a manager may change their property's templates; company-wide ones (no property) are
    # the administrators'.
    tenant_property_path = "property"

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["company", "property", "name"])]
        constraints = [
            models.UniqueConstraint(
                fields=["property", "trigger"],
                condition=~Q(trigger="") & Q(property__isnull=False),
                name="one_triggered_template_per_property",
            ),
            models.UniqueConstraint(
                fields=["company", "trigger"],
                condition=~Q(trigger="") & Q(property__isnull=True),
                name="one_triggered_template_per_company",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        _check_texts(self, ("subject", "content"))

    @classmethod
    def tenant_limit_to_properties(cls, queryset, property_ids):
        """A manager reads the company-wide templates and those of their properties."""
        return queryset.filter(Q(property__isnull=True) | Q(property_id__in=property_ids))


class EmailCampaign(SoftDeleteModel):
    """A marketing email for a property's leads (the spec's EmailCampaignAPI). Sending it creates one
    email per lead; `sent_count` is counted from those emails, never stored."""

    property = models.ForeignKey("properties.Property", on_delete=models.CASCADE, related_name="email_campaigns")
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=2000, blank=True)
    subject = models.CharField(max_length=255, blank=True, help_text="Blank: the title.")
    template_content = models.TextField(max_length=50_000)
    created_by = models.ForeignKey(
        "properties.PropertyManager", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_sent_at = models.DateTimeField(null=True, blank=True)

    tenant_company_path = "property__company"
    tenant_property_path = "property"

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self):
        return self.title

    def clean(self):
        _check_texts(self, ("title", "subject", "template_content"))

    @builtins.property  # the `property` field shadows the builtin in this class body
    def subject_template(self) -> str:
        return self.subject or self.title


class EmailStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class EmailPriority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class EmailDraft(TimeStampedModel):
    """One email to one lead (the spec's EmailDraftAPI): a follow-up written by staff, drafted by a
    trigger, or one lead's copy of a campaign. `scheduled` means "send at scheduled_for"; sending now
    is scheduling for now."""

    lead = models.ForeignKey("conversations.Prospect", on_delete=models.CASCADE, related_name="emails")
    conversation = models.ForeignKey("conversations.Conversation", on_delete=models.CASCADE, related_name="emails")
    campaign = models.ForeignKey(EmailCampaign, on_delete=models.PROTECT, null=True, blank=True, related_name="emails")
    template = models.ForeignKey(EmailTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="emails")
    created_by = models.ForeignKey(
        "properties.PropertyManager", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(max_length=255)
    content = models.TextField(max_length=100_000)
    status = models.CharField(max_length=16, choices=EmailStatus.choices, default=EmailStatus.DRAFT)
    priority = models.CharField(max_length=8, choices=EmailPriority.choices, default=EmailPriority.MEDIUM)
    tags = models.JSONField(default=list, blank=True)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    # Attempts since staff last sent or scheduled it (EMAIL_SEND_MAX_ATTEMPTS bounds them).
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    # Set while a worker sends it; a claim older than this was left by a worker that died.
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    # "campaign:<id>:<address>" or "<trigger>:<event id>": what makes a second copy impossible.
    dedupe_key = models.CharField(max_length=300, null=True, blank=True, unique=True, editable=False)

    tenant_company_path = "conversation__property__company"
    tenant_property_path = "conversation__property"

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(fields=["status", "scheduled_for"]),
            models.Index(fields=["campaign", "status"]),
            models.Index(fields=["conversation", "created_at"]),
        ]

    def __str__(self):
        return self.subject

    @property
    def is_marketing(self) -> bool:
        return self.campaign_id is not None


class Provider(models.TextChoices):
    SENDGRID = "sendgrid", "SendGrid"
    DJANGO = "django", "Django email backend"


class DeliveryStatus(models.TextChoices):
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    # The provider may have accepted it (a timeout after the request left, a worker that died):
    # never retried by itself.
    UNKNOWN = "unknown", "Outcome unknown"


class EmailDelivery(TimeStampedModel):
    """One attempt to hand an email to the provider, written before the call."""

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="email_deliveries")
    draft = models.ForeignKey(EmailDraft, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries")
    is_test = models.BooleanField(default=False, help_text="A test send to a staff member.")
    attempt = models.PositiveSmallIntegerField(default=1)
    provider = models.CharField(max_length=16, choices=Provider.choices)
    recipient = models.EmailField()
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.SENDING)
    provider_message_id = models.CharField(max_length=255, blank=True)
    error = models.CharField(max_length=1000, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    tenant_company_path = "company"
    tenant_property_path = "draft__conversation__property"

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name_plural = "email deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["draft", "attempt"], condition=Q(draft__isnull=False), name="one_delivery_per_attempt"
            )
        ]

    def __str__(self):
        return f"{self.get_provider_display()} to {self.recipient}: {self.status}"


class UnsubscribeSource(models.TextChoices):
    LINK = "link", "Unsubscribe link"
    ONE_CLICK = "one_click", "Mail client's one-click unsubscribe"
    STAFF = "staff", "Entered by staff"


class EmailUnsubscribe(TimeStampedModel):
    """An address that receives no more marketing mail from the company."""

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="email_unsubscribes")
    email = models.EmailField(help_text="Stored in lower case.")
    source = models.CharField(max_length=16, choices=UnsubscribeSource.choices, default=UnsubscribeSource.LINK)

    tenant_company_path = "company"

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["company", "email"], name="one_unsubscribe_per_address")]

    def __str__(self):
        return self.email

    def clean(self):
        self.email = self.email.strip().lower()

    def save(self, *args, **kwargs):
        self.clean()
        super().save(*args, **kwargs)
