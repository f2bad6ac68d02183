"""Time in review is the reviewer's working time (from opening the review to acting on it), not the
time the review waited in the queue; the wait is kept and reported apart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from annotation_qc.review.models import Review, ReviewRound
from annotation_qc.review.services.reviews import review_act, review_open
from tests.api.conftest import World
from tests.api.test_review import CAR, _act, _submit, _url
from tests.factories import ItemFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rworld(world: World) -> World:
    from annotation_qc.review.models import ReviewConfig

    for name in ("reviewer", "reviewer2"):
        world.users[name] = UserFactory(username=name)
        MembershipFactory(project=world.project, user=world.users[name], role="reviewer")
    ReviewConfig.objects.create(
        project=world.project, enabled=True, base_rate=1.0, max_rate=1.0, calibration_rate=1.0
    )
    return world


def test_working_time_runs_from_opening_not_from_entering_the_queue(rworld: World) -> None:
    ItemFactory.create_batch(1, project=rworld.project)
    _submit(rworld, {"boxes": [CAR]})
    _submit(rworld, {"boxes": [CAR]})
    first, second = Review.objects.order_by("pk")
    entered = first.pending_since
    reviewer = rworld.users["reviewer"].pk
    # An hour in the queue, then 30 s of work.
    review_open(
        review_id=first.pk, project=rworld.project, reviewer_id=reviewer, now=entered + timedelta(hours=1)
    )
    review_act(
        review_id=first.pk,
        project=rworld.project,
        reviewer_id=reviewer,
        action="accept",
        now=entered + timedelta(hours=1, seconds=30),
    )
    done = ReviewRound.objects.get(review=first)
    assert done.seconds_working == pytest.approx(30.0)
    assert done.seconds_waiting == pytest.approx(3600.0)
    # Two hours waiting, 90 s of work: the same reviewer opening twice counts from the first opening.
    start = second.pending_since + timedelta(hours=2)
    review_open(review_id=second.pk, project=rworld.project, reviewer_id=reviewer, now=start)
    review_open(
        review_id=second.pk, project=rworld.project, reviewer_id=reviewer, now=start + timedelta(seconds=60)
    )
    review_act(
        review_id=second.pk,
        project=rworld.project,
        reviewer_id=reviewer,
        action="accept",
        now=start + timedelta(seconds=90),
    )
    (row,) = rworld.client("manager").get(_url(rworld, "review-scorecard/")).json()["results"]
    assert row["time_in_review_seconds"] == {"median": 60.0, "mean": 60.0, "n": 2}
    assert row["time_in_queue_seconds"] == {"median": 5400.0, "mean": 5400.0, "n": 2}


def test_another_reviewer_restarts_the_clock_and_unopened_actions_are_untimed(
    rworld: World,
) -> None:
    ItemFactory.create_batch(1, project=rworld.project)
    _submit(rworld, {"boxes": [CAR]})
    _submit(rworld, {"boxes": [CAR]})
    first, second = Review.objects.order_by("pk")
    t0 = first.pending_since
    one, two = rworld.users["reviewer"].pk, rworld.users["reviewer2"].pk
    review_open(review_id=first.pk, project=rworld.project, reviewer_id=one, now=t0 + timedelta(minutes=1))
    review_open(review_id=first.pk, project=rworld.project, reviewer_id=two, now=t0 + timedelta(minutes=10))
    review_act(
        review_id=first.pk,
        project=rworld.project,
        reviewer_id=two,
        action="accept",
        now=t0 + timedelta(minutes=11),
    )
    assert ReviewRound.objects.get(review=first).seconds_working == pytest.approx(60.0)
    # Acted on without opening (a script through the API): its working time is unknown, not the wait.
    review_act(
        review_id=second.pk, project=rworld.project, reviewer_id=one, action="accept", now=timezone.now()
    )
    assert ReviewRound.objects.get(review=second).seconds_working is None
    (row,) = rworld.client("manager").get(_url(rworld, "review-scorecard/")).json()["results"]
    assert row["time_in_review_seconds"]["n"] == 1
    assert row["time_in_review_seconds"]["median"] == 60.0


def test_open_endpoint_records_the_opening_and_answers_the_workspace(rworld: World) -> None:
    _submit(rworld, {"boxes": [CAR]})
    review = Review.objects.get()
    response = rworld.client("reviewer").post(_url(rworld, f"reviews/{review.pk}/open/"))
    assert response.status_code == 200, response.content
    assert response.json()["id"] == review.pk
    assert response.json()["payload"] == {"boxes": [CAR]}
    review.refresh_from_db()
    assert review.opened_by_id == rworld.users["reviewer"].pk
    assert review.opened_at is not None
    # The rejection ends the round; the rework starts a new one that nobody has opened yet.
    assert _act(rworld, "reviewer", review, "reject", comments=[{"text": "redo"}]).status_code == 200
    assert rworld.client("reviewer").post(_url(rworld, f"reviews/{review.pk}/open/")).status_code == 409
    review.refresh_from_db()
    assert review.opened_at is None
    # Nobody opens their own annotation.
    assert rworld.client("annotator").post(_url(rworld, f"reviews/{review.pk}/open/")).status_code == 403
