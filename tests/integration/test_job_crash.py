"""A worker killed with SIGKILL mid-import, mid-export and mid-prioritisation: the job finishes after a
restart, exactly once (or fails with a message), and a queue order is never a mix of two runs.

Real Celery worker subprocesses on Redis (database 14) and the PostgreSQL test database. The worker is
killed while it runs the job (claimed, beating, inside the import's transaction or writing the
export); the test process then plays beat's watchdog. With test settings (a heartbeat every 0.5 s,
silent for 3 s = dead) the job is either retried by the watchdog or claimed by the redelivered message,
never both: it finishes within a bounded time with every item imported once and no export served
before it is whole. After the last allowed attempt the job fails with a message instead.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import re
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings

from annotation_qc.core import jobs
from annotation_qc.core.models import Job
from annotation_qc.exchange.models import DataImport, ExportSnapshot
from annotation_qc.exchange.services.exports import export_start
from annotation_qc.exchange.services.uploads import import_start
from annotation_qc.labeling.models import Item
from annotation_qc.labeling.services.imports import items_import
from annotation_qc.prioritization.models import PriorityRun
from annotation_qc.prioritization.services.runs import prioritize_start
from annotation_qc.projects.models import Project
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.integration.conftest import redis_db_url
from tests.integration.test_celery_worker import (  # the digits project and its queue checks
    CHUNK_ITEMS,
    MORE_LABELS,
    Digits,
    _assert_queue_is_run,
    _priorities,
    digits,  # noqa: F401 (a fixture)
)
from tests.integration.workers import Workers, worker_env

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROWS = 20_000
#: How long a job may take to come back after the kill (test settings: dead after 3 s of silence).
RECOVERY_TIMEOUT_S = 120.0
STALE_S = 3.0
JOB_SETTINGS = {"JOB_HEARTBEAT_SECONDS": 0.5, "JOB_STALE_SECONDS": STALE_S}


@pytest.fixture
def redis_db() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_db_url())
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def project(transactional_db: Any) -> Project:
    project = ProjectFactory.create(kind="classification", labels=["cat", "dog"])
    MembershipFactory.create(
        project=project, user=UserFactory.create(username="crash-manager"), role="manager"
    )
    return project


@pytest.fixture
def crash_settings(settings: Any, tmp_path: Path) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, **JOB_SETTINGS}
    return settings


@pytest.fixture
def workers(crash_settings: Any, redis_db: redis.Redis, tmp_path: Path) -> Iterator[Workers]:
    env = worker_env(
        MEDIA_ROOT=str(crash_settings.MEDIA_ROOT),
        AQC_JOB_HEARTBEAT_SECONDS=str(JOB_SETTINGS["JOB_HEARTBEAT_SECONDS"]),
        AQC_JOB_STALE_SECONDS=str(STALE_S),
    )
    pool = Workers(logs=tmp_path, env=env)
    yield pool
    pool.kill_all()


def _jsonl(rows: int) -> str:
    rows_ = ({"external_id": f"c{i:06d}", "image_url": f"https://img.example/c{i}.png"} for i in range(rows))
    return "\n".join(json.dumps({**row, "width": 32, "height": 32}) for row in rows_)


def _kill_mid_job(process: Any, job_id: int, workers: Workers) -> None:
    """SIGKILL the worker while it runs the job: frozen (SIGSTOP) while the job is checked, so the check
    and the kill see the same state."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        process.send_signal(signal.SIGSTOP)
        job = Job.objects.get(pk=job_id)
        if _running_with_a_heartbeat(job):
            workers.kill(process)
            return
        if job.status in (Job.Status.SUCCEEDED, Job.Status.FAILED):
            pytest.fail(f"the job ended ({job.status}) before the kill could land\n{workers.log_tail()}")
        process.send_signal(signal.SIGCONT)
        time.sleep(0.003)
    pytest.fail(f"never caught the worker running job {job_id}\n{workers.log_tail()}")


def _wait(job_id: int, until: Callable[[Job], bool], workers: Workers, what: str, timeout: float) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = Job.objects.get(pk=job_id)
        if until(job):
            return job
        time.sleep(0.05)
    job = Job.objects.get(pk=job_id)
    pytest.fail(
        f"job {job_id} not {what} in {timeout:.0f} s ({job.status}: {job.message})\n{workers.log_tail()}"
    )


def _running_with_a_heartbeat(job: Job) -> bool:
    return job.status == Job.Status.RUNNING and job.attempts >= 1 and job.heartbeat_at is not None


def _watchdog_until_finished(
    job_id: int, workers: Workers, celery_sending_to: Callable[..., AbstractContextManager[None]]
) -> Job:
    """Play beat: run the watchdog every second (sending its retries to the broker) until the job ends."""
    deadline = time.monotonic() + RECOVERY_TIMEOUT_S
    with celery_sending_to(redis_db_url()):
        while time.monotonic() < deadline:
            jobs.jobs_watchdog()
            job = Job.objects.get(pk=job_id)
            if job.status in (Job.Status.SUCCEEDED, Job.Status.FAILED):
                return job
            time.sleep(1.0)
    pytest.fail(f"job {job_id} did not finish within {RECOVERY_TIMEOUT_S:.0f} s\n{workers.log_tail()}")


def test_an_import_killed_midway_finishes_once_after_a_restart(
    project: Project, workers: Workers, celery_sending_to: Callable[..., AbstractContextManager[None]]
) -> None:
    first = workers.start()
    with celery_sending_to(redis_db_url()):
        data_import = import_start(
            project=project, user_id=None, fmt="jsonl", target="items", data=_jsonl(ROWS)
        )
    _kill_mid_job(first, data_import.job_id, workers)
    killed = Job.objects.get(pk=data_import.job_id)
    assert killed.status == Job.Status.RUNNING, "the kill should land mid-import"
    assert Item.objects.filter(project=project).count() == 0, "a killed import left rows behind"

    workers.start()
    job = _watchdog_until_finished(data_import.job_id, workers, celery_sending_to)

    assert job.status == Job.Status.SUCCEEDED, f"{job.message}\n{workers.log_tail()}"
    assert job.result["created"] == ROWS
    assert Item.objects.filter(project=project).count() == ROWS  # every item once
    assert DataImport.objects.get(pk=data_import.pk).status == DataImport.Status.IMPORTED


def test_an_export_killed_midway_is_never_served_half_built(
    project: Project, workers: Workers, celery_sending_to: Callable[..., AbstractContextManager[None]]
) -> None:
    items_import(
        project=project,
        rows=[
            {
                "external_id": f"e{i:06d}",
                "image_url": f"https://img.example/e{i}.png",
                "width": 32,
                "height": 32,
            }
            for i in range(ROWS)
        ],
    )
    first = workers.start()
    with celery_sending_to(redis_db_url()):
        export = export_start(
            project=project, user_id=None, fmt="jsonl", include_raw=False, include_gold=False
        )
    _kill_mid_job(first, export.job_id, workers)
    export.refresh_from_db()
    assert export.status != ExportSnapshot.Status.READY
    assert not export.file, "a half-built export has a file to serve"

    workers.start()
    job = _watchdog_until_finished(export.job_id, workers, celery_sending_to)

    assert job.status == Job.Status.SUCCEEDED, f"{job.message}\n{workers.log_tail()}"
    export.refresh_from_db()
    assert export.status == ExportSnapshot.Status.READY
    content = export.file.read()
    assert hashlib.sha256(content).hexdigest() == export.sha256
    assert export.manifest["counts"]["items"] + export.manifest["counts"].get("unlabeled", 0) == ROWS


def test_a_job_killed_on_its_last_attempt_fails_with_a_message(
    project: Project,
    workers: Workers,
    crash_settings: Any,
    celery_sending_to: Callable[..., AbstractContextManager[None]],
) -> None:
    crash_settings.ANNOTATION_QC = {**crash_settings.ANNOTATION_QC, "JOB_MAX_ATTEMPTS": 1}
    first = workers.start()
    with celery_sending_to(redis_db_url()):
        data_import = import_start(
            project=project, user_id=None, fmt="jsonl", target="items", data=_jsonl(ROWS)
        )
    _kill_mid_job(first, data_import.job_id, workers)
    # No worker comes back: the redelivered message has no one to run it, and the watchdog gives up.
    job = _watchdog_until_finished(data_import.job_id, workers, celery_sending_to)
    assert job.status == Job.Status.FAILED
    assert "worker running this job stopped" in job.message
    assert Item.objects.filter(project=project).count() == 0
    assert DataImport.objects.get(pk=data_import.pk).status == DataImport.Status.FAILED
    assert django_settings.ANNOTATION_QC["JOB_MAX_ATTEMPTS"] == 1


# --- prioritisation ------------------------------------------------------------------------------


def _prioritization_workers(tmp_path: Path, crash_settings: Any, visibility_timeout: float) -> Workers:
    """Workers scoring in small chunks, with the prioritisation window of the test settings."""
    windows = {"prioritize": {"stale_seconds": STALE_S}}
    crash_settings.ANNOTATION_QC = {**crash_settings.ANNOTATION_QC, "JOB_WINDOWS": windows}
    env = worker_env(
        MEDIA_ROOT=str(crash_settings.MEDIA_ROOT),
        AQC_JOB_HEARTBEAT_SECONDS=str(JOB_SETTINGS["JOB_HEARTBEAT_SECONDS"]),
        AQC_JOB_STALE_SECONDS=str(STALE_S),
        AQC_JOB_WINDOWS=json.dumps(windows),
        PRIORITY_CHUNK_ITEMS=str(CHUNK_ITEMS),
        CELERY_BROKER_TRANSPORT_OPTIONS=json.dumps(
            {"visibility_timeout": visibility_timeout, "unacked_restore_interval": 1}
        ),
    )
    return Workers(logs=tmp_path, env=env)


def _chunk_in_hand(log: Path) -> bool:
    """Whether the worker writing ``log`` has received a chunk it has not finished (by its own log)."""
    text = log.read_text(errors="replace")
    received = len(re.findall(r"prioritization\.chunk\[[0-9a-f-]+\] received", text))
    finished = len(re.findall(r"prioritization\.chunk\[[0-9a-f-]+\] (?:succeeded|failed|raised)", text))
    return received > finished


def _kill_mid_chunks(process: Any, job_id: int, workers: Workers) -> None:
    """SIGKILL the worker while it scores the run's chunks: some done, not all, and one in its hands
    (received, not finished; frozen while checked). Killed between two chunks it would lose nothing
    and the next worker would finish the run as attempt 1 (seen in CI: the kill landed just after
    the only chunk the worker held was done)."""
    log = workers.logs / f"worker-{workers.started.index(process) + 1}.log"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        process.send_signal(signal.SIGSTOP)
        job = Job.objects.get(pk=job_id)
        if _running_with_a_heartbeat(job) and 1 <= job.done < job.total and _chunk_in_hand(log):
            workers.kill(process)
            return
        if job.status in (Job.Status.SUCCEEDED, Job.Status.FAILED):
            pytest.fail(f"the run ended ({job.status}) before the kill could land\n{workers.log_tail()}")
        process.send_signal(signal.SIGCONT)
        time.sleep(0.003)
    pytest.fail(f"never caught the worker mid-run {job_id}\n{workers.log_tail()}")


def _start_on_the_broker(
    world: Digits, celery_sending_to: Callable[..., AbstractContextManager[None]]
) -> PriorityRun:
    with celery_sending_to(redis_db_url()):
        return prioritize_start(project=world.project, strategy="entropy", trigger="manual", user_id=None)


def _live_and_standby(project: Project) -> tuple[dict[int, float], dict[int, float]]:
    project.refresh_from_db()
    rows = Item.objects.filter(project=project).values_list(
        "pk", project.priority_field, project.standby_priority_field
    )
    return {pk: live for pk, live, _ in rows}, {pk: standby for pk, _, standby in rows}


def test_a_prioritisation_killed_midway_is_prepared_again_by_the_watchdog(
    digits: Digits,  # noqa: F811 (the fixture imported above)
    crash_settings: Any,
    redis_db: redis.Redis,
    tmp_path: Path,
    celery_sending_to: Callable[..., AbstractContextManager[None]],
) -> None:
    """With the broker's backstop an hour away (visibility timeout), only the heartbeat window brings the
    run back: the watchdog prepares it again as attempt 2 and the new worker completes it."""
    previous = prioritize_start(project=digits.project, strategy="entropy", trigger="manual", user_id=None)
    previous.refresh_from_db()
    assert previous.status == PriorityRun.Status.ACTIVE
    digits.label(MORE_LABELS)  # new labels, so the next run trains another committee
    before = _priorities(digits.project)
    workers = _prioritization_workers(tmp_path, crash_settings, visibility_timeout=3600)
    try:
        first = workers.start()
        run = _start_on_the_broker(digits, celery_sending_to)
        _kill_mid_chunks(first, run.job_id, workers)
        assert _priorities(digits.project) == before, "a half-done run touched the live queue"

        workers.start()
        seen: list[dict[int, float]] = []
        deadline = time.monotonic() + RECOVERY_TIMEOUT_S
        with celery_sending_to(redis_db_url()):
            while time.monotonic() < deadline:
                jobs.jobs_watchdog()
                seen.append(_priorities(digits.project))
                job = Job.objects.get(pk=run.job_id)
                if job.status in (Job.Status.SUCCEEDED, Job.Status.FAILED):
                    break
                time.sleep(0.5)
        assert job.status == Job.Status.SUCCEEDED, f"{job.status}: {job.message}\n{workers.log_tail()}"
    finally:
        workers.kill_all()
    assert job.attempts == 2, "the run should come back through the watchdog, not the broker"
    run.refresh_from_db()
    previous.refresh_from_db()
    assert (run.status, run.attempt, previous.status) == ("active", 2, "superseded")
    _assert_queue_is_run(digits.project, run)
    after = _priorities(digits.project)
    assert after != before
    assert all(order in (before, after) for order in seen), "the live queue was a mix of two orders"


def test_a_run_given_up_then_redelivered_after_a_newer_one_went_live_never_activates(
    digits: Digits,  # noqa: F811 (the fixture imported above)
    crash_settings: Any,
    redis_db: redis.Redis,
    tmp_path: Path,
    celery_sending_to: Callable[..., AbstractContextManager[None]],
) -> None:
    """The issue's case: the killed run's lost chunks come back (short visibility timeout) after a newer
    run went live. The dead run was failed with a message; its parts write nothing, activate nothing."""
    crash_settings.ANNOTATION_QC = {**crash_settings.ANNOTATION_QC, "JOB_MAX_ATTEMPTS": 1}
    workers = _prioritization_workers(tmp_path, crash_settings, visibility_timeout=2)
    try:
        first = workers.start()
        stale = _start_on_the_broker(digits, celery_sending_to)
        _kill_mid_chunks(first, stale.job_id, workers)
        # No worker: the watchdog gives the run up, with a message the manager sees.
        job = _watchdog_until_finished(stale.job_id, workers, celery_sending_to)
        assert job.status == Job.Status.FAILED
        assert "worker running this job stopped" in job.message
        # A newer run goes live (computed in-process).
        newer = prioritize_start(project=digits.project, strategy="entropy", trigger="manual", user_id=None)
        newer.refresh_from_db()
        assert newer.status == PriorityRun.Status.ACTIVE
        live, standby = _live_and_standby(digits.project)
        # A worker comes back: the dead run's unacknowledged chunk and its queued ones are delivered.
        workers.start()
        quiet_since, deadline = time.monotonic(), time.monotonic() + RECOVERY_TIMEOUT_S
        while time.monotonic() - quiet_since < 5:
            assert time.monotonic() < deadline, f"the broker never drained\n{workers.log_tail()}"
            if redis_db.llen("celery") or redis_db.hlen("unacked"):
                quiet_since = time.monotonic()
            time.sleep(0.2)
        assert b"prioritization.chunk" in b"".join(p.read_bytes() for p in tmp_path.glob("worker-2.log"))
    finally:
        workers.kill_all()
    stale.refresh_from_db()
    newer.refresh_from_db()
    assert (stale.status, newer.status) == ("failed", "active")
    assert _live_and_standby(digits.project) == (live, standby), "the dead run wrote into the queue"
    _assert_queue_is_run(digits.project, newer)
    assert pickle.loads(newer.committee) is not None
