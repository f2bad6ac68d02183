"""Token -> user, cached in Redis for every process (see ``annotation_qc.core.shared_cache``).

An entry holds the token's id and the user's non-secret fields (never the password hash); it is
forgotten whenever the token or its user changes (revocation, deactivation, deletion: the models
call :func:`forget_tokens` / :func:`forget_users`), so a revoked token fails at once everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from annotation_qc.core import shared_cache

TOKEN_FIELDS = ("id", "user_id", "prefix", "digest")


def user_fields() -> tuple[str, ...]:
    """The user fields an entry carries: all but the password hash (loaded on access if ever needed)."""
    from annotation_qc.accounts.models import User

    return tuple(f.attname for f in User._meta.concrete_fields if f.name != "password")


def token_key(digest: str) -> str:
    return f"aqc:auth:token:{digest}"


def token_user(digest: str) -> tuple[Any, Any] | None:
    """The active user and the live token with this digest, or None: from the cache, else one query."""
    from annotation_qc.accounts.models import ApiToken, User

    key = token_key(digest)
    fields = user_fields()
    entry = shared_cache.get_many([key]).get(key)
    if entry is not None and entry[0] == fields and entry[2] == TOKEN_FIELDS:
        cached_user = User.from_db("default", list(fields), entry[1])
        cached_token = ApiToken.from_db("default", list(TOKEN_FIELDS), entry[3])
        cached_token.user = cached_user
        return cached_user, cached_token
    token = ApiToken.objects.select_related("user").filter(digest=digest, revoked_at__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    user = token.user
    shared_cache.set_many(
        {
            key: (
                fields,
                [getattr(user, name) for name in fields],
                TOKEN_FIELDS,
                [getattr(token, name) for name in TOKEN_FIELDS],
            )
        }
    )
    return user, token


def forget_tokens(digests: Iterable[str]) -> None:
    shared_cache.forget(token_key(d) for d in digests)


def forget_users(user_ids: Iterable[int]) -> None:
    """Forget every token of these users (their activation, staff flag or name changed)."""
    from annotation_qc.accounts.models import ApiToken

    ids = list(user_ids)
    if ids:
        forget_tokens(ApiToken._base_manager.filter(user_id__in=ids).values_list("digest", flat=True))
