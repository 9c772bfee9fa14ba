"""Forget cached staff users and their access whenever what decides their rights changes."""

from django.db.models.signals import post_delete, post_save

from accounts.models import User
from accounts.selectors import staff_user_forget
from properties.access import access_forget
from properties.models import PropertyManager, PropertyManagerAssignment


def forget_staff(*, user_id) -> None:
    staff_user_forget(user_id=user_id)
    access_forget(user_id=user_id)


def _user_changed(sender, instance, **kwargs):
    forget_staff(user_id=instance.pk)


def _profile_changed(sender, instance, **kwargs):
    forget_staff(user_id=instance.user_id)


def _assignment_changed(sender, instance, **kwargs):
    user_id = PropertyManager.objects.filter(pk=instance.property_manager_id).values_list("user_id", flat=True).first()
    if user_id is not None:
        forget_staff(user_id=user_id)


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(_user_changed, sender=User, dispatch_uid=f"forget-user-{signal}")
        signal.connect(_profile_changed, sender=PropertyManager, dispatch_uid=f"forget-profile-{signal}")
        signal.connect(_assignment_changed, sender=PropertyManagerAssignment, dispatch_uid=f"forget-assign-{signal}")
