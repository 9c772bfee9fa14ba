from rest_framework import serializers

from core.fields import mask_secret


class SecretField(serializers.CharField):
    """Write the secret in full; read back only its last four characters.

    `null` or "" clears it. Sending back the masked value unchanged keeps the stored one, so a form
    that round-trips what it read does not overwrite the secret with its mask.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("max_length", 500)
        kwargs.setdefault("help_text", "Write-only in full; read back masked (last 4 characters).")
        super().__init__(**kwargs)

    def to_representation(self, value):
        return mask_secret(value)

    def validate_empty_values(self, data):
        if data is None or data == "":
            return True, ""
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        current = getattr(self.parent.instance, self.source, None) if self.parent.instance else None
        if current and value == mask_secret(current):
            return current
        return value
