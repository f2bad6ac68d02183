"""The agreement report's read path: labels and boxes unpacked by the database give the same input
as decoding every payload in Python."""

from __future__ import annotations

import numpy as np
import pytest
from django.utils import timezone

from annotation_qc.agreement.services import inputs
from annotation_qc.labeling.models import Annotation, Item, Task
from tests.api.conftest import World
from tests.factories import ItemFactory, UserFactory

pytestmark = pytest.mark.django_db

BOX = {"x": 1, "y": 2, "w": 3, "h": 4, "label": "car"}


def answer(world: World, item: Item, annotator_name: str, payload: dict) -> None:
    annotator = UserFactory(username=annotator_name)
    now = timezone.now()
    task = Task.objects.create(
        project=world.project,
        item=item,
        annotator=annotator,
        status="submitted",
        served_at=now,
        lease_expires_at=now,
    )
    Annotation.objects.create(
        task=task,
        project=world.project,
        item=item,
        annotator=annotator,
        payload=payload,
        server_time_ms=1000,
        submitted_at=now,
    )


def test_boxes_read_by_the_database_match_the_payloads(world: World) -> None:
    a, b, c = ItemFactory.create_batch(3, project=world.project)
    answer(world, a, "u1", {"boxes": [BOX, {**BOX, "x": 10.5, "label": "bike"}]})
    answer(world, a, "u2", {"boxes": []})  # an empty answer counts, with no box
    answer(world, b, "u3", {"boxes": [{**BOX, "label": "person"}]})
    answer(world, b, "u4", {"boxes": [BOX]})
    answer(world, b, "u5", {"boxes": [BOX, BOX]})
    answer(world, c, "u6", {"boxes": [BOX]})  # one annotation only: not repeated
    expected, expected_ids = inputs.box_input(world.project, inputs.repeated_annotations(world.project))
    table, item_ids = inputs.repeated_boxes(world.project)
    assert item_ids == expected_ids == sorted([a.pk, b.pk])
    for name in ("item", "annotator", "box_start", "boxes", "labels"):
        np.testing.assert_array_equal(getattr(table, name), getattr(expected, name), err_msg=name)
    assert table.n_items == expected.n_items == 2


def test_classification_labels_read_by_the_database(world: World) -> None:
    project = world.project
    project.kind = "classification"
    project.save()
    a, b = ItemFactory.create_batch(2, project=project)
    for item, names in ((a, ("v1", "v2")), (b, ("v3", "v4", "v5"))):
        for n, name in enumerate(names):
            answer(world, item, name, {"label": project.labels[n % len(project.labels)]})
    got = inputs.classification_input(project)
    rows = inputs.repeated_annotations(project)
    assert got.item.tolist() == [r[0] for r in rows]
    assert got.annotator.tolist() == [r[1] for r in rows]
    assert got.label.tolist() == [project.labels.index(r[2]["label"]) for r in rows]
