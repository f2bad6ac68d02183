"""Prioritisation on a real Celery worker process, over Redis and PostgreSQL, including a killed worker.

The test process sends the run to Redis (database 14) instead of running it eagerly; a ``celery -A
config worker --pool=solo`` subprocess works on the pytest-django test database. Killing that worker
with SIGKILL mid-run must leave the active queue order untouched, and once a new worker starts the
unacknowledged chunk is redelivered (acks late, short visibility timeout) and the run activates.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
import redis
from sklearn.datasets import load_digits

from annotation_qc.core.models import Job
from annotation_qc.labeling.models import Item
from annotation_qc.labeling.services.imports import items_import
from annotation_qc.prioritization.models import PriorityRun
from annotation_qc.prioritization.services import scoring
from annotation_qc.prioritization.services.runs import prioritize_start
from annotation_qc.projects.models import Project
from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.submit_pipeline import annotation_submit
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.integration.conftest import database_url, redis_db_url
from tests.integration.workers import Workers as WorkerPool

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ITEMS = 1500
FIRST_LABELS = 100
MORE_LABELS = 60
#: Small chunks, so a run is many tasks and a kill lands in the middle of one.
CHUNK_ITEMS = 25
JOB_TIMEOUT_S = 60.0
#: Seconds before Redis hands a dead worker's unacknowledged message to another worker.
VISIBILITY_TIMEOUT_S = 2


@dataclass
class Digits:
    project: Project
    annotator_id: int
    targets: np.ndarray[Any, Any]
    labeled: int = 0

    def label(self, n: int) -> None:
        """The annotator labels the next ``n`` queued items with their true digit (through services)."""
        for _ in range(n):
            task = task_next(project=self.project, annotator_id=self.annotator_id)
            assert task is not None
            label = str(self.targets[int(task.item.external_id[1:])])
            annotation_submit(
                task_id=task.pk, annotator_id=self.annotator_id, payload={"label": label}, client_time_ms=4000
            )
        self.labeled += n


@pytest.fixture
def digits(transactional_db: Any) -> Digits:
    """A classification project of digit images with their 64 pixel features as float features."""
    data = load_digits()
    project = ProjectFactory.create(
        kind="classification", labels=[str(d) for d in range(10)], strategy="entropy"
    )
    annotator = UserFactory.create(username="digit-annotator")
    MembershipFactory.create(project=project, user=annotator, role="annotator")
    rows = [
        {
            "external_id": f"d{i:04d}",
            "image_url": f"https://img.example/d{i}.png",
            "width": 8,
            "height": 8,
            "features": data.data[i % len(data.data)].tolist(),
        }
        for i in range(ITEMS)
    ]
    items_import(project=project, rows=rows)
    targets = np.array([data.target[i % len(data.target)] for i in range(ITEMS)])
    world = Digits(project=project, annotator_id=annotator.pk, targets=targets)
    world.label(FIRST_LABELS)
    return world


@dataclass
class Workers(WorkerPool):
    """The shared worker pool, plus the broker these tests send to."""

    broker: str = ""


@pytest.fixture
def redis_db() -> Iterator[redis.Redis]:
    """This file's own Redis database, flushed before and after (and nothing else is touched)."""
    client = redis.Redis.from_url(redis_db_url())
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def workers(digits: Digits, redis_db: redis.Redis, tmp_path: Path) -> Iterator[Workers]:
    broker = redis_db_url()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "PYTEST_", "DATABASE_", "REDIS_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DJANGO_DEBUG="0",
        DATABASE_URL=database_url(),
        DATABASE_CONN_MAX_AGE="0",
        REDIS_URL=broker,
        CELERY_BROKER_URL=broker,
        CELERY_RESULT_BACKEND=broker,
        CELERY_TASK_ALWAYS_EAGER="0",
        CELERY_BROKER_TRANSPORT_OPTIONS=json.dumps(
            {
                "visibility_timeout": VISIBILITY_TIMEOUT_S,
                "unacked_restore_interval": 1,
                "unacked_restore_throttle": 1,
            }
        ),
        PRIORITY_CHUNK_ITEMS=str(CHUNK_ITEMS),
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    pool = Workers(broker=broker, logs=tmp_path, env=env)
    yield pool
    pool.kill_all()


def _wait_for_job(job_id: int, until: Callable[[Job], bool], workers: Workers, what: str) -> Job:
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        job = Job.objects.get(pk=job_id)
        if job.status == Job.Status.FAILED:
            pytest.fail(f"job failed: {job.message}\n{workers.log_tail()}")
        if until(job):
            return job
        time.sleep(0.01)
    job = Job.objects.get(pk=job_id)
    pytest.fail(
        f"job {job_id} not {what} after {JOB_TIMEOUT_S:.0f} s "
        f"({job.status}, {job.done}/{job.total})\n{workers.log_tail()}"
    )


def _unacked(redis_db: redis.Redis) -> int:
    """Messages delivered to a worker and not yet acknowledged (kombu's Redis transport keeps them)."""
    return cast(int, redis_db.hlen("unacked"))


def _kill_holding_a_chunk(
    process: subprocess.Popen[bytes], job_id: int, redis_db: redis.Redis, workers: Workers
) -> None:
    """SIGKILL the worker at a moment it holds an unacknowledged chunk of the job, mid-run.

    The worker is frozen (SIGSTOP) while the broker and the job are checked, so the check and the
    kill see the same state; if it is between two chunks it runs on (SIGCONT) and is tried again.
    """
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        process.send_signal(signal.SIGSTOP)
        job = Job.objects.get(pk=job_id)
        if _unacked(redis_db) >= 1 and 1 <= job.done < job.total:
            workers.kill(process)
            assert _unacked(redis_db) >= 1  # the chunk it held is still unacknowledged
            return
        process.send_signal(signal.SIGCONT)
        time.sleep(0.003)
    pytest.fail(f"never caught the worker holding a chunk\n{workers.log_tail()}")


def _succeeded(job: Job) -> bool:
    return job.status == Job.Status.SUCCEEDED


def _priorities(project: Project) -> dict[int, float]:
    """Every item's priority in the project's live column."""
    project.refresh_from_db()
    return dict(Item.objects.filter(project=project).values_list("pk", project.priority_field))


def _assert_queue_is_run(project: Project, run: PriorityRun) -> None:
    """Every open item's live priority is the run's score for it (recomputed with its committee)."""
    live = _priorities(project)
    committee = pickle.loads(run.committee)
    ids, scores = scoring.score_range(project=project, run=run, committee=committee, lo=0, hi=max(live) + 1)
    assert len(ids) == Item.objects.filter(project=project, open_slots__gt=0).count()
    assert all(
        live[pk] == pytest.approx(score) for pk, score in zip(ids.tolist(), scores.tolist(), strict=True)
    )


def _start_run(
    digits: Digits, celery_sending_to: Callable[..., AbstractContextManager[None]], broker: str
) -> PriorityRun:
    with celery_sending_to(broker):
        return prioritize_start(
            project=digits.project, strategy="entropy", trigger=PriorityRun.Trigger.MANUAL, user_id=None
        )


def test_prioritization_job_completes_on_a_worker(
    digits: Digits, workers: Workers, celery_sending_to: Callable[..., AbstractContextManager[None]]
) -> None:
    workers.start()
    run = _start_run(digits, celery_sending_to, workers.broker)

    job = _wait_for_job(run.job_id, _succeeded, workers, "succeeded")

    open_items = ITEMS - FIRST_LABELS
    assert job.total == -(-open_items // CHUNK_ITEMS)  # the run was fanned out in chunks
    assert job.done == job.total
    assert job.result["items_scored"] == open_items
    run.refresh_from_db()
    assert run.status == PriorityRun.Status.ACTIVE
    assert run.model_version.startswith(f"committee:5x:{FIRST_LABELS}-labels:")
    _assert_queue_is_run(digits.project, run)


def test_killed_worker_keeps_the_previous_order_and_a_new_worker_completes_the_run(
    digits: Digits,
    workers: Workers,
    redis_db: redis.Redis,
    celery_sending_to: Callable[..., AbstractContextManager[None]],
) -> None:
    # The previous order: a run computed in-process (eagerly), active on the queue.
    previous = prioritize_start(
        project=digits.project, strategy="entropy", trigger=PriorityRun.Trigger.MANUAL, user_id=None
    )
    previous.refresh_from_db()
    assert previous.status == PriorityRun.Status.ACTIVE
    digits.label(MORE_LABELS)  # new labels, so the next run trains a different committee
    before = _priorities(digits.project)

    first = workers.start()
    run = _start_run(digits, celery_sending_to, workers.broker)
    _wait_for_job(run.job_id, lambda job: job.done >= 1, workers, "under way")
    _kill_holding_a_chunk(first, run.job_id, redis_db, workers)

    job = Job.objects.get(pk=run.job_id)
    assert job.status == Job.Status.RUNNING
    assert 1 <= job.done < job.total, "the kill should land mid-run"
    previous.refresh_from_db()
    run.refresh_from_db()
    assert previous.status == PriorityRun.Status.ACTIVE
    assert run.status == PriorityRun.Status.RUNNING
    assert _priorities(digits.project) == before, "a half-done run touched the live queue"

    workers.start()
    job = _wait_for_job(run.job_id, _succeeded, workers, "succeeded after the restart")

    assert job.done == job.total  # every chunk counted once, the redelivered one included
    previous.refresh_from_db()
    run.refresh_from_db()
    assert previous.status == PriorityRun.Status.SUPERSEDED
    assert run.status == PriorityRun.Status.ACTIVE
    assert run.labels_used == FIRST_LABELS + MORE_LABELS
    _assert_queue_is_run(digits.project, run)
    after = _priorities(digits.project)
    assert sum(after[pk] != before[pk] for pk in after) > (ITEMS - FIRST_LABELS - MORE_LABELS) // 2
