import builtins
import secrets

from django.conf import settings
from django.db import models

from core.models import SoftDeleteModel, TimeStampedModel
from core.tenancy import READ, WRITE


def new_widget_key() -> str:
    return "wk_" + secrets.token_urlsafe(18)


class ChatbotPosition(models.TextChoices):
    BOTTOM_RIGHT = "bottom-right"
    BOTTOM_LEFT = "bottom-left"


class Property(SoftDeleteModel):
    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="properties")
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=255)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=64)
    zip_code = models.CharField(max_length=16)
    property_type = models.CharField(max_length=64, blank=True)
    units_count = models.PositiveIntegerField(null=True, blank=True)
    amenities = models.JSONField(default=list, blank=True)
    features = models.JSONField(default=list, blank=True)
    website_url = models.URLField(max_length=500, blank=True)
    hubspot_property_id = models.CharField(max_length=64, blank=True)
    time_zone = models.CharField(max_length=64, default="America/New_York", help_text="IANA time zone name.")
    resman_property_id = models.CharField(max_length=64, blank=True, db_index=True)

    # The public identity of the property's chat widget (it is in the page source, not a secret).
    widget_key = models.CharField(max_length=64, unique=True, default=new_widget_key, editable=False)
    chatbot_avatar_url = models.URLField(max_length=500, blank=True)
    chatbot_is_active = models.BooleanField(default=True)
    chatbot_welcome_message = models.TextField(blank=True, max_length=2000)
    chatbot_widget_settings = models.JSONField(default=dict, blank=True)
    chatbot_theme_color = models.CharField(max_length=7, default="#2563EB")
    chatbot_position = models.CharField(
        max_length=16, choices=ChatbotPosition.choices, default=ChatbotPosition.BOTTOM_RIGHT
    )
    chatbot_auto_open = models.BooleanField(default=False)
    chatbot_business_hours = models.JSONField(default=dict, blank=True)

    tenant_company_path = "company"
    tenant_property_path = "id"

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "properties"
        indexes = [models.Index(fields=["company", "name"])]

    def __str__(self):
        return self.name

    @property
    def chatbot_embed_code(self) -> str:
        base = settings.PUBLIC_BASE_URL
        return (
            f'<script src="{base}/widget/widget.js" data-widget-key="{self.widget_key}" '
            f'data-api-base="{base}" async></script>'
        )


class StaffRole(models.TextChoices):
    COMPANY_ADMIN = "company_admin", "Company admin"
    PROPERTY_MANAGER = "property_manager", "Property manager"


class AccessLevel(models.TextChoices):
    READ = READ, "Read"
    WRITE = WRITE, "Write"


class PropertyManager(TimeStampedModel):
    """A company's staff member: a company admin, or a manager of the properties assigned to them.

    Name and email live on the staff login (`user`); this is the company-side profile.
    """

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="managers")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="manager_profile")
    phone = models.CharField(max_length=32, blank=True)
    role = models.CharField(max_length=32, choices=StaffRole.choices, default=StaffRole.PROPERTY_MANAGER)
    access_level = models.CharField(max_length=8, choices=AccessLevel.choices)
    properties = models.ManyToManyField(Property, through="PropertyManagerAssignment", related_name="managers")

    tenant_company_path = "company"

    class Meta:
        ordering = ["user__last_name", "user__first_name", "id"]

    def __str__(self):
        return self.user.get_full_name() or self.user.email

    @property
    def is_company_admin(self) -> bool:
        return self.role == StaffRole.COMPANY_ADMIN


class PropertyManagerAssignment(TimeStampedModel):
    property_manager = models.ForeignKey(PropertyManager, on_delete=models.CASCADE, related_name="assignments")
    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="manager_assignments")
    # Blank: the manager's own access level applies.
    access_level = models.CharField(max_length=8, choices=AccessLevel.choices, blank=True)
    is_primary = models.BooleanField(default=False, help_text="The first contact for this property's leads.")

    tenant_company_path = "property__company"
    tenant_property_path = "property"

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["property_manager", "property"], name="one_assignment_per_property")
        ]

    def __str__(self):
        return f"{self.property_manager} → {self.property}"

    @builtins.property  # the `property` field shadows the builtin in this class body
    def effective_access_level(self) -> str:
        return self.access_level or self.property_manager.access_level
