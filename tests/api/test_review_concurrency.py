"""Two reviewers acting on one review at the same moment, on PostgreSQL (row locks): one wins, one 409."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from annotation_qc.core.exceptions import Conflict
from annotation_qc.labeling.services.imports import items_import
from annotation_qc.review.models import Review, ReviewConfig, ReviewRound
from annotation_qc.review.services.reviews import review_act
from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.submit_pipeline import annotation_submit
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("second_action", ["accept", "reject", "fix"])
def test_two_reviewers_at_once_one_wins_the_other_gets_409(second_action: str) -> None:
    project = ProjectFactory()
    items_import(
        project=project,
        rows=[{"external_id": "a", "image_url": "https://x.example/a.png", "width": 64, "height": 64}],
    )
    annotator = UserFactory(username="ann")
    MembershipFactory(project=project, user=annotator, role="annotator")
    reviewers = [UserFactory(username=f"rev{i}") for i in range(2)]
    for user in reviewers:
        MembershipFactory(project=project, user=user, role="reviewer")
    ReviewConfig.objects.create(
        project=project, enabled=True, base_rate=1.0, max_rate=1.0, calibration_rate=1.0
    )
    task = task_next(project=project, annotator_id=annotator.pk)
    assert task is not None
    box = {"x": 1, "y": 1, "w": 10, "h": 10, "label": "car"}
    annotation_submit(task_id=task.pk, annotator_id=annotator.pk, payload={"boxes": [box]}, client_time_ms=1)
    review = Review.objects.get()
    barrier = threading.Barrier(2)
    actions = {
        "accept": {},
        "reject": {"comments": [{"text": "no"}]},
        "fix": {"payload": {"boxes": [{**box, "label": "bike"}]}},
    }

    def act(reviewer_id: int, action: str) -> str:
        try:
            barrier.wait()
            review_act(
                review_id=review.pk,
                project=project,
                reviewer_id=reviewer_id,
                action=action,
                **actions[action],
            )
            return "ok"
        except Conflict:
            return "409"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(act, [reviewers[0].pk, reviewers[1].pk], ["accept", second_action]))
    assert sorted(outcomes) == ["409", "ok"]
    assert ReviewRound.objects.filter(review=review).count() == 1
    review.refresh_from_db()
    assert review.status != Review.Status.PENDING
