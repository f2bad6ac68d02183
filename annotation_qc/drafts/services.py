from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from annotation_qc.core.exceptions import Conflict, ServiceError
from annotation_qc.domain.payloads import retired_label_errors
from annotation_qc.drafts.models import TaskDraft
from annotation_qc.labeling.models import Task

MAX_DRAFT_BYTES = 512 * 1024


def _check_open(task: Task) -> None:
    if task.status != Task.Status.ASSIGNED:
        raise Conflict(
            f"This task is {task.status}: the draft was not saved. Your edits are still on this screen.",
            errors={"task": [f"task is {task.status}"]},
            reason="closed",
        )
    if task.lease_expires_at <= timezone.now():
        raise Conflict(
            "Your time on this task ran out (the lease expired), so the draft was not saved to the server. "
            "Your edits are still on this screen and kept in this browser.",
            errors={"task": ["lease expired"]},
            reason="lease_expired",
        )


@transaction.atomic
def draft_save(*, task: Task, payload: Any, elapsed_ms: int) -> TaskDraft:
    if not isinstance(payload, dict):
        raise ServiceError("Invalid draft.", errors={"payload": ["must be an object"]})
    if len(json.dumps(payload, separators=(",", ":"))) > MAX_DRAFT_BYTES:
        raise ServiceError("Draft too large.", errors={"payload": [f"at most {MAX_DRAFT_BYTES} bytes"]})
    locked = Task.objects.select_for_update(of=("self",)).select_related("project").get(pk=task.pk)
    retired = retired_label_errors(payload, locked.project.retired_labels)
    if retired:
        raise ServiceError(
            "The draft uses a retired label.",
            errors={f"payload.{path}": messages for path, messages in retired.items()},
        )
    _check_open(locked)
    draft, _ = TaskDraft.objects.update_or_create(
        task=locked, defaults={"payload": payload, "elapsed_ms": elapsed_ms}
    )
    return draft


def draft_for_task(*, task: Task) -> TaskDraft | None:
    """The open task's draft; none once the task is submitted, skipped or expired."""
    if task.status != Task.Status.ASSIGNED:
        return None
    return TaskDraft.objects.filter(task=task).first()
