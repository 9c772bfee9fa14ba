"""A model field that keeps integration secrets encrypted at rest (Fernet, rotatable keys)."""

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

_PREFIX = "enc:"


@lru_cache(maxsize=1)
def _cipher(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        derived = base64.urlsafe_b64encode(hashlib.sha256(f"fields:{secret_key}".encode()).digest())
        keys = (derived.decode(),)
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be Fernet keys.") from exc


def cipher() -> MultiFernet:
    return _cipher(tuple(settings.FIELD_ENCRYPTION_KEYS), settings.SECRET_KEY)


class EncryptedTextField(models.TextField):
    """Stores `enc:<fernet token>`; Python code only ever sees the plain value."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return _PREFIX + cipher().encrypt(value.encode()).decode()

    def from_db_value(self, value, expression, connection):
        if value in (None, "") or not value.startswith(_PREFIX):
            return value
        try:
            return cipher().decrypt(value[len(_PREFIX) :].encode()).decode()
        except InvalidToken as exc:
            raise ImproperlyConfigured(
                "An encrypted field could not be decrypted: FIELD_ENCRYPTION_KEYS lacks its key."
            ) from exc


def mask_secret(value: str | None) -> str | None:
    """What the API shows of a secret: its last four characters."""
    if not value:
        return None
    return "•" * 8 + value[-4:] if len(value) > 4 else "•" * 8
