"""Typed access to the authenticated user of a DRF request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

if TYPE_CHECKING:
    from annotation_qc.accounts.models import User


def authenticated_user(request: Request) -> User:
    from annotation_qc.accounts.models import User

    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user


def user_id(request: Request) -> int:
    return authenticated_user(request).pk
