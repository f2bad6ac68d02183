"""Opaque public ids: random, so they carry no order, creation time or count."""

from __future__ import annotations

import secrets

#: Characters of a public token (16 random bytes, URL-safe base64 without padding).
TOKEN_LENGTH = 22


def public_token() -> str:
    """A fresh random token, safe in URLs."""
    return secrets.token_urlsafe(16)
