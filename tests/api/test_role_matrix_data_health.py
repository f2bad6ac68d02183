"""Every data-health endpoint against every role: managers change, ML engineers read and set coverage
targets, annotators see nothing, outsiders get 404."""

from __future__ import annotations

from typing import Any

import pytest

from annotation_qc.core.models import Job
from annotation_qc.datahealth.models import BatchReport, HealthConfig, Quarantine
from annotation_qc.exchange.models import DataImport
from annotation_qc.labeling.models import Item
from tests.api.conftest import ROLES, World

pytestmark = pytest.mark.django_db

MANAGER_ONLY = {"annotator": 403, "manager": 200, "ml_engineer": 403, "outsider": 404, "anonymous": 401}
DATA_TEAM = {**MANAGER_ONLY, "ml_engineer": 200}


def base(w: World) -> str:
    return f"/api/v1/projects/{w.project.pk}/data-health"


def _batch(w: World) -> int:
    job = Job.objects.create(kind="import", project_id=w.project.pk)
    data_import = DataImport.objects.create(project=w.project, job=job, format="coco", storage_dir="x")
    BatchReport.objects.create(data_import=data_import, project=w.project, items=1)
    return data_import.pk


def _quarantine(w: World) -> int:
    item = Item.objects.filter(project=w.project).first()
    assert item is not None
    return Quarantine.objects.create(item=item, project=w.project, held_slots=1).pk


def _retention(w: World) -> None:
    HealthConfig.objects.update_or_create(project=w.project, defaults={"retention_days": 30})


CASES: list[tuple[str, str, Any, Any, dict[str, int]]] = [
    ("settings get", "get", lambda w: f"{base(w)}/settings/", None, DATA_TEAM),
    (
        "settings patch",
        "patch",
        lambda w: f"{base(w)}/settings/",
        lambda w: {"retention_days": 10},
        MANAGER_ONLY,
    ),
    ("checks", "get", lambda w: f"{base(w)}/checks/", None, DATA_TEAM),
    (
        "coverage targets",
        "patch",
        lambda w: f"{base(w)}/coverage/targets/",
        lambda w: {"labels": {"car": 0.5}},
        DATA_TEAM,
    ),
    ("coverage", "get", lambda w: f"{base(w)}/coverage/?attribute=site", None, DATA_TEAM),
    ("coverage boost", "post", lambda w: f"{base(w)}/coverage/boost/", None, DATA_TEAM),
    ("batches", "get", lambda w: f"{base(w)}/batches/", None, DATA_TEAM),
    ("batch", "get", lambda w: f"{base(w)}/batches/{_batch(w)}/", None, DATA_TEAM),
    (
        "batch analyse",
        "post",
        lambda w: f"{base(w)}/batches/{_batch(w)}/analyse/",
        None,
        {**MANAGER_ONLY, "manager": 202},
    ),
    ("drift", "get", lambda w: f"{base(w)}/drift/", None, DATA_TEAM),
    ("quarantine", "get", lambda w: f"{base(w)}/quarantine/", None, MANAGER_ONLY),
    (
        "quarantine decide",
        "post",
        lambda w: f"{base(w)}/quarantine/decide/",
        lambda w: {"ids": [_quarantine(w)], "action": "release"},
        MANAGER_ONLY,
    ),
    ("outliers", "get", lambda w: f"{base(w)}/outliers/", None, DATA_TEAM),
    ("audit", "get", lambda w: f"{base(w)}/audit/", None, MANAGER_ONLY),
    ("retention runs", "get", lambda w: f"{base(w)}/retention/", None, MANAGER_ONLY),
    (
        "retention now",
        "post",
        lambda w: (_retention(w), f"{base(w)}/retention/")[1],
        None,
        {**MANAGER_ONLY, "manager": 201},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "url", "body", "expected"), CASES, ids=[c[0] for c in CASES])
def test_role_matrix_data_health(
    world: World, role: str, name: str, method: str, url: Any, body: Any, expected: dict, capture: Any
) -> None:
    with capture(execute=True):
        response = getattr(world.client(role), method)(
            url(world), body(world) if body else None, format="json"
        )
    assert response.status_code == expected[role], (name, role, getattr(response, "data", None))


def test_an_outsider_managing_another_project_cannot_reach_these_objects(world: World) -> None:
    other_project = world.users["outsider"].memberships.get().project
    client = world.client("outsider")
    batch, held = _batch(world), _quarantine(world)
    other = f"/api/v1/projects/{other_project.pk}/data-health"
    assert client.get(f"{other}/batches/{batch}/").status_code == 404
    response = client.post(f"{other}/quarantine/decide/", {"ids": [held], "action": "release"}, format="json")
    assert response.status_code == 400
    assert Quarantine.objects.get(pk=held).status == "held"
