"""Secrets the server must read back (webhook signing secrets), stored encrypted under the SECRET_KEY.

A sealed value is ``"sealed:v1:"`` followed by a Fernet token (AES-128-CBC with an HMAC-SHA256 tag)
whose key is derived from ``SECRET_KEY``; ``SECRET_KEY_FALLBACKS`` still open values sealed under an
earlier key, so the key can be rotated (run ``manage.py reseal_secrets`` afterwards to re-encrypt
under the new one). A database dump alone does not reveal the secrets.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

PREFIX = "sealed:v1:"


class SealBroken(ValueError):
    """A sealed value no configured key opens (the SECRET_KEY changed without a fallback)."""


def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(b"annotation-qc sealed secrets v1\0" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _keys() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(key) for key in keys])


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def seal(plaintext: str) -> str:
    """The stored form of a secret; the empty string stays empty (no secret)."""
    if not plaintext:
        return ""
    return PREFIX + _keys().encrypt(plaintext.encode()).decode()


def unseal(stored: str) -> str:
    """The secret itself. A value stored before sealing existed is returned as it is."""
    if not is_sealed(stored):
        return stored
    try:
        return _keys().decrypt(stored.removeprefix(PREFIX).encode()).decode()
    except InvalidToken as exc:
        raise SealBroken("no configured SECRET_KEY opens this sealed secret") from exc


def reseal(stored: str) -> str:
    """The same secret sealed under the current SECRET_KEY (after a rotation)."""
    if not stored:
        return ""
    if not is_sealed(stored):
        return seal(stored)
    try:
        return PREFIX + _keys().rotate(stored.removeprefix(PREFIX).encode()).decode()
    except InvalidToken as exc:
        raise SealBroken("no configured SECRET_KEY opens this sealed secret") from exc
