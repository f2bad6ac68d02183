"""End to end in Chromium: an annotator labels with live lint; a manager reviews scorecards."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from annotation_qc.accounts.models import User
from annotation_qc.benchmarks.services.gold import gold_import
from annotation_qc.demo.images import png_bytes
from annotation_qc.labeling.services.dispatch import task_next
from annotation_qc.labeling.services.imports import items_import
from annotation_qc.labeling.services.submit import annotation_submit
from annotation_qc.projects.services import member_add, project_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _image(name: str) -> str:
    return default_storage.save(
        f"items/{name}.png", ContentFile(png_bytes(Image.new("RGB", (640, 480), "#ddd")))
    )


def _user(username: str) -> User:
    user = User.objects.create(username=username)
    user.set_password("secret-pw")
    user.save()
    return user


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill("secret-pw")
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("nav-username").wait_for()  # signed in (the session cookie is set)


def _drag(page: Any, x1: float, y1: float, x2: float, y2: float) -> None:
    """Drag on the canvas between two points given in image pixels."""
    stage = page.get_by_test_id("canvas-stage")
    page.wait_for_function(
        "el => Number(el.dataset.viewScale) > 0 && el.querySelector('canvas')", arg=stage.element_handle()
    )
    box = stage.bounding_box()
    scale = float(stage.get_attribute("data-view-scale"))
    ox, oy = float(stage.get_attribute("data-view-x")), float(stage.get_attribute("data-view-y"))
    page.mouse.move(box["x"] + ox + x1 * scale, box["y"] + oy + y1 * scale)
    page.mouse.down()
    page.mouse.move(box["x"] + ox + (x1 + x2) / 2 * scale, box["y"] + oy + (y1 + y2) / 2 * scale, steps=5)
    page.mouse.move(box["x"] + ox + x2 * scale, box["y"] + oy + y2 * scale, steps=5)
    page.mouse.up()


@pytest.fixture
def bbox_project(settings: Any, tmp_path: Any) -> dict[str, Any]:
    settings.MEDIA_ROOT = tmp_path
    manager, annotator = _user("boss"), _user("ann")
    project = project_create(
        name="Street scenes",
        kind="bbox",
        labels=["car", "person"],
        settings={"overlap_fraction": 0.0, "benchmark_rate": 0.0, "calibration_benchmarks": 0},
        creator=manager,
    )
    member_add(project=project, user=annotator, role="annotator")
    items_import(
        project=project,
        rows=[
            {"external_id": f"s{i}", "image": _image(f"s{i}"), "width": 640, "height": 480} for i in range(2)
        ],
    )
    return {"project": project, "manager": manager, "annotator": annotator}


def test_annotator_draws_sees_oversized_warning_fixes_and_submits(
    page: Any, live_server: Any, bbox_project
) -> None:
    _sign_in(page, live_server.url, "ann")
    page.get_by_test_id("start-labeling").first.click()
    workspace = page.get_by_test_id("workspace")
    first_task = workspace.get_attribute("data-task-id")

    _drag(page, 10, 10, 630, 470)  # covers ~95% of the image
    warning = page.locator('[data-testid="finding-item"][data-code="oversized_box"]')
    warning.wait_for()
    assert "covers" in warning.inner_text()
    assert page.locator('[data-testid="box-row"][data-severity]').count() == 1  # the box is highlighted

    page.keyboard.press("Delete")
    _drag(page, 100, 100, 220, 200)
    warning.wait_for(state="detached")
    assert page.get_by_test_id("box-row").count() == 1

    page.keyboard.press("Enter")
    page.wait_for_function(
        "previous => document.querySelector('[data-testid=workspace]')?.dataset.taskId !== previous",
        arg=first_task,
    )
    assert workspace.get_attribute("data-task-id") != first_task
    _drag(page, 300, 200, 380, 300)
    page.get_by_test_id("box-row").first.wait_for()
    page.keyboard.press("Enter")
    page.get_by_test_id("done-screen").wait_for()

    annotations = list(bbox_project["project"].annotations.values_list("payload", flat=True))
    assert len(annotations) == 2
    first = annotations[0]["boxes"][0]
    assert abs(first["x"] - 100) < 3
    assert abs(first["w"] - 120) < 3


def test_manager_opens_scorecards_and_benchmark_drilldown(page: Any, live_server: Any, bbox_project) -> None:
    project, annotator = bbox_project["project"], bbox_project["annotator"]
    project.calibration_benchmarks = 3
    project.calibration_window = 3
    project.save()
    gold_boxes = [{"x": 50, "y": 60, "w": 150, "h": 120, "label": "car"}]
    gold_import(
        project=project,
        rows=[
            {
                "external_id": f"g{i}",
                "image": _image(f"g{i}"),
                "width": 640,
                "height": 480,
                "payload": {"boxes": gold_boxes},
            }
            for i in range(3)
        ],
        user=bbox_project["manager"],
    )
    for _ in range(3):  # unassisted benchmarks (no predictions here): answered with gold, fixed
        task = task_next(project=project, annotator_id=annotator.pk)
        annotation_submit(
            task_id=task.pk, annotator_id=annotator.pk, payload={"boxes": gold_boxes}, client_time_ms=5000
        )

    _sign_in(page, live_server.url, "boss")
    page.goto(f"{live_server.url}/projects/{project.pk}/scorecards")
    row = page.locator('[data-testid="scorecard-row"][data-username="ann"]')
    row.wait_for()
    assert "100%" in row.inner_text()
    row.get_by_test_id("drilldown-link").click()
    page.get_by_test_id("drilldown").wait_for()
    page.get_by_test_id("benchmark-card").nth(2).wait_for()
    assert page.get_by_test_id("benchmark-card").count() == 3
    page.locator('[data-testid="overlay-box"][data-kind="submitted"]').first.wait_for()
    kinds = set(
        page.locator('[data-testid="overlay-box"]').evaluate_all("els => els.map(e => e.dataset.kind)")
    )
    assert {"gold", "submitted"} <= kinds


def test_classification_by_keyboard_alone(page: Any, live_server: Any, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    manager, annotator = _user("boss"), _user("ann")
    project = project_create(
        name="Pets",
        kind="classification",
        labels=["cat", "dog", "bird"],
        settings={"overlap_fraction": 0.0, "benchmark_rate": 0.0, "calibration_benchmarks": 0},
        creator=manager,
    )
    member_add(project=project, user=annotator, role="annotator")
    items_import(
        project=project,
        rows=[
            {"external_id": f"p{i}", "image": _image(f"p{i}"), "width": 640, "height": 480} for i in range(2)
        ],
    )
    _sign_in(page, live_server.url, "ann")
    start = page.get_by_test_id("start-labeling").first
    start.focus()
    page.keyboard.press("Enter")
    workspace = page.get_by_test_id("workspace")
    workspace.wait_for()
    first_task = workspace.get_attribute("data-task-id")
    page.keyboard.press("2")  # dog
    page.keyboard.press("Enter")
    page.wait_for_function(
        "previous => document.querySelector('[data-testid=workspace]')?.dataset.taskId !== previous",
        arg=first_task,
    )
    page.get_by_test_id("submit-blocked-reason").wait_for()  # the new task is ready: no label chosen yet
    page.keyboard.press("3")  # bird
    page.keyboard.press("Enter")
    page.get_by_test_id("done-screen").wait_for()
    labels = sorted(p["label"] for p in project.annotations.values_list("payload", flat=True))
    assert labels == ["bird", "dog"]
