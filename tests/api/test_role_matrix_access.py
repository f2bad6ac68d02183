"""Endpoints not covered by the other matrices: project creation and stored item images."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile

from annotation_qc.labeling.models import Item
from annotation_qc.labeling.services.dispatch import task_next
from tests.api.conftest import ROLES, World
from tests.api.exchange_helpers import png

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def _stored_image_of_annotators_task(world: World) -> str:
    """An item with a stored image, served to the annotator (so it is theirs to see)."""
    task = task_next(project=world.project, annotator_id=world.users["annotator"].pk)
    assert task is not None
    item = Item.objects.get(pk=task.item_id)
    item.image.save(f"{item.pk}.png", ContentFile(png()), save=True)
    return f"/api/v1/items/{item.pk}/image/"


CASES: list[tuple[str, str, Any, Any, dict[str, int]]] = [
    (
        "project create",
        "post",
        lambda w: "/api/v1/projects/",
        lambda w: {"name": "New", "kind": "bbox", "labels": ["car"]},
        {"annotator": 201, "manager": 201, "ml_engineer": 201, "outsider": 201, "anonymous": 401},
    ),
    (
        "item image",
        "get",
        _stored_image_of_annotators_task,
        None,
        {"annotator": 200, "manager": 200, "ml_engineer": 200, "outsider": 404, "anonymous": 401},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "url", "body", "expected"), CASES, ids=[c[0] for c in CASES])
def test_role_matrix_access(
    world: World, role: str, name: str, method: str, url: Any, body: Any, expected: dict
) -> None:
    response = getattr(world.client(role), method)(url(world), body(world) if body else None, format="json")
    assert response.status_code == expected[role], (name, role, getattr(response, "data", None))
