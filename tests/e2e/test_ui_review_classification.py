"""End to end in Chromium: the review workspace with its queue, and the rework, on a classification project
pass axe-core (no serious or critical violation) and work from the keyboard alone: every control reached by
Tab with a visible focus, every hotkey the help lists driven from the keyboard (and only those that apply to
a class), and each verdict (reject with a comment, accept, fix the class) given with keys and found in the
database."""

from __future__ import annotations

from typing import Any

import pytest

from annotation_qc.accounts.models import User
from annotation_qc.review.models import Review
from annotation_qc.review.services.reviews import review_act
from tests.e2e.helpers import (
    axe_violations,
    focus_lands_in,
    keyboard_reaches_everything,
    moved_on,
    reviewed_project,
    shot,
    sign_in,
    tab_to,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LABELS = ["cat", "dog", "bird"]


@pytest.fixture
def class_review_project() -> dict[str, Any]:
    """Three items each answered "dog" by "ann" and "cat" by "ann2" over a "cat" pre-annotation."""
    return reviewed_project(
        name="Class review sweep",
        kind="classification",
        labels=LABELS,
        pre_annotation={"label": "cat"},
        first_answer={"label": "dog"},
        second_answer={"label": "cat"},
    )


def _checked(page: Any) -> list[bool]:
    layers = page.get_by_test_id("legend-item")
    return [layers.nth(i).evaluate("el => el.querySelector('input').checked") for i in range(layers.count())]


def test_classification_review_workspace_and_queue_work_from_the_keyboard_alone(
    page: Any, live_server: Any, class_review_project: dict[str, Any]
) -> None:
    project = class_review_project["project"]
    sign_in(page, live_server.url, "rev")
    page.goto(f"{live_server.url}/projects/{project.pk}/reviews")
    page.get_by_test_id("review-panel").wait_for()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("review-queue-row").count() == 6
    assert page.get_by_test_id("review-boxes").count() == 0  # no box table for a class
    assert axe_violations(page) == [], "classification review workspace"
    keyboard_reaches_everything(page, "classification review workspace")

    # The help lists the keys that apply to a class: no box selection, no box verdicts.
    keys = page.get_by_test_id("review-hotkeys").inner_text()
    assert "1-9" not in keys
    assert "Esc" not in keys
    assert "D:" not in keys
    for key in ("A:", "R:", "F:", "J:", "P:", "O:"):
        assert key in keys, keys

    # The queue: its order changes from the keyboard; the review being worked is marked as the current one.
    page.locator("body").focus()
    tab_to(page, "review-order")
    page.keyboard.press("End")  # "Oldest first"
    page.wait_for_function("() => document.querySelector('[data-testid=review-order]').value === 'age'")
    page.wait_for_load_state("networkidle")
    current = page.locator("[data-testid=review-queue-row][aria-current=true]")
    assert current.count() == 1
    first_review = current.get_attribute("data-review-id")
    page.wait_for_function(
        "id => document.querySelector('[data-testid=review-panel]')?.dataset.reviewId === id",
        arg=first_review,
    )
    page.wait_for_load_state("networkidle")
    panel = page.get_by_test_id("review-panel")
    answer = Review.objects.select_related("annotation").get(pk=first_review).annotation.payload["label"]
    other = "cat" if answer == "dog" else "dog"  # the other annotator's answer on the item

    # P and O show the pre-annotation's class and the other answer's, from the keyboard (Tab out of the
    # order select first: its letters choose an option). A hidden layer's class is not shown.
    page.keyboard.press("Tab")
    assert _checked(page) == [True, False, False]
    classes = page.get_by_test_id("legend-class")
    assert [t.strip() for t in classes.all_inner_texts()] == [answer]
    page.keyboard.press("p")
    page.keyboard.press("o")
    assert _checked(page) == [True, True, True]
    assert [t.strip() for t in classes.all_inner_texts()] == [answer, "cat", other]  # the answer, pre, other
    # D and Esc are not keys of a class review: they do nothing (no message about boxes).
    page.keyboard.press("d")
    page.keyboard.press("Escape")
    assert page.get_by_test_id("review-message").count() == 0

    # Reject: a comment typed in its field (the hotkeys are off while typing), Tab out, R.
    tab_to(page, "whole-comment")
    page.keyboard.type("It is a cat: look at the ears.")
    assert page.get_by_test_id("review-message").count() == 0  # the letters typed were text, not keys
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.dataset.testid") == "review-accept"
    assert axe_violations(page) == [], "classification review with a comment"
    shot(page, "keyboard-review-classification")
    page.keyboard.press("r")
    moved_on(page, first_review, 5)
    rejected = Review.objects.get(pk=first_review)
    assert rejected.status == Review.Status.REWORK
    assert rejected.rounds.get().comments == [
        {"box": None, "region": None, "text": "It is a cat: look at the ears."}
    ]
    focus_lands_in(page, "review-panel")  # the focus is on the next review, ready for the keys

    # J skips to the next review; A accepts the one after.
    skipped = panel.get_attribute("data-review-id")
    page.keyboard.press("j")
    moved_on(page, skipped, 5)
    focus_lands_in(page, "review-panel")
    accepted = panel.get_attribute("data-review-id")
    page.keyboard.press("a")
    moved_on(page, accepted, 4)
    assert Review.objects.get(pk=accepted).status == Review.Status.ACCEPTED
    assert Review.objects.get(pk=skipped).status == Review.Status.PENDING

    # A fix from the keyboard: the class chosen in its select, Tab out, F saves it.
    focus_lands_in(page, "review-panel")
    fixed = panel.get_attribute("data-review-id")
    tab_to(page, "fix-class")
    page.keyboard.press("End")  # "bird"
    tab_to(page, "review-accept")  # out of the select, past the comment field: the keys work on a button
    page.keyboard.press("f")
    moved_on(page, fixed, 3)
    fixed_review = Review.objects.select_related("annotation").get(pk=fixed)
    assert fixed_review.status == Review.Status.FIXED
    assert fixed_review.annotation.payload == {"label": "bird"}

    # The verdicts as the API reports them.
    api = page.request.get(f"{live_server.url}/api/v1/projects/{project.pk}/reviews/{fixed}/")
    assert api.ok, api.text()
    assert api.json()["status"] == "fixed"

    # The empty queue.
    Review.objects.filter(project=project, status=Review.Status.PENDING).update(status=Review.Status.ACCEPTED)
    page.reload()
    page.get_by_text("Nothing waiting for review.").wait_for()
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == [], "empty classification review queue"
    keyboard_reaches_everything(page, "empty classification review queue", at_least=4)


def test_classification_rework_passes_axe_and_works_from_the_keyboard_alone(
    page: Any, live_server: Any, class_review_project: dict[str, Any]
) -> None:
    project = class_review_project["project"]
    first = class_review_project["first"]
    review = Review.objects.filter(project=project, annotator=first).order_by("pk").first()
    review_act(
        review_id=review.pk,
        project=project,
        reviewer_id=User.objects.get(username="rev").pk,
        action="reject",
        comments=[{"box": None, "region": None, "text": "It is a cat."}],
    )
    sign_in(page, live_server.url, "ann")
    page.goto(f"{live_server.url}/projects/{project.pk}/rework")
    page.get_by_test_id("workspace").wait_for()
    page.get_by_text("It is a cat.").first.wait_for()
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == [], "classification rework"
    keyboard_reaches_everything(page, "classification rework", at_least=8)
    shot(page, "keyboard-rework-classification")

    # The class from its button (Tab, Enter), then the fix sent with the submit button (Tab, Enter).
    page.locator("body").focus()
    tab_to(page, "class-button")
    while page.evaluate("() => document.activeElement.dataset.label") != "cat":
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.dataset.testid") == "class-button"
    page.keyboard.press("Enter")
    pressed = "[data-testid=class-button][aria-pressed=true]"
    page.wait_for_function("sel => document.querySelector(sel)?.dataset.label === 'cat'", arg=pressed)
    assert page.locator(pressed).count() == 1
    tab_to(page, "submit-button")
    page.keyboard.press("Enter")
    page.get_by_test_id("rework-empty").wait_for()
    review.refresh_from_db()
    assert (review.status, review.round) == (Review.Status.PENDING, 2)
    assert review.annotation.payload == {"label": "cat"}
    assert axe_violations(page) == [], "classification rework done"
    keyboard_reaches_everything(page, "classification rework done", at_least=2)
