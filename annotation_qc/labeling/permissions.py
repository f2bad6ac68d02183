"""Access to a task (``/tasks/{task_id}/...``): the annotator it was given to, while still an annotator.

Every write on a task (submit, lint, skip) goes through this check, so removing a member or changing
their role takes effect on the next request, whatever they still hold: someone else's task id is 404
(no probing by id), one's own task after losing the annotator role is 403.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from annotation_qc.labeling.services.submit import annotator_task_read
from annotation_qc.projects.permissions import ANNOTATOR, role_in_project


class IsTaskAnnotator(BasePermission):
    """Admits the task's annotator while they are an annotator of its project; sets ``view.task``."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        task = annotator_task_read(task_id=str(view.kwargs["task_id"]), annotator_id=user.pk)
        if task is None:
            raise NotFound("No such task.")
        if role_in_project(user, task.project_id) != ANNOTATOR:
            raise PermissionDenied(
                "You are no longer an annotator of this project; your open tasks went back to the queue."
            )
        view.task = task
        return True
