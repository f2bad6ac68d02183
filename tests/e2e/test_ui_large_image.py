"""End to end in Chromium: a very large image, stored here or imported by URL, is shown from its downscaled
preview, the original is loaded only once the annotator zooms past the preview's resolution, and a box drawn
on either is stored in the original's pixels."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw

from annotation_qc.labeling.models import Annotation, Item
from annotation_qc.labeling.services.imports import items_import
from annotation_qc.labeling.services.previews import previews_make
from annotation_qc.projects.services import member_add, project_create
from tests.api.local_http import QuietHandler, serving
from tests.e2e.helpers import drag, shot, sign_in, user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BIG_W, BIG_H = 8000, 6000


def _huge_png() -> bytes:
    image = Image.new("RGB", (BIG_W, BIG_H), "#d8dde3")
    ImageDraw.Draw(image).rectangle((1000, 1000, 3000, 2500), fill="#5b7db1")
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


@contextmanager
def _image_row(where: str) -> Iterator[tuple[dict[str, Any], list[str]]]:
    """The import row of the huge image: stored here, or at a URL of a local server (for the test's length),
    with the requests that server has had."""
    content = _huge_png()
    hits: list[str] = []
    if where == "stored":
        yield {"image": default_storage.save("items/huge.png", ContentFile(content))}, hits
        return

    class Handler(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server name)
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

    with serving(Handler) as base:
        yield {"image_url": f"{base}/huge.png"}, hits


@pytest.mark.parametrize("where", ["stored", "url"])
def test_a_very_large_image_shows_its_preview_until_zoomed_and_boxes_stay_in_original_pixels(
    page: Any, live_server: Any, where: str
) -> None:
    with _image_row(where) as (image, hits):
        _label_the_huge_image(page, live_server, image, hits, where)


def _label_the_huge_image(
    page: Any, live_server: Any, image: dict[str, Any], hits: list[str], where: str
) -> None:
    manager, annotator = user("boss"), user("ann")
    project = project_create(
        name="huge",
        kind="bbox",
        labels=["car"],
        settings={"overlap_fraction": 0.0, "benchmark_rate": 0.0, "calibration_benchmarks": 0},
        creator=manager,
    )
    member_add(project=project, user=annotator, role="annotator")
    items_import(project=project, rows=[{"external_id": "huge", **image, "width": BIG_W, "height": BIG_H}])
    item = Item.objects.get(project=project)
    assert previews_make(item_ids=[item.pk]) == 0  # the import's job already ran (eager): nothing more to do
    item.refresh_from_db()
    assert item.preview
    assert bool(item.image) == ("image" in image)  # by URL, only the preview is kept here

    images: list[str] = []
    page.on("request", lambda request: images.append(request.url) if "/images/" in request.url else None)
    sign_in(page, live_server.url, "ann")
    page.goto(f"{live_server.url}/projects/{project.pk}/label")
    stage = page.get_by_test_id("canvas-stage")
    page.wait_for_function("el => el?.dataset.imageLevel === 'preview'", arg=stage.element_handle())
    assert images
    assert all("size=preview" in url for url in images), images
    assert len(hits) == (1 if where == "url" else 0)  # by URL: the preview job's download, not the browser's
    shot(page, f"large-image-{where}-preview")

    # A box drawn over the preview is in the original's pixels.
    drag(page, (1000, 1000), (3000, 2500))
    page.wait_for_function("el => el.dataset.boxCount === '1'", arg=stage.element_handle())

    # Zooming in past the preview's resolution swaps in the original.
    box = stage.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(12):
        page.mouse.wheel(0, -300)
        if float(stage.get_attribute("data-view-scale")) > 0.5:
            break
    page.wait_for_function("el => el.dataset.imageLevel === 'full'", arg=stage.element_handle())
    assert any("size=preview" not in url for url in images), images
    assert len(hits) == (2 if where == "url" else 0)  # by URL: the original is fetched from its URL
    shot(page, f"large-image-{where}-full")

    page.get_by_test_id("submit-button").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=last-submit-status]')?.textContent.includes('Submitted')"
    )
    (answer,) = Annotation.objects.filter(project=project).values_list("payload", flat=True)
    (stored,) = answer["boxes"]
    # One screen pixel at the fitted scale is about 8 original pixels.
    assert stored["x"] == pytest.approx(1000, abs=20)
    assert stored["y"] == pytest.approx(1000, abs=20)
    assert stored["w"] == pytest.approx(2000, abs=40)
    assert stored["h"] == pytest.approx(1500, abs=40)
