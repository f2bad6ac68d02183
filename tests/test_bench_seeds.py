"""The benchmarks' seeding functions write what the schema now requires.

Several bench scripts seed their databases with ``COPY`` and hand-written column lists (a million rows
through the ORM would take longer than the measurement); a new non-null column then breaks the script,
not a test, and nobody notices until the next measurement. These tests run each seed at a tiny size in
the test database, on both databases (the ``COPY`` paths on PostgreSQL), and check what was written
against the models.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from django.db import connection
from django.db.models import F

from annotation_qc.labeling.models import Annotation, Item
from annotation_qc.projects.models import Project

pytestmark = pytest.mark.django_db(transaction=False)

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(scope="module")
def bench() -> Iterator[dict[str, ModuleType]]:
    sys.path.insert(0, str(BENCH))
    try:
        import agreement_service
        import benchmark_vs_work
        import dispatch
        import floor
        import prioritize

        yield {
            "agreement_service": agreement_service,
            "benchmark_vs_work": benchmark_vs_work,
            "dispatch": dispatch,
            "floor": floor,
            "prioritize": prioritize,
        }
    finally:
        sys.path.remove(str(BENCH))


def _items_are_whole(project_id: int, count: int) -> None:
    items = Item.objects.filter(project_id=project_id)
    assert items.count() == count
    # Opaque ids and image tokens are set and distinct (the schema's defaults that a COPY must write).
    tokens = list(items.values_list("public_id", "image_token"))
    assert all(public and image for public, image in tokens)
    assert len({t for pair in tokens for t in pair}) == 2 * count
    for item in items[:5]:
        item.full_clean(exclude=["image", "features"])


def test_the_dispatch_seed(bench: dict[str, ModuleType]) -> None:
    project_id, tokens = bench["dispatch"].seed(40, 2)
    assert len(tokens) == 2
    _items_are_whole(project_id, 40)
    # Both priority columns hold the item's priority, whichever slot is live.
    assert not Item.objects.filter(project_id=project_id).exclude(priority_b=F("priority")).exists()


@pytest.mark.postgres
def test_the_floor_seed(bench: dict[str, ModuleType]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the floor bench runs on PostgreSQL only")
    project_id, token = bench["floor"].seed(30)
    assert token
    _items_are_whole(project_id, 30)
    assert Project.objects.get(pk=project_id).kind == "classification"


def test_the_prioritisation_seed(bench: dict[str, ModuleType]) -> None:
    project_id = bench["prioritize"].seed(60, 10, 4)
    _items_are_whole(project_id, 60)
    assert Item.objects.filter(project_id=project_id, features__isnull=False).count() == 60


@pytest.mark.parametrize("kind", ["classification", "bbox"])
def test_the_agreement_seed(bench: dict[str, ModuleType], kind: str) -> None:
    project_id = bench["agreement_service"].seed(kind, 20)
    assert Item.objects.filter(project_id=project_id).count() == 20
    assert Annotation.objects.filter(project_id=project_id).count() >= 40


def test_the_benchmark_vs_work_seed(bench: dict[str, ModuleType]) -> None:
    project_id, _, token = bench["benchmark_vs_work"].seed(30, 5)
    assert token
    assert Item.objects.filter(project_id=project_id).count() >= 30
