"""Jobs whose worker died: claimed by one worker at a time, retried by the watchdog, failed after the last try

A worker killed mid-job leaves the job "running" with a heartbeat that stops; these tests put jobs in
that state by hand (the real SIGKILL is in tests/integration/test_job_crash.py) and run the watchdog.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from annotation_qc.core import jobs
from annotation_qc.core.models import Job
from annotation_qc.exchange.models import DataImport, ExportSnapshot
from annotation_qc.labeling.models import Item
from tests.api.conftest import World
from tests.api.exchange_helpers import coco_document

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

IMAGES = [("a.jpg", 64, 48), ("b.jpg", 64, 48)]
BOXES = {"a.jpg": [(1, 1, 5, 5, 1)], "b.jpg": []}


def _as_if_the_worker_died(job_id: int, *, attempts: int = 1, silent_for: float = 600) -> None:
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.RUNNING,
        attempts=attempts,
        started_at=timezone.now() - timedelta(seconds=silent_for),
        heartbeat_at=timezone.now() - timedelta(seconds=silent_for),
    )


def _started_import(world: World, capture: Any) -> DataImport:
    """An import stored and enqueued, whose task never ran (its worker is about to 'die')."""
    with capture(execute=False):
        response = world.client("manager").post(
            f"/api/v1/projects/{world.project.pk}/imports/",
            {"format": "coco", "data": coco_document(IMAGES, BOXES)},
            format="json",
        )
    assert response.status_code == 202
    return DataImport.objects.get(pk=response.json()["import_id"])


def test_a_job_is_claimed_by_one_worker_at_a_time(world: World, settings: Any) -> None:
    job = jobs.job_create(kind="import", project_id=world.project.pk, created_by_id=None, params={})
    assert jobs.job_claim(job_id=job.pk)
    assert not jobs.job_claim(job_id=job.pk), "a live job was claimed twice"
    _as_if_the_worker_died(job.pk)
    assert jobs.job_claim(job_id=job.pk), "a job whose heartbeat stopped was not claimable"
    jobs.job_finish(job_id=job.pk, result={})
    assert not jobs.job_claim(job_id=job.pk), "a finished job was claimed"


def test_the_watchdog_retries_an_import_whose_worker_died(world: World, capture: Any) -> None:
    data_import = _started_import(world, capture)
    before = Item.objects.filter(project=world.project).count()
    _as_if_the_worker_died(data_import.job_id)
    recent = jobs.job_create(kind="import", project_id=world.project.pk, created_by_id=None, params={})
    assert jobs.job_claim(job_id=recent.pk)  # alive: beating now
    with capture(execute=True):
        outcome = jobs.jobs_watchdog()
    assert outcome == {"retried": [data_import.job_id], "failed": []}
    job = Job.objects.get(pk=data_import.job_id)
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.attempts == 2
    assert Item.objects.filter(project=world.project).count() == before + 2
    # The broker redelivers the dead worker's message too (acks late): it finds the job done.
    from annotation_qc.exchange.services.imports import import_run

    import_run(import_id=data_import.pk)
    assert Item.objects.filter(project=world.project).count() == before + 2
    assert Job.objects.get(pk=recent.pk).status == Job.Status.RUNNING


def test_a_redelivered_task_of_a_live_job_does_nothing(world: World, capture: Any) -> None:
    from annotation_qc.exchange.services.imports import import_run

    data_import = _started_import(world, capture)
    assert jobs.job_claim(job_id=data_import.job_id)  # another worker runs it and beats
    before = Item.objects.count()
    import_run(import_id=data_import.pk)
    assert Item.objects.count() == before
    assert Job.objects.get(pk=data_import.job_id).status == Job.Status.RUNNING


def test_after_the_last_attempt_the_job_fails_with_a_message(
    world: World, capture: Any, settings: Any
) -> None:
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "JOB_MAX_ATTEMPTS": 2}
    data_import = _started_import(world, capture)
    _as_if_the_worker_died(data_import.job_id, attempts=2)
    with capture(execute=True):
        outcome = jobs.jobs_watchdog()
    assert outcome == {"retried": [], "failed": [data_import.job_id]}
    shown = world.client("manager").get(f"/api/v1/jobs/{data_import.job_id}/").json()
    assert shown["status"] == "failed"
    assert "worker running this job stopped" in shown["message"]
    assert "Start it again" in shown["message"]
    assert DataImport.objects.get(pk=data_import.pk).status == DataImport.Status.FAILED


def test_an_export_whose_worker_died_is_rebuilt_and_never_served_half_built(
    world: World, capture: Any
) -> None:
    with capture(execute=False):
        started = world.client("ml_engineer").post(
            f"/api/v1/projects/{world.project.pk}/exports/", {"format": "coco"}, format="json"
        )
    export_id, job_id = started.json()["export_id"], started.json()["job_id"]
    ExportSnapshot.objects.filter(pk=export_id).update(status=ExportSnapshot.Status.RUNNING)
    _as_if_the_worker_died(job_id)
    assert world.client("ml_engineer").get(f"/api/v1/exports/{export_id}/download/").status_code == 409
    with capture(execute=True):
        assert jobs.jobs_watchdog()["retried"] == [job_id]
    assert Job.objects.get(pk=job_id).status == Job.Status.SUCCEEDED
    assert world.client("ml_engineer").get(f"/api/v1/exports/{export_id}/download/").status_code == 200


def test_a_job_kind_without_a_recovery_is_failed_not_left_running(world: World) -> None:
    job = jobs.job_create(kind="mystery", project_id=world.project.pk, created_by_id=None, params={})
    _as_if_the_worker_died(job.pk)
    assert jobs.jobs_watchdog() == {"retried": [], "failed": [job.pk]}
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "given up" in job.message
