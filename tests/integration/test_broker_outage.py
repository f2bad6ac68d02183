"""Redis down: the annotator loop never needs it, and the deferred work catches up once it is back.

In production one Redis (REDIS_URL) is the Celery broker, the result backend and the Django cache;
here all three point at a closed port while annotators fetch, submit and skip through the API.

What a Redis outage defers, and how each piece catches up:

- consensus of a double-labeled item completed during the outage (the after-submit job,
  ``workflow.after_submit``, is not sent): ``agreement.consensus_sweep`` (beat) computes every
  completed item whose consensus is missing or stale;
- lint profiles and agreement reports: ``linting.profiles_refresh_stale`` and
  ``agreement.reports_due`` (beat) recompute every project with newer annotations;
- label-triggered prioritisation: ``prioritization.schedule`` (beat) counts the labels since the
  last run that did not fail;
- a job a manager starts during the outage (prioritisation, agreement report) is not queued: it is
  marked failed at once with a message saying so, so nothing stays "pending" for ever and the
  manager can start it again;
- the cache (lease-reclaim throttle, login rate limit) degrades to misses: dispatch reclaims
  expired leases on every request instead of once a minute, and sign-in is not rate limited.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from rest_framework.test import APIClient

from annotation_qc.accounts.models import User
from annotation_qc.agreement.models import AgreementSnapshot, Consensus
from annotation_qc.agreement.tasks import agreement_reports_due, consensus_sweep
from annotation_qc.core.models import Job
from annotation_qc.core.queue import BROKER_DOWN
from annotation_qc.labeling.models import Annotation, Item, Task
from annotation_qc.labeling.services.imports import items_import
from annotation_qc.linting.models import LintProfile
from annotation_qc.linting.tasks import lint_profiles_refresh_stale
from annotation_qc.prioritization.models import PriorityRun
from annotation_qc.prioritization.tasks import prioritize_schedule
from annotation_qc.projects.models import Project
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.integration.conftest import DEAD_REDIS_URL

# Transactional: the enqueue happens on commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

#: Where a wait on Redis would sleep: kombu's publish retries (``retry_over_time``), redis-py's
#: backoff between connection retries, and anything calling ``time.sleep`` through the module. A refused
#: connection fails at once, so with the dead port below a call can only be slow by sleeping there.
SLEEPERS = (("kombu.utils.functional", "sleep"), ("redis.retry", "sleep"), ("time", "sleep"))


@dataclass
class Site:
    project: Project
    first: User
    second: User
    manager: User

    def client(self, user: User) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client


@pytest.fixture
def site(transactional_db: Any) -> Site:
    """A classification project where every item needs two annotations; labels retrain the queue."""
    project = ProjectFactory.create(
        kind="classification",
        labels=["cat", "dog"],
        overlap=2,
        overlap_fraction=1.0,
        max_overlap=2,
        strategy="entropy",
        prioritize_every=2,
    )
    features = np.random.default_rng(7).normal(size=(8, 4))
    items_import(
        project=project,
        rows=[
            {
                "external_id": f"pet-{i}",
                "image_url": f"https://img.example/pet-{i}.png",
                "width": 32,
                "height": 32,
                "features": features[i].tolist(),
                "priority": float(10 - i),
            }
            for i in range(8)
        ],
    )
    users = [UserFactory.create(username=name) for name in ("ann-1", "ann-2", "boss")]
    for user, role in zip(users, ("annotator", "annotator", "manager"), strict=True):
        MembershipFactory.create(project=project, user=user, role=role)
    return Site(project, *users)


@pytest.fixture
def redis_down(
    settings: Any, celery_sending_to: Callable[..., AbstractContextManager[None]]
) -> Callable[[], AbstractContextManager[None]]:
    """``with redis_down():`` broker, result backend and cache all at a port where nothing listens."""

    @contextmanager
    def down() -> Iterator[None]:
        saved = settings.CACHES
        settings.CACHES = {
            "default": {
                "BACKEND": "annotation_qc.core.cache.FailOpenRedisCache",
                "LOCATION": DEAD_REDIS_URL,
                "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            }
        }
        try:
            with celery_sending_to(DEAD_REDIS_URL, result_backend=DEAD_REDIS_URL):
                yield
        finally:
            settings.CACHES = saved

    return down


@dataclass
class Sleeps:
    """Every sleep asked for while recording (the calls return at once, so nothing is timed)."""

    asked: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


@contextmanager
def sleeps_recorded() -> Iterator[Sleeps]:
    recorder = Sleeps()
    with pytest.MonkeyPatch.context() as patch:
        for module, name in SLEEPERS:
            patch.setattr(importlib.import_module(module), name, recorder)
        yield recorder


def post(client: APIClient, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, body, format="json")


def test_annotators_work_through_an_outage_and_deferred_work_catches_up(
    site: Site,
    redis_down: Callable[[], AbstractContextManager[None]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    project = site.project
    first, second, manager = site.client(site.first), site.client(site.second), site.client(site.manager)
    next_url = f"/api/v1/projects/{project.pk}/next-task/"

    def submit(client: APIClient, task: Any, label: str) -> Any:
        return post(client, f"/api/v1/tasks/{task.json()['id']}/submit/", {"payload": {"label": label}})

    assert manager.get(f"/api/v1/projects/{project.pk}/").status_code == 200

    with redis_down(), sleeps_recorded() as sleeps, caplog.at_level(logging.WARNING, logger="annotation_qc"):
        # A manager's job cannot be queued: it fails at once instead of staying pending.
        started = post(manager, f"/api/v1/projects/{project.pk}/prioritize/")
        assert started.status_code == 202
        assert started.json()["status"] == PriorityRun.Status.FAILED
        assert Job.objects.get(pk=started.json()["job_id"]).message == BROKER_DOWN
        report = post(manager, f"/api/v1/projects/{project.pk}/agreement/compute/")
        assert report.status_code == 202
        assert Job.objects.get(pk=report.json()["job_id"]).status == Job.Status.FAILED

        # The annotator loop: both annotators label the top item, which completes it.
        task_1 = post(first, next_url)
        assert task_1.status_code == 200
        assert submit(first, task_1, "cat").status_code == 201
        task_2 = post(second, next_url)
        assert task_2.status_code == 200
        assert task_2.json()["item"]["id"] == task_1.json()["item"]["id"]
        completed_item = Task.objects.get(public_id=task_2.json()["id"]).item_id
        assert submit(second, task_2, "cat").status_code == 201  # enqueues the consensus: lost
        # ... a skip, and more work.
        task_3 = post(first, next_url)
        assert task_3.status_code == 200
        skipped = post(first, f"/api/v1/tasks/{task_3.json()['id']}/skip/", {"reason": "blurry"})
        assert skipped.status_code == 200
        assert skipped.json()["status"] == "skipped"
        for client in (first, second):
            task = post(client, next_url)
            assert task.status_code == 200
            assert submit(client, task, "dog").status_code == 201

    # Nothing waited on Redis: no publish retry, no reconnection backoff, no sleep of any kind.
    assert sleeps.asked == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "broker unavailable; workflow.after_submit not sent: deferred to the periodic sweep" in warnings
    assert "broker unavailable; prioritization.run not sent: its job is marked failed" in warnings
    assert any(w.startswith("cache unavailable") for w in warnings)
    assert Annotation.objects.filter(project=project).count() == 4
    assert not Consensus.objects.filter(project=project).exists()
    assert not AgreementSnapshot.objects.filter(project=project).exists()
    assert not LintProfile.objects.filter(project=project).exists()
    assert not PriorityRun.objects.filter(project=project, status=PriorityRun.Status.ACTIVE).exists()

    # Redis is back (tasks run in-process again, as a worker would run them): the beat sweeps.
    assert consensus_sweep() == 1
    consensus = Consensus.objects.get(item_id=completed_item)
    assert consensus.payload == {"label": "cat"}
    assert consensus.n_annotations == 2
    assert consensus_sweep() == 0  # nothing left behind, nothing done twice
    assert agreement_reports_due() == 1
    assert AgreementSnapshot.objects.filter(project=project).count() == 1
    assert lint_profiles_refresh_stale() == 1
    assert LintProfile.objects.filter(project=project).exists()
    assert prioritize_schedule() == 1  # 4 labels since the last run that did not fail
    run = PriorityRun.objects.get(project=project, status=PriorityRun.Status.ACTIVE)
    assert run.trigger == PriorityRun.Trigger.LABELS
    assert run.job.status == Job.Status.SUCCEEDED
    project.refresh_from_db()
    assert project.priority_slot == 1  # the run filled the standby column and flipped to it
    assert Item.objects.filter(project=project).exclude(priority_b=0).exists()
