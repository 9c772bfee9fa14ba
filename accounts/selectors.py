from django.conf import settings
from django.core.cache import cache

from accounts.models import User
from accounts.tokens import REVOKED_KEY

_STAFF_USER_KEY = "staff-user:{}"


def staff_user_for_token(*, user_id, jti) -> tuple[User | None, bool]:
    """The token's user, and whether the token was revoked at sign-out: one cache round trip."""
    user_key, revoked_key = _STAFF_USER_KEY.format(user_id), REVOKED_KEY.format(jti)
    found = cache.get_many([user_key, revoked_key])
    if revoked_key in found:
        return None, True
    user = found.get(user_key)
    if user is None:
        user = staff_user_get(user_id=user_id)
    return user, False


def staff_user_get(*, user_id) -> User | None:
    """The staff user (with their company profile) behind a token, cached between requests.

    Every change that matters to authentication or tenancy (the user, their profile, their
    assignments) calls `staff_user_forget`, so the cache never serves stale rights.
    """
    key = _STAFF_USER_KEY.format(user_id)
    user = cache.get(key)
    if user is None:
        user = User.objects.select_related("manager_profile").filter(pk=user_id).first()
        if user is not None:
            cache.set(key, user, settings.CACHE_TTL["user"])
    return user


def staff_user_forget(*, user_id) -> None:
    cache.delete(_STAFF_USER_KEY.format(user_id))
