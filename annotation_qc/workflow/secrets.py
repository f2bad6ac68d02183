"""The per-project dispatch secret: created on first use, rotated by adding a version.

The key never leaves the server (no serializer exposes this model). Old versions are kept, so
every task stays replayable with the version stored on it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from annotation_qc.core.exceptions import NotFound
from annotation_qc.projects.models import Project
from annotation_qc.workflow.models import DispatchSecret

KEY_BYTES = 32


@dataclass(frozen=True)
class DispatchVersion:
    """A secret version and the schedule (benchmark rate, qualification size) used with it."""

    version: int
    key: bytes
    rate: float
    qualification: int


def _schedule(project: Project) -> tuple[float, int]:
    return float(project.benchmark_rate), int(project.calibration_benchmarks)


def dispatch_version_current(*, project: Project) -> DispatchVersion:
    """The project's newest version, made on first use; a new version (same key) when the project's
    benchmark rate or qualification size changed since, so tasks prepared before keep theirs."""
    latest = DispatchSecret.objects.filter(project=project).order_by("-version").first()
    rate, qualification = _schedule(project)
    if latest is not None and (latest.benchmark_rate, latest.qualification) == (rate, qualification):
        return DispatchVersion(latest.version, bytes(latest.key), rate, qualification)
    key = bytes(latest.key) if latest is not None else secrets.token_bytes(KEY_BYTES)
    version = 1 if latest is None else latest.version + 1
    try:
        with transaction.atomic():
            DispatchSecret.objects.create(
                project=project, version=version, key=key, benchmark_rate=rate, qualification=qualification
            )
    except IntegrityError:  # made by a concurrent first use
        row = DispatchSecret.objects.get(project=project, version=version)
        return DispatchVersion(row.version, bytes(row.key), *_stored_schedule(row, project))
    return DispatchVersion(version, key, rate, qualification)


def _stored_schedule(row: DispatchSecret, project: Project) -> tuple[float, int]:
    """The schedule a version was used with (versions made before it was stored: the project's)."""
    rate, qualification = _schedule(project)
    return (
        rate if row.benchmark_rate is None else float(row.benchmark_rate),
        qualification if row.qualification is None else int(row.qualification),
    )


def dispatch_versions(*, project: Project) -> dict[int, DispatchVersion]:
    """Every version of the project (replay)."""
    return {
        row.version: DispatchVersion(row.version, bytes(row.key), *_stored_schedule(row, project))
        for row in DispatchSecret.objects.filter(project=project)
    }


def dispatch_secret_current(*, project: Project) -> tuple[int, bytes]:
    """The project's newest secret (version, key), made on first use."""
    current = dispatch_version_current(project=project)
    return current.version, current.key


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
    rate, qualification = _schedule(project)
    DispatchSecret.objects.create(
        project=project,
        version=version,
        key=key or secrets.token_bytes(KEY_BYTES),
        benchmark_rate=rate,
        qualification=qualification,
    )
    return version
