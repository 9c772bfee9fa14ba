from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.tokens import AccessToken

from accounts import tokens
from accounts.selectors import staff_user_for_token


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's Bearer authentication, telling expired tokens (TOKEN_EXPIRED) from bad or
    revoked ones (INVALID_TOKEN), and reading the user (with what tenancy needs) from the cache."""

    def get_validated_token(self, raw_token):
        try:
            token = AccessToken(raw_token)
        except ExpiredTokenError:
            raise AuthenticationFailed("The access token has expired.", code="token_expired") from None
        except TokenError:
            raise AuthenticationFailed("The access token is invalid.", code="token_not_valid") from None
        return token

    def get_user(self, validated_token):
        user, revoked = staff_user_for_token(user_id=validated_token.get("user_id"), jti=validated_token.get("jti"))
        if revoked:
            raise AuthenticationFailed("The access token has been revoked.", code="token_not_valid")
        if user is None or not user.is_active:
            raise AuthenticationFailed("The account is unknown or disabled.", code="token_not_valid")
        if not tokens.issued_after_cutoff(validated_token, user):
            raise AuthenticationFailed("The access token has been revoked.", code="token_not_valid")
        return user
