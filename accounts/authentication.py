from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.tokens import AccessToken

from accounts import tokens
from accounts.models import User


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's Bearer authentication, telling expired tokens (TOKEN_EXPIRED) from bad or
    revoked ones (INVALID_TOKEN), and loading the user with what tenancy needs in one query."""

    def get_validated_token(self, raw_token):
        try:
            token = AccessToken(raw_token)
        except ExpiredTokenError:
            raise AuthenticationFailed("The access token has expired.", code="token_expired") from None
        except TokenError:
            raise AuthenticationFailed("The access token is invalid.", code="token_not_valid") from None
        if tokens.access_token_is_revoked(token):
            raise AuthenticationFailed("The access token has been revoked.", code="token_not_valid")
        return token

    def get_user(self, validated_token):
        user = User.objects.select_related("manager_profile__company").filter(pk=validated_token.get("user_id")).first()
        if user is None or not user.is_active:
            raise AuthenticationFailed("The account is unknown or disabled.", code="token_not_valid")
        if not tokens.issued_after_cutoff(validated_token, user):
            raise AuthenticationFailed("The access token has been revoked.", code="token_not_valid")
        return user
