from companies.models import Company
from core.errors import ValidationFailed
from core.tenancy import Access


def company_for_create(*, access: Access, requested: Company | None) -> Company:
    """The company a new record belongs to: the caller's own, or for platform staff the one named."""
    if access.is_platform:
        if requested is None:
            raise ValidationFailed(
                "Platform staff must say which company.", details={"company_id": ["This field is required."]}
            )
        return requested
    return Company.objects.get(pk=access.company_id)
