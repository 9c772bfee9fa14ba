from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class StaffJWTScheme(SimpleJWTScheme):
    """Describes our simplejwt subclass as the usual Bearer JWT scheme in the OpenAPI schema."""

    target_class = "accounts.authentication.JWTAuthentication"
