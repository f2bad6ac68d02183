"""One annotation file for a bucket source's prefix (COCO, JSON Lines or CSV, read by the import parsers),
on moto's S3 server: the new images it answers become gold, rows that do not fit are reported."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from annotation_qc.benchmarks.models import GoldAnnotation
from annotation_qc.exchange.models import BucketSource
from annotation_qc.labeling.models import Item
from tests.api.conftest import World
from tests.api.exchange_helpers import coco_document
from tests.api.test_bucket_sources import create, picture, source_body, sync
from tests.s3 import MotoServer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


@pytest.fixture
def bucket(moto_server: MotoServer) -> Any:
    client = moto_server.client()
    name = f"labels-{np.random.default_rng().integers(1 << 40):x}"
    client.create_bucket(Bucket=name)
    for key, (width, height) in {
        "shots/a.png": (40, 30),
        "shots/b.png": (20, 10),
        "shots/c.png": (16, 12),
    }.items():
        client.put_object(Bucket=name, Key=key, Body=picture(width, height, len(key) + width))
    return client, name


def gold(world: World) -> dict[str, Any]:
    return {
        g.item.external_id: g.payload
        for g in GoldAnnotation.objects.filter(project=world.project).select_related("item")
    }


def test_a_coco_file_beside_the_images_makes_the_new_images_it_answers_gold(
    world: World, capture: Any, moto_server: MotoServer, bucket: Any
) -> None:
    client, name = bucket
    document = coco_document(
        [("a.png", 40, 30), ("c.png", 100, 100), ("gone.png", 8, 8)],
        {"a.png": [(1, 2, 10, 8, 1)], "c.png": [(50, 50, 20, 20, 2)]},  # c's box lies outside the real image
    )
    document["images"].append({"id": 9, "width": 5, "height": 5})  # no file_name: a rejected row
    client.put_object(Bucket=name, Key="shots/labels.json", Body=json.dumps(document).encode())
    source = create(world, source_body(moto_server, name, annotation_file="shots/labels.json"))
    assert source["annotation_file"] == "shots/labels.json"

    result = sync(world, capture, source["id"])["result"]
    assert (result["created"], result["gold"]) == (3, 1)
    assert gold(world) == {"a.png": {"boxes": [{"x": 1.0, "y": 2.0, "w": 10.0, "h": 8.0, "label": "car"}]}}
    reasons = {r["key"]: r["reason"] for r in result["rejected"]}
    assert reasons["shots/labels.json images[3]"] == "file_name: required, a non-empty string"
    assert reasons["shots/labels.json images[1]"].startswith("shots/c.png: ")  # checked against 16x12
    assert not Item.objects.get(project=world.project, external_id="c.png").is_gold
    assert not Item.objects.filter(project=world.project, external_id="labels.json").exists()

    # A new image the file answers is gold when it arrives (after the cursor, shots/labels.json).
    document["images"].append({"id": 10, "file_name": "m.png", "width": 24, "height": 24})
    document["annotations"].append(
        {"id": 50, "image_id": 10, "category_id": 1, "bbox": [0, 0, 4, 4], "area": 16, "iscrowd": 0}
    )
    client.put_object(Bucket=name, Key="shots/labels.json", Body=json.dumps(document).encode())
    client.put_object(Bucket=name, Key="shots/m.png", Body=picture(24, 24, 9))
    later = sync(world, capture, source["id"])["result"]
    assert (later["created"], later["gold"]) == (1, 1)
    assert set(gold(world)) == {"a.png", "m.png"}


def test_csv_and_json_lines_files_are_read_as_imports_read_them(
    world: World, capture: Any, moto_server: MotoServer, bucket: Any
) -> None:
    client, name = bucket
    csv = (
        "external_id,image_url,width,height,label,x,y,w,h\n"
        "a.png,a.png,40,30,car,1,1,5,5\n"
        "a.png,a.png,40,30,person,10,10,5,5\n"
        "b.png,b.png,20,10,,,,,\n"  # answered: no boxes
    )
    client.put_object(Bucket=name, Key="shots/labels.csv", Body=csv.encode())
    source = create(world, source_body(moto_server, name, annotation_file="shots/labels.csv"))
    result = sync(world, capture, source["id"])["result"]
    assert (result["created"], result["gold"], result["rejected_total"]) == (3, 2, 0)
    answers = gold(world)
    assert [b["label"] for b in answers["a.png"]["boxes"]] == ["car", "person"]
    assert answers["b.png"] == {"boxes": []}

    client.put_object(
        Bucket=name,
        Key="more/labels.jsonl",
        Body=(
            json.dumps(
                {
                    "external_id": "more/e.png",  # already naming the prefix: taken as it is
                    "image_url": "e.png",
                    "width": 8,
                    "height": 8,
                    "annotation": {"boxes": [{"x": 0, "y": 0, "w": 2, "h": 2, "label": "bike"}]},
                }
            )
            + "\n"
        ).encode(),
    )
    client.put_object(Bucket=name, Key="more/e.png", Body=picture(8, 8, 11))
    other = create(
        world,
        source_body(moto_server, name, name="more", prefix="more/", annotation_file="more/labels.jsonl"),
    )
    assert sync(world, capture, other["id"])["result"]["gold"] == 1
    assert gold(world)["e.png"]["boxes"][0]["label"] == "bike"


def test_an_unreadable_annotation_file_fails_the_sync_naming_it(
    world: World, capture: Any, moto_server: MotoServer, bucket: Any
) -> None:
    client, name = bucket
    client.put_object(Bucket=name, Key="shots/labels.json", Body=b"[1, 2]")  # not COCO
    source = create(world, source_body(moto_server, name, annotation_file="shots/labels.json"))
    done = sync(world, capture, source["id"])
    assert done["status"] == "failed"
    assert "annotation file shots/labels.json" in done["message"]
    missing = create(world, source_body(moto_server, name, name="m", annotation_file="shots/none.csv"))
    done = sync(world, capture, missing["id"])
    assert done["status"] == "failed"
    assert "annotation file shots/none.csv" in done["message"]
    assert not Item.objects.filter(project=world.project, image__startswith="bucket").exists()


def test_annotation_file_settings_are_checked_naming_the_field(world: World) -> None:
    url = f"/api/v1/projects/{world.project.pk}/sources/"
    manager = world.client("manager")
    for body in (
        {"annotation_file": "shots/labels.xml"},
        {"annotation_file": "shots/labels.json", "annotation_suffix": ".gold.json"},
    ):
        response = manager.post(url, {"name": "s", "bucket": "media", **body}, format="json")
        assert response.status_code == 400, body
        assert "annotation_file" in response.json()["errors"], response.json()
    assert not BucketSource.objects.exists()
