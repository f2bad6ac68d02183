"""Files in an S3-compatible bucket (moto's server over HTTP): uploads, item images, exports, direct uploads.

Nothing may land on the local disk: each test's MEDIA_ROOT must stay empty.
"""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
import requests
from django.core.files.storage import default_storage
from PIL import Image

from annotation_qc.exchange.models import DataImport
from annotation_qc.labeling.models import Item
from annotation_qc.workflow.dispatch_pipeline import task_next
from tests.api.conftest import World
from tests.api.exchange_helpers import OPAQUE_KEY, coco_document, imported, job, post_import, upload
from tests.s3 import Bucket

pytestmark = pytest.mark.django_db


def picture(width: int, height: int, seed: int) -> bytes:
    """A PNG with texture (a flat colour is held back as blank by the data-health checks)."""
    pixels = np.random.default_rng(seed).integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def local_files(settings: Any) -> list[str]:
    from pathlib import Path

    root = Path(settings.MEDIA_ROOT)
    return [str(path) for path in root.rglob("*") if path.is_file()] if root.exists() else []


def coco_of(*images: tuple[str, int, int]) -> dict[str, Any]:
    """A COCO document whose images are files of the upload (no URL)."""
    document = coco_document(list(images), {images[0][0]: [(1, 1, 10, 10, 1)]})
    for image in document["images"]:
        del image["coco_url"]
    return document


def coco_with_images(world: World, capture: Any) -> dict[str, Any]:
    document = coco_of(("a.png", 64, 48), ("b.png", 32, 24))
    return imported(
        world,
        capture,
        multipart=True,
        format="coco",
        file=upload("set.json", json.dumps(document).encode()),
        images=[upload("a.png", picture(64, 48, 1)), upload("b.png", picture(32, 24, 2))],
    )


def test_an_upload_import_keeps_everything_in_the_bucket_under_opaque_keys(
    world: World, capture: Any, s3_bucket: Bucket, settings: Any
) -> None:
    report = coco_with_images(world, capture)
    assert report["created"] == 2
    items = list(Item.objects.filter(project=world.project, external_id__in=["a.png", "b.png"]))
    keys = set(s3_bucket.keys())
    for item in items:
        assert OPAQUE_KEY.fullmatch(item.image.name)
        assert item.image.name in keys
    data_import = DataImport.objects.get()
    by_role = {
        f["role"]: [e["path"] for e in data_import.files if e["role"] == f["role"]] for f in data_import.files
    }
    assert by_role["data"][0] in keys  # the annotation file is kept,
    assert not set(by_role["image"]) & keys  # the uploaded images were copied to items, then removed
    assert all(OPAQUE_KEY.fullmatch(key) for key in keys)
    assert not any(name in key for key in keys for name in ("a.png", "b.png", "set.json", "items", "imports"))
    assert local_files(settings) == []


def test_an_image_request_is_checked_then_redirected_to_a_short_lived_url_that_says_nothing(
    world: World, capture: Any, s3_bucket: Bucket, settings: Any
) -> None:
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "STORAGE_URL_EXPIRE_SECONDS": 120}
    coco_with_images(world, capture)
    item = Item.objects.get(project=world.project, external_id="a.png")
    Item.objects.filter(project=world.project).exclude(pk=item.pk).update(open_slots=0)  # a is served next
    task = task_next(project=world.project, annotator_id=world.users["annotator"].pk)
    assert task is not None
    assert task.item_id == item.pk

    response = world.client("annotator").get(f"/api/v1/images/{item.image_token}/")
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    url = urlsplit(response["Location"])
    assert url.path == f"/{s3_bucket.name}/{item.image.name}"
    assert parse_qs(url.query)["X-Amz-Expires"] == ["120"]
    for telling in ("a.png", item.external_id, "gold", "items"):
        assert telling not in url.path.split("/", 2)[-1]
    fetched = requests.get(response["Location"], timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == picture(64, 48, 1)
    assert fetched.headers["Content-Type"] == "image/png"

    # Asking again gives a URL signed anew (an expired one is replaced by reloading the image).
    again = world.client("annotator").get(f"/api/v1/images/{item.image_token}/")
    assert again.status_code == 302

    other = Item.objects.get(project=world.project, external_id="b.png")  # never served to them
    assert world.client("annotator").get(f"/api/v1/images/{other.image_token}/").status_code == 404
    assert world.client("annotator").get(f"/api/v1/items/{item.pk}/image/").status_code == 404  # ids: no
    assert world.client("outsider").get(f"/api/v1/items/{item.pk}/image/").status_code == 404
    assert world.client("anonymous").get(f"/api/v1/items/{item.pk}/image/").status_code == 401
    assert world.client("manager").get(f"/api/v1/items/{other.pk}/image/").status_code == 302
    assert local_files(settings) == []


def test_an_export_is_written_to_the_bucket_and_downloaded_from_a_presigned_url(
    world: World, capture: Any, s3_bucket: Bucket, settings: Any
) -> None:
    coco_with_images(world, capture)
    with capture(execute=True):
        started = world.client("ml_engineer").post(
            f"/api/v1/projects/{world.project.pk}/exports/", {"format": "jsonl"}, format="json"
        )
    assert started.status_code == 202
    assert job(world, started.json()["job_id"])["status"] == "succeeded"
    export_id = started.json()["export_id"]
    detail = world.client("ml_engineer").get(f"/api/v1/exports/{export_id}/").json()

    response = world.client("ml_engineer").get(f"/api/v1/exports/{export_id}/download/")
    assert response.status_code == 302
    assert response["ETag"] == f'"{detail["sha256"]}"'
    assert OPAQUE_KEY.fullmatch(urlsplit(response["Location"]).path.split("/", 2)[-1])
    fetched = requests.get(response["Location"], timeout=10)
    assert fetched.status_code == 200
    assert hashlib.sha256(fetched.content).hexdigest() == detail["sha256"]
    disposition = fetched.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert detail["manifest"]["content"]["file_name"] in disposition
    assert fetched.headers["Content-Type"] == "application/x-ndjson" or fetched.headers["Content-Type"]

    conditional = world.client("ml_engineer").get(
        f"/api/v1/exports/{export_id}/download/", HTTP_IF_NONE_MATCH=f'"{detail["sha256"]}"'
    )
    assert conditional.status_code == 304
    assert world.client("annotator").get(f"/api/v1/exports/{export_id}/download/").status_code == 404
    assert world.client("outsider").get(f"/api/v1/exports/{export_id}/download/").status_code == 404
    assert local_files(settings) == []


def slots(world: World, files: list[dict[str, Any]], role: str = "manager") -> Any:
    return world.client(role).post(
        f"/api/v1/projects/{world.project.pk}/uploads/", {"files": files}, format="json"
    )


def send(slot: dict[str, Any], content: bytes) -> None:
    response = requests.post(
        slot["url"], data=slot["fields"], files={"file": (slot["name"], content)}, timeout=10
    )
    assert response.status_code in (200, 201, 204), response.text


def test_a_large_upload_goes_straight_to_the_bucket_then_imports(
    world: World, capture: Any, s3_bucket: Bucket, settings: Any
) -> None:
    document = json.dumps(coco_of(("a.png", 64, 48))).encode()
    image = picture(64, 48, 1)
    response = slots(
        world, [{"name": "set.json", "size": len(document)}, {"name": "a.png", "size": len(image)}]
    )
    assert response.status_code == 201, response.json()
    given = response.json()["uploads"]
    assert [slot["name"] for slot in given] == ["set.json", "a.png"]
    for slot, content in zip(given, [document, image], strict=True):
        assert OPAQUE_KEY.fullmatch(slot["fields"]["key"])
        send(slot, content)
    report = imported(
        world, capture, format="coco", **{"as": "gold"}, uploads=[slot["token"] for slot in given]
    )
    assert report["gold"] == 1
    item = Item.objects.get(project=world.project, external_id="a.png")
    assert default_storage.open(item.image.name).read() == image
    data_import = DataImport.objects.get()
    assert sorted(f["role"] for f in data_import.files) == ["data", "image"]
    assert not default_storage.exists(
        given[1]["fields"]["key"]
    )  # the uploaded image was copied, then removed
    assert local_files(settings) == []


def test_upload_tokens_are_checked(world: World, capture: Any, s3_bucket: Bucket) -> None:
    content = b'{"images": [], "annotations": [], "categories": []}'
    (slot,) = slots(world, [{"name": "set.json", "size": len(content)}]).json()["uploads"]

    not_sent = post_import(world, capture, format="coco", uploads=[slot["token"]])
    assert not_sent.status_code == 400
    assert "has not been uploaded" in not_sent.json()["errors"]["uploads[0]"][0]

    send(slot, content)
    someone_else = post_import(world, capture, role="ml_engineer", format="coco", uploads=[slot["token"]])
    assert someone_else.status_code == 400
    assert someone_else.json()["errors"]["uploads[0]"] == ["not an upload slot of yours in this project"]
    forged = post_import(world, capture, format="coco", uploads=[slot["token"][:-2] + "xx"])
    assert forged.json()["errors"]["uploads[0]"] == ["not an upload token"]
    mixed = post_import(
        world, capture, multipart=True, format="coco", uploads=[slot["token"]], file=upload("x.json", content)
    )
    assert mixed.status_code == 400
    assert "uploads" in mixed.json()["errors"]
    assert DataImport.objects.count() == 0


def test_upload_slot_requests_are_validated(world: World, s3_bucket: Bucket, settings: Any) -> None:
    assert slots(world, []).status_code == 400
    bad = slots(world, [{"name": "x\x00.json", "size": 10}])
    assert bad.status_code == 400
    assert "files[0].name" in bad.json()["errors"]
    assert "files[0].size" in slots(world, [{"name": "x.json", "size": 0}]).json()["errors"]
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "IMPORT_MAX_UPLOAD_BYTES": 100}
    assert slots(world, [{"name": "x.zip", "size": 101}]).status_code == 413


@pytest.mark.parametrize(
    ("role", "expected"),
    [("manager", 201), ("ml_engineer", 201), ("annotator", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_upload_slot_permissions(world: World, s3_bucket: Bucket, role: str, expected: int) -> None:
    assert slots(world, [{"name": "x.json", "size": 10}], role=role).status_code == expected


def test_direct_uploads_need_object_storage(world: World, media: Any) -> None:
    response = slots(world, [{"name": "x.json", "size": 10}])
    assert response.status_code == 409
    assert "object storage" in response.json()["detail"]


def test_an_unreachable_bucket_fails_the_request_and_nothing_goes_to_local_disk(
    world: World, capture: Any, s3_bucket: Bucket, settings: Any
) -> None:
    storages = s3_bucket.storage_setting()
    storages["default"]["OPTIONS"]["endpoint_url"] = "http://127.0.0.1:9"  # nothing listens there
    settings.STORAGES = storages
    response = post_import(
        world, capture, multipart=True, format="coco", file=upload("set.json", b'{"images": []}')
    )
    assert response.status_code == 503
    assert s3_bucket.name in response.json()["detail"]
    assert DataImport.objects.count() == 0
    assert local_files(settings) == []
