"""The per-project dispatch secret: created on first use, rotated by adding a version.

The key never leaves the server (no serializer exposes this model). Old versions are kept, so
every task stays replayable with the version stored on it.
"""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction

from annotation_qc.core.exceptions import NotFound
from annotation_qc.projects.models import Project
from annotation_qc.workflow.models import DispatchSecret

KEY_BYTES = 32


def dispatch_secret_current(*, project: Project) -> tuple[int, bytes]:
    """The project's newest secret (version, key), made on first use."""
    latest = DispatchSecret.objects.filter(project=project).order_by("-version").first()
    if latest is not None:
        return latest.version, bytes(latest.key)
    try:
        with transaction.atomic():
            created = DispatchSecret.objects.create(
                project=project, version=1, key=secrets.token_bytes(KEY_BYTES)
            )
    except IntegrityError:  # made by a concurrent first use
        created = DispatchSecret.objects.get(project=project, version=1)
    return created.version, bytes(created.key)


def dispatch_secret(*, project: Project, version: int) -> bytes:
    """The key of one version (replay); a 404 if it does not exist."""
    row = DispatchSecret.objects.filter(project=project, version=version).first()
    if row is None:
        raise NotFound(f"Project {project.pk} has no dispatch secret version {version}.")
    return bytes(row.key)


@transaction.atomic
def dispatch_secret_rotate(*, project: Project, key: bytes | None = None) -> int:
    """Add a new secret version; tasks prepared from now on use it, older tasks keep theirs."""
    Project.objects.select_for_update().filter(pk=project.pk).first()
    latest = DispatchSecret.objects.filter(project=project).order_by("-version").first()
    version = 1 if latest is None else latest.version + 1
    DispatchSecret.objects.create(project=project, version=version, key=key or secrets.token_bytes(KEY_BYTES))
    return version
