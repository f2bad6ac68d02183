"""End to end in Chromium: a very large image is shown from its downscaled preview, the original is
loaded only once the annotator zooms past the preview's resolution, and a box drawn on either is stored in
the original's pixels."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw

from annotation_qc.labeling.models import Annotation, Item
from annotation_qc.labeling.services.imports import items_import
from annotation_qc.labeling.services.previews import previews_make
from annotation_qc.projects.services import member_add, project_create
from tests.e2e.helpers import drag, shot, sign_in, user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BIG_W, BIG_H = 8000, 6000


def _huge_png() -> str:
    image = Image.new("RGB", (BIG_W, BIG_H), "#d8dde3")
    ImageDraw.Draw(image).rectangle((1000, 1000, 3000, 2500), fill="#5b7db1")
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return default_storage.save("items/huge.png", ContentFile(out.getvalue()))


def test_a_very_large_image_shows_its_preview_until_zoomed_and_boxes_stay_in_original_pixels(
    page: Any, live_server: Any
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
    items_import(
        project=project, rows=[{"external_id": "huge", "image": _huge_png(), "width": BIG_W, "height": BIG_H}]
    )
    item = Item.objects.get(project=project)
    previews_make(item_ids=[item.pk])  # the import's job already ran (eager): nothing more to do
    item.refresh_from_db()
    assert item.preview

    images: list[str] = []
    page.on("request", lambda request: images.append(request.url) if "/images/" in request.url else None)
    sign_in(page, live_server.url, "ann")
    page.goto(f"{live_server.url}/projects/{project.pk}/label")
    stage = page.get_by_test_id("canvas-stage")
    page.wait_for_function("el => el?.dataset.imageLevel === 'preview'", arg=stage.element_handle())
    assert images
    assert all("size=preview" in url for url in images), images
    shot(page, "large-image-preview")

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
    shot(page, "large-image-full")

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
