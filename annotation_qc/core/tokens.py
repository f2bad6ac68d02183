"""Opaque public ids: random, so they carry no order, creation time or count."""

from __future__ import annotations

import base64
import secrets

#: Characters of a public token (16 random bytes, URL-safe base64 without padding).
TOKEN_LENGTH = 22


def public_token() -> str:
    """A fresh random token, safe in URLs."""
    return secrets.token_urlsafe(16)


def public_tokens(count: int) -> list[str]:
    """``count`` fresh tokens like :func:`public_token`, from one read of the system's randomness."""
    raw = secrets.token_bytes(16 * count)
    return [
        base64.urlsafe_b64encode(raw[i : i + 16]).rstrip(b"=").decode("ascii")
        for i in range(0, 16 * count, 16)
    ]


def hex_tokens(count: int) -> list[str]:
    """``count`` fresh 32-character hex tokens, from one read of the system's randomness."""
    raw = secrets.token_bytes(16 * count).hex()
    return [raw[i : i + 32] for i in range(0, 32 * count, 32)]
