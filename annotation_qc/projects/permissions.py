"""Role checks. An API names the roles it admits; the project comes from the URL's ``project_id``."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from annotation_qc.projects import cache
from annotation_qc.projects.models import Membership, Project

ANNOTATOR = Membership.Role.ANNOTATOR
MANAGER = Membership.Role.MANAGER
ML_ENGINEER = Membership.Role.ML_ENGINEER
REVIEWER = Membership.Role.REVIEWER
ALL_ROLES = frozenset({ANNOTATOR, MANAGER, ML_ENGINEER, REVIEWER})


def project_access(user: Any, project_id: int) -> tuple[Project, str] | None:
    """The project and the user's role in it (staff count as managers); None for outsiders.

    From the shared cache when it holds both (no query), else in one query (which fills it).
    """
    if not user.is_authenticated:
        return None
    cached = cache.cached_access(user.pk, project_id)
    if cached is not None:
        project, role = cached
        if role is not None and project is not None:
            return project, role
        if not user.is_staff:
            return None
    membership = (
        Membership.objects.select_related("project").filter(project_id=project_id, user_id=user.pk).first()
    )
    if membership is not None:
        cache.remember(user.pk, project_id, membership.role, membership.project)
        return membership.project, membership.role
    cache.remember(user.pk, project_id, None, None)
    if user.is_staff:
        project = Project.objects.filter(pk=project_id).first()
        return (project, MANAGER) if project is not None else None
    return None


def role_in_project(user: Any, project_id: int) -> str | None:
    access = project_access(user, project_id)
    return access[1] if access else None


class HasProjectRole(BasePermission):
    """Admits members whose role is in ``view.allowed_roles`` (or ``allowed_roles_by_method``).

    Outsiders get 404 rather than 403 so that project ids cannot be probed. On success the
    view's ``project`` and ``project_role`` are set.
    """

    message = "Your role in this project does not allow this."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        access = project_access(request.user, int(view.kwargs["project_id"]))
        if access is None:
            raise NotFound("No such project.")
        view.project, view.project_role = access
        allowed = getattr(view, "allowed_roles_by_method", {}).get(request.method, view.allowed_roles)
        return access[1] in allowed


class ProjectApi(APIView):
    """Base for endpoints under ``projects/<project_id>/``: role-checked, with the project loaded."""

    permission_classes = [HasProjectRole]
    allowed_roles: frozenset[str] = ALL_ROLES
    project: Project
    project_role: str
