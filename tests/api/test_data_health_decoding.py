"""Each imported image is decoded once (the import's own check and the data-health measurement share the
decode), and an image that does not decode is rejected, quarantined or only warned about, as configured."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from PIL import Image

from annotation_qc.datahealth.models import BatchReport, ItemHealth, Quarantine
from annotation_qc.labeling.models import Item
from tests.api.conftest import World
from tests.api.exchange_helpers import imported, job, upload
from tests.api.test_data_health_imports import configure, scene, upload_images

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def truncated(seed: int) -> bytes:
    """A PNG cut short: its signature and header are fine (type and size known), its pixels are not."""
    whole = scene(seed)
    return whole[: len(whole) // 2]


def test_each_image_is_opened_and_decoded_once(world: World, capture: Any) -> None:
    opened = mock.Mock(wraps=Image.open)
    with mock.patch("PIL.Image.open", opened):
        report = imported(
            world,
            capture,
            multipart=True,
            format="images",
            images=[upload(f"{i}.png", scene(i)) for i in range(6)],
        )
    assert report["created"] == 6
    assert opened.call_count == 6
    assert ItemHealth.objects.filter(project=world.project, dhash__isnull=False).count() == 6


def test_undecodable_image_rejects_the_import_by_default(world: World, capture: Any) -> None:
    response = upload_images(world, capture, {"ok.png": scene(1), "cut.png": truncated(2)})
    result = job(world, response.json()["job_id"])
    assert result["status"] == "failed"
    (problem,) = result["result"]["rejected"]
    assert problem["reason"].startswith("decodes: image does not decode: not a readable png image")
    assert not Item.objects.filter(external_id__in=["ok.png", "cut.png"]).exists()
    assert BatchReport.objects.get().failures[0]["check"] == "decodes"


def test_undecodable_image_can_be_quarantined(world: World, capture: Any) -> None:
    configure(world, {"checks": {"decodes": {"action": "quarantine"}}})
    report = imported(
        world,
        capture,
        multipart=True,
        format="images",
        images=[upload("ok.png", scene(1)), upload("cut.png", truncated(2))],
    )
    assert report["created"] == 2
    (failure,) = report["data_health"]["failures"]
    assert (failure["external_id"], failure["check"]) == ("cut.png", "decodes")
    assert failure["action"] == "quarantine"
    held = Quarantine.objects.get()
    assert held.item.external_id == "cut.png"
    assert held.reasons[0]["check"] == "decodes"
    cut = Item.objects.get(external_id="cut.png")
    assert (cut.width, cut.height, cut.open_slots) == (80, 60, 0)  # size from the header
    assert cut.image  # the file is kept for the manager to look at
    health = ItemHealth.objects.get(item=cut)
    assert health.stats == {}
    assert health.dhash is None
    assert len(health.digest) == 64


def test_undecodable_image_can_only_warn(world: World, capture: Any) -> None:
    configure(world, {"checks": {"decodes": {"action": "warn"}}})
    report = imported(
        world, capture, multipart=True, format="images", images=[upload("cut.png", truncated(3))]
    )
    assert report["data_health"]["warned"] == 1
    assert Item.objects.get(external_id="cut.png").open_slots >= 1


def test_not_an_image_is_refused_whatever_the_decode_action(world: World, capture: Any) -> None:
    configure(world, {"checks": {"decodes": {"action": "warn"}}})
    response = upload_images(world, capture, {"fake.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 40})
    result = job(world, response.json()["job_id"])
    assert result["status"] == "failed"
    assert not Item.objects.filter(external_id="fake.png").exists()


def test_bad_decode_action_is_400_naming_the_field(world: World) -> None:
    url = f"/api/v1/projects/{world.project.pk}/data-health/settings/"
    response = world.client("manager").patch(
        url, {"config": {"checks": {"decodes": {"action": "ignore"}}}}, format="json"
    )
    assert response.status_code == 400
    assert "config.checks.decodes.action" in response.json()["errors"]


def test_each_image_goes_through_pillows_loader_once(world: World, capture: Any) -> None:
    from PIL import ImageFile

    loads = mock.Mock(wraps=ImageFile.ImageFile.load)
    with mock.patch.object(ImageFile.ImageFile, "load", autospec=True, side_effect=loads):
        report = imported(
            world,
            capture,
            multipart=True,
            format="images",
            images=[upload(f"{i}.png", scene(i)) for i in range(4)],
        )
    assert report["created"] == 4
    assert loads.call_count == 4


def test_batched_reductions_measure_as_the_pixels_do() -> None:
    """The import hands the measurement Pillow reductions (pasted into one image per batch): the
    statistics, hashes and digests are those of the same pixels handed over as arrays."""
    from annotation_qc.datahealth.services.measure import Measurer
    from annotation_qc.exchange.services.images import decode_image

    as_arrays, as_images = Measurer(batch=4), Measurer(batch=3)
    for i in range(10):
        content = scene(i, width=48 + i, height=36)
        decoded = decode_image(content, max_bytes=10**7, max_pixels=10**8)
        size = (decoded.info.width, decoded.info.height)
        as_arrays.add(str(i), content, decoded.pixels, size)
        as_images.add_reduced(str(i), content, decoded.reduced, size)
    assert as_images.flush() == as_arrays.flush()
    assert len(as_images.results) == 10


def test_statistics_are_written_as_json_dumps_writes_them() -> None:
    """``ItemHealth.stats`` is written from the columns, without a dict per image: the text is exactly
    ``json.dumps`` of the statistics, for every kind of row (pasted, array, zero pixels, undecodable)."""
    import json

    import numpy as np

    from annotation_qc.datahealth.services.measure import Measurer
    from annotation_qc.exchange.services.images import decode_image

    measurer = Measurer(batch=4)
    rng = np.random.default_rng(5)
    for i in range(7):
        content = scene(i, width=40 + 8 * i, height=36)
        decoded = decode_image(content, max_bytes=10**7, max_pixels=10**8)
        measurer.add_reduced(f"scene{i}", content, decoded.reduced, (decoded.info.width, decoded.info.height))
    dark = np.zeros((32, 32, 3), dtype=np.uint8)  # measured as it is (no reduction)
    dark[3, 4] = 1  # a brightness of a few millionths: written in exponent form
    noise = rng.integers(0, 256, size=(50, 70, 3), dtype=np.uint8)
    measurer.add("dark", b"dark", dark)
    measurer.add("noise", b"noise", noise, (700, 500))
    measurer.add("zero", b"zero", np.zeros((0, 5, 3), dtype=np.uint8))
    measurer.add_undecodable("cut", truncated(1), "broken")
    measured = measurer.flush()
    assert sorted(measured.keys) == sorted([*(f"scene{i}" for i in range(7)), "dark", "noise", "zero", "cut"])
    texts = measured.stats_json(range(len(measured)))
    for row, text in enumerate(texts):
        stats = measured.image_stats(row)
        assert text == json.dumps(stats.to_dict() if stats is not None else {})
    by_key = dict(zip(measured.keys, texts, strict=True))
    assert by_key["cut"] == "{}"
    assert json.loads(by_key["zero"])["empty"] is True
    assert "e-06" in by_key["dark"]
    assert json.loads(by_key["noise"])["width"] == 700
    found = measured.get("noise")
    assert found is not None
    assert found.stats is not None
    assert found.dhash is not None
    cut = measured.get("cut")
    assert cut is not None
    assert cut.stats is None
    assert cut.undecodable == "broken"
