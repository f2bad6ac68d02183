from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from annotation_qc.accounts.models import ApiToken, User, token_digest
from annotation_qc.core.exceptions import NotFound, ServiceError


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


def set_password_link(*, user: User) -> str:
    """A link (path) to choose a password: valid once, for PASSWORD_RESET_TIMEOUT seconds."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/set-password?uid={uid}&token={default_token_generator.make_token(user)}"


@transaction.atomic
def account_create(*, username: str, email: str = "", is_staff: bool = False) -> tuple[User, str]:
    """A new account without a password; the returned link lets its owner choose one."""
    if User.objects.filter(username__iexact=username).exists():
        raise ServiceError(
            "That username is taken.", errors={"username": ["a user with this username exists"]}
        )
    user = User(username=username, email=email, is_staff=is_staff)
    user.set_unusable_password()
    user.save()
    return user, set_password_link(user=user)


@transaction.atomic
def password_set_with_token(*, uid: str, token: str, password: str) -> User:
    try:
        user = User.objects.select_for_update().get(pk=int(force_str(urlsafe_base64_decode(uid))))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        user = None
    if user is None or not default_token_generator.check_token(user, token):
        raise ServiceError(
            "This link is not valid any more: ask for a new one.",
            errors={"token": ["invalid, used or expired link"]},
        )
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ServiceError("Choose another password.", errors={"password": list(exc.messages)}) from exc
    user.set_password(password)
    # Saving the new password hash also invalidates the token: the link works once.
    user.save(update_fields=["password"])
    return user


def preferences_update(*, user: User, hotkeys: dict[str, Any]) -> dict[str, Any]:
    """Merges per-project hotkey remaps ``{project_id: {label: key or null}}`` into the user's preferences."""
    from annotation_qc.projects.label_rules import HOTKEY, RESERVED_HOTKEYS

    errors: dict[str, list[str]] = {}
    merged: dict[str, Any] = dict(user.preferences.get("hotkeys", {}))
    for project_id, mapping in hotkeys.items():
        path = f"hotkeys.{project_id}"
        if not str(project_id).isdigit() or not isinstance(mapping, dict):
            errors[path] = ["an object of label -> key, under a project id"]
            continue
        current = dict(merged.get(str(project_id), {}))
        for label, key in mapping.items():
            if key is None or key == "":
                current.pop(label, None)
                continue
            if not isinstance(key, str) or not HOTKEY.match(key.lower()) or key.lower() in RESERVED_HOTKEYS:
                errors[f"{path}.{label}"] = ["one letter or digit, not h, s, f or n"]
                continue
            current[str(label)[:100]] = key.lower()
        keys = list(current.values())
        for label, key in current.items():
            if keys.count(key) > 1:
                errors[f"{path}.{label}"] = [f"'{key}' is used twice"]
        merged[str(project_id)] = current
    if len(merged) > 1000:
        errors["hotkeys"] = ["too many projects"]
    if errors:
        raise ServiceError("Invalid hotkeys.", errors=errors)
    user.preferences = {**user.preferences, "hotkeys": merged}
    user.save(update_fields=["preferences"])
    return user.preferences
