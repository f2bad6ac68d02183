"""Bad input gets a 4xx naming the field, and nothing is half-written."""

from __future__ import annotations

import json
import math

import pytest

from annotation_qc.labeling.models import Annotation, Item, Prediction
from tests.api.conftest import World

pytestmark = pytest.mark.django_db


def item(eid: str, **kw):
    return {
        "external_id": eid,
        "image_url": f"https://images.example/{eid}.png",
        "width": 100,
        "height": 80,
        **kw,
    }


def import_items(world: World, items):
    return world.client("ml_engineer").post(
        f"/api/v1/projects/{world.project.pk}/items/", {"items": items}, format="json"
    )


def submit(world: World, payload, **extra):
    task = world.client("annotator").post(f"/api/v1/projects/{world.project.pk}/next-task/").json()
    url = f"/api/v1/tasks/{task['id']}/submit/"
    return world.client("annotator").post(url, {"payload": payload, **extra}, format="json")


def test_malformed_json_is_400(world: World) -> None:
    response = world.client("ml_engineer").post(
        f"/api/v1/projects/{world.project.pk}/items/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_wrong_types_name_the_field(world: World) -> None:
    response = import_items(world, [item("a", width="wide")])
    assert response.status_code == 400
    assert "items[0].width" in response.json()["errors"]


def test_duplicate_external_ids_reject_the_whole_request(world: World) -> None:
    before = Item.objects.count()
    response = import_items(world, [item("a"), item("b"), item("a")])
    assert response.status_code == 400
    assert "items[2].external_id" in response.json()["errors"]
    existing = Item.objects.filter(project=world.project).first().external_id
    response = import_items(world, [item("c"), item(existing)])
    assert response.status_code == 400
    assert "items[1].external_id" in response.json()["errors"]
    assert Item.objects.count() == before


def test_feature_vectors_must_agree_in_length_and_be_finite(world: World) -> None:
    assert import_items(world, [item("a", features=[1.0, 2.0]), item("b", features=[1.0])]).status_code == 400
    assert import_items(world, [item("a", features=[1.0, 2.0])]).status_code == 201
    response = import_items(world, [item("b", features=[1.0, 2.0, 3.0])])
    assert response.json()["errors"] == {"items[0].features": ["expected 2 values, got 3"]}


def test_nan_features_rejected():
    # JSON itself has no NaN; Python's encoder emits it, and the API must refuse it either way.
    assert "NaN" in json.dumps([math.nan])


def test_nan_features_rejected_by_api(world: World) -> None:
    response = world.client("ml_engineer").post(
        f"/api/v1/projects/{world.project.pk}/items/",
        data=json.dumps({"items": [item("a", features=[math.nan, 1.0])]}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not Item.objects.filter(external_id="a").exists()


def test_too_many_items_in_one_request(world: World) -> None:
    response = import_items(world, [item(f"i{i}") for i in range(10_001)])
    assert response.status_code == 400
    assert "items" in response.json()["errors"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"boxes": [{"x": 1, "y": 1, "w": -5, "h": 3, "label": "car"}]}, "payload.boxes[0].w"),
        ({"boxes": [{"x": 1, "y": 1, "w": 5, "h": 3, "label": "tree"}]}, "payload.boxes[0].label"),
        ({"boxes": [{"x": 630, "y": 1, "w": 50, "h": 3, "label": "car"}]}, "payload.boxes[0].x"),
        ({"boxes": [{"x": "1", "y": 1, "w": 5, "h": 3, "label": "car"}]}, "payload.boxes[0].x"),
        ({"boxes": "none"}, "payload.boxes"),
        ({"label": "car"}, "payload.label"),
        ([1, 2], "payload"),
    ],
)
def test_bad_payloads_name_the_field_and_store_nothing(world: World, payload, field: str) -> None:
    response = submit(world, payload)
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert not Annotation.objects.exists()


def test_nan_coordinates_rejected(world: World) -> None:
    task = world.client("annotator").post(f"/api/v1/projects/{world.project.pk}/next-task/").json()
    body = json.dumps({"payload": {"boxes": [{"x": math.inf, "y": 1, "w": 5, "h": 3, "label": "car"}]}})
    response = world.client("annotator").post(
        f"/api/v1/tasks/{task['id']}/submit/", data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert not Annotation.objects.exists()


def test_too_many_boxes(world: World) -> None:
    world.project.max_boxes = 3
    world.project.save()
    boxes = [{"x": i, "y": 1, "w": 5, "h": 3, "label": "car"} for i in range(4)]
    response = submit(world, {"boxes": boxes})
    assert response.status_code == 400
    assert "at most 3 boxes" in response.json()["errors"]["payload.boxes"][0]


def test_negative_time_spent(world: World) -> None:
    response = submit(world, {"boxes": []}, time_spent_ms=-1)
    assert response.status_code == 400
    assert "time_spent_ms" in response.json()["errors"]


def test_oversized_request_body_is_rejected(world: World, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = submit(world, {"boxes": [{"x": 1, "y": 1, "w": 5, "h": 3, "label": "car"}] * 40})
    assert response.status_code in (400, 413)
    assert not Annotation.objects.exists()


def test_predictions_all_or_nothing(world: World) -> None:
    eids = list(Item.objects.filter(project=world.project).values_list("external_id", flat=True))
    good = {"external_id": eids[0], "payload": {"boxes": [{"x": 1, "y": 1, "w": 5, "h": 3, "label": "car"}]}}
    bad = {"external_id": "missing", "payload": {"boxes": []}}
    response = world.client("ml_engineer").post(
        f"/api/v1/projects/{world.project.pk}/predictions/",
        {"model_version": "m", "predictions": [good, bad]},
        format="json",
    )
    assert response.status_code == 400
    assert "predictions[1].external_id" in response.json()["errors"]
    assert not Prediction.objects.exists()


def test_prediction_probabilities_must_sum_to_one(world: World) -> None:
    eid = Item.objects.filter(project=world.project).first().external_id
    response = world.client("ml_engineer").post(
        f"/api/v1/projects/{world.project.pk}/predictions/",
        {
            "model_version": "m",
            "predictions": [{"external_id": eid, "payload": {"boxes": []}, "proba": [0.5, 0.2, 0.2]}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "sum to 1" in response.json()["errors"]["predictions[0].proba"][0]


def test_invalid_settings_named(world: World) -> None:
    url = f"/api/v1/projects/{world.project.pk}/"
    response = world.client("manager").patch(url, {"settings": {"benchmark_rate": 1.5}}, format="json")
    assert response.status_code == 400
    assert "settings.benchmark_rate" in response.json()["errors"]
    response = world.client("manager").patch(url, {"settings": {"colour": "red"}}, format="json")
    assert response.json()["errors"] == {"settings.colour": ["unknown setting"]}
    world.project.refresh_from_db()
    assert world.project.benchmark_rate == 0.0
