"""Imports whose images are given by URL: measured or copied by downloading them, through the guard."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.storage import default_storage

from annotation_qc.exchange.models import DataImport
from annotation_qc.labeling.models import Item
from tests.api.conftest import World
from tests.api.exchange_helpers import OPAQUE_KEY, imported, jpeg, png, rejected, upload
from tests.api.local_http import ImageServer, image_server

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def served(server: ImageServer) -> Any:
    """The items whose image came from the test server (the world has items of its own)."""
    return Item.objects.filter(metadata__source_url__startswith=server.base) | Item.objects.filter(
        image_url__startswith=server.base
    )


@pytest.fixture
def server() -> Iterator[ImageServer]:
    with image_server() as state:
        yield state


def tasks(*urls: str, size: tuple[int, int] | None = None) -> list[dict[str, Any]]:
    """Label Studio tasks with one image each, without a size unless given."""
    found = []
    for n, url in enumerate(urls, start=1):
        task: dict[str, Any] = {"id": n, "data": {"image": url}}
        if size is not None:
            task["annotations"] = [
                {
                    "result": [
                        {
                            "type": "rectanglelabels",
                            "original_width": size[0],
                            "original_height": size[1],
                            "value": {
                                "x": 10,
                                "y": 10,
                                "width": 20,
                                "height": 20,
                                "rectanglelabels": ["car"],
                            },
                        }
                    ]
                }
            ]
        found.append(task)
    return found


def test_a_url_image_without_a_size_is_measured_and_referenced(
    world: World, capture: Any, server: ImageServer
) -> None:
    server.files = {"a.png": png(64, 48), "b.jpg": jpeg(40, 30)}
    report = imported(
        world, capture, format="label_studio", data=tasks(server.url("a.png"), server.url("b.jpg"))
    )
    assert report["created"] == 2
    sizes = {i.image_url: (i.width, i.height, i.image.name) for i in served(server)}
    assert sizes == {server.url("a.png"): (64, 48, ""), server.url("b.jpg"): (40, 30, "")}
    assert sorted(server.hits) == ["/a.png", "/b.jpg"]


def test_a_url_image_with_a_stated_size_is_not_downloaded(
    world: World, capture: Any, server: ImageServer
) -> None:
    server.files = {"a.png": png(64, 48)}
    report = imported(world, capture, format="label_studio", data=tasks(server.url("a.png"), size=(64, 48)))
    assert report["created"] == 1
    assert server.hits == []


def test_copy_images_downloads_and_serves_them_from_here(
    world: World, capture: Any, server: ImageServer
) -> None:
    server.files = {"a.png": png(64, 48)}
    body = {
        "format": "label_studio",
        "data": tasks(server.url("moved/a.png"), size=(64, 48)),
        "copy_images": True,
    }
    assert imported(world, capture, **body)["created"] == 1
    (item,) = served(server)
    assert item.image_url == ""
    assert OPAQUE_KEY.fullmatch(item.image.name)
    assert default_storage.open(item.image.name).read() == server.files["a.png"]
    assert item.metadata["source_url"] == server.url("moved/a.png")
    assert server.hits == ["/moved/a.png", "/a.png"]  # the redirect was followed
    assert DataImport.objects.get().copy_images is True


def test_a_copied_image_must_have_the_stated_size(world: World, capture: Any, server: ImageServer) -> None:
    server.files = {"a.png": png(64, 48)}
    body = {"format": "label_studio", "data": tasks(server.url("a.png"), size=(100, 80)), "copy_images": True}
    found = rejected(world, capture, **body)
    assert "states 100x80 but the image at its URL is 64x48" in found["tasks[0]"]


def test_one_missing_or_broken_url_image_rejects_the_whole_file(
    world: World, capture: Any, server: ImageServer, media: Any
) -> None:
    server.files = {"a.png": png(64, 48), "text.png": b"<html>not an image</html>"}
    body = {
        "format": "label_studio",
        "data": tasks(server.url("a.png"), server.url("gone.png"), server.url("text.png")),
        "copy_images": True,
    }
    found = rejected(world, capture, **body)
    assert found["tasks[1]"] == "image URL: the server answered HTTP 404 Not Found"
    assert "not a PNG, JPEG, WebP or GIF image" in found["tasks[2]"]
    assert "tasks[0]" not in found
    assert not served(server).exists()
    # the copy of a.png made before the 404 is deleted: only the annotation file is left
    left = [path.relative_to(media).as_posix() for path in media.rglob("*") if path.is_file()]
    assert left == [DataImport.objects.get().files[0]["path"]]


def test_an_image_over_the_size_limit_is_refused_while_reading(
    world: World, capture: Any, server: ImageServer, settings: Any
) -> None:
    server.files = {"big.png": png(400, 400, colour=(1, 2, 3)) + b"\0" * 5000}
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "IMPORT_MAX_IMAGE_BYTES": 4000}
    found = rejected(world, capture, format="label_studio", data=tasks(server.url("big.png")))
    assert "images may have at most 4000" in found["tasks[0]"]


def test_internal_addresses_are_refused_when_the_guard_is_on(
    world: World, capture: Any, server: ImageServer, settings: Any
) -> None:
    server.files = {"a.png": png(64, 48)}
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "OUTBOUND_ALLOW_PRIVATE": False}
    found = rejected(world, capture, format="label_studio", data=tasks(server.url("a.png")))
    assert found["tasks[0]"].startswith("image URL: refused:")
    assert "not a public address" in found["tasks[0]"]
    assert server.hits == []


def jsonl(rows: list[dict[str, Any]]) -> Any:
    return upload("predictions.jsonl", "".join(json.dumps(row) + "\n" for row in rows).encode())


def test_jsonl_predictions_are_checked_against_the_measured_size_when_a_line_states_none(
    world: World, capture: Any, server: ImageServer
) -> None:
    """The parser checks boxes against the size a line states; with no size stated, the image is
    measured and the boxes are checked again against it (the write skips a second check only when
    every line stated its size, which must equal the item's)."""
    server.files = {"a.png": png(64, 48), "b.png": png(64, 48)}
    box = {"x": 50, "y": 10, "w": 40, "h": 20, "label": "car"}  # ends at x = 90, past a width of 64
    rows = [
        {"external_id": "a", "image_url": server.url("a.png"), "annotation": {"boxes": [box]}},
        {
            "external_id": "b",
            "image_url": server.url("b.png"),
            "width": 64,
            "height": 48,
            "annotation": {"boxes": [{**box, "x": 5}]},
        },
    ]
    body = {"format": "jsonl", "as": "predictions", "model_version": "m1"}
    reasons = rejected(world, capture, multipart=True, file=jsonl(rows), **body)
    assert list(reasons) == ["line 1"]
    assert "outside the image" in reasons["line 1"], reasons
    assert not served(server).exists()
    rows[0]["annotation"] = {"boxes": [{**box, "x": 5}]}
    report = imported(world, capture, multipart=True, file=jsonl(rows), **body)
    assert (report["created"], report["predictions"]) == (2, 2)
