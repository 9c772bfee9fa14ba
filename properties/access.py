from django.conf import settings
from django.core.cache import cache

from core.tenancy import Access
from properties.models import PropertyManagerAssignment

_ACCESS_KEY = "tenancy-access:{}"


def access_for_user(user) -> Access:
    """The tenancy resolver (settings.TENANCY_ACCESS_RESOLVER) for staff users, cached per user and
    forgotten (`access_forget`) whenever the user, their profile or their assignments change."""
    key = _ACCESS_KEY.format(user.pk)
    access = cache.get(key)
    if access is None:
        access = _compute_access(user)
        cache.set(key, access, settings.CACHE_TTL["user"])
    return access


def access_forget(*, user_id) -> None:
    cache.delete(_ACCESS_KEY.format(user_id))


def _compute_access(user) -> Access:
    if user.is_superuser:
        return Access(user_id=user.pk, is_platform=True)
    profile = getattr(user, "manager_profile", None) if hasattr(user, "manager_profile") else None
    if profile is None:
        return Access(user_id=user.pk)
    if profile.is_company_admin:
        return Access(user_id=user.pk, company_id=profile.company_id, is_company_admin=True, manager_id=profile.pk)
    rows = PropertyManagerAssignment.objects.filter(
        property_manager=profile, property__deleted_at__isnull=True
    ).values_list("property_id", "access_level")
    levels = {property_id: level or profile.access_level for property_id, level in rows}
    return Access(user_id=user.pk, company_id=profile.company_id, manager_id=profile.pk, property_levels=levels)
