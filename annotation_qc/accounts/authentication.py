from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from annotation_qc.accounts.cache import token_user
from annotation_qc.accounts.models import ApiToken, token_digest


class HashedTokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>`` checked against the stored SHA-256 digest (through the shared
    cache: no query while the token's entry is cached)."""

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        found = token_user(token_digest(key))
        if found is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        user, token = found
        return user, token

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        return super().authenticate(request)
