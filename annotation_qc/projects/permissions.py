"""Role checks. A view names the roles it admits; the project comes from the URL's ``project_id``."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from annotation_qc.projects.models import Membership

ANNOTATOR = Membership.Role.ANNOTATOR
MANAGER = Membership.Role.MANAGER
ML_ENGINEER = Membership.Role.ML_ENGINEER
ALL_ROLES = frozenset({ANNOTATOR, MANAGER, ML_ENGINEER})


def role_in_project(user: Any, project_id: int) -> str | None:
    """The user's role in a project (staff count as managers), or None for outsiders."""
    if not user.is_authenticated:
        return None
    role = (
        Membership.objects.filter(project_id=project_id, user_id=user.pk)
        .values_list("role", flat=True)
        .first()
    )
    if role is None and user.is_staff:
        return MANAGER
    return role


class HasProjectRole(BasePermission):
    """Admits members whose role is in ``view.allowed_roles``.

    Outsiders get 404 rather than 403 so that project ids cannot be probed.
    """

    message = "Your role in this project does not allow this."

    def has_permission(self, request: Request, view: Any) -> bool:
        from rest_framework.exceptions import NotFound

        if not request.user or not request.user.is_authenticated:
            return False
        project_id = int(view.kwargs["project_id"])
        role = role_in_project(request.user, project_id)
        if role is None:
            raise NotFound("No such project.")
        request.project_role = role  # type: ignore[attr-defined]
        allowed = getattr(view, "allowed_roles_by_method", {}).get(request.method, view.allowed_roles)
        return role in allowed
