"""Bucket sources on moto's S3 server: incremental sync by cursor, idempotent resync, bad buckets and keys."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import numpy as np
import pytest
from PIL import Image

from annotation_qc.exchange.models import BucketSource, SourceObject
from annotation_qc.exchange.services import bucket_sources
from annotation_qc.labeling.models import Item
from tests.api.conftest import ROLES, World
from tests.api.exchange_helpers import job
from tests.factories import ProjectFactory
from tests.s3 import ACCESS_KEY, SECRET_KEY, MotoServer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def picture(width: int, height: int, seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def customer_bucket(moto_server: MotoServer) -> Any:
    """The customer's own bucket (not the app's storage), with a prefix of shots and other things."""
    client = moto_server.client()
    name = f"customer-{np.random.default_rng().integers(1 << 40):x}"
    client.create_bucket(Bucket=name)
    client.put_object(Bucket=name, Key="shots/a.png", Body=picture(40, 30, 1))
    client.put_object(Bucket=name, Key="shots/b.png", Body=picture(20, 10, 2))
    client.put_object(Bucket=name, Key="shots/c/d.png", Body=picture(16, 12, 3))
    client.put_object(Bucket=name, Key="shots/fake.png", Body=b"<html>not an image</html>")
    client.put_object(Bucket=name, Key="shots/notes.txt", Body=b"ignored by the pattern")
    client.put_object(Bucket=name, Key="elsewhere/e.png", Body=picture(8, 8, 4))
    return client, name


def source_body(server: MotoServer, bucket: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "shots",
        "bucket": bucket,
        "prefix": "shots/",
        "endpoint_url": server.endpoint,
        "region": "us-east-1",
        "access_key_id": ACCESS_KEY,
        "secret_access_key": SECRET_KEY,
        **extra,
    }


def create(world: World, body: dict[str, Any]) -> dict[str, Any]:
    response = world.client("manager").post(
        f"/api/v1/projects/{world.project.pk}/sources/", body, format="json"
    )
    assert response.status_code == 201, response.json()
    created: dict[str, Any] = response.json()
    return created


def sync(world: World, capture: Any, source_id: int, **body: Any) -> dict[str, Any]:
    with capture(execute=True):
        response = world.client("manager").post(f"/api/v1/sources/{source_id}/sync/", body, format="json")
    assert response.status_code == 202, response.json()
    return job(world, response.json()["job_id"])


def test_a_sync_creates_items_referencing_the_objects_and_resyncs_only_what_is_new(
    world: World, capture: Any, moto_server: MotoServer, customer_bucket: Any
) -> None:
    client, bucket = customer_bucket
    source = create(world, source_body(moto_server, bucket))
    assert "secret_access_key" not in source
    assert source["has_secret"] is True
    assert BucketSource.objects.get().secret_access_key.startswith("sealed:")

    first = sync(world, capture, source["id"])
    assert first["status"] == "succeeded", first
    result = first["result"]
    assert (result["listed"], result["matched"], result["created"]) == (5, 4, 3)
    assert result["rejected"] == [
        {"key": "shots/fake.png", "reason": "not a PNG, JPEG, WebP or GIF image (judged by its content)"}
    ]
    assert result["cursor"] == "shots/notes.txt"
    assert SECRET_KEY not in json.dumps(first)
    items = {
        item.external_id: item
        for item in Item.objects.filter(project=world.project, image__startswith="bucket")
    }
    assert sorted(items) == ["a.png", "b.png", "c/d.png"]
    assert (items["a.png"].width, items["a.png"].height) == (40, 30)
    assert SourceObject.objects.get(item=items["c/d.png"]).key == "shots/c/d.png"  # referenced, not copied

    image = world.client("manager").get(f"/api/v1/items/{items['a.png'].pk}/image/")
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content) == picture(40, 30, 1)
    assert "Location" not in image  # streamed: the customer's key never reaches the client
    assert world.client("outsider").get(f"/api/v1/items/{items['a.png'].pk}/image/").status_code == 404
    client.delete_object(Bucket=bucket, Key="shots/b.png")  # removed from the bucket since the sync
    gone = world.client("manager").get(f"/api/v1/items/{items['b.png'].pk}/image/")
    assert gone.status_code == 404
    assert "no longer available" in gone.json()["detail"]

    client.put_object(Bucket=bucket, Key="shots/x.png", Body=picture(10, 10, 5))
    client.put_object(Bucket=bucket, Key="shots/y.png", Body=picture(12, 10, 6))
    second = sync(world, capture, source["id"])["result"]
    assert (second["listed"], second["created"], second["cursor"]) == (
        2,
        2,
        "shots/y.png",
    )  # only what is new

    again = sync(world, capture, source["id"], full=True)["result"]  # every key listed again: no duplicates
    assert (again["listed"], again["created"], again["already_synced"]) == (6, 0, 4)  # b.png was deleted
    assert Item.objects.filter(project=world.project, image__startswith="bucket").count() == 5
    assert BucketSource.objects.get().cursor == "shots/y.png"


def test_no_matching_keys_is_a_finished_sync_that_says_so(
    world: World, capture: Any, moto_server: MotoServer, customer_bucket: Any
) -> None:
    source = create(world, source_body(moto_server, customer_bucket[1], prefix="nothing-here/"))
    done = sync(world, capture, source["id"])
    assert done["status"] == "succeeded"
    assert done["result"]["created"] == 0
    assert "No new keys" in done["message"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"bucket": "no-such-bucket-here"}, "no such bucket"),
        ({"endpoint_url": "http://127.0.0.1:9"}, "Could not connect"),
    ],
)
def test_an_unusable_bucket_fails_the_job_naming_it_and_imports_nothing(
    world: World,
    capture: Any,
    moto_server: MotoServer,
    customer_bucket: Any,
    change: dict[str, str],
    expected: str,
) -> None:
    body = {**source_body(moto_server, customer_bucket[1]), **change}
    source = create(world, body)
    before = Item.objects.count()
    done = sync(world, capture, source["id"])
    assert done["status"] == "failed"
    assert f"bucket {body['bucket']}" in done["message"]
    assert expected in done["message"]
    assert Item.objects.count() == before
    assert BucketSource.objects.get().cursor == ""


def test_a_key_deleted_between_the_list_and_the_read_is_reported(
    world: World, capture: Any, moto_server: MotoServer, customer_bucket: Any, monkeypatch: Any
) -> None:
    client, bucket = customer_bucket
    source = create(world, source_body(moto_server, bucket))
    real_sizes = bucket_sources._sizes

    def deleting_first(*args: Any, **kwargs: Any) -> Any:
        client.delete_object(Bucket=bucket, Key="shots/a.png")  # gone after the listing
        return real_sizes(*args, **kwargs)

    monkeypatch.setattr(bucket_sources, "_sizes", deleting_first)
    result = sync(world, capture, source["id"])["result"]
    assert {"key": "shots/a.png", "reason": "deleted before it could be imported"} in result["rejected"]
    assert result["created"] == 2


def test_sizes_come_from_the_manifest_when_given(
    world: World, capture: Any, moto_server: MotoServer, customer_bucket: Any
) -> None:
    client, bucket = customer_bucket
    lines = [{"key": "a.png", "width": 40, "height": 30}, {"key": "b.png", "width": 20, "height": 10}]
    client.put_object(
        Bucket=bucket, Key="shots/manifest.jsonl", Body="\n".join(json.dumps(line) for line in lines).encode()
    )
    source = create(
        world, source_body(moto_server, bucket, manifest="shots/manifest.jsonl", pattern="*.png *.jsonl")
    )
    result = sync(world, capture, source["id"])["result"]
    assert result["created"] == 3  # the manifest itself is not an item
    assert Item.objects.get(external_id="b.png").width == 20


def test_bad_source_requests_name_the_field(world: World, settings: Any) -> None:
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "OUTBOUND_ALLOW_PRIVATE": False}
    url = f"/api/v1/projects/{world.project.pk}/sources/"
    manager = world.client("manager")
    internal = manager.post(url, {"name": "s", "bucket": "media", "endpoint_url": "http://127.0.0.1:9000"})
    assert internal.status_code == 400
    assert "endpoint_url" in internal.json()["errors"]
    assert "bucket" in manager.post(url, {"name": "s", "bucket": "A_B"}, format="json").json()["errors"]
    ftp = manager.post(
        url, {"name": "s", "bucket": "media", "endpoint_url": "ftp://x.example"}, format="json"
    )
    assert "endpoint_url" in ftp.json()["errors"]
    assert BucketSource.objects.count() == 0


def _source(world: World) -> int:
    return BucketSource.objects.create(project=world.project, name="s", bucket="media").pk


MANAGERS_ONLY = {"annotator": 403, "manager": 200, "ml_engineer": 403, "outsider": 404, "anonymous": 401}
BY_ID = {"annotator": 404, "manager": 200, "ml_engineer": 404, "outsider": 404, "anonymous": 401}
CASES: list[tuple[str, str, Any, Any, dict[str, int]]] = [
    ("sources list", "get", lambda w: f"/api/v1/projects/{w.project.pk}/sources/", None, MANAGERS_ONLY),
    (
        "source create",
        "post",
        lambda w: f"/api/v1/projects/{w.project.pk}/sources/",
        {"name": "s", "bucket": "media"},
        {**MANAGERS_ONLY, "manager": 201},
    ),
    ("source detail", "get", lambda w: f"/api/v1/sources/{_source(w)}/", None, BY_ID),
    ("source delete", "delete", lambda w: f"/api/v1/sources/{_source(w)}/", None, {**BY_ID, "manager": 204}),
    ("source sync", "post", lambda w: f"/api/v1/sources/{_source(w)}/sync/", {}, {**BY_ID, "manager": 202}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "url", "body", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bucket_source_permissions(
    world: World,
    capture: Any,
    role: str,
    name: str,
    method: str,
    url: Any,
    body: Any,
    expected: dict[str, int],
) -> None:
    with capture(execute=False):
        response = getattr(world.client(role), method)(url(world), body, format="json")
    assert response.status_code == expected[role], (name, role, getattr(response, "data", None))


def test_an_export_is_also_written_to_a_bucket_source_as_target(
    world: World, capture: Any, moto_server: MotoServer, customer_bucket: Any
) -> None:
    client, bucket = customer_bucket
    source = create(world, source_body(moto_server, bucket))
    url = f"/api/v1/projects/{world.project.pk}/exports/"
    body = {"format": "jsonl", "target_source_id": source["id"]}
    refused = world.client("ml_engineer").post(url, body, format="json")
    assert refused.status_code == 403
    assert "target_source_id" in refused.json()["errors"]
    elsewhere = BucketSource.objects.create(
        project=ProjectFactory(), name="theirs", bucket=bucket, prefix="theirs/"
    )
    foreign = world.client("manager").post(url, {**body, "target_source_id": elsewhere.pk}, format="json")
    assert foreign.status_code == 400
    assert "target_source_id" in foreign.json()["errors"]

    with capture(execute=True):
        started = world.client("manager").post(url, body, format="json")
    assert started.status_code == 202
    done = job(world, started.json()["job_id"])
    assert done["status"] == "succeeded", done
    target = done["result"]["target"]
    detail = world.client("manager").get(f"/api/v1/exports/{started.json()['export_id']}/").json()
    assert target == {"bucket": bucket, "key": f"shots/exports/{detail['manifest']['content']['file_name']}"}
    written = client.get_object(Bucket=bucket, Key=target["key"])["Body"].read()
    assert hashlib.sha256(written).hexdigest() == detail["sha256"]
    manifest = json.loads(
        client.get_object(Bucket=bucket, Key=target["key"] + ".manifest.json")["Body"].read()
    )
    assert manifest["content"]["sha256"] == detail["sha256"]


def test_an_unwritable_target_fails_the_job_naming_the_bucket(
    world: World, capture: Any, moto_server: MotoServer, customer_bucket: Any
) -> None:
    source = create(world, source_body(moto_server, "no-such-target-bucket"))
    with capture(execute=True):
        started = world.client("manager").post(
            f"/api/v1/projects/{world.project.pk}/exports/",
            {"format": "jsonl", "target_source_id": source["id"]},
            format="json",
        )
    done = job(world, started.json()["job_id"])
    assert done["status"] == "failed"
    assert "writing it to bucket no-such-target-bucket failed" in done["message"]


def test_a_second_sync_while_one_is_under_way_is_refused(world: World, capture: Any) -> None:
    source = BucketSource.objects.create(project=world.project, name="s", bucket="media")
    with capture(execute=False):  # the first one's job stays pending (not run)
        first = world.client("manager").post(f"/api/v1/sources/{source.pk}/sync/", {}, format="json")
        second = world.client("manager").post(f"/api/v1/sources/{source.pk}/sync/", {}, format="json")
    assert first.status_code == 202
    assert second.status_code == 409
    assert second.json()["job_id"] == first.json()["job_id"]
