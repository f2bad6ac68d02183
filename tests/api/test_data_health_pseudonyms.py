"""Exports name annotators by a stable keyed pseudonym when the project asks; managers still see names."""

from __future__ import annotations

import json
from typing import Any

import pytest

from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.submit_pipeline import annotation_submit
from tests.api.conftest import World
from tests.api.exchange_helpers import job

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def label_all(world: World) -> None:
    user = world.users["annotator"]
    while (task := task_next(project=world.project, annotator_id=user.pk)) is not None:
        annotation_submit(task_id=task.pk, annotator_id=user.pk, payload={"boxes": []}, client_time_ms=4000)


def export(world: World, capture: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    with capture(execute=True):
        started = world.client("manager").post(
            f"/api/v1/projects/{world.project.pk}/exports/",
            {"format": "jsonl", "include_raw": True},
            format="json",
        )
    assert started.status_code == 202
    assert job(world, started.json()["job_id"])["status"] == "succeeded"
    export_id = started.json()["export_id"]
    detail = world.client("manager").get(f"/api/v1/exports/{export_id}/").json()
    response = world.client("manager").get(f"/api/v1/exports/{export_id}/download/")
    lines = b"".join(response.streaming_content).decode().splitlines()
    return detail["manifest"], [json.loads(line) for line in lines if line.strip()]


def raw_ids(rows: list[dict[str, Any]]) -> set[Any]:
    return {raw["annotator_id"] for row in rows for raw in row.get("raw", [])}


def test_pseudonymised_exports(world: World, capture: Any) -> None:
    label_all(world)
    annotator = world.users["annotator"]
    manifest, rows = export(world, capture)
    assert raw_ids(rows) == {annotator.pk}
    assert manifest["annotators"][0]["username"] == "annotator"

    url = f"/api/v1/projects/{world.project.pk}/data-health/settings/"
    assert (
        world.client("manager").patch(url, {"pseudonymise_exports": True}, format="json").status_code == 200
    )
    manifest, rows = export(world, capture)
    (alias,) = raw_ids(rows)
    assert isinstance(alias, str)
    assert alias.startswith("annotator-")
    assert manifest["pseudonymised"] is True
    assert manifest["options"]["pseudonymise_annotators"] is True
    assert manifest["annotators"] == [{"id": alias, "username": alias, "items": 3}]
    text = json.dumps(manifest) + json.dumps(rows)
    assert 'annotator"' not in text.replace("annotator-", "")  # no username anywhere
    assert f'"annotator_id": {annotator.pk}' not in text
    # Stable: the same pseudonym again; the service still shows the name to managers.
    _, rows = export(world, capture)
    assert raw_ids(rows) == {alias}
    cards = world.client("manager").get(f"/api/v1/projects/{world.project.pk}/annotators/").json()
    assert "annotator" in json.dumps(cards)
