"""Every import and export endpoint against every role: managers and ML engineers; outsiders get 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from annotation_qc.core.jobs import job_create
from annotation_qc.exchange.models import DataImport, ExportSnapshot
from tests.api.conftest import ROLES, World

pytestmark = pytest.mark.django_db

DATA_ROLES = {"annotator": 403, "manager": 200, "ml_engineer": 200, "outsider": 404, "anonymous": 401}
# Objects addressed by their own id: members without the role are told they do not exist, like jobs.
BY_ID = {"annotator": 404, "manager": 200, "ml_engineer": 200, "outsider": 404, "anonymous": 401}
COCO = {
    "images": [
        {"id": 1, "file_name": "m.jpg", "width": 10, "height": 10, "coco_url": "https://img.example/m.jpg"}
    ],
    "categories": [{"id": 1, "name": "car"}],
    "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 5, 5]}],
}


def data_roles(status: int) -> dict[str, int]:
    return {**DATA_ROLES, "manager": status, "ml_engineer": status}


def _import(world: World) -> int:
    job = job_create(kind="import", project_id=world.project.pk, created_by_id=None, params={})
    return DataImport.objects.create(
        project=world.project, job=job, format="coco", storage_dir="imports/x"
    ).pk


def _export(world: World) -> int:
    job = job_create(kind="export", project_id=world.project.pk, created_by_id=None, params={})
    name = default_storage.save("exports/test.json", ContentFile(b"{}"))
    sha = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    return ExportSnapshot.objects.create(
        project=world.project, job=job, format="coco", status="ready", file=name, sha256=sha, size_bytes=2
    ).pk


def base(w: World) -> str:
    return f"/api/v1/projects/{w.project.pk}"


# (name, method, url builder, body builder, expected status per role)
CASES: list[tuple[str, str, Any, Any, dict[str, int]]] = [
    ("imports list", "get", lambda w: f"{base(w)}/imports/", None, DATA_ROLES),
    (
        "import start",
        "post",
        lambda w: f"{base(w)}/imports/",
        lambda w: {"format": "coco", "data": COCO},
        data_roles(202),
    ),
    (
        "gold import start",
        "post",
        lambda w: f"{base(w)}/imports/",
        lambda w: {"format": "coco", "as": "gold", "data": COCO},
        {**data_roles(202), "ml_engineer": 403},
    ),
    (
        # Files on the local disk here, so members with the role get 409 (object storage: 201 in
        # tests/api/test_object_storage.py); the others are refused before that.
        "upload slots",
        "post",
        lambda w: f"{base(w)}/uploads/",
        lambda w: {"files": [{"name": "set.zip", "size": 1000}]},
        data_roles(409),
    ),
    ("import detail", "get", lambda w: f"/api/v1/imports/{_import(w)}/", None, BY_ID),
    ("exports list", "get", lambda w: f"{base(w)}/exports/", None, DATA_ROLES),
    ("export start", "post", lambda w: f"{base(w)}/exports/", lambda w: {"format": "coco"}, data_roles(202)),
    ("export detail", "get", lambda w: f"/api/v1/exports/{_export(w)}/", None, BY_ID),
    ("export download", "get", lambda w: f"/api/v1/exports/{_export(w)}/download/", None, BY_ID),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "url", "body", "expected"), CASES, ids=[c[0] for c in CASES])
def test_role_matrix_exchange(
    world: World,
    settings: Any,
    tmp_path: Any,
    role: str,
    name: str,
    method: str,
    url: Any,
    body: Any,
    expected: dict,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    response = getattr(world.client(role), method)(url(world), body(world) if body else None, format="json")
    assert response.status_code == expected[role], (name, role, getattr(response, "data", None))
