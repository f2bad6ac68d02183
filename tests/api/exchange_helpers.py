"""Helpers for the import/export API tests: images, archives, COCO documents, running jobs on commit."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.response import Response

from tests.api.conftest import World

Capture = Callable[..., Any]

#: A storage key: random hex fanned out over two folder levels, with nothing of what it holds.
OPAQUE_KEY = re.compile(r"[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}")


def png(width: int = 64, height: int = 48, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg(width: int = 40, height: int = 30) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 10)).save(buffer, format="JPEG")
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def coco_document(
    images: list[tuple[str, int, int]], boxes: dict[str, list[tuple[float, ...]]]
) -> dict[str, Any]:
    """A COCO document: images as (file name, width, height), boxes by file name: (x, y, w, h, category)."""
    annotations = []
    for image_id, (name, _, _) in enumerate(images, start=1):
        for x, y, w, h, category in boxes.get(name, []):
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": int(category),
                    "bbox": [x, y, w, h],
                    "area": w * h,
                    "iscrowd": 0,
                }
            )
    return {
        "images": [
            {"id": i, "file_name": name, "width": w, "height": h, "coco_url": f"https://img.example/{name}"}
            for i, (name, w, h) in enumerate(images, start=1)
        ],
        "categories": [{"id": 1, "name": "car"}, {"id": 2, "name": "person"}, {"id": 3, "name": "bike"}],
        "annotations": annotations,
    }


def post_import(
    world: World, capture: Capture, *, role: str = "manager", multipart: bool = False, **body: Any
) -> Response:
    url = f"/api/v1/projects/{world.project.pk}/imports/"
    with capture(execute=True):
        if multipart:
            return world.client(role).post(url, body, format="multipart")
        return world.client(role).post(url, body, format="json")


def job(world: World, job_id: int) -> dict[str, Any]:
    response = world.client("manager").get(f"/api/v1/jobs/{job_id}/")
    assert response.status_code == 200, response.json()
    body: dict[str, Any] = response.json()
    return body


def imported(world: World, capture: Capture, **body: Any) -> dict[str, Any]:
    """Run an import that must succeed; returns its job's report."""
    response = post_import(world, capture, **body)
    assert response.status_code == 202, response.json()
    result = job(world, response.json()["job_id"])
    assert result["status"] == "succeeded", result
    report: dict[str, Any] = result["result"]
    return report


def rejected(world: World, capture: Capture, **body: Any) -> dict[str, str]:
    """Run an import that must be rejected as a whole; returns {row: reason}."""
    response = post_import(world, capture, **body)
    assert response.status_code == 202, response.json()
    result = job(world, response.json()["job_id"])
    assert result["status"] == "failed", result
    assert result["result"]["created"] == 0
    assert result["result"]["rejected_total"] >= 1
    return {r["row"]: r["reason"] for r in result["result"]["rejected"]}
