"""Every kind of background job survives a dead worker: claimed, beating, retried by the watchdog a
bounded number of times with windows sized to the kind, then failed with a message; safe to run twice

The real SIGKILL is in tests/integration/test_job_crash.py; here jobs are put in the state a dead
worker leaves (running, heartbeat stopped) and the watchdog runs.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from annotation_qc.agreement.models import AgreementSnapshot
from annotation_qc.agreement.services.reports import agreement_report_job, agreement_report_start
from annotation_qc.core import jobs
from annotation_qc.core.models import Job
from annotation_qc.datahealth.models import ItemHealth
from annotation_qc.datahealth.services.analysis import batch_analyse_enqueue, batch_analyse_job
from annotation_qc.datahealth.services.config import health_settings_update
from annotation_qc.exchange.models import BucketSource, SourceSync
from annotation_qc.exchange.services.bucket_sources import source_sync_run
from annotation_qc.labeling.models import Item
from annotation_qc.prioritization.models import PriorityRun
from annotation_qc.prioritization.services import runs
from annotation_qc.review.models import LabelErrorRun
from annotation_qc.review.services.label_errors import label_errors_detect, label_errors_start
from tests.api.conftest import World
from tests.api.test_data_health_analysis import DIM, batch, labeled  # noqa: F401 (a fixture)
from tests.factories import ItemFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

SOURCE = Path(django_settings.BASE_DIR) / "annotation_qc"


def _as_if_the_worker_died(job_id: int, *, attempts: int = 1, silent_for: float = 900) -> None:
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.RUNNING,
        attempts=attempts,
        started_at=timezone.now() - timedelta(seconds=silent_for),
        heartbeat_at=timezone.now() - timedelta(seconds=silent_for),
    )


def test_every_kind_of_job_the_code_creates_is_recovered_by_the_watchdog() -> None:
    created = {
        match
        for path in SOURCE.rglob("*.py")
        for match in re.findall(r"job_create\(\s*kind=\"(\w+)\"", path.read_text())
    }
    assert created >= {"import", "export", "prioritize", "agreement", "label_errors", "source_sync"}
    assert "batch_analyse" in created, "data-health analyses are jobs too"
    assert created <= set(jobs.JOB_KINDS), f"no recovery for {created - set(jobs.JOB_KINDS)}"
    for kind in created:  # every attempt has a time limit sized to its kind
        assert jobs.task_options(kind)["time_limit"] == jobs.deadline(kind) > 0


def test_windows_are_sized_per_kind_and_overridable(world: World, settings: Any) -> None:
    """Prioritisation's chunks may wait in the queue between beats: a longer window than an import's."""
    assert jobs.stale_after("prioritize") > jobs.stale_after("import") == jobs.stale_after()
    assert jobs.deadline("import") > jobs.deadline("agreement")
    silent = jobs.stale_after("import").total_seconds() + 60
    assert silent < jobs.stale_after("prioritize").total_seconds()
    run = runs.prioritize_start(project=world.project, strategy="random", trigger="manual", user_id=None)
    _as_if_the_worker_died(run.job_id, silent_for=silent)
    assert jobs.jobs_watchdog() == {"retried": [], "failed": []}, "a queued chunk is not a dead worker"
    settings.ANNOTATION_QC = {
        **settings.ANNOTATION_QC,
        "JOB_WINDOWS": {"prioritize": {"stale_seconds": 30, "deadline_seconds": 90}},
    }
    assert jobs.deadline("prioritize") == 90
    assert jobs.jobs_watchdog()["retried"] == [run.job_id]


def test_an_attempt_past_its_deadline_stops_beating_and_is_given_up_saying_so(
    world: World, settings: Any
) -> None:
    job = jobs.job_create(kind="agreement", project_id=world.project.pk, created_by_id=None, params={})
    assert jobs.job_claim(job_id=job.pk)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    before = Job.objects.get(pk=job.pk).heartbeat_at
    # A worker still alive but past the attempt's deadline: its heartbeat thread beats no more.
    assert not jobs._Heartbeat(job.pk, interval=1, until=time.monotonic() - 1).beat_once()
    assert Job.objects.get(pk=job.pk).heartbeat_at == before
    assert jobs._Heartbeat(job.pk, interval=1, until=time.monotonic() + 60).beat_once()  # before it: beats
    assert Job.objects.get(pk=job.pk).heartbeat_at > before
    Job.objects.filter(pk=job.pk).update(heartbeat_at=before)
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "JOB_MAX_ATTEMPTS": 1}
    Job.objects.filter(pk=job.pk).update(attempts=1, started_at=timezone.now() - timedelta(hours=2))
    assert jobs.jobs_watchdog()["failed"] == [job.pk]
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert f"ran past its deadline of {jobs.deadline('agreement'):.0f} s" in job.message
    assert "Start it again" in job.message


def test_a_job_is_sent_with_the_time_limit_of_its_kind(world: World, capture: Any, monkeypatch: Any) -> None:
    from annotation_qc.agreement.tasks import agreement_report

    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(agreement_report, "apply_async", lambda **kwargs: sent.append(kwargs))
    with capture(execute=True):
        agreement_report_start(project=world.project, user_id=None)
    assert sent[0]["time_limit"] == jobs.deadline("agreement")


def test_a_prioritisation_whose_worker_died_is_prepared_again_and_old_parts_write_nothing(
    world: World, capture: Any
) -> None:
    ItemFactory.create_batch(30, project=world.project)
    run = runs.prioritize_start(project=world.project, strategy="random", trigger="manual", user_id=None)
    prepared = runs.prioritize_prepare(run_id=run.pk)
    assert prepared is not None
    attempt, ranges = prepared
    runs.prioritize_score_chunk(run_id=run.pk, lo=ranges[0][0], hi=ranges[0][1], attempt=attempt)
    _as_if_the_worker_died(run.job_id)  # killed mid-run: a chunk's message is lost with it
    with capture(execute=True):
        assert jobs.jobs_watchdog()["retried"] == [run.job_id]
    run.refresh_from_db()
    job = Job.objects.get(pk=run.job_id)
    assert (run.status, job.status, job.attempts, run.attempt) == ("active", "succeeded", 2, attempt + 1)
    live = _live(world)
    standby = world.project.standby_priority_field
    before = list(Item.objects.order_by("pk").values_list(standby, flat=True))
    # The dead attempt's chunks and callback come back (acks late): nothing written, nothing flipped.
    for lo, hi in ranges:
        assert runs.prioritize_score_chunk(run_id=run.pk, lo=lo, hi=hi, attempt=attempt) == 0
    runs.prioritize_activate(run_id=run.pk, attempt=attempt)
    runs.prioritize_fail(run_id=run.pk, message="late error of the dead attempt", attempt=attempt)
    assert list(Item.objects.order_by("pk").values_list(standby, flat=True)) == before
    assert _live(world) == live
    assert PriorityRun.objects.get(pk=run.pk).status == "active"


def _live(world: World) -> dict[int, float]:
    world.project.refresh_from_db()
    return dict(Item.objects.filter(project=world.project).values_list("pk", world.project.priority_field))


def test_an_activation_missing_a_chunk_of_its_attempt_fails_and_keeps_the_old_order(world: World) -> None:
    ItemFactory.create_batch(30, project=world.project)
    slot = world.project.priority_slot
    run = runs.prioritize_start(project=world.project, strategy="random", trigger="manual", user_id=None)
    prepared = runs.prioritize_prepare(run_id=run.pk)
    assert prepared is not None
    attempt, ranges = prepared
    Job.objects.filter(pk=run.job_id).update(total=len(ranges) + 1)  # one chunk never recorded
    for lo, hi in ranges:
        runs.prioritize_score_chunk(run_id=run.pk, lo=lo, hi=hi, attempt=attempt)
    runs.prioritize_activate(run_id=run.pk, attempt=attempt)
    world.project.refresh_from_db()
    assert world.project.priority_slot == slot
    job = Job.objects.get(pk=run.job_id)
    assert job.status == "failed"
    assert "chunks were scored" in job.message


def test_an_agreement_report_whose_worker_died_is_computed_once(world: World, capture: Any) -> None:
    with capture(execute=False):
        job_id = agreement_report_start(project=world.project, user_id=None)
    _as_if_the_worker_died(job_id)
    with capture(execute=True):
        assert jobs.jobs_watchdog()["retried"] == [job_id]
    assert Job.objects.get(pk=job_id).status == Job.Status.SUCCEEDED
    assert AgreementSnapshot.objects.filter(job_id=job_id).count() == 1
    # The dead worker's message redelivered: the job is done, nothing is computed again.
    assert agreement_report_job(project_id=world.project.pk, job_id=job_id) is None
    assert AgreementSnapshot.objects.filter(job_id=job_id).count() == 1


def test_a_label_error_run_whose_worker_died_is_retried_then_given_up(
    world: World, capture: Any, settings: Any
) -> None:
    with capture(execute=False):
        run = label_errors_start(project=world.project, user_id=None)
    assert run.job_id is not None
    assert jobs.job_claim(job_id=run.job_id)  # another worker runs it and beats
    assert label_errors_detect(run_id=run.pk).status == LabelErrorRun.Status.PENDING  # left to it
    _as_if_the_worker_died(run.job_id)
    with capture(execute=True):
        assert jobs.jobs_watchdog()["retried"] == [run.job_id]
    run.refresh_from_db()
    assert run.status in (LabelErrorRun.Status.SUCCEEDED, LabelErrorRun.Status.FAILED)
    assert Job.objects.get(pk=run.job_id).status in (Job.Status.SUCCEEDED, Job.Status.FAILED)
    # On the last attempt it is failed with the watchdog's message, shown on the run and its job.
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "JOB_MAX_ATTEMPTS": 1}
    with capture(execute=False):
        again = label_errors_start(project=world.project, user_id=None)
    assert again.job_id is not None
    _as_if_the_worker_died(again.job_id)
    assert jobs.jobs_watchdog()["failed"] == [again.job_id]
    again.refresh_from_db()
    assert again.status == LabelErrorRun.Status.FAILED
    assert "worker running this job stopped" in again.message
    shown = world.client("manager").get(f"/api/v1/jobs/{again.job_id}/").json()
    assert "Start it again" in shown["message"]


def test_a_bucket_sync_is_claimed_once_and_given_up_with_a_message(world: World, settings: Any) -> None:
    source = BucketSource.objects.create(project=world.project, bucket="b", name="src")
    job = jobs.job_create(kind="source_sync", project_id=world.project.pk, created_by_id=None, params={})
    sync = SourceSync.objects.create(source=source, job=job)
    assert jobs.job_claim(job_id=job.pk)  # a live worker syncs it
    assert source_sync_run(sync_id=sync.pk) == {}  # the redelivered message leaves it alone
    assert Job.objects.get(pk=job.pk).attempts == 0
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "JOB_MAX_ATTEMPTS": 1}
    _as_if_the_worker_died(job.pk)
    assert jobs.jobs_watchdog()["failed"] == [job.pk]
    sync.refresh_from_db()
    assert sync.finished_at is not None
    assert "worker running this job stopped" in Job.objects.get(pk=job.pk).message


def test_a_batch_analysis_is_a_job_and_places_its_outliers_once(
    labeled: World,  # noqa: F811 (the fixture imported above)
    capture: Any,
) -> None:
    world = labeled
    health_settings_update(project=world.project, user_id=None, config={"outliers": {"placement": "first"}})
    rows = np.random.default_rng(5).normal(size=(100, DIM))
    rows[0] -= 9.0
    batch_id, ids = batch(world, rows, "twice")
    with capture(execute=False):
        job_id = batch_analyse_enqueue(data_import_id=batch_id)
    _as_if_the_worker_died(job_id)
    with capture(execute=True):
        assert jobs.jobs_watchdog()["retried"] == [job_id]
    job = Job.objects.get(pk=job_id)
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.result["outliers"] >= 1
    assert ItemHealth.objects.get(item_id=ids[0]).is_outlier
    shifted = Item.objects.get(pk=ids[0]).priority
    # Analysed again (a manager's re-run, or a retry after the first attempt had committed).
    again = jobs.job_create(kind="batch_analyse", project_id=world.project.pk, created_by_id=None, params={})
    batch_analyse_job(data_import_id=batch_id, job_id=again.pk)
    assert Item.objects.get(pk=ids[0]).priority == shifted, "an outlier was shifted twice"
    # A redelivered message of a finished analysis does nothing.
    assert batch_analyse_job(data_import_id=batch_id, job_id=job_id) == {}
