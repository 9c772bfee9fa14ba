from core.tenancy import Access
from properties.models import PropertyManagerAssignment


def access_for_user(user) -> Access:
    """The tenancy resolver (settings.TENANCY_ACCESS_RESOLVER) for staff users."""
    if user.is_superuser:
        return Access(user_id=user.pk, is_platform=True)
    profile = getattr(user, "manager_profile", None) if hasattr(user, "manager_profile") else None
    if profile is None or profile.company.deleted_at is not None:
        return Access(user_id=user.pk)
    if profile.is_company_admin:
        return Access(user_id=user.pk, company_id=profile.company_id, is_company_admin=True, manager_id=profile.pk)
    rows = PropertyManagerAssignment.objects.filter(
        property_manager=profile, property__deleted_at__isnull=True
    ).values_list("property_id", "access_level")
    levels = {property_id: level or profile.access_level for property_id, level in rows}
    return Access(user_id=user.pk, company_id=profile.company_id, manager_id=profile.pk, property_levels=levels)
