"""Bucket sources on moto's S3 server: changed objects, keys added to earlier folders, sidecar files."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from annotation_qc.benchmarks.models import GoldAnnotation
from annotation_qc.exchange.models import BucketSource, SourceObject
from annotation_qc.labeling.models import Item, Prediction
from tests.api.conftest import World
from tests.api.test_bucket_sources import create, picture, source_body, sync
from tests.s3 import MotoServer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


@pytest.fixture
def bucket(moto_server: MotoServer) -> Any:
    client = moto_server.client()
    name = f"changes-{np.random.default_rng().integers(1 << 40):x}"
    client.create_bucket(Bucket=name)
    return client, name


def test_a_replaced_object_is_updated_by_a_resync_not_duplicated(
    world: World, capture: Any, moto_server: MotoServer, bucket: Any
) -> None:
    client, name = bucket
    client.put_object(Bucket=name, Key="shots/a.png", Body=picture(40, 30, 1))
    client.put_object(Bucket=name, Key="shots/b.png", Body=picture(20, 10, 2))
    source = create(world, source_body(moto_server, name))
    assert sync(world, capture, source["id"])["result"]["created"] == 2
    item = Item.objects.get(project=world.project, external_id="a.png")
    old_token, old_etag = item.image_token, SourceObject.objects.get(item=item).etag

    client.put_object(Bucket=name, Key="shots/a.png", Body=picture(64, 48, 9))  # same key, new image
    done = sync(world, capture, source["id"], full=True)
    result = done["result"]
    assert (result["created"], result["updated"], result["already_synced"]) == (0, 1, 1)
    assert "1 changed object(s) updated" in done["message"]
    item.refresh_from_db()
    assert (item.width, item.height) == (64, 48)
    assert item.image_token != old_token  # a cached copy of the old image is not served under the new URL
    assert SourceObject.objects.get(item=item).etag != old_etag
    assert Item.objects.filter(project=world.project, image__startswith="bucket").count() == 2
    image = world.client("manager").get(f"/api/v1/items/{item.pk}/image/")
    assert b"".join(image.streaming_content) == picture(64, 48, 9)

    again = sync(world, capture, source["id"], full=True)["result"]  # nothing changed since
    assert (again["updated"], again["already_synced"]) == (0, 2)


def test_a_key_added_to_an_earlier_folder_is_found_without_a_full_resync(
    world: World, capture: Any, moto_server: MotoServer, bucket: Any
) -> None:
    client, name = bucket
    for key in ("shots/cam1/001.png", "shots/cam2/001.png", "shots/top.png"):
        client.put_object(Bucket=name, Key=key, Body=picture(8, 8, len(key)))
    source = create(world, source_body(moto_server, name))
    first = sync(world, capture, source["id"])["result"]
    assert (first["created"], first["cursor"]) == (3, "shots/top.png")
    assert BucketSource.objects.get().folder_cursors == {
        "shots/cam1/": "shots/cam1/001.png",
        "shots/cam2/": "shots/cam2/001.png",
        "": "shots/top.png",
    }

    # Both sort before the last key overall ("shots/top.png"): a single cursor would miss them.
    client.put_object(Bucket=name, Key="shots/cam1/002.png", Body=picture(8, 8, 20))
    client.put_object(Bucket=name, Key="shots/cam0/001.png", Body=picture(8, 8, 21))  # a new folder
    second = sync(world, capture, source["id"])["result"]
    assert (second["listed"], second["created"], second["already_synced"]) == (2, 2, 0)
    assert set(
        Item.objects.filter(project=world.project, image__startswith="bucket").values_list(
            "external_id", flat=True
        )
    ) == {"cam0/001.png", "cam1/001.png", "cam1/002.png", "cam2/001.png", "top.png"}
    third = sync(world, capture, source["id"])["result"]
    assert (third["listed"], third["created"]) == (0, 0)


def test_annotation_and_prediction_files_beside_the_images_are_imported(
    world: World, capture: Any, moto_server: MotoServer, bucket: Any
) -> None:
    client, name = bucket
    box = {"x": 1, "y": 2, "w": 10, "h": 8, "label": "car"}
    files: dict[str, bytes] = {
        "shots/a.png": picture(40, 30, 1),
        "shots/a.gold.json": json.dumps({"boxes": [box]}).encode(),
        "shots/b.png": picture(40, 30, 2),
        "shots/b.pred.json": json.dumps({"boxes": [box, {**box, "x": 20}], "scores": [0.9, 0.4]}).encode(),
        "shots/c.png": picture(40, 30, 3),
        "shots/c.pred.json": json.dumps({"boxes": [{**box, "label": "truck"}]}).encode(),  # unknown label
        "shots/d.gold.json": json.dumps({"boxes": []}).encode(),  # no image beside it
    }
    for key, body in files.items():
        client.put_object(Bucket=name, Key=key, Body=body)
    source = create(
        world,
        source_body(
            moto_server,
            name,
            annotation_suffix=".gold.json",
            prediction_suffix=".pred.json",
            model_version="detector-v3",
        ),
    )
    assert (source["annotation_suffix"], source["model_version"]) == (".gold.json", "detector-v3")
    result = sync(world, capture, source["id"])["result"]
    assert (result["created"], result["gold"], result["predictions"]) == (3, 1, 1)
    reasons = {r["key"]: r["reason"] for r in result["rejected"]}
    assert set(reasons) == {"shots/c.pred.json", "shots/d.gold.json"}
    assert "not a usable prediction file" in reasons["shots/c.pred.json"]
    assert "label" in reasons["shots/c.pred.json"]
    assert reasons["shots/d.gold.json"] == "no new image beside it"

    a = Item.objects.get(project=world.project, external_id="a.png")
    assert a.is_gold
    assert GoldAnnotation.objects.get(item=a).payload["boxes"][0]["label"] == "car"
    prediction = Prediction.objects.get(item__external_id="b.png", item__project=world.project)
    assert (prediction.model_version, prediction.scores) == ("detector-v3", [0.9, 0.4])
    assert len(prediction.payload["boxes"]) == 2
    assert not Item.objects.get(project=world.project, external_id="c.png").is_gold

    # A prediction file that arrives after its image was synced is imported by the next sync.
    client.put_object(Bucket=name, Key="shots/c.qred.json", Body=b"{}")  # not a sidecar: ignored
    client.put_object(Bucket=name, Key="shots/c.pred.json", Body=json.dumps({"boxes": [box]}).encode())
    client.put_object(Bucket=name, Key="shots/e.pred.json", Body=json.dumps({"boxes": [box]}).encode())
    later = sync(world, capture, source["id"], full=True)["result"]
    assert (later["created"], later["predictions"]) == (0, 1)
    assert Prediction.objects.filter(item__external_id="c.png", model_version="detector-v3").exists()
    assert Item.objects.filter(project=world.project).count() == 3 + 3  # the world's 3 and the synced 3


def test_sidecar_settings_are_checked_naming_the_field(world: World) -> None:
    url = f"/api/v1/projects/{world.project.pk}/sources/"
    manager = world.client("manager")
    response = manager.post(
        url, {"name": "s", "bucket": "media", "prediction_suffix": ".pred.json"}, format="json"
    )
    assert response.status_code == 400
    assert "model_version" in response.json()["errors"]
    response = manager.post(url, {"name": "s", "bucket": "media", "annotation_suffix": "gold"}, format="json")
    assert response.status_code == 400
    assert "annotation_suffix" in response.json()["errors"]
    assert BucketSource.objects.count() == 0
