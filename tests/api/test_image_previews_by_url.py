"""Very large images imported by URL (not copied) get a preview too: a worker downloads the image through the
import's guarded, bounded fetcher, keeps only the downscaled copy and records it on the item; the image API
serves it exactly as a stored image's preview. A failed try is recorded and tried again a few times only."""

from __future__ import annotations

import io
import json
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from annotation_qc.labeling.models import Item
from annotation_qc.labeling.selectors import item_image_url
from annotation_qc.labeling.services import previews
from annotation_qc.labeling.services.imports import items_import
from annotation_qc.labeling.services.previews import (
    MAX_FAILURES,
    PREVIEW_SIDE,
    item_preview_make,
    items_missing_previews,
    preview_render,
)
from annotation_qc.labeling.tasks import previews_sweep
from annotation_qc.workflow.dispatch_pipeline import task_next
from tests.api.conftest import World
from tests.api.exchange_helpers import imported
from tests.api.local_http import ImageServer, image_server
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

BIG = (8000, 1000)


def _jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "#3366aa").save(out, format="JPEG", quality=70)
    return out.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header states this size, without the pixels (nothing must be decoded to refuse it)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def _size(content: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(content)) as image:
        return image.size


def _body(response: Any) -> bytes:
    assert response.status_code == 200, (response.status_code, getattr(response, "data", None))
    return b"".join(response.streaming_content)


@pytest.fixture
def server() -> Iterator[ImageServer]:
    with image_server() as state:
        yield state


def _url_item(world: World, capture: Any, url: str, size: tuple[int, int] = BIG) -> Item:
    """An item imported by URL through the items API as a manager would; its preview job runs at commit."""
    with capture(execute=True) as jobs:
        response = world.client("manager").post(
            f"/api/v1/projects/{world.project.pk}/items/",
            {"items": [{"external_id": "by-url", "image_url": url, "width": size[0], "height": size[1]}]},
            format="json",
        )
    assert response.status_code == 201, response.json()
    assert len(jobs) >= 1
    return Item.objects.get(project=world.project, external_id="by-url")


def test_a_large_image_by_url_gets_a_preview_served_to_its_annotator_only(
    world: World, capture: Any, server: ImageServer
) -> None:
    server.files = {"big.jpg": _jpeg(*BIG)}
    Item.objects.filter(project=world.project).delete()  # the annotator's next task is this item
    item = _url_item(world, capture, server.url("big.jpg"))
    assert server.hits == ["/big.jpg"]  # downloaded once, by the job
    assert item.image.name == ""  # the original is not kept: only its preview
    assert item.image_url == server.url("big.jpg")
    assert item.preview
    assert (item.preview_problem, item.preview_failures) == ("", 0)
    assert item_image_url(item) == f"/api/v1/items/{item.pk}/image/"  # managers reach the preview too

    annotator = world.users["annotator"]
    task = task_next(project=world.project, annotator_id=annotator.pk)
    assert task is not None
    assert task.item_id == item.pk
    client = world.client("annotator")
    url = f"/api/v1/images/{item.image_token}/"
    preview = client.get(url, {"size": "preview"})
    assert _size(_body(preview)) == (PREVIEW_SIDE, PREVIEW_SIDE * BIG[1] // BIG[0])
    assert preview["Content-Type"] == "image/jpeg"
    # The full size stays a redirect to the URL it was imported with.
    full = client.get(url)
    assert (full.status_code, full["Location"]) == (302, server.url("big.jpg"))
    assert server.hits == ["/big.jpg"]  # serving the preview downloads nothing

    # The same headers as a stored image's preview: nothing tells the two kinds apart but the bytes.
    stored = default_storage.save("big.jpg", ContentFile(_jpeg(*BIG)))
    with capture(execute=True):
        (other,) = items_import(
            project=world.project,
            rows=[{"external_id": "stored", "image": stored, "width": BIG[0], "height": BIG[1]}],
        )
    other.refresh_from_db()
    assert other.preview
    manager = world.client("manager")
    stored_preview = manager.get(f"/api/v1/items/{other.pk}/image/", {"size": "preview"})
    by_url_preview = manager.get(f"/api/v1/items/{item.pk}/image/", {"size": "preview"})
    assert _size(_body(by_url_preview)) == _size(_body(stored_preview))
    assert sorted(by_url_preview.headers) == sorted(stored_preview.headers)
    assert "Content-Disposition" not in by_url_preview
    assert "ETag" not in by_url_preview

    # Nobody else gets it: another annotator of the project (no task on it), an outsider, nobody signed in.
    stranger = UserFactory(username="annotator2")
    MembershipFactory(project=world.project, user=stranger, role="annotator")
    world.users["annotator2"] = stranger
    peer = world.client("annotator2")
    assert peer.get(url, {"size": "preview"}).status_code == 404
    assert peer.get(f"/api/v1/items/{item.pk}/image/", {"size": "preview"}).status_code == 404
    assert world.client("outsider").get(url, {"size": "preview"}).status_code == 404
    assert world.client("anonymous").get(url, {"size": "preview"}).status_code == 401

    # Run again (a redelivered job, the sweep): nothing more is downloaded or stored.
    assert item_preview_make(item_id=item.pk) is False
    assert items_missing_previews() == []
    with capture(execute=True):
        assert previews_sweep() == 0
    assert server.hits == ["/big.jpg"]
    assert Item.objects.get(pk=item.pk).preview == item.preview


def test_an_exchange_import_by_url_with_a_stated_size_gets_a_preview(
    world: World, capture: Any, server: ImageServer
) -> None:
    server.files = {"big.jpg": _jpeg(*BIG), "small.jpg": _jpeg(64, 48)}
    rows = [
        {"external_id": "big", "image_url": server.url("big.jpg"), "width": BIG[0], "height": BIG[1]},
        {"external_id": "small", "image_url": server.url("small.jpg"), "width": 64, "height": 48},
    ]
    data = "\n".join(json.dumps(row) for row in rows)
    assert imported(world, capture, format="jsonl", data=data)["created"] == 2
    big, small = (Item.objects.get(project=world.project, external_id=e) for e in ("big", "small"))
    assert big.image.name == ""
    assert big.preview
    assert small.preview == ""  # small images need none, and are not downloaded
    assert server.hits == ["/big.jpg"]


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("gone.jpg", "the server answered HTTP 404 Not Found"),
        ("text.jpg", "not a readable image (UnidentifiedImageError"),
        ("huge.jpg", "images may have at most 2000"),
        ("bomb.png", "DecompressionBombError: 20000x15000 pixels to decode"),
    ],
)
def test_a_failing_url_is_recorded_and_given_up_after_a_few_tries(
    world: World, capture: Any, server: ImageServer, settings: Any, path: str, problem: str
) -> None:
    server.files = {
        "text.jpg": b"<html>not an image</html>",
        "huge.jpg": _jpeg(*BIG) + b"\0" * 2000,
        "bomb.png": _png_claiming(20000, 15000),  # more than the stated size, and than may be decoded
    }
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "IMPORT_MAX_IMAGE_BYTES": 2000}
    item = _url_item(world, capture, server.url(path))
    assert item.preview == ""
    assert problem in item.preview_problem
    assert item.preview_failures == 1
    # The sweep tries again until MAX_FAILURES tries have failed, then leaves the item alone.
    for tries in range(2, MAX_FAILURES + 1):
        with capture(execute=True):
            assert previews_sweep() == 1
        item.refresh_from_db()
        assert item.preview_failures == tries
    hits = len(server.hits)
    assert hits == MAX_FAILURES
    assert items_missing_previews() == []
    with capture(execute=True):
        assert previews_sweep() == 0
    assert item_preview_make(item_id=item.pk) is False
    assert len(server.hits) == hits
    # The labeling screen falls back as for any image without a preview: the image at its URL.
    response = world.client("manager").get(f"/api/v1/items/{item.pk}/image/", {"size": "preview"})
    assert (response.status_code, response["Location"]) == (302, server.url(path))


def test_an_internal_address_is_refused_when_the_guard_is_on(
    world: World, capture: Any, server: ImageServer, settings: Any
) -> None:
    server.files = {"big.jpg": _jpeg(*BIG)}
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "OUTBOUND_ALLOW_PRIVATE": False}
    # The items API takes the URL (its host is checked on connect, on every redirect hop).
    item = _url_item(world, capture, server.url("big.jpg"))
    assert item.preview == ""
    assert item.preview_problem.startswith("refused:")
    assert "not a public address" in item.preview_problem
    assert server.hits == []


def test_a_try_that_failed_for_a_while_succeeds_on_the_sweep(
    world: World, capture: Any, server: ImageServer
) -> None:
    server.files = {"big.jpg": _jpeg(*BIG)}
    server.failing = {"big.jpg"}
    item = _url_item(world, capture, server.url("big.jpg"))
    assert (item.preview, item.preview_failures) == ("", 1)
    assert "HTTP 503" in item.preview_problem
    server.failing = set()
    with capture(execute=True):
        assert previews_sweep() == 1
    item.refresh_from_db()
    assert item.preview
    assert item.preview_problem == ""
    assert server.hits == ["/big.jpg", "/big.jpg"]


def test_the_pixels_decoded_are_bounded_and_a_jpeg_counts_at_its_reduced_scale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(previews, "MAX_PIXELS", 10_000_000)
    with pytest.raises(Image.DecompressionBombError, match="4200x4200 pixels to decode"):
        preview_render(_png_claiming(4200, 4200))
    rendered, content_type = preview_render(_jpeg(4200, 4200))  # decoded at half scale: 2100x2100
    assert (_size(rendered), content_type) == ((PREVIEW_SIDE, PREVIEW_SIDE), "image/jpeg")
