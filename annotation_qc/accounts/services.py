from __future__ import annotations

import secrets

from django.utils import timezone

from annotation_qc.accounts.models import ApiToken, User, token_digest
from annotation_qc.core.exceptions import NotFound


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; the raw key is returned once and never stored."""
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:8], digest=token_digest(raw))
    return token, raw


def api_token_revoke(*, user: User, token_id: int) -> None:
    updated = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if not updated:
        raise NotFound("No such active token.")
