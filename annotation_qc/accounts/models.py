import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models

from annotation_qc.accounts import cache

# Every write to users and tokens (saves, deletes, bulk updates and deletes) forgets the cached
# authentication entries it affects, in every process (see annotation_qc.accounts.cache).


class UserQuerySet(models.QuerySet["User"]):
    def update(self, **kwargs: Any) -> int:
        ids = list(self.values_list("pk", flat=True))
        updated = super().update(**kwargs)
        cache.forget_users(ids)
        return updated

    def delete(self) -> tuple[int, dict[str, int]]:
        cache.forget_users(list(self.values_list("pk", flat=True)))
        return super().delete()


class AccountUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """The project's user; roles are per project (see ``projects.Membership``)."""

    # The user's own settings, e.g. {"hotkeys": {"<project id>": {"<label>": "<key>"}}}.
    preferences = models.JSONField(default=dict, blank=True)

    objects = AccountUserManager()  # type: ignore[misc]

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        if self.pk is not None:
            cache.forget_users([self.pk])

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        cache.forget_users([self.pk])
        return super().delete(*args, **kwargs)


def token_digest(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def update(self, **kwargs: Any) -> int:
        digests = list(self.values_list("digest", flat=True))
        updated = super().update(**kwargs)
        cache.forget_tokens(digests)
        return updated

    def delete(self) -> tuple[int, dict[str, int]]:
        cache.forget_tokens(list(self.values_list("digest", flat=True)))
        return super().delete()


class ApiToken(models.Model):
    """A revocable API token for scripts. Only its SHA-256 digest is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=8)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        cache.forget_tokens([self.digest])

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        cache.forget_tokens([self.digest])
        return super().delete(*args, **kwargs)
