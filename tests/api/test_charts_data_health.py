"""Charts of the data: metadata attributes (items, labeled, target) and box sizes, as JSON and CSV."""

from __future__ import annotations

import csv
import io
import math

import pytest

from annotation_qc.datahealth.services.config import health_settings_update
from annotation_qc.labeling.models import Item
from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.submit_pipeline import annotation_submit
from tests.api.conftest import World

pytestmark = pytest.mark.django_db


def submit(world: World, boxes: list[dict[str, int]]) -> int:
    task = task_next(project=world.project, annotator_id=world.users["annotator"].pk)
    assert task is not None
    payload = {"boxes": [b | {"label": "car"} for b in boxes]}
    annotation_submit(task_id=task.pk, annotator_id=task.annotator_id, payload=payload, client_time_ms=9000)
    return int(task.item_id)


def test_box_sizes_and_boxes_per_image(world: World) -> None:
    submit(world, [{"x": 0, "y": 0, "w": 64, "h": 48}, {"x": 100, "y": 100, "w": 320, "h": 240}])
    submit(world, [{"x": 0, "y": 0, "w": 6, "h": 4}])
    base = f"/api/v1/projects/{world.project.pk}/charts"
    client = world.client("ml_engineer")
    sizes = client.get(f"{base}/box-sizes/").json()
    assert sizes["columns"] == ["start", "end", "count"]
    counts = {(r["start"], r["end"]): r["count"] for r in sizes["rows"]}
    assert sum(counts.values()) == 3
    # sqrt(box area / image area) of 640 x 480 images: 0.1, 0.5 and about 0.009.
    assert counts[(0.1, 0.2)] == 1
    assert counts[(0.5, 0.75)] == 1
    assert counts[(0.0, 0.01)] == 1
    assert math.isclose(sizes["rows"][-1]["end"], 1.0)
    per_image = {r["boxes"]: r["images"] for r in client.get(f"{base}/boxes-per-image/").json()["rows"]}
    assert per_image["2"] == 1
    assert per_image["1"] == 1
    assert per_image["0"] == 0
    response = client.get(f"{base}/box-sizes/?format=csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert sum(int(r["count"]) for r in rows) == 3


def test_metadata_attributes_with_targets(world: World) -> None:
    items = list(Item.objects.filter(project=world.project).order_by("pk"))
    for item, site in zip(items, ["north", "north", "south"], strict=True):
        Item.objects.filter(pk=item.pk).update(
            metadata={"site": site, "camera": 3, "source_url": "https://x"}
        )
    health_settings_update(
        project=world.project, user_id=None, config={"coverage": {"attributes": {"site": {"south": 0.5}}}}
    )
    labeled = submit(world, [{"x": 0, "y": 0, "w": 64, "h": 48}])
    base = f"/api/v1/projects/{world.project.pk}/charts"
    body = world.client("ml_engineer").get(f"{base}/metadata-attributes/").json()
    assert body["columns"][:4] == ["attribute", "value", "items", "labeled"]
    rows = {(r["attribute"], r["value"]): r for r in body["rows"]}
    assert set(rows) == {("site", "north"), ("site", "south"), ("camera", "3")}  # no source_url
    assert rows[("site", "north")]["items"] == 2
    assert rows[("site", "south")]["items"] == 1
    assert rows[("camera", "3")]["items"] == 3
    labeled_site = Item.objects.get(pk=labeled).metadata["site"]
    assert rows[("site", labeled_site)]["labeled"] == 1
    assert rows[("site", labeled_site)]["labeled_share"] == 1.0
    assert rows[("site", "south")]["target"] == 0.5
    assert rows[("site", "south")]["under_target"] is (labeled_site != "south")
    assert rows[("site", "north")]["target"] is None
    csv_rows = list(
        csv.DictReader(
            io.StringIO(
                world.client("manager").get(f"{base}/metadata-attributes/?format=csv").content.decode()
            )
        )
    )
    assert len(csv_rows) == 3


def test_data_charts_are_empty_rather_than_broken_without_data(world: World) -> None:
    Item.objects.filter(project=world.project).delete()
    base = f"/api/v1/projects/{world.project.pk}/charts"
    client = world.client("manager")
    assert client.get(f"{base}/metadata-attributes/").json()["rows"] == []
    assert client.get(f"{base}/box-sizes/").json()["rows"] == []
    assert world.client("annotator").get(f"{base}/box-sizes/").status_code == 403
