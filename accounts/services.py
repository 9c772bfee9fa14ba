"""Staff sign-in, sign-out, token rotation and the single-use password links."""

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from accounts import tasks, tokens
from accounts.models import User
from core.errors import DomainError, ErrorCode, ValidationFailed

PASSWORD_LINK_PATHS = {"reset": "reset-password", "invite": "set-password"}


class InvalidCredentials(DomainError):
    status = 401
    code = ErrorCode.UNAUTHORIZED
    message = "Invalid email or password."


class InvalidPasswordLink(DomainError):
    status = 400
    code = ErrorCode.INVALID_TOKEN
    message = "This password link is invalid, expired or already used."


def user_login(*, request, email: str, password: str) -> tuple[User, dict]:
    user = authenticate(request, email=email.strip().lower(), password=password)
    if user is None:
        raise InvalidCredentials()
    return user, tokens.token_pair_for(user)


def user_logout(*, refresh: str, access=None) -> None:
    """Spends the refresh token and, when the caller showed one, revokes the access token too."""
    refresh_token = tokens.parse_refresh_token(refresh)
    if access is not None and access.get("user_id") != refresh_token.get("user_id"):
        raise tokens.InvalidTokenError("The refresh token belongs to another account.")
    tokens.blacklist_refresh_token(refresh_token)
    if access is not None:
        tokens.revoke_access_token(access)


def tokens_refresh(*, refresh: str) -> dict:
    """Rotation: the presented refresh token is spent and a new pair is issued."""
    old = tokens.parse_refresh_token(refresh)
    user = User.objects.filter(pk=old.get("user_id"), is_active=True).first()
    if user is None or not tokens.issued_after_cutoff(old, user):
        raise tokens.InvalidTokenError("The refresh token is invalid or has been revoked.")
    with transaction.atomic():
        tokens.blacklist_refresh_token(old)
        return tokens.token_pair_for(user)


def password_link_build(*, user: User, purpose: str) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return f"{settings.FRONTEND_URL}/{PASSWORD_LINK_PATHS[purpose]}?uid={uid}&token={token}"


def password_link_send(*, user: User, purpose: str) -> None:
    user_id = str(user.pk)
    transaction.on_commit(lambda: tasks.send_password_link.delay(user_id, purpose))


def password_reset_request(*, email: str) -> None:
    """Answers the same whether or not the address is known; only known, active users get mail."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is not None:
        password_link_send(user=user, purpose="reset")


def password_reset_confirm(*, uid: str, token: str, password: str) -> User:
    try:
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uid)), is_active=True)
    except (ValueError, TypeError, OverflowError, DjangoValidationError, User.DoesNotExist):
        raise InvalidPasswordLink() from None
    if not default_token_generator.check_token(user, token):
        raise InvalidPasswordLink()
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed("The password is too weak.", details={"password": exc.messages}) from None
    with transaction.atomic():
        user.set_password(password)
        # Every session opened with the old password ends.
        user.tokens_valid_after = timezone.now()
        user.save(update_fields=["password", "tokens_valid_after"])
        tokens.blacklist_all_refresh_tokens(user)
    return user


def user_access_token_from_header(request):
    """The access token in the Authorization header, if it is one of ours and still valid."""
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme != "Bearer" or not raw:
        return None
    try:
        return AccessToken(raw.strip())
    except TokenError:
        return None
