"""Very large images get a downscaled preview, made in a worker after the import and stored beside the
original; ``?size=preview`` serves it (or the image itself where there is none), the original stays
what boxes are measured against."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from annotation_qc.labeling.models import Item
from annotation_qc.labeling.services.imports import items_import
from annotation_qc.labeling.services.previews import (
    MAX_FAILURES,
    PREVIEW_SIDE,
    item_preview_make,
    items_missing_previews,
    preview_render,
)
from annotation_qc.workflow.dispatch_pipeline import task_next
from tests.api.conftest import World

pytestmark = pytest.mark.django_db


def _image(width: int, height: int, fmt: str = "PNG", mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), "#3366aa" if mode == "RGB" else (50, 100, 150, 120)).save(
        out, format=fmt
    )
    return out.getvalue()


def _size(content: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(content)) as image:
        return image.size


def test_the_preview_keeps_the_aspect_and_alpha() -> None:
    rendered, content_type = preview_render(_image(9000, 600, "JPEG"))
    assert content_type == "image/jpeg"
    assert _size(rendered) == (PREVIEW_SIDE, round(600 * PREVIEW_SIDE / 9000))
    rendered, content_type = preview_render(_image(5000, 5000, "PNG", "RGBA"))
    assert content_type == "image/png"
    assert _size(rendered) == (PREVIEW_SIDE, PREVIEW_SIDE)


def _import(world: World, capture: Any, rows: list[dict[str, Any]]) -> list[Item]:
    Item.objects.filter(project=world.project).delete()
    with capture(execute=True) as jobs:
        items_import(project=world.project, rows=rows)
    assert len(jobs) == 1  # one preview job for the import
    return list(Item.objects.filter(project=world.project).order_by("external_id"))


def _body(response: Any) -> bytes:
    assert response.status_code == 200, (response.status_code, getattr(response, "data", None))
    return b"".join(response.streaming_content)


def test_a_large_import_gets_a_preview_served_on_request(world: World, media: Any, capture: Any) -> None:
    big = default_storage.save("big.png", ContentFile(_image(8000, 4000)))
    small = default_storage.save("small.png", ContentFile(_image(640, 480)))
    rows = [
        {"external_id": "a-big", "image": big, "width": 8000, "height": 4000, "priority": 2},
        {"external_id": "b-small", "image": small, "width": 640, "height": 480, "priority": 1},
    ]
    large, little = _import(world, capture, rows)
    # The worker made the big one's preview and left the small one alone.
    assert large.preview
    assert large.preview != large.image.name
    assert little.preview == ""
    assert items_missing_previews() == []
    assert item_preview_make(item_id=large.pk) is False  # made once
    annotator = world.users["annotator"]
    task = task_next(project=world.project, annotator_id=annotator.pk)
    assert task is not None
    assert task.item_id == large.pk

    client = world.client("annotator")
    url = f"/api/v1/images/{large.image_token}/"
    assert _size(_body(client.get(url))) == (8000, 4000)
    assert _size(_body(client.get(url, {"size": "full"}))) == (8000, 4000)
    preview = client.get(url, {"size": "preview"})
    assert preview.status_code == 200
    assert _size(_body(preview)) == (PREVIEW_SIDE, PREVIEW_SIDE // 2)
    assert preview["Content-Type"] == "image/jpeg"
    assert "Content-Disposition" not in preview
    # No preview: the image itself.
    manager = world.client("manager")
    assert _size(_body(manager.get(f"/api/v1/items/{little.pk}/image/", {"size": "preview"}))) == (640, 480)
    bad = client.get(url, {"size": "huge"})
    assert bad.status_code == 400
    assert "size" in bad.json()["errors"]
    # Someone else's image is a 404 whatever the query.
    assert world.client("outsider").get(url, {"size": "huge"}).status_code == 404


def test_the_sweep_makes_missing_previews_and_gives_up_on_a_broken_image(
    world: World, media: Any, capture: Any
) -> None:
    from annotation_qc.labeling.tasks import previews_sweep

    good = default_storage.save("big.png", ContentFile(_image(5000, 100)))
    broken = default_storage.save("broken.png", ContentFile(b"\x89PNG\r\n\x1a\n not really"))
    Item.objects.filter(project=world.project).delete()
    for name, path in (("good", good), ("broken", broken)):
        Item.objects.create(project=world.project, external_id=name, image=path, width=5000, height=100)
    with capture(execute=True):
        assert previews_sweep() == 2  # both sent to a worker
    assert Item.objects.get(external_id="good").preview
    failed = Item.objects.get(external_id="broken")
    assert failed.preview == ""
    assert failed.preview_problem.startswith("not a readable image")
    assert failed.preview_failures == 1
    # Tried again by the next sweeps, until MAX_FAILURES tries have failed; then left alone.
    for _ in range(MAX_FAILURES - 1):
        with capture(execute=True):
            assert previews_sweep() == 1
    assert Item.objects.get(external_id="broken").preview_failures == MAX_FAILURES
    assert items_missing_previews() == []
