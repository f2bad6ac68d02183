"""A reviewer who misses the seeded errors of review benchmarks is flagged like an annotator: with
``flag_action`` "alert" a ``reviewer_flagged`` alert and webhook, with "stop" no more reviews."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.utils import timezone

from annotation_qc.alerts.models import Alert, WebhookDelivery
from annotation_qc.review.models import Review, ReviewConfig, ReviewerQuality
from annotation_qc.review.services.reviews import review_benchmark_create
from tests.api.conftest import World
from tests.api.test_review import CAR, _act, _gold, _submit, _url
from tests.api.webhook_helpers import Receiver, add_webhook
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def review_world(world: World) -> World:
    for name in ("reviewer", "reviewer2"):
        world.users[name] = UserFactory(username=name)
        MembershipFactory(project=world.project, user=world.users[name], role="reviewer")
    ReviewConfig.objects.create(
        project=world.project, enabled=True, base_rate=1.0, max_rate=1.0, calibration_rate=1.0
    )
    return world


def _another(world: World) -> Review:
    bench = review_benchmark_create(project=world.project, like=Review.objects.first(), now=timezone.now())
    assert bench is not None
    return bench


def _benchmarks(world: World, n: int) -> list[Review]:
    _gold(world, n=1)
    _submit(world, {"boxes": [CAR]})
    like = Review.objects.get()
    made = [review_benchmark_create(project=world.project, like=like, now=timezone.now()) for _ in range(n)]
    assert all(made)
    return [r for r in made if r is not None]


def test_a_flagged_reviewer_raises_an_alert_and_a_webhook(
    review_world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    add_webhook(review_world, url=receiver.url)
    reviewer = review_world.users["reviewer2"]
    with django_capture_on_commit_callbacks(execute=True):
        for bench in _benchmarks(review_world, 12):
            assert _act(review_world, "reviewer2", bench, "accept").status_code == 200
            if ReviewerQuality.objects.filter(reviewer=reviewer, status="flagged").exists():
                break
    quality = ReviewerQuality.objects.get(reviewer=reviewer)
    assert quality.status == "flagged"
    assert quality.benchmarks <= 8
    alert = Alert.objects.get(kind="reviewer_flagged")
    assert alert.rule is None
    assert alert.subject == f"reviewer:{reviewer.pk}"
    assert "reviewer2" in alert.message
    assert alert.data["caught"] == 0
    assert WebhookDelivery.objects.filter(alert=alert, ok=True).count() == 1
    body = json.loads(receiver.requests[-1]["body"])
    assert body["alert"]["kind"] == "reviewer_flagged"
    # Still flagged after the next miss: no second alert.
    with django_capture_on_commit_callbacks(execute=True):
        assert _act(review_world, "reviewer2", _another(review_world), "accept").status_code == 200
    assert Alert.objects.filter(kind="reviewer_flagged").count() == 1
    scorecard = review_world.client("manager").get(_url(review_world, "reviewer-scorecard/")).json()
    rows = {r["username"]: r for r in scorecard["results"]}
    assert rows["reviewer2"]["status"] == "flagged"
    listed = review_world.client("manager").get(_url(review_world, "alerts/")).json()
    assert any(a["kind"] == "reviewer_flagged" for a in listed["results"])
    # A manager lowering the threshold clears the flag on the next scored benchmark; the alert resolves.
    review_world.project.flag_threshold = 0.01
    review_world.project.save()
    bench = _another(review_world)
    assert _act(review_world, "reviewer2", bench, "reject", comments=[{"text": "off"}]).status_code == 200
    assert ReviewerQuality.objects.get(reviewer=reviewer).status != "flagged"
    assert Alert.objects.get(kind="reviewer_flagged").resolved_at is not None


def test_a_reviewer_who_catches_seeded_errors_is_not_flagged(review_world: World) -> None:
    for bench in _benchmarks(review_world, 8):
        assert _act(review_world, "reviewer2", bench, "reject", comments=[{"text": "x"}]).status_code == 200
    assert ReviewerQuality.objects.get(reviewer=review_world.users["reviewer2"]).status == "ok"
    assert not Alert.objects.exists()


def test_flag_action_stop_stops_the_flagged_reviewer(review_world: World) -> None:
    review_world.project.flag_action = "stop"
    review_world.project.save()
    reviewer = review_world.users["reviewer2"]
    for bench in _benchmarks(review_world, 12):
        if ReviewerQuality.objects.filter(reviewer=reviewer, status="flagged").exists():
            break
        assert _act(review_world, "reviewer2", bench, "accept").status_code == 200
    assert ReviewerQuality.objects.get(reviewer=reviewer).status == "flagged"
    assert not Alert.objects.exists()  # like annotators: "stop" stops, "alert" alerts
    pending = Review.objects.filter(status="pending").first()
    assert pending is not None
    queue = review_world.client("reviewer2").get(_url(review_world, "review-queue/"))
    assert queue.status_code == 200
    assert queue.json()["count"] == 0
    response = _act(review_world, "reviewer2", pending, "accept")
    assert response.status_code == 403
    assert "flagged" in response.json()["detail"]
    assert review_world.client("reviewer").get(_url(review_world, "review-queue/")).json()["count"] > 0
