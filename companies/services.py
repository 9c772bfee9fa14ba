from django.db import transaction
from django.utils import timezone

from companies.models import Company
from core.integrations import available_integration_checks, run_integration_check


def company_create(**fields) -> Company:
    return Company.objects.create(**fields)


def company_update(*, company: Company, **fields) -> Company:
    for name, value in fields.items():
        setattr(company, name, value)
    company.save()
    return company


@transaction.atomic
def company_delete(*, company: Company) -> None:
    """Soft delete: the company, its properties and their leads stay in the database, but the
    company's staff can no longer sign in."""
    from accounts.models import User
    from accounts.tokens import blacklist_all_refresh_tokens
    from properties.models import Property
    from properties.signals import forget_staff

    now = timezone.now()
    Property.objects.filter(company=company).update(deleted_at=now)
    staff = list(User.objects.filter(manager_profile__company=company))
    User.objects.filter(pk__in=[user.pk for user in staff]).update(is_active=False, tokens_valid_after=now)
    for user in staff:
        blacklist_all_refresh_tokens(user)
        forget_staff(user_id=user.pk)
    company.deleted_at = now
    company.save(update_fields=["deleted_at", "updated_at"])


def company_test_integrations(*, company: Company, integration: str | None = None) -> list:
    names = [integration] if integration else available_integration_checks()
    return [run_integration_check(name, company) for name in names]
