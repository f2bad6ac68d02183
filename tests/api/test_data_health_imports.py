"""Data-health checks on imports: quarantine, reject, warn; reports; duplicates across imports; release."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

from annotation_qc.datahealth.models import AuditEvent, BatchReport, ItemHealth, Quarantine
from annotation_qc.datahealth.services.measure import MEASURE_VERSION
from annotation_qc.exchange.models import DataImport
from annotation_qc.labeling.models import Item
from tests.api.conftest import World
from tests.api.exchange_helpers import coco_document, imported, job, png, post_import, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def scene(seed: int, width: int = 80, height: int = 60) -> bytes:
    """A PNG of coarse random blocks: not blank, and unlike another seed's."""
    small = np.random.default_rng(seed).integers(0, 256, size=(6, 8, 3)).astype(np.uint8)
    pixels = np.kron(small, np.ones((height // 6, width // 8, 1), dtype=np.uint8))
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def settings_url(world: World) -> str:
    return f"/api/v1/projects/{world.project.pk}/data-health/settings/"


def configure(world: World, config: dict[str, Any]) -> None:
    response = world.client("manager").patch(settings_url(world), {"config": config}, format="json")
    assert response.status_code == 200, response.json()


def upload_images(world: World, capture: Any, images: dict[str, bytes]) -> Any:
    return post_import(
        world,
        capture,
        multipart=True,
        format="images",
        images=[upload(name, content) for name, content in images.items()],
    )


def test_blank_and_duplicate_images_are_quarantined_and_listed(world: World, capture: Any) -> None:
    report = imported(
        world,
        capture,
        multipart=True,
        format="images",
        images=[
            upload("a.png", scene(1)),
            upload("blank.png", png(80, 60, (0, 0, 0))),
            upload("copy.png", scene(1)),
            upload("b.png", scene(2)),
        ],
    )
    assert report["created"] == 4
    health = report["data_health"]
    failed = {(f["external_id"], f["check"]) for f in health["failures"]}
    assert failed == {("blank.png", "blank"), ("copy.png", "exact_duplicate")}
    assert health["quarantined"] == 2
    items = dict(Item.objects.filter(project=world.project).values_list("external_id", "open_slots"))
    assert items["blank.png"] == 0
    assert items["copy.png"] == 0
    assert items["a.png"] >= 1
    assert ItemHealth.objects.filter(project=world.project).count() == 4
    assert set(
        ItemHealth.objects.filter(project=world.project).values_list("measure_version", flat=True)
    ) == {MEASURE_VERSION}
    stats = ItemHealth.objects.get(item__external_id="a.png").stats
    assert stats["width"] == 80
    assert 0 < stats["contrast"] < 1

    listed = (
        world.client("manager").get(f"/api/v1/projects/{world.project.pk}/data-health/quarantine/").json()
    )
    assert sorted(r["external_id"] for r in listed["results"]) == ["blank.png", "copy.png"]
    batch = DataImport.objects.get().pk
    detail = world.client("ml_engineer").get(
        f"/api/v1/projects/{world.project.pk}/data-health/batches/{batch}/"
    )
    assert detail.status_code == 200
    assert {f["external_id"] for f in detail.json()["failures"]} == {"blank.png", "copy.png"}
    assert detail.json()["quarantined"] == 2

    # Released items get their slots back; a second release of the same ids is refused whole.
    held = [r["id"] for r in listed["results"] if r["external_id"] == "blank.png"]
    url = f"/api/v1/projects/{world.project.pk}/data-health/quarantine/decide/"
    response = world.client("manager").post(url, {"ids": held, "action": "release"}, format="json")
    assert response.status_code == 200, response.json()
    assert Item.objects.get(external_id="blank.png").open_slots >= 1
    again = world.client("manager").post(url, {"ids": held, "action": "release"}, format="json")
    assert again.status_code == 400
    assert "ids" in again.json()["errors"]
    assert AuditEvent.objects.filter(project=world.project, action="quarantine").count() == 1


def test_near_duplicates_of_items_already_in_the_project(world: World, capture: Any) -> None:
    imported(world, capture, multipart=True, format="images", images=[upload("first.png", scene(5))])
    bigger = Image.open(io.BytesIO(scene(5))).resize((160, 120))
    buffer = io.BytesIO()
    bigger.save(buffer, format="PNG")
    report = imported(
        world, capture, multipart=True, format="images", images=[upload("again.png", buffer.getvalue())]
    )
    (failure,) = report["data_health"]["failures"]
    assert failure["check"] == "near_duplicate"
    assert "item 'first.png' already in the project" in failure["reason"]
    assert Quarantine.objects.get().item.external_id == "again.png"


def test_reject_action_refuses_the_whole_import_naming_row_and_check(world: World, capture: Any) -> None:
    configure(world, {"checks": {"blank": {"action": "reject"}}})
    response = upload_images(world, capture, {"ok.png": scene(3), "dark.png": png(40, 40, (1, 1, 1))})
    result = job(world, response.json()["job_id"])
    assert result["status"] == "failed"
    (problem,) = result["result"]["rejected"]
    assert problem["reason"].startswith("blank: blank or near-constant image")
    assert not Item.objects.filter(external_id__in=["ok.png", "dark.png"]).exists()
    report = BatchReport.objects.get()
    assert report.rejected
    assert report.failures[0]["external_id"] == "dark.png"
    assert result["result"]["data_health"]["quarantined"] == 0


def test_warn_action_imports_and_lists(world: World, capture: Any) -> None:
    configure(world, {"checks": {"blank": {"action": "warn"}, "exact_duplicate": {"enabled": False}}})
    report = imported(
        world,
        capture,
        multipart=True,
        format="images",
        images=[upload("x.png", png(40, 40)), upload("y.png", png(40, 40))],
    )
    assert report["data_health"]["warned"] == 2
    assert report["data_health"]["quarantined"] == 1  # y is a near duplicate of x (still quarantined)
    assert Item.objects.get(external_id="x.png").open_slots >= 1


def test_metadata_expectations_on_a_coco_import(world: World, capture: Any) -> None:
    configure(world, {"checks": {"metadata": {"required": {"site": "string"}}}})
    response = post_import(world, capture, format="coco", data=coco_document([("m.jpg", 10, 10)], {}))
    result = job(world, response.json()["job_id"])
    assert result["status"] == "failed"
    assert result["result"]["rejected"][0]["reason"] == "metadata: 'site' missing"
    assert Item.objects.filter(project=world.project).count() == 3  # the world's own items only


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"checks": {"glare": {}}}, "config.checks.glare"),
        ({"checks": {"blank": {"max_contrast": 2}}}, "config.checks.blank.max_contrast"),
        ({"checks": {"near_duplicate": {"action": "shrug"}}}, "config.checks.near_duplicate.action"),
        ({"drift": {"alpha": "small"}}, "config.drift.alpha"),
    ],
)
def test_bad_configuration_is_400_naming_the_field(world: World, config: dict[str, Any], field: str) -> None:
    before = world.client("manager").get(settings_url(world)).json()
    response = world.client("manager").patch(settings_url(world), {"config": config}, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert world.client("manager").get(settings_url(world)).json() == before


def test_settings_changes_are_audited(world: World) -> None:
    response = world.client("manager").patch(
        settings_url(world), {"pseudonymise_exports": True, "retention_days": 30}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["pseudonymise_exports"] is True
    assert response.json()["retention_days"] == 30
    events = world.client("manager").get(f"/api/v1/projects/{world.project.pk}/data-health/audit/").json()
    assert events["results"][0]["action"] == "health_config"
    assert events["results"][0]["actor"] == "manager"
