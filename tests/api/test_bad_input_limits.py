"""Inputs that used to crash the server or were silently accepted: a 4xx naming the field, nothing written."""

from __future__ import annotations

import json
from typing import Any

import pytest

from annotation_qc.core.parsers import parse_json_bytes
from annotation_qc.domain.jsonsafe import nesting_depth
from annotation_qc.labeling.models import Annotation, Item
from annotation_qc.projects.models import Project
from tests.api.conftest import World

pytestmark = pytest.mark.django_db


def raw_post(world: World, role: str, url: str, body: str | bytes, method: str = "post") -> Any:
    return getattr(world.client(role), method)(url, data=body, content_type="application/json")


def items_url(world: World) -> str:
    return f"/api/v1/projects/{world.project.pk}/items/"


def item_json(metadata: str = "{}") -> str:
    return (
        '{"items": [{"external_id": "n1", "image_url": "https://img.example/n1.png", '
        f'"width": 10, "height": 10, "metadata": {metadata}}}]}}'
    )


def test_settings_numbers_must_be_integers_finite_and_in_range(world: World) -> None:
    url = f"/api/v1/projects/{world.project.pk}/"
    before = Project.objects.values().get(pk=world.project.pk)
    cases = {
        '{"settings": {"max_boxes": 3.7}}': "settings.max_boxes",
        '{"settings": {"lease_seconds": 1e309}}': "settings.lease_seconds",
        '{"settings": {"lease_seconds": -1e309}}': "settings.lease_seconds",
        '{"settings": {"overlap": 100000000000000000000000000000}}': "settings.overlap",
        '{"settings": {"calibration_window": 1e400}}': "settings.calibration_window",
        '{"settings": {"benchmark_rate": "NaN"}}': "settings.benchmark_rate",
        '{"settings": {"lease_seconds": true}}': "settings.lease_seconds",
        '{"settings": {"prioritize_every": -3}}': "settings.prioritize_every",
        '{"settings": {"flag_threshold": 1.5}}': "settings.flag_threshold",
    }
    for body, field in cases.items():
        response = raw_post(world, "manager", url, body, method="patch")
        assert response.status_code == 400, (body, response.content)
        assert field in response.json()["errors"], (body, response.json())
    for body in ('{"settings": {"lease_seconds": NaN}}', '{"settings": {"lease_seconds": Infinity}}'):
        assert raw_post(world, "manager", url, body, method="patch").status_code == 400
    assert Project.objects.values().get(pk=world.project.pk) == before
    ok = raw_post(world, "manager", url, '{"settings": {"max_boxes": 4.0, "lease_seconds": 60}}', "patch")
    assert ok.status_code == 200, ok.json()
    world.project.refresh_from_db()
    assert (world.project.max_boxes, world.project.lease_seconds) == (4, 60)


def test_huge_coordinates_are_a_400_naming_the_box(world: World) -> None:
    task = world.client("annotator").post(f"/api/v1/projects/{world.project.pk}/next-task/").json()
    url = f"/api/v1/tasks/{task['id']}/submit/"
    for x, field in (("1" + "0" * 400, "payload.boxes[0].x"), ("1e309", "payload.boxes[0].x")):
        body = f'{{"payload": {{"boxes": [{{"x": {x}, "y": 1, "w": 2, "h": 2, "label": "car"}}]}}}}'
        response = raw_post(world, "annotator", url, body)
        assert response.status_code == 400, response.content
        assert field in response.json()["errors"], response.json()
    lint = raw_post(world, "annotator", f"/api/v1/tasks/{task['id']}/lint/", body)
    assert lint.status_code == 400
    assert Annotation.objects.count() == 0


def test_lease_seconds_of_1e309_on_a_lease_extension_or_anywhere_is_a_400(world: World) -> None:
    response = raw_post(
        world, "manager", items_url(world), item_json().replace('"width": 10', '"width": 1e309')
    )
    assert response.status_code == 400
    assert "items[0].width" in response.json()["errors"]


def test_a_body_nested_100000_deep_is_a_400_not_a_recursion_error(world: World) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    for body in (deep, item_json(metadata='{"a": ' + deep + "}")):
        response = raw_post(world, "manager", items_url(world), body)
        assert response.status_code == 400, response.content[:200]
        assert "nested" in response.json()["detail"]
    assert not Item.objects.filter(external_id="n1").exists()


def test_nul_characters_in_metadata_keys_and_values_are_refused(world: World) -> None:
    before = Item.objects.count()
    for metadata, field in (
        ('{"note": "a\\u0000b"}', "items[0].metadata.note"),
        ('{"k\\u0000": "v"}', "items[0].metadata.k\x00"),
        ('{"deep": [{"x": ["\\u0000"]}]}', "items[0].metadata.deep[0].x[0]"),
    ):
        response = raw_post(world, "manager", items_url(world), item_json(metadata))
        assert response.status_code == 400, response.content
        assert field in response.json()["errors"], response.json()
    external = item_json().replace('"n1"', '"n\\u0000"')
    response = raw_post(world, "manager", items_url(world), external)
    assert response.status_code == 400
    assert "items[0].external_id" in response.json()["errors"]
    assert Item.objects.count() == before
    # Other control characters are stored as they are.
    fine = raw_post(world, "manager", items_url(world), item_json('{"note": "tab\\there\\u0001"}'))
    assert fine.status_code == 201, fine.json()


def test_unknown_fields_are_refused_by_name(world: World) -> None:
    project_url = f"/api/v1/projects/{world.project.pk}/"
    response = raw_post(world, "manager", project_url, '{"nmae": "typo"}', method="patch")
    assert response.status_code == 400
    assert response.json()["errors"] == {"nmae": ["unknown field"]}
    body = json.loads(item_json())
    body["items"][0]["colour"] = "red"
    response = raw_post(world, "manager", items_url(world), json.dumps(body))
    assert response.status_code == 400
    assert "items[0].colour" in response.json()["errors"]
    response = raw_post(world, "manager", project_url, '{"settings": {"lease_second": 60}}', method="patch")
    assert "settings.lease_second" in response.json()["errors"]
    token = world.client("anonymous").post(
        "/api/v1/auth/token/", {"username": "manager", "password": "x", "admin": True}, format="json"
    )
    assert token.status_code == 400
    assert "admin" in token.json()["errors"]


def test_json_inside_a_multipart_form_gets_the_same_limits(world: World, media: Any) -> None:
    url = f"/api/v1/projects/{world.project.pk}/imports/"
    for data, field in (
        ("[" * 5000 + "]" * 5000, "data"),
        ('{"images": [{"id": 1e999}]}', "data.images[0].id"),
    ):
        response = world.client("manager").post(url, {"format": "coco", "data": data}, format="multipart")
        assert response.status_code == 400, response.content[:300]
        assert field in response.json()["errors"], response.json()


def test_the_json_limits_in_isolation() -> None:
    assert nesting_depth(b'{"a": "[[[[", "b": [[1], {"c": []}]}') == 4
    assert nesting_depth(b'"\\"[[["') == 0
    assert parse_json_bytes(b'{"n": 9223372036854775807, "f": 1.5e308}') == {
        "n": 9223372036854775807,
        "f": 1.5e308,
    }


def test_integers_sent_as_strings_are_bounded_too(world: World) -> None:
    task = world.client("annotator").post(f"/api/v1/projects/{world.project.pk}/next-task/").json()
    body = {"payload": {"boxes": []}, "time_spent_ms": "9" * 30}
    response = world.client("annotator").post(f"/api/v1/tasks/{task['id']}/submit/", body, format="json")
    assert response.status_code == 400
    assert "time_spent_ms" in response.json()["errors"]
    from rest_framework import serializers

    from annotation_qc.core.serializers import StrictSerializer

    class Ids(StrictSerializer):
        ids = serializers.ListField(child=serializers.IntegerField(min_value=1))
        one = serializers.IntegerField(required=False)

    checked = Ids(data={"ids": ["1", "99999999999999999999"], "one": "-99999999999999999999"})
    assert not checked.is_valid()
    assert set(checked.errors) == {"ids", "one"}
