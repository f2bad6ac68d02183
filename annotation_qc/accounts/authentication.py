from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from annotation_qc.accounts.models import ApiToken, token_digest


class HashedTokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>`` checked against the stored SHA-256 digest."""

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        token = (
            ApiToken.objects.select_related("user")
            .filter(digest=token_digest(key), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return token.user, token

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        return super().authenticate(request)
