"""JWT issue, rotation and revocation on top of simplejwt and its blacklist app."""

from datetime import UTC, datetime

from django.core.cache import cache
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from core.errors import DomainError, ErrorCode

# Access tokens revoked at sign-out, until they expire (read by accounts.selectors).
REVOKED_KEY = "jwt:revoked:{}"


class InvalidTokenError(DomainError):
    status = 401
    code = ErrorCode.INVALID_TOKEN
    message = "The token is invalid."


class TokenExpiredError(DomainError):
    status = 401
    code = ErrorCode.TOKEN_EXPIRED
    message = "The token has expired."


def token_pair_for(user) -> dict:
    refresh = RefreshToken.for_user(user)
    access = refresh.access_token
    return {
        "access": str(access),
        "refresh": str(refresh),
        "access_expires_at": datetime.fromtimestamp(access["exp"], UTC),
        "refresh_expires_at": datetime.fromtimestamp(refresh["exp"], UTC),
    }


def parse_refresh_token(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)
    except ExpiredTokenError:
        raise TokenExpiredError("The refresh token has expired.") from None
    except TokenError:
        raise InvalidTokenError("The refresh token is invalid or has been revoked.") from None


def blacklist_refresh_token(token: RefreshToken) -> None:
    """Spends a refresh token; spending one twice (a replay or a race) is refused."""
    outstanding, _ = OutstandingToken.objects.get_or_create(
        jti=token["jti"],
        defaults={
            "user_id": token.get("user_id"),
            "token": str(token),
            "expires_at": datetime.fromtimestamp(token["exp"], UTC),
        },
    )
    try:
        with transaction.atomic():
            BlacklistedToken.objects.create(token=outstanding)
    except IntegrityError:
        raise InvalidTokenError("The refresh token has already been used.") from None


def blacklist_all_refresh_tokens(user) -> None:
    outstanding = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )


def revoke_access_token(token: AccessToken) -> None:
    """Kept in the cache until the token would have expired anyway."""
    remaining = int(token["exp"] - datetime.now(UTC).timestamp())
    if remaining > 0:
        cache.set(REVOKED_KEY.format(token["jti"]), 1, remaining + 1)


def issued_after_cutoff(token, user) -> bool:
    cutoff = user.tokens_valid_after
    return cutoff is None or token.get("iat", 0) >= int(cutoff.timestamp())
