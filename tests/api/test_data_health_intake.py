"""The JSON items API and bucket sync go through the project's data-health checks and the audit log, like
file imports: reject (the API all or nothing with a 400 naming the row; the sync reports the key),
quarantine (imported, held out of the queue) and warn."""

from __future__ import annotations

from typing import Any

import pytest

from annotation_qc.datahealth.models import AuditEvent, Quarantine
from annotation_qc.datahealth.services.intake import rows_checked_write
from annotation_qc.labeling.models import Item, ModelVersion, Prediction
from annotation_qc.labeling.services.imports import items_import
from tests.api.conftest import World
from tests.api.test_bucket_sources import create, customer_bucket, source_body, sync  # noqa: F401
from tests.api.test_data_health_imports import configure
from tests.s3 import MotoServer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def row(external_id: str, width: int = 40, height: int = 30, **extra: Any) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "image_url": f"https://img.example/{external_id}.png",
        "width": width,
        "height": height,
        **extra,
    }


def post_items(world: World, rows: list[dict[str, Any]]) -> Any:
    return world.client("ml_engineer").post(
        f"/api/v1/projects/{world.project.pk}/items/", {"items": rows}, format="json"
    )


def test_items_api_rejects_all_naming_the_row_and_field(world: World) -> None:
    configure(world, {"checks": {"metadata": {"required": {"site": "string"}}}})
    before = Item.objects.count()
    response = post_items(
        world, [row("ok", metadata={"site": "north"}), row("bare"), row("typed", metadata={"site": 3})]
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["items[1].metadata"] == ["'site' missing"]
    assert errors["items[2].metadata"] == ["'site' is not a string"]
    assert "items[0].metadata" not in errors
    assert Item.objects.count() == before
    assert not AuditEvent.objects.filter(action="import").exists()


def test_items_api_quarantines_warns_and_audits(world: World) -> None:
    configure(
        world,
        {
            "checks": {
                "aspect_ratio": {"max_ratio": 3.0, "action": "quarantine"},
                "image_size": {"max_side": 1000, "action": "warn"},
            }
        },
    )
    response = post_items(world, [row("wide", 400, 100), row("big", 2000, 1500), row("fine")])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["created"] == 3
    health = body["data_health"]
    assert health["quarantined"] == 1
    assert health["warned"] == 1
    assert {(f["external_id"], f["check"]) for f in health["failures"]} == {
        ("wide", "aspect_ratio"),
        ("big", "image_size"),
    }
    held = Quarantine.objects.get()
    assert held.item.external_id == "wide"
    assert Item.objects.get(external_id="wide").open_slots == 0
    assert Item.objects.get(external_id="big").open_slots >= 1
    event = AuditEvent.objects.get(action="import")
    assert event.actor == world.users["ml_engineer"]
    assert event.target == "items API"
    assert event.details["created"] == 3
    assert event.details["quarantined"] == 1


def test_items_api_features_check(world: World) -> None:
    assert post_items(world, [row("a", features=[1.0, 2.0])]).status_code == 201
    response = post_items(world, [row("b", features=[1.0, 2.0, 3.0])])
    assert response.status_code == 400
    (message,) = response.json()["errors"]["items[0].features"]
    assert message == "expected 2 values, got 3"


def test_rows_left_out_name_the_check_once(world: World) -> None:
    """Bucket sync's path (not all or nothing): the reason of a row left out names its field once."""
    configure(world, {"checks": {"metadata": {"required": {"site": "string"}}}})
    rows = [row("kept", metadata={"site": "north"}), row("bare")]

    def write(kept: list[int]) -> list[int]:
        return [i.pk for i in items_import(project=world.project, rows=[rows[k] for k in kept])]

    intake = rows_checked_write(
        project=world.project, rows=rows, write=write, actor_id=None, origin="test", all_or_nothing=False
    )
    assert intake.created == 1
    assert intake.rejected == {1: "metadata: 'site' missing"}


def test_bucket_sync_goes_through_the_checks_and_the_audit_log(
    world: World,
    capture: Any,
    moto_server: MotoServer,
    customer_bucket: Any,  # noqa: F811
) -> None:
    _, bucket = customer_bucket
    configure(
        world,
        {
            "checks": {
                "image_size": {"min_side": 12, "action": "reject"},
                "aspect_ratio": {"max_ratio": 1.3, "action": "quarantine"},
            }
        },
    )
    source = create(world, source_body(moto_server, bucket, pattern="*.png"))
    result = sync(world, capture, source["id"])["result"]
    # a.png 40x30 and c/d.png 16x12 (ratio 1.33) are held; b.png 20x10 is refused; fake.png is not an image.
    assert result["created"] == 2
    reasons = {r["key"]: r["reason"] for r in result["rejected"]}
    assert reasons["shots/b.png"].startswith("image_size: 20x10 pixels")
    assert "shots/fake.png" in reasons
    assert not Item.objects.filter(external_id="b.png").exists()
    held = set(Quarantine.objects.values_list("item__external_id", flat=True))
    assert held == {"a.png", "c/d.png"}
    assert result["data_health"]["quarantined"] == 2
    assert result["data_health"]["counts"]["image_size"] == {"reject": 1}
    event = AuditEvent.objects.get(action="import")
    assert event.target == f"bucket source {source['id']}"
    assert event.details["created"] == 2
    # A resync finds nothing new and changes nothing.
    again = sync(world, capture, source["id"], full=True)["result"]
    assert again["created"] == 0
    assert Quarantine.objects.count() == 2


BOX = {"x": 1.0, "y": 1.0, "w": 5.0, "h": 4.0, "label": "car"}


def post_predictions(world: World, rows: list[dict[str, Any]], role: str = "ml_engineer") -> Any:
    return world.client(role).post(
        f"/api/v1/projects/{world.project.pk}/predictions/",
        {"model_version": "m1", "predictions": rows},
        format="json",
    )


def prediction_rows(world: World) -> list[dict[str, Any]]:
    """Three predictions: fine, a score of 1.5 (outside [0, 1]), probabilities summing to 0.9."""
    a, b, c = Item.objects.filter(project=world.project).order_by("pk").values_list("external_id", flat=True)
    return [
        {"external_id": a, "payload": {"boxes": [BOX]}, "scores": [0.7], "proba": [0.2, 0.3, 0.5]},
        {"external_id": b, "payload": {"boxes": [BOX]}, "scores": [1.5]},
        {"external_id": c, "payload": {"boxes": []}, "proba": [0.5, 0.2, 0.2]},
    ]


def test_predictions_api_rejects_all_naming_the_row_and_field(world: World) -> None:
    response = post_predictions(world, prediction_rows(world))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["predictions[1].scores"] == ["prediction scores must be finite numbers in [0, 1]"]
    assert errors["predictions[2].proba"] == ["probabilities must sum to 1 (they sum to 0.9000)"]
    assert "predictions[0].scores" not in errors
    assert "predictions[0].proba" not in errors
    assert not Prediction.objects.exists()
    assert not ModelVersion.objects.filter(project=world.project).exists()
    assert not AuditEvent.objects.filter(action="import").exists()


def test_predictions_api_quarantines_per_configuration(world: World) -> None:
    configure(world, {"checks": {"predictions": {"action": "quarantine"}}})
    rows = prediction_rows(world)
    response = post_predictions(world, rows)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["created"] == 3
    assert body["data_health"]["quarantined"] == 2
    assert {f["external_id"] for f in body["data_health"]["failures"]} == {
        rows[1]["external_id"],
        rows[2]["external_id"],
    }
    assert Prediction.objects.count() == 3
    held = set(Quarantine.objects.values_list("item__external_id", flat=True))
    assert held == {rows[1]["external_id"], rows[2]["external_id"]}
    assert Item.objects.get(external_id=rows[1]["external_id"]).open_slots == 0
    event = AuditEvent.objects.get(action="import")
    assert event.target == "predictions API"
    assert event.details["quarantined"] == 2


def test_predictions_api_warns_or_skips_per_configuration(world: World) -> None:
    configure(world, {"checks": {"predictions": {"action": "warn"}}})
    rows = prediction_rows(world)
    response = post_predictions(world, rows)
    assert response.status_code == 201, response.json()
    assert response.json()["data_health"]["warned"] == 2
    assert response.json()["data_health"]["quarantined"] == 0
    assert not Quarantine.objects.exists()
    assert Item.objects.get(external_id=rows[1]["external_id"]).open_slots >= 1
    configure(world, {"checks": {"predictions": {"enabled": False}}})
    response = post_predictions(world, rows)
    assert response.status_code == 201, response.json()
    assert response.json()["data_health"]["failures"] == []


def test_predictions_api_uses_the_configured_tolerance(world: World) -> None:
    rows = prediction_rows(world)[2:]
    rows[0]["proba"] = [0.5, 0.2, 0.28]  # sums to 0.98
    assert post_predictions(world, rows).status_code == 400
    configure(world, {"checks": {"predictions": {"tolerance": 0.05}}})
    assert post_predictions(world, rows).status_code == 201


def test_predictions_api_shapes_are_refused_whatever_the_action(world: World) -> None:
    """One score per box and one probability per label are not values to judge: a 400 whatever the
    action; values out of range are the check's (here only warned, so not named in the 400)."""
    configure(world, {"checks": {"predictions": {"action": "warn"}}})
    rows = prediction_rows(world)
    rows[0]["proba"] = [1.0]
    response = post_predictions(world, rows)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == ["predictions[0].proba"]
    assert errors["predictions[0].proba"][0].startswith("expected 3 probabilities")
    assert not Prediction.objects.exists()
