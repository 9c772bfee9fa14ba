from rest_framework import serializers

ROLE_CHOICES = ["platform_staff", "company_admin", "property_manager"]


class StaffUserSerializer(serializers.Serializer):
    """The signed-in staff user, with the role and company that decide what they may reach."""

    id = serializers.UUIDField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    role = serializers.SerializerMethodField()
    company_id = serializers.SerializerMethodField()
    property_manager_id = serializers.SerializerMethodField()
    access_level = serializers.SerializerMethodField()

    @staticmethod
    def _profile(user):
        return getattr(user, "manager_profile", None) if hasattr(user, "manager_profile") else None

    def get_role(self, user) -> str | None:
        if user.is_superuser:
            return "platform_staff"
        profile = self._profile(user)
        return profile.role if profile else None

    def get_company_id(self, user) -> str | None:
        profile = self._profile(user)
        return str(profile.company_id) if profile else None

    def get_property_manager_id(self, user) -> str | None:
        profile = self._profile(user)
        return str(profile.pk) if profile else None

    def get_access_level(self, user) -> str | None:
        profile = self._profile(user)
        return profile.access_level if profile else None


class LoginInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    access_expires_at = serializers.DateTimeField()
    refresh_expires_at = serializers.DateTimeField()


class LoginOutputSerializer(TokenPairSerializer):
    user = StaffUserSerializer()


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=2000)


class VerifyOutputSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    expires_at = serializers.DateTimeField()
    user = StaffUserSerializer()


class ForgotPasswordInputSerializer(serializers.Serializer):
    email = serializers.EmailField()


class ResetPasswordInputSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()
