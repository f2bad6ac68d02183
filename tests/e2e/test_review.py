"""End to end in Chromium: a reviewer accepts box 1 and rejects box 2 with a comment pinned on it (select
with 1, then A and R), which rejects the annotation (hotkey R), the annotator reworks it in the labeling
workspace (the rejected box marked over the image with the comment, live lint while fixing) and sends the
fix, and the reviewer accepts the second round (hotkey A)."""

from __future__ import annotations

from typing import Any

import pytest

from annotation_qc.labeling.services.imports import items_import
from annotation_qc.projects.services import member_add, project_create
from annotation_qc.review.models import Review, ReviewConfig, ReviewRound
from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.submit_pipeline import annotation_submit
from tests.e2e.helpers import HEIGHT, WIDTH, drag, shot, sign_in, stored_image, user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLAIN = {"overlap_fraction": 0.0, "benchmark_rate": 0.0, "calibration_benchmarks": 0}


def test_reject_rework_accept(page: Any, browser: Any, live_server: Any) -> None:
    manager, annotator, reviewer = user("boss"), user("ann"), user("rev")
    project = project_create(
        name="review e2e", kind="bbox", labels=["car", "person"], settings=PLAIN, creator=manager
    )
    member_add(project=project, user=annotator, role="annotator")
    member_add(project=project, user=reviewer, role="reviewer")
    ReviewConfig.objects.create(
        project=project, enabled=True, base_rate=1.0, max_rate=1.0, calibration_rate=1.0
    )
    items_import(
        project=project,
        rows=[{"external_id": "street0", "image": stored_image("street0"), "width": WIDTH, "height": HEIGHT}],
    )
    task = task_next(project=project, annotator_id=annotator.pk)
    assert task is not None
    boxes = [
        {"x": 100, "y": 100, "w": 120, "h": 100, "label": "car"},
        {"x": 380, "y": 220, "w": 100, "h": 100, "label": "car"},
    ]
    annotation_submit(
        task_id=task.pk, annotator_id=annotator.pk, payload={"boxes": boxes}, client_time_ms=9000
    )
    review = Review.objects.get()

    # The reviewer: the queue, the workspace, a comment on box 2; box 1 accepted and box 2 rejected with the
    # keys (1 selects box 1, A judges it and selects box 2, R judges that), then R rejects the annotation.
    sign_in(page, live_server.url, "rev")
    page.goto(f"{live_server.url}/projects/{project.pk}/reviews")
    page.get_by_test_id("review-panel").wait_for()
    assert page.get_by_test_id("review-queue-row").count() == 1
    page.get_by_test_id("box-comment").nth(1).fill("This is a person, not a car.")
    assert page.get_by_test_id("comment-pin").count() == 1
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("1")
    page.keyboard.press("a")
    page.keyboard.press("r")
    box_rows = page.get_by_test_id("review-box-row")
    assert [box_rows.nth(i).get_attribute("data-verdict") for i in range(2)] == ["accepted", "rejected"]
    assert page.get_by_role("button", name="Reject box 2").get_attribute("aria-pressed") == "true"
    assert page.get_by_test_id("verdict-mark").count() == 2
    shot(page, "review-workspace")
    page.keyboard.press("r")
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=review-panel]') || "
        "document.querySelectorAll('[data-testid=review-queue-row]').length === 0"
    )
    review.refresh_from_db()
    assert review.status == Review.Status.REWORK
    decided = ReviewRound.objects.get(review=review, action="reject")
    assert decided.object_verdicts == [
        {"box": 0, "verdict": "accepted", "comment": ""},
        {"box": 1, "verdict": "rejected", "comment": "This is a person, not a car."},
    ]

    # The annotator: the labeling workspace links to the rework, which opens in the same workspace: box 2
    # marked rejected over the image, its comment listed beside it, live lint on every change.
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    other = context.new_page()
    sign_in(other, live_server.url, "ann")
    other.goto(f"{live_server.url}/projects/{project.pk}/label")
    other.get_by_test_id("rework-notice").wait_for()
    other.get_by_test_id("rework-link").click()
    workspace = other.get_by_test_id("workspace")
    workspace.wait_for()
    assert workspace.get_attribute("data-task-id") == task.public_id
    stage = other.get_by_test_id("canvas-stage")
    assert stage.get_attribute("data-pins") == "1:rejected:2"
    assert "Box 2 rejected: This is a person" in other.get_by_test_id("rejected-list").inner_text()
    assert other.get_by_test_id("box-row").count() == 2
    assert other.get_by_test_id("skip-button").count() == 0
    shot(other, "rework")
    # Live lint while fixing: a box over most of the image draws the oversized warning on the canvas at once.
    drag(other, (10, 10), (630, 470))
    warning = other.locator('[data-testid="finding-item"][data-code="oversized_box"]')
    warning.wait_for()
    assert stage.get_attribute("data-highlighted") == "3:warning"
    other.keyboard.press("Control+z")
    warning.wait_for(state="detached")
    # Relabel box 2 as the comment says and draw the car that was missing.
    row = other.locator('[data-testid="box-row"][data-index="2"]')
    row.get_by_test_id("box-row-select").click()
    row.get_by_test_id("box-row-label").select_option("person")
    drag(other, (500, 60), (600, 140))
    assert other.get_by_test_id("box-row").count() == 3
    other.get_by_test_id("findings-empty").wait_for()
    shot(other, "rework-drawn")
    other.get_by_test_id("submit-button").click()
    other.get_by_test_id("rework-empty").wait_for()
    context.close()
    review.refresh_from_db()
    assert (review.status, review.round) == (Review.Status.PENDING, 2)
    review.annotation.refresh_from_db()
    assert len(review.annotation.payload["boxes"]) == 3

    # The reviewer again: round 2, accept with A.
    page.goto(f"{live_server.url}/projects/{project.pk}/reviews")
    page.get_by_test_id("review-history").wait_for()
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("a")
    page.get_by_text("Nothing waiting for review.").wait_for()
    review.refresh_from_db()
    assert review.status == Review.Status.ACCEPTED
    assert [b["label"] for b in review.annotation.payload["boxes"]] == ["car", "person", "car"]
