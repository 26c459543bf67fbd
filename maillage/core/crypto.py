"""Encryption of the few very sensitive fields (e.g. the key-box code) at rest.

The key comes from ``FIELD_ENCRYPTION_KEY`` (a Fernet key; several, comma-separated, to rotate:
the first encrypts, all decrypt). Outside production, a key is generated once into ``var/``.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in settings.FIELD_ENCRYPTION_KEYS])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


class EncryptedTextField(models.TextField):
    """Stores a Fernet token; reads back the clear text. Never filter on it."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)
