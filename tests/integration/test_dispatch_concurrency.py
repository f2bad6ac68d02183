"""Dispatch and submit under real concurrency, on PostgreSQL (row locks with SKIP LOCKED)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.db.models import Sum

from annotation_qc.core.exceptions import Conflict
from annotation_qc.labeling.models import Annotation, Item, Task
from annotation_qc.labeling.services.imports import items_import
from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.submit_pipeline import annotation_submit
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _drain(project, annotator_id: int, barrier: threading.Barrier) -> list[int]:
    served: list[int] = []
    try:
        barrier.wait()
        while (task := task_next(project=project, annotator_id=annotator_id)) is not None:
            served.append(task.item_id)
            annotation_submit(
                task_id=task.pk, annotator_id=task.annotator_id, payload={"boxes": []}, client_time_ms=1
            )
    finally:
        connection.close()
    return served


def test_32_threads_drain_2000_items_with_overlap() -> None:
    project = ProjectFactory(overlap=3, overlap_fraction=0.2)
    rows = [
        {
            "external_id": f"img-{i}",
            "image_url": f"https://x.example/{i}.png",
            "width": 64,
            "height": 64,
            "priority": float(i % 7),
        }
        for i in range(2000)
    ]
    items_import(project=project, rows=rows)
    required = Item.objects.filter(project=project).aggregate(total=Sum("required_annotations"))["total"]
    assert required > 2000  # the overlap share exists
    annotators = [UserFactory(username=f"a{i}") for i in range(32)]
    for user in annotators:
        MembershipFactory(project=project, user=user, role="annotator")

    barrier = threading.Barrier(len(annotators))
    with ThreadPoolExecutor(max_workers=len(annotators)) as pool:
        results = list(pool.map(lambda u: _drain(project, u.pk, barrier), annotators))

    for served in results:
        assert len(served) == len(set(served)), "an annotator saw an item twice"
    per_item = Counter(Annotation.objects.filter(project=project).values_list("item_id", flat=True))
    needed = dict(Item.objects.filter(project=project).values_list("pk", "required_annotations"))
    assert per_item == Counter(needed), "some slot was over-assigned or left unfilled"
    assert sum(len(s) for s in results) == required
    assert not Item.objects.filter(project=project, open_slots__gt=0).exists()
    assert not Task.objects.filter(project=project, status="assigned").exists()


def test_same_submit_twice_at_once_creates_one_annotation() -> None:
    project = ProjectFactory()
    items_import(
        project=project,
        rows=[{"external_id": "a", "image_url": "https://x.example/a.png", "width": 9, "height": 9}],
    )
    user = UserFactory(username="twice")
    MembershipFactory(project=project, user=user, role="annotator")
    task = task_next(project=project, annotator_id=user.pk)
    barrier = threading.Barrier(2)

    def submit() -> str:
        try:
            barrier.wait()
            annotation_submit(
                task_id=task.pk, annotator_id=task.annotator_id, payload={"boxes": []}, client_time_ms=1
            )
            return "created"
        except Conflict:
            return "conflict"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(lambda _: submit(), range(2)))
    assert outcomes == ["conflict", "created"]
    assert Annotation.objects.filter(task=task).count() == 1
