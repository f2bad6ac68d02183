"""Per-object review: a verdict per box (accepted or rejected, a comment pinned to it), the whole decision
following from the boxes, every round kept, the rework showing which boxes were rejected, the scorecard's
object-level rejection rate."""

from __future__ import annotations

from typing import Any

import pytest

from annotation_qc.projects.models import Project
from annotation_qc.review.models import Review, ReviewRound
from tests.api.conftest import World
from tests.api.test_review import CAR, PERSON, _act, _submit, _url
from tests.api.test_review import review_world as _review_world

pytestmark = pytest.mark.django_db
review_world = _review_world  # the shared fixture

BIKE = {"x": 400.0, "y": 200.0, "w": 60.0, "h": 40.0, "label": "bike"}


def _decide(world: World, role: str, review: Review, **body: Any) -> Any:
    return world.client(role).post(_url(world, f"reviews/{review.pk}/decide/"), body, format="json")


def _three_boxes(world: World) -> Review:
    _submit(world, {"boxes": [CAR, PERSON, BIKE]})
    return Review.objects.get()


def _nothing_written(review: Review) -> None:
    review.refresh_from_db()
    assert review.status == Review.Status.PENDING
    assert review.round == 1
    assert not ReviewRound.objects.exists()


def test_every_box_accepted_accepts_the_annotation(review_world: World) -> None:
    review = _three_boxes(review_world)
    objects = [{"box": i, "verdict": "accepted"} for i in (2, 0, 1)]
    response = _decide(review_world, "reviewer", review, objects=objects, round=1)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted"
    (entry,) = response.json()["history"]
    assert entry["action"] == "accept"
    assert entry["objects"] == [{"box": i, "verdict": "accepted", "comment": ""} for i in (0, 1, 2)]
    round_ = ReviewRound.objects.get()
    assert (round_.objects_reviewed, round_.objects_rejected) == (3, 0)
    review.refresh_from_db()
    assert review.status == Review.Status.ACCEPTED
    assert review.closed_at is not None


def test_a_rejected_box_sends_the_annotation_to_rework_with_the_box_marked(review_world: World) -> None:
    review = _three_boxes(review_world)
    objects = [
        {"box": 0, "verdict": "accepted"},
        {"box": 1, "verdict": "rejected", "comment": "  This is a bike, not a person. "},
        {"box": 2, "verdict": "rejected"},
    ]
    # No comment needed: the rejected boxes say what to fix.
    response = _decide(review_world, "reviewer", review, objects=objects)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "rework"
    assert response.json()["history"][0]["action"] == "reject"
    round_ = ReviewRound.objects.get()
    assert (round_.objects_reviewed, round_.objects_rejected) == (3, 2)
    assert round_.object_verdicts[1]["comment"] == "This is a bike, not a person."

    # The same annotator's rework shows which boxes were rejected (indexes into the rejected answer).
    annotator = review_world.client("annotator")
    listed = annotator.get(_url(review_world, "my-rework/")).json()
    (entry,) = listed["results"]
    assert entry["task"]["id"] == review.annotation.task.public_id
    assert entry["rework"]["rejected_objects"] == [
        {"box": 1, "comment": "This is a bike, not a person."},
        {"box": 2, "comment": ""},
    ]
    task_id = entry["task"]["id"]
    detail = annotator.get(f"/api/v1/tasks/{task_id}/rework/").json()
    assert [o["box"] for o in detail["rework"]["rejected_objects"]] == [1, 2]

    # Round 2: the rework goes back to review; a reviewer accepts every box; both rounds are kept.
    fixed = {"boxes": [CAR, {**PERSON, "label": "bike"}]}
    response = annotator.post(f"/api/v1/tasks/{task_id}/rework/", {"payload": fixed}, format="json")
    assert response.status_code == 200, response.content
    response = _decide(
        review_world,
        "reviewer2",
        review,
        objects=[{"box": 0, "verdict": "accepted"}, {"box": 1, "verdict": "accepted"}],
        round=2,
    )
    assert response.status_code == 200, response.content
    history = response.json()["history"]
    assert [(h["round"], h["action"], len(h["objects"])) for h in history] == [
        (1, "reject", 3),
        (1, "rework", 0),
        (2, "accept", 2),
    ]
    assert [o["verdict"] for o in history[0]["objects"]] == ["accepted", "rejected", "rejected"]


def test_a_given_decision_is_kept_unless_it_contradicts_the_boxes(review_world: World) -> None:
    review = _three_boxes(review_world)
    response = _decide(
        review_world,
        "reviewer",
        review,
        objects=[{"box": 1, "verdict": "rejected"}],
        decision="accept",
    )
    assert response.status_code == 400
    assert "decision" in response.json()["errors"]
    _nothing_written(review)
    # Rejecting with every judged box accepted stands (a missed object is no box to reject), with a comment.
    response = _decide(
        review_world,
        "reviewer",
        review,
        objects=[{"box": 0, "verdict": "accepted"}],
        decision="reject",
        comments=[{"region": [500, 300, 50, 50], "text": "A car was missed here."}],
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "rework"
    assert ReviewRound.objects.get().objects_reviewed == 1


def test_some_boxes_accepted_and_none_rejected_needs_the_decision(review_world: World) -> None:
    review = _three_boxes(review_world)
    response = _decide(review_world, "reviewer", review, objects=[{"box": 0, "verdict": "accepted"}])
    assert response.status_code == 400
    assert "decision" in response.json()["errors"]
    _nothing_written(review)
    response = _decide(
        review_world, "reviewer", review, objects=[{"box": 0, "verdict": "accepted"}], decision="accept"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted"


def test_bad_verdicts_answer_400_naming_the_field_and_write_nothing(review_world: World) -> None:
    review = _three_boxes(review_world)
    bad = [
        {"box": 3, "verdict": "accepted"},
        {"box": 0, "verdict": "maybe"},
        {"box": 0, "verdict": "rejected"},
        {"box": True, "verdict": "accepted"},
        {"box": 1, "verdict": "rejected", "comment": "x" * 2001},
        {"box": 2, "verdict": "rejected", "colour": "red"},
        "box 2",
    ]
    response = _decide(review_world, "reviewer", review, objects=bad)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {
        "objects[0].box",
        "objects[1].verdict",
        "objects[2].box",
        "objects[3].box",
        "objects[4].comment",
        "objects[5]",
        "objects[6]",
    } <= set(errors), errors
    for body, field in (
        ({}, "objects"),
        ({"objects": "all good"}, "objects"),
        ({"objects": [{"box": 0, "verdict": "accepted"}], "decision": "fix"}, "decision"),
        (
            {"objects": [{"box": 0, "verdict": "rejected"}], "comments": [{"box": 7, "text": "?"}]},
            "comments[0].box",
        ),
        ({"objects": [], "verdicts": []}, "verdicts"),
    ):
        response = _decide(review_world, "reviewer", review, **body)
        assert response.status_code == 400, body
        assert field in response.json()["errors"], (body, response.json())
    # The whole-annotation endpoints take no per-object verdicts.
    response = _act(review_world, "reviewer", review, "accept", objects=[{"box": 0, "verdict": "accepted"}])
    assert response.status_code == 400
    assert "objects" in response.json()["errors"]
    _nothing_written(review)


def test_an_annotation_without_boxes_takes_no_verdicts(review_world: World) -> None:
    Project.objects.filter(pk=review_world.project.pk).update(kind=Project.Kind.CLASSIFICATION)
    review_world.project.refresh_from_db()
    _submit(review_world, {"label": "car"})
    review = Review.objects.get()
    response = _decide(review_world, "reviewer", review, objects=[{"box": 0, "verdict": "rejected"}])
    assert response.status_code == 400
    assert "objects" in response.json()["errors"]
    response = _decide(review_world, "reviewer", review, objects=[])
    assert response.status_code == 400
    assert "objects" in response.json()["errors"]
    _nothing_written(review)


@pytest.mark.parametrize(("role", "status"), [("annotator", 403), ("ml_engineer", 403), ("outsider", 404)])
def test_only_reviewers_and_managers_decide(review_world: World, role: str, status: int) -> None:
    review = _three_boxes(review_world)
    objects = [{"box": i, "verdict": "rejected"} for i in range(3)]
    response = _decide(review_world, role, review, objects=objects)
    assert response.status_code == status
    _nothing_written(review)
    assert _decide(review_world, "anonymous", review, objects=objects).status_code == 401
    _nothing_written(review)
    assert _decide(review_world, "manager", review, objects=objects).status_code == 200


def test_the_annotator_cannot_decide_on_their_own_annotation_as_a_reviewer(review_world: World) -> None:
    _submit(review_world, {"boxes": [CAR]}, annotator="annotator")
    review = Review.objects.get()
    Review.objects.filter(pk=review.pk).update(annotator=review_world.users["reviewer"])
    response = _decide(review_world, "reviewer", review, objects=[{"box": 0, "verdict": "accepted"}])
    assert response.status_code == 403
    _nothing_written(review)


def test_the_scorecard_reports_the_object_rejection_rate(review_world: World) -> None:
    first = _three_boxes(review_world)
    _submit(review_world, {"boxes": [CAR]})
    second = Review.objects.exclude(pk=first.pk).get()
    objects = [
        {"box": 0, "verdict": "rejected"},
        {"box": 1, "verdict": "accepted"},
        {"box": 2, "verdict": "accepted"},
    ]
    assert _decide(review_world, "reviewer", first, objects=objects).status_code == 200
    assert (
        _decide(review_world, "reviewer", second, objects=[{"box": 0, "verdict": "accepted"}]).status_code
        == 200
    )
    client = review_world.client("manager")
    (row,) = client.get(_url(review_world, "review-scorecard/")).json()["results"]
    rate = row["object_rejection_rate"]
    assert rate["n"] == 4
    assert rate["value"] == pytest.approx(1 / 4, abs=1e-4)
    assert 0 < rate["low"] < rate["value"] < rate["high"] < 1
    assert row["rejection_rate"]["value"] == pytest.approx(1 / 2, abs=1e-4)  # annotation level beside it
    response = client.get(_url(review_world, "review-scorecard/"), {"format": "csv"})
    header = response.content.decode().splitlines()[0].split(",")
    assert {"object_rejection_rate_value", "object_rejection_rate_n"} <= set(header)
