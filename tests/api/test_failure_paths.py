"""Clean failure paths: request ids on every response, JSON 5xx/404/410/413, no 406, no upload left behind."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from annotation_qc.core.logging import JsonFormatter
from annotation_qc.core.middleware import RequestIdFilter
from annotation_qc.exchange.models import DataImport, ExportSnapshot
from annotation_qc.labeling.models import Item
from tests.api.conftest import World
from tests.api.exchange_helpers import coco_document, job, png, post_import
from tests.api.test_exchange_exports import export

pytestmark = pytest.mark.django_db


def test_every_response_carries_a_request_id(world: World) -> None:
    anonymous = world.client("anonymous").get("/api/v1/projects/")
    assert anonymous.status_code == 401
    made = anonymous["X-Request-ID"]
    assert len(made) == 32
    again = world.client("manager").get("/api/v1/projects/")
    assert again["X-Request-ID"] != made
    kept = world.client("manager").get("/api/v1/projects/", HTTP_X_REQUEST_ID="lb-1234.abc:9")
    assert kept["X-Request-ID"] == "lb-1234.abc:9"
    for insane in ("a" * 200, "two words", "<script>", "x\ty"):
        replaced = world.client("manager").get("/api/v1/projects/", HTTP_X_REQUEST_ID=insane)
        assert replaced["X-Request-ID"] != insane
        assert len(replaced["X-Request-ID"]) == 32
    assert Client().get("/healthz")["X-Request-ID"]


def test_a_server_error_is_json_and_logged_with_its_request_id(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from annotation_qc.projects import selectors

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(selectors, "project_progress", broken)
    client = Client(raise_request_exception=False)
    client.force_login(world.users["manager"])
    with caplog.at_level(logging.ERROR):
        response = client.get(
            f"/api/v1/projects/{world.project.pk}/progress/", HTTP_X_REQUEST_ID="trace-me-42"
        )
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response["X-Request-ID"] == "trace-me-42"
    assert response.json()["request_id"] == "trace-me-42"
    assert "database on fire" not in response.content.decode()
    records = [r for r in caplog.records if getattr(r, "request_id", None) == "trace-me-42"]
    assert records, "the 5xx was not logged with its request id"
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["request_id"] == "trace-me-42"
    assert "database on fire" in line["exc_info"]


def test_request_id_filter_adds_nothing_outside_a_request() -> None:
    record = logging.makeLogRecord({"msg": "beat"})
    assert RequestIdFilter().filter(record)
    assert not hasattr(record, "request_id")


def test_a_20_mib_body_is_a_json_413(world: World, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024
    body = b'{"items": "' + b"x" * (20 * 1024 * 1024) + b'"}'
    for content_type in ("application/json", "application/x-www-form-urlencoded", "text/plain"):
        response = world.client("manager").post(
            f"/api/v1/projects/{world.project.pk}/items/", data=body, content_type=content_type
        )
        assert response.status_code == 413, content_type
        assert response["Content-Type"] == "application/json"
        assert "body" in response.json()["errors"]


def test_a_body_that_lies_about_its_length_is_still_bounded(world: World, settings: Any) -> None:
    """A chunked or understated body is cut at the limit by the JSON parser itself."""
    from io import BytesIO

    from annotation_qc.core.parsers import BodyTooLarge, LimitedJSONParser

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    with pytest.raises(BodyTooLarge):
        LimitedJSONParser().parse(BytesIO(b"[" + b"1," * 1000 + b"1]"))


def test_an_image_request_accepting_only_images_is_not_406(world: World, media: Any) -> None:
    item = Item.objects.filter(project=world.project).first()
    assert item is not None
    item.image.save("a.png", ContentFile(png()), save=True)
    client = world.client("manager")
    response = client.get(f"/api/v1/items/{item.pk}/image/", HTTP_ACCEPT="image/*")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    missing = client.get(f"/api/v1/items/{item.pk + 999}/image/", HTTP_ACCEPT="image/webp,image/*")
    assert missing.status_code == 404
    assert missing.json()["detail"]
    item.image.storage.delete(item.image.name)
    gone = client.get(f"/api/v1/items/{item.pk}/image/", HTTP_ACCEPT="image/*")
    assert gone.status_code == 404
    assert gone["Content-Type"] == "application/json"


def test_a_missing_export_file_answers_a_json_410(world: World, capture: Any, media: Any) -> None:
    snapshot = export(world, capture, format="coco")
    stored = ExportSnapshot.objects.get(pk=snapshot["id"])
    stored.file.storage.delete(stored.file.name)
    response = world.client("ml_engineer").get(f"/api/v1/exports/{snapshot['id']}/download/")
    assert response.status_code == 410
    assert response["Content-Type"] == "application/json"
    assert "start a new export" in response.json()["detail"]
    ExportSnapshot.objects.filter(pk=snapshot["id"]).update(file="")
    response = world.client("ml_engineer").get(f"/api/v1/exports/{snapshot['id']}/download/")
    assert response.status_code == 410
    assert "export_id" in response.json()["errors"]


def test_a_failed_import_removes_its_upload(
    world: World, capture: Any, media: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotation_qc.exchange.services import imports

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise OSError("disk went away")

    monkeypatch.setattr(imports, "_import", crash)
    document = coco_document([("a.jpg", 64, 48)], {})
    with pytest.raises(OSError, match="disk went away"):
        post_import(world, capture, format="coco", data=document)
    data_import = DataImport.objects.get(project=world.project)
    assert data_import.status == DataImport.Status.FAILED
    assert job(world, data_import.job_id)["message"] == "OSError: disk went away"
    assert data_import.files
    leftovers = [p for p in (media / "imports").rglob("*") if p.is_file()]
    assert leftovers == []


def test_a_lost_race_on_a_unique_row_is_a_409_to_retry_not_a_500(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import IntegrityError

    from annotation_qc.labeling import apis

    def racing(**kwargs: Any) -> Any:
        raise IntegrityError('duplicate key value violates unique constraint "task_one_open_per_annotator"')

    monkeypatch.setattr(apis, "task_next", racing)
    response = world.client("annotator").post(f"/api/v1/projects/{world.project.pk}/next-task/")
    assert response.status_code == 409
    assert response["Retry-After"] == "1"
    assert "retry" in response.json()["detail"]
