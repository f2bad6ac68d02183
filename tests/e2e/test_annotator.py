"""End to end in Chromium: an annotator draws boxes under the live linter; classifies by keyboard alone."""

from __future__ import annotations

import re
from typing import Any

import pytest

from annotation_qc.labeling.services.imports import items_import
from annotation_qc.projects.services import member_add, project_create
from tests.e2e.helpers import (
    HEIGHT,
    WIDTH,
    drag,
    inside_viewport,
    screen_point,
    sign_in,
    stored_image,
    user,
    wait_for_next_task,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Benchmarks and double labeling off: each annotator gets the project's items once, in import order.
PLAIN = {"overlap_fraction": 0.0, "benchmark_rate": 0.0, "calibration_benchmarks": 0}
#: The canvas asks for the preview first (the image itself when it has none: see editor/imageLevel.ts).
IMAGE_URL = re.compile(r"/api/v1/images/[A-Za-z0-9_-]{22}/(\?size=preview)?$")


def _project(kind: str, labels: list[str], prefix: str) -> Any:
    manager, annotator = user("boss"), user("ann")
    project = project_create(name=f"{kind} e2e", kind=kind, labels=labels, settings=PLAIN, creator=manager)
    member_add(project=project, user=annotator, role="annotator")
    rows = [
        {
            "external_id": f"{prefix}{i}",
            "image": stored_image(f"{prefix}{i}"),
            "width": WIDTH,
            "height": HEIGHT,
        }
        for i in range(2)
    ]
    items_import(project=project, rows=rows)
    return project


def test_annotator_draws_sees_oversized_warning_resizes_and_submits(page: Any, live_server: Any) -> None:
    project = _project("bbox", ["car", "person"], "street")
    sign_in(page, live_server.url, "ann")
    with page.expect_response(lambda r: IMAGE_URL.search(r.url) is not None) as image:
        page.get_by_test_id("start-labeling").first.click()
    assert image.value.status == 200
    assert image.value.headers["content-type"] == "image/png"
    workspace = page.get_by_test_id("workspace")
    first_task = workspace.get_attribute("data-task-id")
    assert workspace.get_attribute("data-kind") == "bbox"
    assert inside_viewport(page, "submit-button")  # usable at 1280x720: no scrolling to submit

    # A box over most of the image: a live warning, and the box highlighted in the list and on the canvas.
    drag(page, (10, 10), (630, 470))
    warning = page.locator('[data-testid="finding-item"][data-code="oversized_box"]')
    warning.wait_for()
    assert warning.get_attribute("data-severity") == "warning"
    assert warning.get_attribute("data-boxes") == "1"
    assert "covers" in warning.inner_text()
    stage = page.get_by_test_id("canvas-stage")
    assert stage.get_attribute("data-highlighted") == "1:warning"
    row = page.locator('[data-testid="box-row"][data-index="1"]')
    assert row.get_attribute("data-severity") == "warning"
    assert row.get_attribute("data-selected") == "true"

    # Fix it with the bottom-right resize handle of the selected box.
    x, y = screen_point(page, 630, 470)
    page.mouse.move(x, y)
    page.mouse.down()
    target_x, target_y = screen_point(page, 230, 210)
    page.mouse.move((x + target_x) / 2, (y + target_y) / 2, steps=5)
    page.mouse.move(target_x, target_y, steps=5)
    page.mouse.up()
    warning.wait_for(state="detached")
    page.get_by_test_id("findings-empty").wait_for()
    assert stage.get_attribute("data-highlighted") == ""
    assert row.get_attribute("data-severity") == ""
    assert abs(int(row.get_attribute("data-w")) - 220) <= 3
    assert abs(int(row.get_attribute("data-h")) - 200) <= 3

    page.keyboard.press("Enter")
    second_task = wait_for_next_task(page, first_task)
    assert second_task != first_task
    page.get_by_test_id("last-submit-status").wait_for()

    drag(page, (300, 200), (380, 300))
    page.get_by_test_id("box-row").first.wait_for()
    page.keyboard.press("Enter")
    page.get_by_test_id("done-screen").wait_for()

    payloads = list(project.annotations.order_by("pk").values_list("payload", flat=True))
    assert len(payloads) == 2
    (fixed,) = payloads[0]["boxes"]
    assert fixed["label"] == "car"
    assert abs(fixed["x"] - 10) < 3
    assert abs(fixed["y"] - 10) < 3
    assert abs(fixed["w"] - 220) < 3
    assert abs(fixed["h"] - 200) < 3
    (small,) = payloads[1]["boxes"]
    assert abs(small["x"] - 300) < 3
    assert abs(small["w"] - 80) < 3


def test_classification_by_keyboard_alone_at_1280x720(page: Any, live_server: Any) -> None:
    project = _project("classification", ["cat", "dog", "bird"], "pet")
    assert page.viewport_size == {"width": 1280, "height": 720}
    sign_in(page, live_server.url, "ann")
    start = page.get_by_test_id("start-labeling").first
    start.focus()
    page.keyboard.press("Enter")
    workspace = page.get_by_test_id("workspace")
    workspace.wait_for()
    assert workspace.get_attribute("data-kind") == "classification"
    page.wait_for_function("() => document.querySelector('[data-testid=class-image]')?.naturalWidth > 0")
    assert inside_viewport(page, "submit-button")
    first_task = workspace.get_attribute("data-task-id")

    page.keyboard.press("2")
    dog = page.locator('[data-testid="class-button"][data-label="dog"]')
    page.wait_for_function("el => el.getAttribute('aria-pressed') === 'true'", arg=dog.element_handle())
    page.keyboard.press("Enter")
    wait_for_next_task(page, first_task)
    page.get_by_test_id("submit-blocked-reason").wait_for()  # the new task is ready: no label chosen yet
    page.keyboard.press("3")
    page.keyboard.press("Enter")
    page.get_by_test_id("done-screen").wait_for()

    labels = [p["label"] for p in project.annotations.order_by("pk").values_list("payload", flat=True)]
    assert labels == ["dog", "bird"]


def _focused(page: Any) -> str | None:
    return page.evaluate("() => document.activeElement?.dataset?.testid ?? null")


def _focus_in_dialog(page: Any) -> bool:
    return page.evaluate(
        "() => !!document.querySelector('[data-testid=skip-dialog]')?.contains(document.activeElement)"
    )


def test_skip_dialog_traps_focus_and_quiets_the_shortcuts(page: Any, live_server: Any) -> None:
    project = _project("bbox", ["car", "person"], "lot")
    sign_in(page, live_server.url, "ann")
    page.get_by_test_id("start-labeling").first.click()
    workspace = page.get_by_test_id("workspace")
    first_task = workspace.get_attribute("data-task-id")
    drag(page, (300, 200), (380, 300))
    row = page.locator('[data-testid="box-row"][data-index="1"]')
    row.wait_for()
    assert row.get_attribute("data-selected") == "true"

    # Opened from its button: a named modal dialog with the focus on the reason field.
    page.get_by_test_id("skip-button").click()
    dialog = page.get_by_role("dialog", name="Skip this task")
    dialog.wait_for()
    assert dialog.get_attribute("aria-modal") == "true"
    assert _focused(page) == "skip-reason"
    for key in ["Tab"] * 7 + ["Shift+Tab"] * 7:
        page.keyboard.press(key)
        assert _focus_in_dialog(page), key
    # Shortcuts are off while it is open (the focus is on one of its buttons now, which owns no letter key).
    for key in ["Delete", "n", "2", "Control+z"]:
        page.keyboard.press(key)
    assert page.get_by_test_id("box-row").count() == 1
    assert page.get_by_test_id("active-label").inner_text() == "car"

    # Escape closes it without clearing the selection, and gives the focus back to the Skip button.
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")
    assert _focused(page) == "skip-button"
    assert row.get_attribute("data-selected") == "true"

    # Opened by its shortcut, typed into, then confirmed.
    page.keyboard.press("s")
    dialog.wait_for()
    assert _focused(page) == "skip-reason"
    page.keyboard.type("glare")
    assert page.get_by_test_id("skip-reason").input_value() == "glare"
    page.get_by_test_id("skip-confirm").click()
    wait_for_next_task(page, first_task)
    assert list(project.tasks.filter(status="skipped").values_list("public_id", "skip_reason")) == [
        (first_task, "glare")
    ]
