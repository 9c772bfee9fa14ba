from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import password_link_send
from accounts.tokens import blacklist_all_refresh_tokens
from companies.models import Company
from core.errors import DuplicateRecord, ValidationFailed
from properties.models import Property, PropertyManager, PropertyManagerAssignment, StaffRole


def property_create(*, company: Company, **fields) -> Property:
    return Property.objects.create(company=company, **fields)


def property_update(*, property: Property, **fields) -> Property:
    fields.pop("company", None)
    for name, value in fields.items():
        setattr(property, name, value)
    property.save()
    return property


@transaction.atomic
def property_delete(*, property: Property) -> None:
    """Soft delete: conversations, tours and leads of the property are kept."""
    property.manager_assignments.all().delete()
    property.deleted_at = timezone.now()
    property.save(update_fields=["deleted_at", "updated_at"])


@transaction.atomic
def property_manager_create(
    *,
    company: Company,
    first_name: str,
    last_name: str,
    email: str,
    access_level: str,
    role: str = StaffRole.PROPERTY_MANAGER,
    phone: str = "",
    properties=(),
) -> PropertyManager:
    """Creates the staff login and profile, and mails a single-use link to choose a password."""
    if User.objects.filter(email__iexact=email).exists():
        raise DuplicateRecord("A user with this email already exists.", details={"email": [email]})
    user = User.objects.create_user(email=email, first_name=first_name, last_name=last_name, is_staff=True)
    manager = PropertyManager.objects.create(
        company=company, user=user, phone=phone, role=role, access_level=access_level
    )
    for property_ in properties:
        assignment_create(manager=manager, property=property_)
    password_link_send(user=user, purpose="invite")
    return manager


@transaction.atomic
def property_manager_update(*, manager: PropertyManager, **fields) -> PropertyManager:
    user = manager.user
    user_fields = {name: fields.pop(name) for name in ("first_name", "last_name", "email") if name in fields}
    if "email" in user_fields:
        user_fields["email"] = user_fields["email"].lower()
        if User.objects.filter(email__iexact=user_fields["email"]).exclude(pk=user.pk).exists():
            raise DuplicateRecord("A user with this email already exists.", details={"email": [user_fields["email"]]})
    for name, value in user_fields.items():
        setattr(user, name, value)
    if user_fields:
        user.save(update_fields=[*user_fields])
    for name, value in fields.items():
        setattr(manager, name, value)
    manager.save()
    return manager


@transaction.atomic
def property_manager_delete(*, manager: PropertyManager, acting_user: User) -> None:
    """Removes the profile and the staff login; the records they handled keep existing."""
    if manager.user_id == acting_user.pk:
        raise ValidationFailed("You cannot delete your own account.")
    blacklist_all_refresh_tokens(manager.user)
    manager.user.delete()


def assignment_create(
    *, manager: PropertyManager, property: Property, access_level: str = "", is_primary: bool = False
) -> PropertyManagerAssignment:
    if property.company_id != manager.company_id:
        raise ValidationFailed("The manager and the property belong to different companies.")
    try:
        with transaction.atomic():
            assignment = PropertyManagerAssignment.objects.create(
                property_manager=manager, property=property, access_level=access_level, is_primary=is_primary
            )
            if is_primary:
                _make_only_primary(assignment)
    except IntegrityError:
        raise DuplicateRecord("This manager is already assigned to this property.") from None
    return assignment


@transaction.atomic
def assignment_update(*, assignment: PropertyManagerAssignment, **fields) -> PropertyManagerAssignment:
    for name, value in fields.items():
        setattr(assignment, name, value)
    assignment.save()
    if assignment.is_primary:
        _make_only_primary(assignment)
    return assignment


def assignment_delete(*, assignment: PropertyManagerAssignment) -> None:
    assignment.delete()


def _make_only_primary(assignment: PropertyManagerAssignment) -> None:
    PropertyManagerAssignment.objects.filter(property_id=assignment.property_id, is_primary=True).exclude(
        pk=assignment.pk
    ).update(is_primary=False)
