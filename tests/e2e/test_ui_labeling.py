"""End to end in Chromium: the labeling screen's daily tasks, checked in the database, with screenshots."""

from __future__ import annotations

from typing import Any

import pytest

from annotation_qc.drafts.models import TaskDraft
from annotation_qc.labeling.models import Task
from annotation_qc.labeling.services.imports import items_import
from annotation_qc.projects.services import member_add, project_create
from tests.e2e.helpers import (
    HEIGHT,
    WIDTH,
    axe_violations,
    drag,
    screen_point,
    shot,
    sign_in,
    stored_image,
    user,
    wait_for_next_task,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLAIN = {"overlap_fraction": 0.0, "benchmark_rate": 0.0, "calibration_benchmarks": 0}
INSTRUCTIONS = "# How to label\n\nBox **every** car.\n\n<script>window.__pwned = true</script>"


def _project(kind: str, labels: list[str], items: int = 3, **extra: Any) -> Any:
    manager, annotator = user("boss"), user("ann")
    project = project_create(
        name=f"{kind} daily", kind=kind, labels=labels, settings=PLAIN, creator=manager, **extra
    )
    member_add(project=project, user=annotator, role="annotator")
    rows = [
        {"external_id": f"i{i}", "image": stored_image(f"{kind}{i}"), "width": WIDTH, "height": HEIGHT}
        for i in range(items)
    ]
    items_import(project=project, rows=rows)
    return project


def _open_workspace(page: Any, base: str, project: Any) -> Any:
    sign_in(page, base, "ann")
    page.goto(f"{base}/projects/{project.pk}/label")
    workspace = page.get_by_test_id("workspace")
    workspace.wait_for()
    return workspace


def _pressed(page: Any) -> str | None:
    return page.evaluate(
        "() => document.querySelector('[data-testid=class-button][aria-pressed=true]')?.dataset.label ?? null"
    )


def test_digit_labels_answer_to_their_own_digits_and_the_labels_show_their_keys(
    page: Any, live_server: Any
) -> None:
    project = _project("classification", [str(d) for d in range(10)], items=2)
    workspace = _open_workspace(page, live_server.url, project)
    keys = page.locator("[data-testid=class-button]").evaluate_all("bs => bs.map(b => b.dataset.hotkey)")
    assert keys == [str(d) for d in range(10)]
    for digit in ("3", "0", "9"):
        page.keyboard.press(digit)
        page.wait_for_function(
            f"() => document.querySelector('[data-testid=class-button][data-label=\"{digit}\"]')"
            ".getAttribute('aria-pressed') === 'true'"
        )
    first = workspace.get_attribute("data-task-id")
    shot(page, "labeling-digits")
    page.keyboard.press("Enter")
    wait_for_next_task(page, first)
    assert project.annotations.get().payload == {"label": "9"}
    status = page.get_by_test_id("last-submit-status")
    assert "Submitted" in status.inner_text()


def test_enter_submits_after_a_mouse_click_on_a_label_and_skip_says_so(page: Any, live_server: Any) -> None:
    project = _project("classification", ["cat", "dog"], items=3)
    workspace = _open_workspace(page, live_server.url, project)
    first = workspace.get_attribute("data-task-id")
    page.locator('[data-testid="class-button"][data-label="dog"]').click()
    page.keyboard.press("Enter")
    second = wait_for_next_task(page, first)
    assert project.annotations.get().payload == {"label": "dog"}
    page.get_by_test_id("skip-button").click()
    page.get_by_test_id("skip-reason").fill("cannot tell")
    page.get_by_test_id("skip-confirm").click()
    wait_for_next_task(page, second)
    assert "Skipped" in page.get_by_test_id("last-submit-status").inner_text()
    assert Task.objects.get(public_id=second).status == Task.Status.SKIPPED
    shot(page, "labeling-after-skip")


def test_instructions_render_and_a_script_stays_inert(page: Any, live_server: Any) -> None:
    project = _project("bbox", ["car", "person"], instructions=INSTRUCTIONS)
    _open_workspace(page, live_server.url, project)
    page.get_by_test_id("instructions-toggle").click()
    panel = page.get_by_test_id("instructions-panel")
    panel.wait_for()
    assert panel.locator("h1").inner_text() == "How to label"
    assert "<script>" in panel.inner_text()
    assert panel.locator("script").count() == 0
    assert page.evaluate("() => window.__pwned === undefined")
    shot(page, "labeling-instructions")


def test_space_drag_pans_and_a_resize_refits(page: Any, live_server: Any) -> None:
    project = _project("bbox", ["car", "person"])
    _open_workspace(page, live_server.url, project)
    stage = page.get_by_test_id("canvas-stage")
    screen_point(page, 0, 0)  # waits for the view
    # Click a label with the mouse first: the button must not keep Space for itself.
    page.locator('[data-testid="label-button"][data-label="person"]').click()
    x0 = float(stage.get_attribute("data-view-x"))
    start = screen_point(page, 300, 300)
    page.keyboard.down(" ")
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0] + 60, start[1] + 10, steps=6)
    page.mouse.up()
    page.keyboard.up(" ")
    assert float(stage.get_attribute("data-view-x")) == pytest.approx(x0 + 60, abs=2)
    assert stage.get_attribute("data-box-count") == "0"  # panned, no box drawn
    # A box still draws without Space.
    drag(page, (50, 50), (150, 150))
    page.wait_for_function("el => el.dataset.boxCount === '1'", arg=stage.element_handle())
    scale = float(stage.get_attribute("data-view-scale"))
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.wait_for_function(f"el => Number(el.dataset.viewScale) > {scale}", arg=stage.element_handle())
    shot(page, "labeling-1920x1080")


def test_draft_survives_a_reload_with_the_timer_carried_on(page: Any, live_server: Any) -> None:
    project = _project("bbox", ["car", "person"])
    workspace = _open_workspace(page, live_server.url, project)
    task_id = workspace.get_attribute("data-task-id")
    stage = page.get_by_test_id("canvas-stage")
    drag(page, (100, 100), (220, 200))
    page.wait_for_function("el => el.dataset.boxCount === '1'", arg=stage.element_handle())
    page.wait_for_function(
        "() => document.querySelector('[data-testid=draft-status]').dataset.state === 'saved'"
    )
    draft = TaskDraft.objects.get(task__public_id=task_id)
    assert len(draft.payload["boxes"]) == 1
    page.reload()
    page.get_by_test_id("workspace").wait_for()
    assert page.get_by_test_id("workspace").get_attribute("data-task-id") == task_id
    page.wait_for_function(
        "() => document.querySelector('[data-testid=canvas-stage]').dataset.boxCount === '1'"
    )
    assert int(page.get_by_test_id("workspace").get_attribute("data-elapsed-start")) >= draft.elapsed_ms
    page.keyboard.press("Enter")
    wait_for_next_task(page, task_id)
    annotation = project.annotations.get()
    assert len(annotation.payload["boxes"]) == 1
    assert annotation.client_time_ms >= draft.elapsed_ms


def test_draft_after_the_lease_expired_says_so_and_keeps_the_work(page: Any, live_server: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    project = _project("bbox", ["car", "person"])
    workspace = _open_workspace(page, live_server.url, project)
    task_id = workspace.get_attribute("data-task-id")
    Task.objects.filter(public_id=task_id).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    drag(page, (100, 100), (220, 200))
    status = page.get_by_test_id("draft-status")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=draft-status]').dataset.state === 'refused'"
    )
    assert "lease expired" in status.inner_text()
    assert page.get_by_test_id("canvas-stage").get_attribute("data-box-count") == "1"
    assert page.evaluate(f"() => localStorage.getItem('aqc:draft:{task_id}')") is not None
    shot(page, "labeling-lease-expired")


def test_own_label_keys_are_saved_for_the_user(page: Any, live_server: Any) -> None:
    project = _project("classification", ["cat", "dog"], items=2)
    _open_workspace(page, live_server.url, project)
    page.get_by_test_id("hotkeys-edit").click()
    page.locator('[data-testid="hotkey-input"][data-label="dog"]').fill("d")
    page.get_by_test_id("hotkeys-save").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=class-button][data-label=dog]').dataset.hotkey === 'd'"
    )
    from annotation_qc.accounts.models import User

    assert User.objects.get(username="ann").preferences["hotkeys"][str(project.pk)]["dog"] == "d"
    page.keyboard.press("d")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=class-button][data-label=dog]')"
        ".getAttribute('aria-pressed') === 'true'"
    )


@pytest.mark.parametrize("viewport", [(1280, 720), (1920, 1080)])
@pytest.mark.parametrize("kind", ["bbox", "classification"])
def test_workspaces_have_no_serious_accessibility_violations(
    page: Any, live_server: Any, kind: str, viewport: tuple[int, int]
) -> None:
    project = _project(kind, ["car", "person"], instructions="# Rules\nBe careful.")
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    _open_workspace(page, live_server.url, project)
    page.get_by_test_id("instructions-toggle").click()
    page.get_by_test_id("help-toggle").click()
    assert axe_violations(page) == []
    submit = page.get_by_test_id("submit-button").bounding_box()
    assert submit["y"] + submit["height"] <= viewport[1]
    shot(page, f"labeling-{kind}-{viewport[0]}x{viewport[1]}")


def test_the_accessibility_check_itself_finds_a_serious_violation(page: Any, live_server: Any) -> None:
    """The check above can fail: a button with no name on the page is reported."""
    project = _project("classification", ["cat", "dog"], items=1)
    _open_workspace(page, live_server.url, project)
    page.evaluate("() => document.body.appendChild(document.createElement('button'))")
    assert "button-name" in [v["id"] for v in axe_violations(page)]


def test_going_back_to_change_an_answer_keeps_a_version_and_returns_to_the_open_task(
    page: Any, live_server: Any
) -> None:
    from annotation_qc.drafts.models import AnnotationRevision

    project = _project("classification", ["cat", "dog"], items=3)
    workspace = _open_workspace(page, live_server.url, project)
    first = workspace.get_attribute("data-task-id")
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    second = wait_for_next_task(page, first)
    page.keyboard.press("1")  # work in progress on the open task: kept as its draft
    page.wait_for_function(
        "() => document.querySelector('[data-testid=draft-status]').dataset.state === 'saved'"
    )
    page.get_by_test_id("previous-answers").click()
    row = page.locator(f'[data-testid="answer-row"][data-task-id="{first}"]')
    row.wait_for()
    shot(page, "labeling-previous-answers")
    row.get_by_test_id("answer-change").click()
    page.get_by_test_id("revise-note").wait_for()
    assert _pressed(page) == "dog"
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"() => document.querySelector('[data-testid=workspace]')?.dataset.taskId === '{second}'"
        " && !document.querySelector('[data-testid=revise-note]')"
    )
    assert project.annotations.get(task__public_id=first).payload == {"label": "cat"}
    assert AnnotationRevision.objects.get(annotation__task__public_id=first).payload == {"label": "dog"}
    assert "changed" in page.get_by_test_id("last-submit-status").inner_text()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=class-button][data-label=cat]')"
        ".getAttribute('aria-pressed') === 'true'"
    )  # the open task's draft came back
