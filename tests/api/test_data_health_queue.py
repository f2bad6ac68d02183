"""Data health's moves in the label queue (coverage boost, outliers first or last) survive prioritisation
runs: they are added to every order a run writes, and they move the live column whichever slot is live."""

from __future__ import annotations

import numpy as np
import pytest
from django.utils import timezone

from annotation_qc.datahealth.models import ItemHealth
from annotation_qc.datahealth.services.analysis import batch_analyse
from annotation_qc.datahealth.services.config import health_settings_update
from annotation_qc.datahealth.services.coverage import coverage_boost_apply
from annotation_qc.domain.data_health.queue import OUTLIER_SHIFT, compose_priority, placement_shift
from annotation_qc.labeling.models import Annotation, Item
from annotation_qc.prioritization.services import runs
from tests.api.conftest import World
from tests.api.test_data_health_analysis import DIM, batch, label
from tests.factories import ItemFactory, TaskFactory

pytestmark = pytest.mark.django_db


def live_order(world: World) -> list[int]:
    world.project.refresh_from_db()
    field = world.project.priority_field
    return list(
        Item.objects.filter(project=world.project, open_slots__gt=0)
        .order_by(f"-{field}", "pk")
        .values_list("pk", flat=True)
    )


def prioritise(world: World) -> None:
    """A whole random-strategy run, activated (the order it writes replaces the live one)."""
    run = runs.prioritize_start(project=world.project, strategy="random", trigger="manual", user_id=None)
    prepared = runs.prioritize_prepare(run_id=run.pk)
    assert prepared is not None
    attempt, ranges = prepared
    for lo, hi in ranges:
        runs.prioritize_score_chunk(run_id=run.pk, lo=lo, hi=hi, attempt=attempt)
    runs.prioritize_activate(run_id=run.pk, attempt=attempt)
    world.project.refresh_from_db()


@pytest.fixture
def sites(world: World) -> tuple[World, list[int]]:
    """30 items from the north, 3 from the south; six northern ones labeled; a target for the south."""
    Item.objects.filter(project=world.project).delete()
    items = [ItemFactory(project=world.project, metadata={"site": "north"}) for _ in range(30)]
    south = [ItemFactory(project=world.project, metadata={"site": "south"}) for _ in range(3)]
    for item in items[:6]:
        task = TaskFactory(item=item, status="submitted")
        Annotation.objects.create(
            task=task,
            project=world.project,
            item=item,
            annotator=task.annotator,
            payload={"boxes": []},
            server_time_ms=1,
            submitted_at=timezone.now(),
        )
    health_settings_update(
        project=world.project,
        user_id=None,
        config={"coverage": {"attributes": {"site": {"south": 0.4}}, "boost": 50.0}},
    )
    return world, [item.pk for item in south]


def test_coverage_boost_survives_a_prioritisation_run(sites: tuple[World, list[int]]) -> None:
    world, south = sites
    coverage_boost_apply(project=world.project)
    assert set(live_order(world)[:3]) == set(south)
    prioritise(world)  # random scores in [0, 1): without the boost the south would be anywhere
    assert world.project.priority_slot == 1
    assert set(live_order(world)[:3]) == set(south)
    prioritise(world)
    assert set(live_order(world)[:3]) == set(south)


def test_coverage_boost_moves_the_live_column_when_it_is_the_second(sites: tuple[World, list[int]]) -> None:
    world, south = sites
    prioritise(world)
    assert world.project.priority_slot == 1  # the live order is in priority_b now
    coverage_boost_apply(project=world.project)
    assert set(live_order(world)[:3]) == set(south)
    boosts = dict(ItemHealth.objects.filter(item_id__in=south).values_list("item_id", "priority_boost"))
    assert all(b > 1.0 for b in boosts.values())
    # Taking the target away takes the boost out of both columns.
    health_settings_update(project=world.project, user_id=None, config={"coverage": {"attributes": {}}})
    coverage_boost_apply(project=world.project)
    prioritise(world)
    for field in ("priority", "priority_b"):
        assert max(Item.objects.filter(pk__in=south).values_list(field, flat=True)) < 1.0


@pytest.mark.parametrize("placement", ["first", "last"])
def test_outlier_placement_survives_a_prioritisation_run(world: World, placement: str) -> None:
    Item.objects.filter(project=world.project).delete()
    _, reference = batch(world, np.random.default_rng(0).normal(size=(300, DIM)), "ref")
    label(world, reference)
    health_settings_update(project=world.project, user_id=None, config={"outliers": {"placement": placement}})
    rows = np.random.default_rng(5).normal(size=(60, DIM))
    rows[0] -= 9.0
    batch_id, ids = batch(world, rows, "odd")
    batch_analyse(data_import_id=batch_id)
    assert ItemHealth.objects.get(item_id=ids[0]).placement_shift == placement_shift(placement)
    end = 0 if placement == "first" else -1
    assert live_order(world)[end] == ids[0]
    prioritise(world)
    assert live_order(world)[end] == ids[0]
    # Analysing the batch again does not shift the outlier twice.
    before = Item.objects.get(pk=ids[0]).priority_b
    batch_analyse(data_import_id=batch_id)
    assert Item.objects.get(pk=ids[0]).priority_b == pytest.approx(before)


def test_compose_priority_adds_adjustments_but_keeps_unscored_items_last() -> None:
    scores = np.array([0.2, 0.9, -1e18, 0.5])
    adjustments = np.array([OUTLIER_SHIFT, np.nan, 5.0, -1.0])
    composed = compose_priority(scores, adjustments)
    assert composed.tolist() == [0.2 + OUTLIER_SHIFT, 0.9, -1e18, -0.5]
    with pytest.raises(ValueError, match="shape"):
        compose_priority(scores, adjustments[:2])
