"""Endpoints not covered by the other matrices: project creation, stored item images, model versions."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile

from annotation_qc.labeling.models import Item
from annotation_qc.workflow.dispatch_pipeline import task_next
from tests.api.conftest import ROLES, World
from tests.api.exchange_helpers import png

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def _stored_image_of_annotators_task(world: World) -> str:
    """An item with a stored image, served to the annotator (so it is theirs to see)."""
    task = task_next(project=world.project, annotator_id=world.users["annotator"].pk)
    assert task is not None
    item = Item.objects.get(pk=task.item_id)
    item.image.save(f"{item.pk}.png", ContentFile(png()), save=True)
    return f"/api/v1/images/{item.image_token}/"  # annotators know images only by their token


def _stored_image_by_id(world: World) -> str:
    """The same image by the item's integer id: for managers and ML engineers, never annotators."""
    token = _stored_image_of_annotators_task(world).split("/")[-2]
    return f"/api/v1/items/{Item.objects.get(image_token=token).pk}/image/"


def _version(world: World) -> int:
    from annotation_qc.labeling.models import ModelVersion

    return ModelVersion.objects.create(project=world.project, name=f"v{ModelVersion.objects.count() + 1}").pk


def versions(world: World) -> str:
    return f"/api/v1/projects/{world.project.pk}/model-versions/"


def _source(world: World) -> int:
    from annotation_qc.exchange.models import BucketSource

    return BucketSource.objects.create(project=world.project, name="s", bucket="media").pk


MANAGERS = {"annotator": 403, "manager": 200, "ml_engineer": 403, "outsider": 404, "anonymous": 401}
#: Addressed by their own id: anyone but the project's managers is told they do not exist.
MANAGERS_BY_ID = {"annotator": 404, "manager": 200, "ml_engineer": 404, "outsider": 404, "anonymous": 401}

DATA_TEAM = {"annotator": 403, "manager": 200, "ml_engineer": 200, "outsider": 404, "anonymous": 401}

CASES: list[tuple[str, str, Any, Any, dict[str, int]]] = [
    ("bucket sources", "get", lambda w: f"/api/v1/projects/{w.project.pk}/sources/", None, MANAGERS),
    (
        "bucket source add",
        "post",
        lambda w: f"/api/v1/projects/{w.project.pk}/sources/",
        lambda w: {"name": "s", "bucket": "media"},
        {**MANAGERS, "manager": 201},
    ),
    ("bucket source", "get", lambda w: f"/api/v1/sources/{_source(w)}/", None, MANAGERS_BY_ID),
    (
        "bucket source delete",
        "delete",
        lambda w: f"/api/v1/sources/{_source(w)}/",
        None,
        {**MANAGERS_BY_ID, "manager": 204},
    ),
    (
        "bucket source sync",
        "post",
        lambda w: f"/api/v1/sources/{_source(w)}/sync/",
        lambda w: {},
        {**MANAGERS_BY_ID, "manager": 202},
    ),
    ("model versions", "get", versions, None, DATA_TEAM),
    (
        "model version register",
        "post",
        versions,
        lambda w: {"name": "registered"},
        {**DATA_TEAM, "manager": 201, "ml_engineer": 201},
    ),
    ("model version", "get", lambda w: f"{versions(w)}{_version(w)}/", None, DATA_TEAM),
    (
        "model version update",
        "patch",
        lambda w: f"{versions(w)}{_version(w)}/",
        lambda w: {"description": "better"},
        DATA_TEAM,
    ),
    (
        "model version delete",
        "delete",
        lambda w: f"{versions(w)}{_version(w)}/",
        None,
        {**DATA_TEAM, "manager": 204, "ml_engineer": 204},
    ),
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
    (
        "item image by id",
        "get",
        _stored_image_by_id,
        None,
        {"annotator": 404, "manager": 200, "ml_engineer": 200, "outsider": 404, "anonymous": 401},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "url", "body", "expected"), CASES, ids=[c[0] for c in CASES])
def test_role_matrix_access(
    world: World, role: str, name: str, method: str, url: Any, body: Any, expected: dict
) -> None:
    response = getattr(world.client(role), method)(url(world), body(world) if body else None, format="json")
    assert response.status_code == expected[role], (name, role, getattr(response, "data", None))
