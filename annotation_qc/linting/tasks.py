from __future__ import annotations

from celery import shared_task

from annotation_qc.linting import services


@shared_task(name="linting.profile_refresh", acks_late=True)
def lint_profile_refresh(project_id: int) -> None:
    services.lint_profile_refresh(project_id=project_id)


@shared_task(name="linting.profiles_refresh_stale")
def lint_profiles_refresh_stale() -> int:
    """Beat: relearn the norms of every project that has new annotations since its last profile."""
    project_ids = services.projects_with_stale_profiles()
    for project_id in project_ids:
        services.lint_profile_refresh(project_id=project_id)
    return len(project_ids)
