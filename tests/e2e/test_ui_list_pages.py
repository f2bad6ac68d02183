"""End to end in Chromium: the Alerts, Data, Review, Scorecards and Findings pages, the review workspace with
its queue and the rework workspace, with content on each, pass axe-core (no serious or critical violation)
and work from the keyboard alone: every control is reached by Tab in order, shows where the focus is, and
the page's main action runs from the keyboard (on the review workspace: every hotkey its help lists)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from annotation_qc.accounts.models import User
from annotation_qc.agreement.services.reports import agreement_report_compute
from annotation_qc.alerts.models import Alert
from annotation_qc.labeling.models import Item, Task
from annotation_qc.labeling.services.imports import items_import
from annotation_qc.projects.services import member_add
from annotation_qc.review.models import Review
from annotation_qc.review.services.reviews import review_decide
from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.submit_pipeline import after_submit, annotation_submit
from tests.e2e.helpers import (
    HEIGHT,
    WIDTH,
    axe_violations,
    focus_lands_in,
    keyboard_reaches_everything,
    moved_on,
    reviewed_project,
    shot,
    sign_in,
    stored_image,
    tab_to,
    user,
)
from tests.e2e.test_manager import scored_project  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CAR = {"x": 100, "y": 100, "w": 120, "h": 100, "label": "car"}
WRONG = {"x": 380, "y": 220, "w": 100, "h": 100, "label": "car"}  # a person labelled car


@pytest.fixture
def busy_project(scored_project: dict[str, Any]) -> Any:  # noqa: F811
    """Scored benchmarks, answers with lint findings, a low-agreement item and an open alert."""
    project = scored_project["project"]
    project.overlap = 2
    project.save()
    second = user("ann2")
    member_add(project=project, user=second, role="annotator")
    size = {"width": WIDTH, "height": HEIGHT}
    items_import(
        project=project,
        rows=[{"external_id": f"d{i}", "image": stored_image(f"d{i}"), **size} for i in range(2)],
    )
    Item.objects.filter(project=project, external_id__startswith="d").update(
        required_annotations=2, open_slots=2
    )
    huge = {"x": 0, "y": 0, "w": WIDTH, "h": HEIGHT, "label": "car"}
    answers = {
        scored_project["annotator"].pk: {"boxes": [huge]},
        second.pk: {"boxes": [{"x": 300, "y": 40, "w": 60, "h": 60, "label": "person"}]},
    }
    for annotator_id, payload in answers.items():
        while (task := task_next(project=project, annotator_id=annotator_id)) is not None:
            if task.kind != Task.Kind.REGULAR:
                continue
            annotation_submit(
                task_id=task.pk, annotator_id=annotator_id, payload=payload, client_time_ms=4000
            )
            after_submit(task_id=task.pk)
    agreement_report_compute(project_id=project.pk)
    Alert.objects.create(
        project=project,
        kind="annotator_flagged",
        severity="warning",
        subject=f"annotator:{second.pk}",
        message="ann2's benchmark accuracy fell under the threshold",
        fired_at=timezone.now(),
    )
    return project


def _open(page: Any, base: str, project_id: int, tab: str) -> None:
    page.goto(f"{base}/projects/{project_id}/{tab}")
    page.get_by_test_id(f"{tab}-page").wait_for()
    page.wait_for_load_state("networkidle")


def test_list_pages_pass_axe_and_work_from_the_keyboard(
    page: Any, live_server: Any, busy_project: Any
) -> None:
    project = busy_project
    sign_in(page, live_server.url, "boss")

    # Alerts: acknowledge the open alert with the keyboard.
    _open(page, live_server.url, project.pk, "alerts")
    page.get_by_test_id("alert-row").first.wait_for()
    assert axe_violations(page) == [], "alerts"
    keyboard_reaches_everything(page, "alerts")
    page.locator("body").focus()
    tab_to(page, "alert-row-acknowledge")
    page.keyboard.press("Enter")
    page.get_by_test_id("alert-acknowledged").first.wait_for()
    assert Alert.objects.get(project=project).acknowledged_at is not None
    assert axe_violations(page) == [], "alerts after acknowledging"
    shot(page, "keyboard-alerts")

    # Data: start an export with the keyboard.
    _open(page, live_server.url, project.pk, "data")
    assert axe_violations(page) == [], "data"
    keyboard_reaches_everything(page, "data")
    page.locator("body").focus()
    tab_to(page, "export-start")
    page.keyboard.press("Enter")
    page.get_by_test_id("export-row").first.wait_for()
    assert axe_violations(page) == [], "data after export"
    shot(page, "keyboard-data")

    # Review: the low-agreement item is resolved with the keyboard.
    _open(page, live_server.url, project.pk, "review")
    page.get_by_test_id("review-item").first.wait_for()
    assert axe_violations(page) == [], "review"
    keyboard_reaches_everything(page, "review")
    page.locator("body").focus()
    tab_to(page, "resolve-button")
    page.keyboard.press("Enter")
    page.get_by_test_id("review-resolved").first.wait_for()
    assert axe_violations(page) == [], "review after resolving"
    shot(page, "keyboard-review")

    # Scorecards: sort, then open the annotator's drill-down with the keyboard.
    _open(page, live_server.url, project.pk, "scorecards")
    page.get_by_test_id("scorecard-row").first.wait_for()
    assert axe_violations(page) == [], "scorecards"
    keyboard_reaches_everything(page, "scorecards")
    page.locator("body").focus()
    tab_to(page, "drilldown-link")
    page.keyboard.press("Enter")
    page.wait_for_url("**/benchmarks")
    shot(page, "keyboard-scorecards")

    # Findings: open the first finding's answer with the keyboard.
    _open(page, live_server.url, project.pk, "findings")
    page.get_by_test_id("finding-row").first.wait_for()
    assert axe_violations(page) == [], "findings"
    keyboard_reaches_everything(page, "findings")
    page.locator("body").focus()
    tab_to(page, "finding-open")
    page.keyboard.press("Enter")
    page.get_by_test_id("annotation-page").wait_for()
    shot(page, "keyboard-findings")

    # The check itself fails on a control that hides where the focus is.
    _open(page, live_server.url, project.pk, "findings")
    page.get_by_test_id("finding-row").first.wait_for()
    page.add_style_tag(
        content="[data-testid=finding-open]:focus { outline: none !important; box-shadow: none !important }"
    )
    with pytest.raises(AssertionError, match="finding-open"):
        keyboard_reaches_everything(page, "findings without a focus ring")


def test_the_other_manager_screens_pass_axe_and_tab_reaches_every_control(
    page: Any, live_server: Any, busy_project: Any
) -> None:
    sign_in(page, live_server.url, "boss")
    for tab in ("dashboard", "charts", "suspects", "setup", "members", "settings"):
        page.goto(f"{live_server.url}/projects/{busy_project.pk}/{tab}")
        page.get_by_test_id(f"nav-{tab}").wait_for()
        page.wait_for_load_state("networkidle")
        assert axe_violations(page) == [], tab
        keyboard_reaches_everything(page, tab)


@pytest.fixture
def review_project() -> dict[str, Any]:
    """Three bbox items each answered with a wrong extra box by "ann" and rightly by "ann2"."""
    return reviewed_project(
        name="Review sweep",
        kind="bbox",
        labels=["car", "person"],
        pre_annotation={"boxes": [CAR]},
        first_answer={"boxes": [CAR, WRONG]},
        second_answer={"boxes": [CAR]},
    )


def test_review_workspace_and_queue_pass_axe_and_work_from_the_keyboard_alone(
    page: Any, live_server: Any, review_project: dict[str, Any]
) -> None:
    project = review_project["project"]
    sign_in(page, live_server.url, "rev")
    page.goto(f"{live_server.url}/projects/{project.pk}/reviews")
    page.get_by_test_id("review-panel").wait_for()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("review-queue-row").count() == 6
    assert axe_violations(page) == [], "review workspace"
    keyboard_reaches_everything(page, "review workspace")

    # The queue: its order changes from the keyboard; the review being worked is marked as the current one.
    page.locator("body").focus()
    tab_to(page, "review-order")
    page.keyboard.press("End")  # "Oldest first"
    page.wait_for_function("() => document.querySelector('[data-testid=review-order]').value === 'age'")
    page.wait_for_load_state("networkidle")
    current = page.locator("[data-testid=review-queue-row][aria-current=true]")
    assert current.count() == 1
    first_review = current.get_attribute("data-review-id")

    # Every documented hotkey, with no mouse: P and O toggle the layers, 1 selects box 1, Esc clears it
    # (after Tab out of the order select, whose letters choose an option).
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.dataset.testid") == "review-queue-row"
    layers = page.get_by_test_id("legend-item")
    checked = "el => el.querySelector('input').checked"
    assert [layers.nth(i).evaluate(checked) for i in range(3)] == [True, False, False]
    page.keyboard.press("p")
    page.keyboard.press("o")
    assert [layers.nth(i).evaluate(checked) for i in range(3)] == [True, True, True]
    assert page.locator("[data-testid=overlay-box][data-kind=pre]").count() == 1
    select = page.get_by_role("button", name="Select box 1 (then A or R)")
    page.keyboard.press("1")
    assert select.get_attribute("aria-pressed") == "true"
    page.keyboard.press("Escape")
    assert select.get_attribute("aria-pressed") == "false"

    # A comment typed in its field (hotkeys off while typing), then Tab out and judge the boxes by key:
    # 1 R rejects box 1 (the selection moves to box 2), A accepts box 2, D sends the verdicts.
    tab_to(page, "box-comment")
    page.keyboard.type("Not a car: a van.")
    assert page.get_by_test_id("verdict-summary").count() == 0  # the letters typed were text, not keys
    page.keyboard.press("Tab")
    page.keyboard.press("1")
    page.keyboard.press("r")
    page.keyboard.press("a")
    rows = page.get_by_test_id("review-box-row")
    assert [rows.nth(i).get_attribute("data-verdict") for i in range(2)] == ["rejected", "accepted"]
    assert axe_violations(page) == [], "review workspace with verdicts"
    shot(page, "keyboard-review-workspace")
    page.keyboard.press("d")
    moved_on(page, first_review, 5)
    rejected = Review.objects.get(pk=first_review)
    assert rejected.status == Review.Status.REWORK
    assert rejected.rounds.get().object_verdicts[0] == {
        "box": 0,
        "verdict": "rejected",
        "comment": "Not a car: a van.",
    }
    # The focus is not lost to the top of the page: it lands on the next review, ready for the keys.
    focus_lands_in(page, "review-panel")

    # J skips to the next review; the whole annotation is accepted with the Accept button (Tab, Enter).
    skipped = page.get_by_test_id("review-panel").get_attribute("data-review-id")
    page.keyboard.press("j")
    moved_on(page, skipped, 5)
    focus_lands_in(page, "review-panel")
    accepted = page.get_by_test_id("review-panel").get_attribute("data-review-id")
    tab_to(page, "review-accept")
    page.keyboard.press("Enter")
    moved_on(page, accepted, 4)
    assert Review.objects.get(pk=accepted).status == Review.Status.ACCEPTED
    assert Review.objects.get(pk=skipped).status == Review.Status.PENDING

    # A fix from the keyboard: relabel the one box with its select, Tab on to the remove checkbox (the keys
    # work there: it takes no letters), F saves the fix.
    focus_lands_in(page, "review-panel")
    fixed = page.get_by_test_id("review-panel").get_attribute("data-review-id")
    tab_to(page, "box-relabel")
    page.keyboard.press("End")  # "person"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.dataset.testid") == "box-remove"
    page.keyboard.press("f")
    moved_on(page, fixed, 3)
    fixed_review = Review.objects.select_related("annotation").get(pk=fixed)
    assert fixed_review.status == Review.Status.FIXED
    assert [b["label"] for b in fixed_review.annotation.payload["boxes"]] == ["person"]

    # The box editor (a fix) is reached and closed from the keyboard, its controls in the walk too.
    page.locator("body").focus()
    tab_to(page, "toggle-box-editor")
    page.keyboard.press("Enter")
    page.get_by_test_id("box-editor").wait_for()
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == [], "review workspace with the box editor"
    keyboard_reaches_everything(page, "review workspace with the box editor")

    # The empty queue.
    Review.objects.filter(project=project, status=Review.Status.PENDING).update(status=Review.Status.ACCEPTED)
    page.reload()
    page.get_by_text("Nothing waiting for review.").wait_for()
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == [], "empty review queue"
    keyboard_reaches_everything(page, "empty review queue", at_least=4)  # the navigation, the order


def test_rework_workspace_passes_axe_and_works_from_the_keyboard_alone(
    page: Any, live_server: Any, review_project: dict[str, Any]
) -> None:
    project = review_project["project"]
    review = Review.objects.filter(project=project, annotator=review_project["first"]).order_by("pk").first()
    review_decide(
        review_id=review.pk,
        project=project,
        reviewer_id=User.objects.get(username="rev").pk,
        objects=[{"box": 1, "verdict": "rejected", "comment": "That is a car."}],
        comments=[],
    )
    sign_in(page, live_server.url, "ann")
    page.goto(f"{live_server.url}/projects/{project.pk}/rework")
    page.get_by_test_id("workspace").wait_for()
    page.get_by_test_id("rejected-list").wait_for()
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == [], "rework workspace"
    keyboard_reaches_everything(page, "rework workspace")
    shot(page, "keyboard-rework")

    # Relabel box 2 from the keyboard (its row's label select), then send the fix with Enter.
    page.locator("body").focus()
    tab_to(page, "box-row-select")
    tab_to(page, "box-row-select")
    page.keyboard.press("Enter")
    tab_to(page, "box-row-label")
    page.keyboard.press("End")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=box-row]')].map(r => r.dataset.label).join()"
        " === 'car,person'"
    )
    page.locator("body").focus()
    tab_to(page, "submit-button")
    page.keyboard.press("Enter")
    page.get_by_test_id("rework-empty").wait_for()
    review.refresh_from_db()
    assert (review.status, review.round) == (Review.Status.PENDING, 2)
    assert [b["label"] for b in review.annotation.payload["boxes"]] == ["car", "person"]
    assert axe_violations(page) == [], "rework done"
    keyboard_reaches_everything(page, "rework done", at_least=2)  # sign out, back to labeling
