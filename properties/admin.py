from django import forms
from django.contrib import admin

from accounts.models import User
from core.admin import TenantScopedAdmin, TenantScopedInline
from core.tenancy import get_access
from properties import services
from properties.models import Property, PropertyManager, PropertyManagerAssignment


class AssignmentInline(TenantScopedInline):
    model = PropertyManagerAssignment
    fields = ["property_manager", "property", "access_level", "is_primary"]
    autocomplete_fields = ["property_manager", "property"]


@admin.register(Property)
class PropertyAdmin(TenantScopedAdmin):
    list_display = ["name", "company", "city", "state", "units_count", "time_zone", "chatbot_is_active"]
    list_filter = ["chatbot_is_active", "state", "property_type"]
    search_fields = ["name", "address", "city", "zip_code", "resman_property_id", "widget_key"]
    list_select_related = ["company"]
    readonly_fields = ["widget_key", "chatbot_embed_code", "created_at", "updated_at"]
    write_requires = "property"
    add_requires = "company_admin"
    inlines = [AssignmentInline]
    fieldsets = [
        (None, {"fields": ["company", "name", "property_type", "units_count", "website_url"]}),
        ("Address", {"fields": ["address", "city", "state", "zip_code", "time_zone"]}),
        ("Details", {"fields": ["amenities", "features", "hubspot_property_id", "resman_property_id"]}),
        (
            "Chatbot",
            {
                "fields": [
                    "chatbot_is_active",
                    "chatbot_welcome_message",
                    "chatbot_avatar_url",
                    "chatbot_theme_color",
                    "chatbot_position",
                    "chatbot_auto_open",
                    "chatbot_business_hours",
                    "chatbot_widget_settings",
                    "widget_key",
                    "chatbot_embed_code",
                ]
            },
        ),
        ("Dates", {"fields": ["created_at", "updated_at"]}),
    ]

    def delete_model(self, request, obj):
        services.property_delete(property=obj)

    def delete_queryset(self, request, queryset):
        for property_ in queryset:
            services.property_delete(property=property_)


class PropertyManagerAddForm(forms.ModelForm):
    """Adding a manager creates their login and mails them a link to choose a password."""

    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField()

    class Meta:
        model = PropertyManager
        fields = ["company", "first_name", "last_name", "email", "phone", "role", "access_level"]

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("A user with this email already exists.")
        return email


@admin.register(PropertyManager)
class PropertyManagerAdmin(TenantScopedAdmin):
    list_display = ["__str__", "email", "company", "role", "access_level", "is_active"]
    list_filter = ["role", "access_level"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "phone"]
    list_select_related = ["user", "company"]
    fields = ["company", "user", "phone", "role", "access_level"]
    readonly_fields = ["company", "user"]
    inlines = [AssignmentInline]

    @admin.display(ordering="user__email")
    def email(self, manager):
        return manager.user.email

    @admin.display(boolean=True, ordering="user__is_active")
    def is_active(self, manager):
        return manager.user.is_active

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = PropertyManagerAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return PropertyManagerAddForm.Meta.fields if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        access = get_access(request)
        if db_field.name == "company" and not access.is_platform:
            field.initial = access.company_id
        return field

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        manager = services.property_manager_create(
            company=data["company"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            phone=data.get("phone", ""),
            role=data["role"],
            access_level=data["access_level"],
        )
        obj.pk = manager.pk
        obj.user = manager.user
        obj._state.adding = False

    def delete_model(self, request, obj):
        services.property_manager_delete(manager=obj, acting_user=request.user)

    def delete_queryset(self, request, queryset):
        for manager in queryset:
            self.delete_model(request, manager)


@admin.register(PropertyManagerAssignment)
class PropertyManagerAssignmentAdmin(TenantScopedAdmin):
    list_display = ["property_manager", "property", "access_level", "is_primary", "created_at"]
    list_filter = ["access_level", "is_primary"]
    search_fields = ["property__name", "property_manager__user__email"]
    list_select_related = ["property", "property_manager__user"]
    autocomplete_fields = ["property_manager", "property"]
