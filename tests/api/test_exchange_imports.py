"""Imports through the API: COCO, Label Studio, CSV, JSONL, images; bad input rejected whole with a report."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.storage import default_storage

from annotation_qc.benchmarks.models import GoldAnnotation
from annotation_qc.exchange.models import DataImport
from annotation_qc.labeling.models import Item, Prediction
from tests.api.conftest import World
from tests.api.exchange_helpers import (
    OPAQUE_KEY,
    coco_document,
    imported,
    job,
    jpeg,
    png,
    post_import,
    rejected,
    upload,
    zip_bytes,
)
from tests.factories import MembershipFactory, ProjectFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

IMAGES = [("a.jpg", 640, 480), ("b.jpg", 320, 240)]
BOXES = {"a.jpg": [(10, 20, 30, 40, 1), (100, 100, 50, 60, 2)], "b.jpg": [(5, 5, 20, 10, 3)]}


def items_of(world: World) -> int:
    return Item.objects.filter(project=world.project).count()


def test_coco_as_items_creates_items_with_their_urls_and_sizes(world: World, capture: Any) -> None:
    report = imported(world, capture, format="coco", data=coco_document(IMAGES, BOXES))
    assert report["created"] == 2
    assert report["rejected"] == []
    assert any("not imported (as=items)" in note for note in report["notes"])
    item = Item.objects.get(project=world.project, external_id="a.jpg")
    assert (item.image_url, item.width, item.height) == ("https://img.example/a.jpg", 640, 480)
    assert item.metadata["source"] == {"format": "coco", "image_id": 1, "file_name": "a.jpg"}
    data_import = DataImport.objects.get()
    assert data_import.status == "imported"
    assert default_storage.exists(data_import.files[0]["path"])  # the file was stored first
    # under an opaque key: nothing of the project, the import or the file name
    assert OPAQUE_KEY.fullmatch(data_import.files[0]["path"])


def test_coco_as_gold_keeps_the_boxes_as_gold_answers(world: World, capture: Any) -> None:
    report = imported(world, capture, format="coco", data=coco_document(IMAGES, BOXES), **{"as": "gold"})
    assert report["gold"] == 2
    gold = GoldAnnotation.objects.get(item__external_id="a.jpg")
    assert gold.payload == {
        "boxes": [
            {"x": 10.0, "y": 20.0, "w": 30.0, "h": 40.0, "label": "car"},
            {"x": 100.0, "y": 100.0, "w": 50.0, "h": 60.0, "label": "person"},
        ]
    }
    assert gold.item.is_gold
    assert gold.item.open_slots == 0


def test_coco_predictions_with_scores_for_new_and_existing_items(world: World, capture: Any) -> None:
    existing = Item.objects.filter(project=world.project).first()
    document = coco_document([*IMAGES, (existing.external_id, existing.width, existing.height)], BOXES)
    document["annotations"].append(
        {"id": 9, "image_id": 3, "category_id": 3, "bbox": [1, 1, 10, 10], "iscrowd": 0}
    )
    for annotation in document["annotations"]:
        annotation["score"] = 0.25 + 0.01 * annotation["id"]
    report = imported(
        world, capture, format="coco", data=document, model_version="yolo-7", **{"as": "predictions"}
    )
    assert (report["created"], report["existing_items"], report["predictions"]) == (2, 1, 3)
    prediction = Prediction.objects.get(item=existing, model_version="yolo-7")
    assert prediction.scores == [pytest.approx(0.34)]
    assert prediction.payload["boxes"][0]["label"] == "bike"
    assert Prediction.objects.get(item__external_id="a.jpg").scores == [
        pytest.approx(0.26),
        pytest.approx(0.27),
    ]


def test_predictions_need_a_model_version(world: World, capture: Any) -> None:
    response = post_import(
        world, capture, format="coco", data=coco_document(IMAGES, BOXES), **{"as": "predictions"}
    )
    assert response.status_code == 400
    assert "model_version" in response.json()["errors"]
    assert not DataImport.objects.exists()


def test_ml_engineers_import_but_only_managers_import_gold(world: World, capture: Any) -> None:
    document = coco_document(IMAGES, BOXES)
    response = post_import(world, capture, role="ml_engineer", format="coco", data=document, **{"as": "gold"})
    assert response.status_code == 403
    assert "as" in response.json()["errors"]
    assert imported(world, capture, role="ml_engineer", format="coco", data=document)["created"] == 2


@pytest.mark.parametrize(
    ("change", "row", "fragment"),
    [
        (lambda d: d["images"][0].pop("id"), "images[0]", "id: required"),
        (lambda d: d["images"][1].update(id=1), "images[1]", "duplicate id 1"),
        (lambda d: d["annotations"][1].pop("id"), "annotations[1]", "id: required"),
        (lambda d: d["annotations"][1].update(id=1), "annotations[1]", "duplicate id 1"),
        (lambda d: d["annotations"][2].update(bbox=[300, 5, 40, 10]), "annotations[2]", "outside its image"),
        (lambda d: d["annotations"][0].update(category_id=42), "annotations[0]", "category_id 42 is not"),
        (lambda d: d["annotations"][0].update(image_id=42), "annotations[0]", "image_id 42 is not"),
        (
            lambda d: (
                d["categories"].append({"id": 4, "name": "truck"})
                or d["annotations"][0].update(category_id=4)
            ),
            "categories[3]",
            "'truck' is not one of the project's labels",
        ),
    ],
)
def test_malformed_coco_is_rejected_whole_naming_the_row(
    world: World, capture: Any, change: Any, row: str, fragment: str
) -> None:
    before = items_of(world)
    document = coco_document(IMAGES, BOXES)
    change(document)
    found = rejected(world, capture, format="coco", data=document, **{"as": "gold"})
    assert fragment in found[row], found
    assert items_of(world) == before
    assert not GoldAnnotation.objects.exists()
    assert DataImport.objects.get().status == "rejected"


def test_mixed_formats_are_named(world: World, capture: Any) -> None:
    tasks = [{"data": {"image": "https://img.example/x.jpg"}}]
    assert "Label Studio tasks" in rejected(world, capture, format="coco", data=tasks)["file"]
    assert "looks like JSON" in rejected(world, capture, format="csv", data=json.dumps(tasks))["file"]
    coco = coco_document(IMAGES, BOXES)
    assert "COCO object" in rejected(world, capture, format="label_studio", data=coco)["file"]
    assert items_of(world) == 3


def test_label_studio_rectangles_become_gold_boxes_in_pixels(world: World, capture: Any) -> None:
    result = {
        "type": "rectanglelabels",
        "from_name": "label",
        "to_name": "image",
        "original_width": 200,
        "original_height": 100,
        "value": {"x": 10, "y": 20, "width": 25, "height": 50, "rotation": 0, "rectanglelabels": ["bike"]},
    }
    tasks = [
        {"id": 1, "data": {"image": "https://img.example/ls1.jpg"}, "annotations": [{"result": [result]}]},
        {
            "id": 2,
            "data": {"image": "https://img.example/ls2.jpg", "width": 50, "height": 50},
            "annotations": [{"result": []}],
        },
    ]
    report = imported(world, capture, format="label_studio", data=tasks, **{"as": "gold"})
    assert report["gold"] == 2
    gold = GoldAnnotation.objects.get(item__external_id="1")
    assert gold.payload == {"boxes": [{"x": 20.0, "y": 20.0, "w": 50.0, "h": 50.0, "label": "bike"}]}
    assert (gold.item.width, gold.item.height) == (200, 100)


@pytest.fixture
def classes(world: World) -> World:
    project = ProjectFactory(kind="classification", labels=["cat", "dog"])
    for role in ("manager", "ml_engineer", "annotator"):
        MembershipFactory(project=project, user=world.users[role], role=role)
    return World(project=project, users=world.users)


def test_csv_classification_as_gold_and_as_items(classes: World, capture: Any) -> None:
    text = "external_id,image_url,width,height,label\nc1,https://img.example/c1.png,10,10,cat\nc2,https://img.example/c2.png,10,10,dog\n"
    assert imported(classes, capture, format="csv", data=text, **{"as": "gold"})["gold"] == 2
    assert GoldAnnotation.objects.get(item__external_id="c2").payload == {"label": "dog"}
    bad = "external_id,image_url,width,height,label\nc3,https://img.example/c3.png,10,10,cow\n"
    assert "'cow' is not one of" in rejected(classes, capture, format="csv", data=bad)["row 2"]


def test_jsonl_upload_as_a_file(classes: World, capture: Any) -> None:
    lines = "\n".join(
        json.dumps(
            {"external_id": f"j{n}", "image_url": f"https://img.example/j{n}.png", "width": 8, "height": 8}
        )
        for n in range(3)
    )
    report = imported(
        classes, capture, multipart=True, format="jsonl", file=upload("items.jsonl", lines.encode())
    )
    assert report["created"] == 3


def test_zip_of_coco_and_images_stores_the_images_and_reads_their_sizes(world: World, capture: Any) -> None:
    document = coco_document([("imgs/a.png", 64, 48), ("b.jpg", 40, 30)], {"imgs/a.png": [(1, 1, 10, 10, 1)]})
    for image in document["images"]:
        del image["coco_url"]
    del document["images"][1]["width"], document["images"][1]["height"]  # read from the image
    archive = zip_bytes(
        {"annotations.json": json.dumps(document).encode(), "imgs/a.png": png(), "photos/b.jpg": jpeg()}
    )
    report = imported(
        world, capture, multipart=True, format="coco", file=upload("set.zip", archive), **{"as": "gold"}
    )
    assert report["gold"] == 2
    b = Item.objects.get(external_id="b.jpg")
    assert (b.width, b.height) == (40, 30)
    assert OPAQUE_KEY.fullmatch(b.image.name)
    assert b.image_url == ""
    response = world.client("manager").get(f"/api/v1/items/{b.pk}/image/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"
    data_import = DataImport.objects.get()
    assert not default_storage.exists(data_import.files[0]["path"])  # the archive is discarded once copied


def test_stated_size_must_match_the_uploaded_image(world: World, capture: Any) -> None:
    document = coco_document([("a.png", 100, 100)], {})
    del document["images"][0]["coco_url"]
    archive = zip_bytes({"c.json": json.dumps(document).encode(), "a.png": png(64, 48)})
    found = rejected(world, capture, multipart=True, format="coco", file=upload("x.zip", archive))
    assert "states 100x100 but the uploaded image is 64x48" in found["images[0]"]


@pytest.mark.parametrize("evil", ["../evil.png", "/abs/evil.png", "imgs/../../evil.png"])
def test_zip_path_traversal_is_rejected_and_nothing_is_written(
    world: World, capture: Any, media: Any, evil: str
) -> None:
    archive = zip_bytes({"images/ok.png": png(), evil: png()})
    found = rejected(world, capture, multipart=True, format="images", file=upload("x.zip", archive))
    assert f"archive:{evil}" in found
    assert items_of(world) == 3
    assert not (media / "items").exists()
    assert not (media.parent / "evil.png").exists()


def test_zip_bomb_is_rejected(world: World, capture: Any, settings: Any) -> None:
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "IMPORT_MAX_ARCHIVE_BYTES": 5 << 20}
    archive = zip_bytes({"big.json": b" " * (6 << 20)})
    found = rejected(world, capture, multipart=True, format="coco", file=upload("bomb.zip", archive))
    assert "zip bomb" in found["file"]
    small = zip_bytes({"a.json": b" " * (2 << 20)})
    assert (
        "compression ratio"
        in rejected(world, capture, multipart=True, format="coco", file=upload("r.zip", small))[
            "archive:a.json"
        ]
    )


def test_archive_with_two_annotation_files_is_mixed(world: World, capture: Any) -> None:
    archive = zip_bytes({"a.json": b"{}", "b.csv": b"external_id\n", "x.png": png()})
    assert (
        "mixed formats"
        in rejected(world, capture, multipart=True, format="coco", file=upload("m.zip", archive))["file"]
    )


def test_uploaded_images_become_items(world: World, capture: Any) -> None:
    report = imported(
        world,
        capture,
        multipart=True,
        format="images",
        images=[upload("p1.png", png(30, 20)), upload("p2.jpg", jpeg())],
    )
    assert report["created"] == 2
    assert (Item.objects.get(external_id="p1.png").width, Item.objects.get(external_id="p1.png").height) == (
        30,
        20,
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [("fake.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>"), ("script.jpg", b"#!/bin/sh\nrm -rf /\n")],
)
def test_upload_content_type_is_judged_by_magic_bytes(
    world: World, capture: Any, name: str, content: bytes
) -> None:
    response = post_import(
        world, capture, multipart=True, format="images", images=[upload(name, content, "image/png")]
    )
    assert response.status_code == 400
    assert "not a PNG, JPEG, WebP or GIF" in response.json()["errors"]["images[0]"][0]
    assert not DataImport.objects.exists()


def test_broken_image_with_a_valid_signature_is_rejected_by_pillow(world: World, capture: Any) -> None:
    broken = png()[:40] + b"\x00" * 40
    found = rejected(
        world, capture, multipart=True, format="images", file=upload("z.zip", zip_bytes({"b.png": broken}))
    )
    assert "not a readable png image" in found["file:b.png"]
    assert items_of(world) == 3


def test_image_uploaded_as_an_annotation_format_is_mixed(world: World, capture: Any) -> None:
    response = post_import(world, capture, multipart=True, format="coco", file=upload("a.png", png()))
    assert response.status_code == 400
    assert "mixed formats" in response.json()["errors"]["file"][0]


def test_huge_uploads_get_413_before_anything_is_stored(
    world: World, capture: Any, settings: Any, media: Any
) -> None:
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "IMPORT_MAX_UPLOAD_BYTES": 10_000}
    response = post_import(
        world,
        capture,
        multipart=True,
        format="images",
        images=[upload("p.png", png(400, 400) + b"\x00" * 20_000)],
    )
    assert response.status_code == 413
    assert "at most 10000 bytes" in response.json()["detail"]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post_import(
        world, capture, format="coco", data=coco_document([(f"{n}.jpg", 5, 5) for n in range(50)], {})
    )
    assert response.status_code == 413
    assert not DataImport.objects.exists()
    assert not (media / "imports").exists()


def test_one_image_over_the_image_limit_is_413(world: World, capture: Any, settings: Any) -> None:
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "IMPORT_MAX_IMAGE_BYTES": 100}
    response = post_import(world, capture, multipart=True, format="images", images=[upload("p.png", png())])
    assert response.status_code == 413
    assert "images[0]" in response.json()["errors"]


def test_imports_are_listed_with_their_reports(world: World, capture: Any) -> None:
    imported(world, capture, format="coco", data=coco_document(IMAGES, BOXES))
    rejected(world, capture, format="coco", data={"images": []})
    response = world.client("ml_engineer").get(f"/api/v1/projects/{world.project.pk}/imports/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["status"] for r in rows] == ["rejected", "imported"]
    assert rows[0]["report"]["rejected"][0]["row"] == "file"
    assert rows[1]["as"] == "items"
    assert rows[1]["files"][0]["role"] == "data"
    detail = world.client("manager").get(f"/api/v1/imports/{rows[1]['id']}/").json()
    assert detail["report"]["created"] == 2
    assert job(world, detail["job_id"])["progress"] == 1.0


def test_rejected_import_deletes_the_images_it_had_stored(world: World, capture: Any, media: Any) -> None:
    existing = Item.objects.filter(project=world.project).first().external_id
    document = coco_document([("a.png", 64, 48), ("b.png", 64, 48)], {})
    for image in document["images"]:
        del image["coco_url"]
    document["images"][1]["external_id"] = existing  # found only when the items are written, after storing
    archive = zip_bytes({"c.json": json.dumps(document).encode(), "a.png": png(), "b.png": png()})
    found = rejected(world, capture, multipart=True, format="coco", file=upload("x.zip", archive))
    assert "already exists" in found["images[1]"]
    assert items_of(world) == 3
    assert [p for p in (media / "items").rglob("*") if p.is_file()] == []
