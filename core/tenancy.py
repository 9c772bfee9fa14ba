"""Tenancy: the one mechanism that decides what a caller may see and change.

Every tenant-scoped model says where its company and (optionally) its property are:

    class Property(models.Model):
        tenant_company_path = "company"
        tenant_property_path = "id"

A model whose link to properties is not one path (a prospect is seen through their conversations)
defines `tenant_limit_to_properties(queryset, property_ids)` as a classmethod instead.

`scope_queryset` filters any queryset of such a model down to what an `Access` may read, and the
`TenantScopedViewSet` base applies it to every request, so a view cannot forget the scope.
Objects of another company are simply absent: they answer 404, like objects that do not exist.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.conf import settings
from django.db.models import Model, QuerySet
from django.utils.module_loading import import_string
from rest_framework import serializers, viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated

from core.errors import Forbidden, InsufficientPermissions

READ = "read"
WRITE = "write"
UUID_PATTERN = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


@dataclass(frozen=True)
class Access:
    """What one authenticated caller may reach."""

    user_id: Any = None
    is_platform: bool = False
    company_id: Any = None
    is_company_admin: bool = False
    manager_id: Any = None
    # For property managers: property id -> "read" | "write". Admins reach every property.
    property_levels: Mapping[Any, str] = field(default_factory=dict)

    @property
    def has_tenant(self) -> bool:
        return self.is_platform or self.company_id is not None

    @property
    def reaches_all_properties(self) -> bool:
        return self.is_platform or self.is_company_admin

    def can_administer(self, company_id) -> bool:
        return self.is_platform or (self.is_company_admin and company_id == self.company_id)

    def can_write_property(self, property_id) -> bool:
        """Assumes the property was already found through `scope_queryset`."""
        return self.reaches_all_properties or self.property_levels.get(property_id) == WRITE

    @property
    def writable_property_ids(self) -> set:
        return {pid for pid, level in self.property_levels.items() if level == WRITE}


NO_ACCESS = Access()


@cache
def _resolver():
    return import_string(settings.TENANCY_ACCESS_RESOLVER)


def get_access(request) -> Access:
    """The caller's Access, resolved once per request."""
    django_request = getattr(request, "_request", request)
    access = getattr(django_request, "tenant_access", None)
    if access is None:
        user = getattr(request, "user", None)
        access = _resolver()(user) if user is not None and user.is_authenticated else NO_ACCESS
        django_request.tenant_access = access
    return access


def scope_queryset(queryset: QuerySet, access: Access) -> QuerySet:
    model = queryset.model
    company_path = getattr(model, "tenant_company_path", None)
    if company_path is None:
        raise TypeError(f"{model.__name__} declares no tenant_company_path; it cannot be scoped.")
    if access.is_platform:
        return queryset
    if access.company_id is None:
        return queryset.none()
    queryset = queryset.filter(**{company_path: access.company_id})
    if access.is_company_admin:
        return queryset
    property_ids = list(access.property_levels)
    narrow = getattr(model, "tenant_limit_to_properties", None)
    if narrow is not None:
        return narrow(queryset, property_ids)
    property_path = getattr(model, "tenant_property_path", None)
    if property_path:
        queryset = queryset.filter(**{f"{property_path}__in": property_ids})
    return queryset


def _follow(obj: Model, path: str):
    *hops, last = path.split("__")
    for hop in hops:
        obj = getattr(obj, hop)
    if last in ("id", "pk"):
        return obj.pk
    field_ = obj._meta.get_field(last)
    return getattr(obj, field_.attname)


def tenant_company_id(obj: Model):
    return _follow(obj, type(obj).tenant_company_path)


def tenant_property_id(obj: Model):
    path = getattr(type(obj), "tenant_property_path", None)
    return _follow(obj, path) if path else None


class TenantAccessPermission(BasePermission):
    """Who may act, by the view's `required_role()`:

    - None: anyone attached to a company (scoping hides what is not theirs);
    - "platform": platform staff only;
    - "company_admin": the company's administrators (company-level records);
    - "property": write access to the record's property (a manager needs it per property).
    """

    def has_permission(self, request, view):
        access = get_access(request)
        if not access.has_tenant:
            raise Forbidden("Your account is not attached to a company.")
        requirement = view.required_role()
        if requirement == "platform" and not access.is_platform:
            raise InsufficientPermissions("Only platform staff can do this.")
        if requirement == "company_admin" and not access.reaches_all_properties:
            raise InsufficientPermissions("Only company administrators can do this.")
        if requirement == "property" and not (access.reaches_all_properties or access.writable_property_ids):
            raise InsufficientPermissions("Your access to these properties is read-only.")
        return True

    def has_object_permission(self, request, view, obj):
        requirement = view.required_role()
        if requirement is None:
            return True
        access = get_access(request)
        if requirement == "property":
            allowed = access.can_write_property(tenant_property_id(obj))
        else:
            allowed = access.can_administer(tenant_company_id(obj))
        if not allowed:
            raise InsufficientPermissions("You cannot change this record.")
        return True


class TenantScopedViewSet(viewsets.GenericViewSet):
    """The mandatory base of every staff API view over tenant data.

    Subclasses give `base_queryset` (or `get_base_queryset`), never `get_queryset`: the scope is
    applied here. A view that must see across tenants says so with `tenancy_bypass = "<why>"`.
    """

    permission_classes = [IsAuthenticated, TenantAccessPermission]
    lookup_value_regex = UUID_PATTERN
    # The role that writes need (see TenantAccessPermission), with per-action overrides;
    # reads need none unless an action names one.
    write_requires = "property"
    action_write_requires: dict[str, str] = {}
    action_read_requires: dict[str, str] = {}
    base_queryset: QuerySet | None = None
    tenancy_bypass: str | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__ and not cls.tenancy_bypass:
            raise TypeError(f"{cls.__name__} overrides get_queryset; set tenancy_bypass to say why.")

    @property
    def access(self) -> Access:
        return get_access(self.request)

    def required_role(self) -> str | None:
        if self.request.method in SAFE_METHODS:
            return self.action_read_requires.get(self.action)
        return self.action_write_requires.get(self.action, self.write_requires)

    def get_base_queryset(self) -> QuerySet:
        return self.base_queryset.all()

    def get_queryset(self):
        return scope_queryset(self.get_base_queryset(), self.access)

    def check_property_write(self, property_id) -> None:
        """For creates: the target property must be writable (it was already found in scope)."""
        if not self.access.can_write_property(property_id):
            raise InsufficientPermissions("Your access to this property is read-only.")


class TenantRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference in a request body that can only name records the caller can see."""

    def get_queryset(self):
        return scope_queryset(super().get_queryset(), get_access(self.context["request"]))
