"""The admin site under the same tenancy rules as the API.

Platform staff (superusers) see everything. Company staff who log into the admin see and change
exactly what the API would let them: the one scoping mechanism of `core.tenancy` is applied here.
"""

from django import forms
from django.contrib import admin
from django.db import models

from core.fields import EncryptedTextField
from core.tenancy import get_access, scope_queryset, tenant_company_id, tenant_property_id


class TenantScopedAdmin(admin.ModelAdmin):
    # "platform", "company_admin" or "property": who may add, change and delete (as in the API).
    write_requires = "company_admin"
    add_requires: str | None = None
    # Secrets are never shown back; a blank field keeps the stored value.
    formfield_overrides = {
        models.URLField: {"assume_scheme": "https"},
        EncryptedTextField: {
            "widget": forms.PasswordInput(render_value=False),
            "help_text": "Hidden. Leave blank to keep the current value.",
        },
    }

    def save_model(self, request, obj, form, change):
        if change:
            for field in obj._meta.fields:
                if isinstance(field, EncryptedTextField) and not form.cleaned_data.get(field.name):
                    setattr(obj, field.name, form.initial.get(field.name) or "")
        super().save_model(request, obj, form, change)

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), get_access(request))

    def _may(self, request, requirement: str, obj=None) -> bool:
        access = get_access(request)
        if access.is_platform:
            return True
        if requirement == "platform" or not access.has_tenant:
            return False
        if requirement == "company_admin":
            return access.is_company_admin and (obj is None or tenant_company_id(obj) == access.company_id)
        if obj is None:
            return access.is_company_admin or bool(access.writable_property_ids)
        return access.can_write_property(tenant_property_id(obj))

    def has_module_permission(self, request):
        return request.user.is_active and get_access(request).has_tenant

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._may(request, self.write_requires, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, self.write_requires, obj)

    def has_add_permission(self, request, *args):
        return self._may(request, self.add_requires or self.write_requires)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if getattr(related, "tenant_company_path", None):
            kwargs["queryset"] = scope_queryset(related._default_manager.all(), get_access(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TenantScopedInline(admin.TabularInline):
    extra = 0

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), get_access(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if getattr(related, "tenant_company_path", None):
            kwargs["queryset"] = scope_queryset(related._default_manager.all(), get_access(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _may_write(self, request, obj):
        return self.admin_site._registry[self.parent_model].has_change_permission(request, obj)

    def has_view_permission(self, request, obj=None):
        return get_access(request).has_tenant

    def has_change_permission(self, request, obj=None):
        return self._may_write(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._may_write(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_write(request, obj)
