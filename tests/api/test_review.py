"""The review stage: settings, sampling on submit, the queue, accept / fix / reject, rework, conflicts."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from annotation_qc.labeling.models import Annotation, Task
from annotation_qc.review.models import Review, ReviewConfig, ReviewRound
from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.submit_pipeline import after_submit, annotation_submit
from tests.api.conftest import World
from tests.factories import ItemFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

CAR = {"x": 20.0, "y": 30.0, "w": 80.0, "h": 60.0, "label": "car"}
PERSON = {"x": 300.0, "y": 100.0, "w": 40.0, "h": 90.0, "label": "person"}
HUGE = {"x": 0.0, "y": 0.0, "w": 640.0, "h": 480.0, "label": "car"}


@pytest.fixture
def review_world(world: World) -> World:
    for name in ("reviewer", "reviewer2"):
        world.users[name] = UserFactory(username=name)
        MembershipFactory(project=world.project, user=world.users[name], role="reviewer")
    ReviewConfig.objects.create(
        project=world.project, enabled=True, base_rate=1.0, max_rate=1.0, calibration_rate=1.0
    )
    return world


def _submit(world: World, payload: dict[str, Any], annotator: str = "annotator") -> Annotation:
    task = task_next(project=world.project, annotator_id=world.users[annotator].pk)
    assert task is not None
    annotation, _ = annotation_submit(
        task_id=task.pk, annotator_id=task.annotator_id, payload=payload, client_time_ms=4000
    )
    after_submit(task_id=task.pk)  # review sampling follows the submit in a worker
    return annotation


def _url(world: World, suffix: str) -> str:
    return f"/api/v1/projects/{world.project.pk}/{suffix}"


def _act(world: World, role: str, review: Review, action: str, **body: Any) -> Any:
    return world.client(role).post(_url(world, f"reviews/{review.pk}/{action}/"), body, format="json")


# Settings.


def test_settings_validate_every_field(review_world: World) -> None:
    client = review_world.client("manager")
    url = _url(review_world, "review-settings/")
    for field, value in (
        ("base_rate", 1.5),
        ("max_rate", -0.1),
        ("calibration_rate", "lots"),
        ("benchmark_rate", 2),
        ("agreement_below", 3),
    ):
        response = client.patch(url, {field: value}, format="json")
        assert response.status_code == 400, field
        assert field in response.json()["errors"], response.json()
    response = client.patch(url, {"order_by": "vibes"}, format="json")
    assert response.status_code == 400
    assert "order_by" in response.json()["errors"]
    response = client.patch(url, {"colour": "blue"}, format="json")
    assert response.status_code == 400
    assert "colour" in response.json()["errors"]
    assert ReviewConfig.objects.get().base_rate == 1.0  # nothing half-written
    response = client.patch(
        url, {"base_rate": 0.1, "order_by": "age", "agreement_below": None}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["base_rate"] == 0.1
    assert review_world.client("reviewer").get(url).json()["order_by"] == "age"


# Entering review.


def test_sampling_follows_the_rates(review_world: World) -> None:
    annotation = _submit(review_world, {"boxes": [CAR]})
    assert Review.objects.get().annotation == annotation
    ReviewConfig.objects.update(base_rate=0.0, max_rate=0.0, calibration_rate=0.0)
    _submit(review_world, {"boxes": [CAR]})
    assert Review.objects.count() == 1


def test_lint_warnings_always_enter_review(review_world: World) -> None:
    ReviewConfig.objects.update(base_rate=0.0, max_rate=0.0, calibration_rate=0.0)
    annotation = _submit(review_world, {"boxes": [HUGE]})  # oversized: a warning
    review = Review.objects.get()
    assert review.annotation == annotation
    assert review.reason == Review.Reason.LINT


def test_review_off_enters_nothing(review_world: World) -> None:
    ReviewConfig.objects.update(enabled=False)
    _submit(review_world, {"boxes": [CAR]})
    assert not Review.objects.exists()


# The queue.


def test_queue_orders_by_the_chosen_key_and_rejects_unknown_keys(review_world: World) -> None:
    ItemFactory.create_batch(2, project=review_world.project)
    first, second, third = (_submit(review_world, {"boxes": [CAR]}) for _ in range(3))
    Review.objects.filter(annotation=first).update(suspicion=0.2, agreement=0.9, model_confidence=0.3)
    Review.objects.filter(annotation=second).update(suspicion=0.9, agreement=0.1, model_confidence=None)
    Review.objects.filter(annotation=third).update(suspicion=0.5, agreement=None, model_confidence=0.1)
    client = review_world.client("reviewer")

    def order(key: str) -> list[int]:
        body = client.get(_url(review_world, "review-queue/"), {"order": key}).json()
        assert body["order"] == key
        return [row["item"]["id"] for row in body["results"]]

    items = [first.item_id, second.item_id, third.item_id]
    assert order("suspicion") == [items[1], items[2], items[0]]
    assert order("agreement") == [items[1], items[0], items[2]]
    assert order("model_confidence") == [items[2], items[0], items[1]]
    assert order("age") == items
    response = client.get(_url(review_world, "review-queue/"), {"order": "mood"})
    assert response.status_code == 400
    assert "order" in response.json()["errors"]


# Actions.


def test_accept(review_world: World) -> None:
    _submit(review_world, {"boxes": [CAR]})
    review = Review.objects.get()
    response = _act(review_world, "reviewer", review, "accept")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted"
    assert response.json()["history"][0]["by"] == "reviewer"
    review.refresh_from_db()
    assert review.status == Review.Status.ACCEPTED
    assert review.closed_at is not None


def test_fix_records_a_diff_and_changes_the_annotation(review_world: World) -> None:
    annotation = _submit(review_world, {"boxes": [CAR, PERSON]})
    review = Review.objects.get()
    moved = {**CAR, "x": 30.0}
    response = _act(
        review_world, "manager", review, "fix", payload={"boxes": [moved, {**PERSON, "label": "bike"}]}
    )
    assert response.status_code == 200, response.content
    annotation.refresh_from_db()
    assert annotation.payload["boxes"][1]["label"] == "bike"
    round_ = ReviewRound.objects.get()
    assert round_.action == "fix"
    assert round_.objects_changed == 2
    assert {m["index"] for m in round_.diff["modified"]} == {0, 1}
    assert round_.payload_before["boxes"][1]["label"] == "person"


def test_a_bad_fix_answers_400_and_the_review_stays_open(review_world: World) -> None:
    _submit(review_world, {"boxes": [CAR]})
    review = Review.objects.get()
    response = _act(review_world, "reviewer", review, "fix", payload={"boxes": [{**CAR, "w": -3}]})
    assert response.status_code == 400
    assert any(key.startswith("payload.boxes[0]") for key in response.json()["errors"])
    review_world.project.lint_config = {"oversized_box": {"severity": "error"}}
    review_world.project.save()
    response = _act(review_world, "reviewer", review, "fix", payload={"boxes": [HUGE]})
    assert response.status_code == 400
    assert [f["code"] for f in response.json()["findings"] if f["severity"] == "error"] == ["oversized_box"]
    response = _act(review_world, "reviewer", review, "fix")
    assert response.status_code == 400
    assert "payload" in response.json()["errors"]
    review.refresh_from_db()
    assert review.status == Review.Status.PENDING
    assert not ReviewRound.objects.exists()
    assert Annotation.objects.get().payload["boxes"][0]["w"] == CAR["w"]


def test_reject_rework_and_review_again_keeps_every_round(review_world: World) -> None:
    annotation = _submit(review_world, {"boxes": [CAR, PERSON]})
    review = Review.objects.get()
    comments = [
        {"box": 1, "text": "This is a bike, not a person."},
        {"region": [500, 300, 50, 50], "text": "A car was missed here."},
        {"text": "Please check the whole image again."},
    ]
    response = _act(review_world, "reviewer", review, "reject", comments=comments)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "rework"

    # The same annotator sees it as a rework task, with the comments on the boxes.
    annotator = review_world.client("annotator")
    listed = annotator.get(_url(review_world, "my-rework/")).json()
    assert listed["count"] == 1
    task_id = listed["results"][0]["task"]["id"]
    assert task_id == annotation.task.public_id
    assert listed["results"][0]["rework"]["comments"][0] == {
        "box": 1,
        "region": None,
        "text": comments[0]["text"],
    }
    assert listed["results"][0]["rework"]["payload"]["boxes"][1]["label"] == "person"
    assert annotator.get(f"/api/v1/tasks/{task_id}/rework/").status_code == 200
    # Nobody else can reach it.
    assert review_world.client("reviewer").get(f"/api/v1/tasks/{task_id}/rework/").status_code == 404
    # Not in the review queue while in rework.
    assert review_world.client("reviewer2").get(_url(review_world, "review-queue/")).json()["count"] == 0

    fixed = {
        "boxes": [CAR, {**PERSON, "label": "bike"}, {"x": 500, "y": 300, "w": 50, "h": 50, "label": "car"}]
    }
    response = annotator.post(f"/api/v1/tasks/{task_id}/rework/", {"payload": fixed}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["round"] == 2
    assert response.json()["status"] == "pending"
    assert (
        annotator.post(f"/api/v1/tasks/{task_id}/rework/", {"payload": fixed}, format="json").status_code
        == 409
    )

    response = _act(review_world, "reviewer2", review, "accept", round=2)
    assert response.status_code == 200
    history = response.json()["history"]
    assert [(h["round"], h["action"], h["by"]) for h in history] == [
        (1, "reject", "reviewer"),
        (1, "rework", "annotator"),
        (2, "accept", "reviewer2"),
    ]
    assert history[1]["objects_changed"] == 2
    annotation.refresh_from_db()
    assert annotation.payload == {
        **fixed,
        "boxes": [{k: float(v) if k != "label" else v for k, v in b.items()} for b in fixed["boxes"]],
    }


def test_reject_needs_comments_that_point_at_real_boxes(review_world: World) -> None:
    _submit(review_world, {"boxes": [CAR]})
    review = Review.objects.get()
    response = _act(review_world, "reviewer", review, "reject", comments=[])
    assert response.status_code == 400
    assert "comments" in response.json()["errors"]
    response = _act(
        review_world,
        "reviewer",
        review,
        "reject",
        comments=[{"box": 3, "text": "?"}, {"region": [600, 0, 100, 10], "text": "x"}, {"text": ""}],
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"comments[0].box", "comments[1].region", "comments[2].text"} <= set(errors)
    review.refresh_from_db()
    assert review.status == Review.Status.PENDING


def test_second_reviewer_gets_409(review_world: World) -> None:
    _submit(review_world, {"boxes": [CAR]})
    review = Review.objects.get()
    assert _act(review_world, "reviewer", review, "accept").status_code == 200
    response = _act(review_world, "reviewer2", review, "reject", comments=[{"text": "no"}])
    assert response.status_code == 409
    assert "another reviewer acted first" in response.json()["detail"]
    assert ReviewRound.objects.count() == 1


def test_stale_round_gets_409(review_world: World) -> None:
    _submit(review_world, {"boxes": [CAR]})
    review = Review.objects.get()
    response = _act(review_world, "reviewer", review, "accept", round=2)
    assert response.status_code == 409


def test_reviewer_cannot_review_their_own_annotation(review_world: World) -> None:
    """An annotator later made a reviewer never sees nor acts on their own work."""
    _submit(review_world, {"boxes": [CAR]})
    review = Review.objects.get()
    review_world.project.memberships.filter(user=review_world.users["annotator"]).update(role="reviewer")
    client = review_world.client("annotator")
    assert client.get(_url(review_world, "review-queue/")).json()["count"] == 0
    assert client.get(_url(review_world, f"reviews/{review.pk}/")).status_code == 403
    response = _act(review_world, "annotator", review, "accept")
    assert response.status_code == 403
    assert "own annotation" in response.json()["detail"]
    review.refresh_from_db()
    assert review.status == Review.Status.PENDING


def test_rework_after_the_item_was_resolved_elsewhere_is_409(review_world: World) -> None:
    from annotation_qc.agreement.models import Consensus

    annotation = _submit(review_world, {"boxes": [CAR]})
    review = Review.objects.get()
    assert (
        _act(review_world, "reviewer", review, "reject", comments=[{"box": 0, "text": "wrong"}]).status_code
        == 200
    )
    Consensus.objects.create(
        project=review_world.project,
        item=annotation.item,
        payload={"boxes": [PERSON]},
        method=Consensus.Method.MANUAL,
        n_annotations=1,
        resolved_by=review_world.users["manager"],
        computed_at=timezone.now(),
    )
    response = review_world.client("annotator").post(
        f"/api/v1/tasks/{annotation.task.public_id}/rework/", {"payload": {"boxes": [PERSON]}}, format="json"
    )
    assert response.status_code == 409
    assert "resolved elsewhere" in response.json()["detail"]
    review.refresh_from_db()
    assert review.status == Review.Status.RESOLVED_ELSEWHERE
    annotation.refresh_from_db()
    assert annotation.payload["boxes"][0]["label"] == "car"


def test_review_detail_shows_pre_annotation_and_other_answers(review_world: World) -> None:
    item = review_world.project.items.order_by("pk").first()
    item.required_annotations = 2
    item.open_slots = 2
    item.save()
    MembershipFactory(project=review_world.project, user=UserFactory(username="ann2"), role="annotator")
    review_world.users["ann2"] = review_world.project.memberships.get(user__username="ann2").user
    first = _submit(review_world, {"boxes": [CAR]})
    Task.objects.filter(pk=first.task_id).update(pre_annotation={"boxes": [PERSON]})
    second = _submit(review_world, {"boxes": [PERSON]}, annotator="ann2")
    assert first.item_id == second.item_id
    review = Review.objects.get(annotation=first)
    body = review_world.client("reviewer").get(_url(review_world, f"reviews/{review.pk}/")).json()
    assert body["pre_annotation"] == {"boxes": [PERSON]}
    assert body["other_answers"] == [{"annotator": "ann2", "payload": second.payload}]
    assert "reason" not in body
    assert body["item"]["width"] == 640


def test_items_pending_review_are_not_exported_as_final(
    review_world: World, capture: Any, media: Any
) -> None:
    import json

    def export(world: World, capture: Any, **body: Any) -> dict[str, Any]:
        with capture(execute=True):
            response = world.client("manager").post(_url(world, "exports/"), body, format="json")
        assert response.status_code == 202, response.content
        return world.client("manager").get(f"/api/v1/exports/{response.json()['export_id']}/").json()

    def content_of(world: World, export_id: int) -> bytes:
        response = world.client("manager").get(f"/api/v1/exports/{export_id}/download/")
        assert response.status_code == 200
        return b"".join(response.streaming_content)

    first = _submit(review_world, {"boxes": [CAR]})
    ReviewConfig.objects.update(base_rate=0.0, max_rate=0.0, calibration_rate=0.0)
    _submit(review_world, {"boxes": [PERSON]})
    snapshot = export(review_world, capture, format="jsonl")
    manifest = snapshot["manifest"]
    assert manifest["pending_review"] == [first.item.external_id]
    assert manifest["counts"]["pending_review"] == 1
    assert manifest["counts"]["by_status"] == {"single": 1}
    lines = [json.loads(line) for line in content_of(review_world, snapshot["id"]).splitlines()]
    assert first.item.external_id not in {line["external_id"] for line in lines}
    # Once accepted, the item is final again.
    assert _act(review_world, "reviewer", Review.objects.get(), "accept").status_code == 200
    manifest = export(review_world, capture, format="jsonl")["manifest"]
    assert manifest["pending_review"] == []
    assert manifest["counts"]["by_status"] == {"single": 2}


def test_top_label_error_suspects_and_low_agreement_items_enter_review(
    review_world: World, capture: Any
) -> None:
    from annotation_qc.agreement.models import AgreementSnapshot, ItemAgreementScore
    from annotation_qc.labeling.models import ModelVersion, Prediction
    from annotation_qc.review.services.reviews import reviews_sweep

    ReviewConfig.objects.update(base_rate=0.0, max_rate=0.0, calibration_rate=0.0, suspects_top=1)
    items = list(review_world.project.items.order_by("pk"))
    for item in items:
        Prediction.objects.create(item=item, model_version="det", payload={"boxes": [CAR]}, scores=[0.95])
    ModelVersion.objects.create(project=review_world.project, name="det", uploaded_at=timezone.now())
    wrong = _submit(review_world, {"boxes": [{**CAR, "label": "bike"}]})
    overlooked = _submit(review_world, {"boxes": []})
    right = _submit(review_world, {"boxes": [CAR]})
    assert not Review.objects.exists()
    with capture(execute=True):
        response = review_world.client("manager").post(_url(review_world, "label-errors/"), {}, format="json")
    assert response.status_code == 202
    review = Review.objects.get()  # only the top suspect
    assert review.annotation in (wrong, overlooked)
    assert review.reason == Review.Reason.SUSPECT
    assert review.suspicion > 0.9
    # Low agreement: the items under the threshold in the latest report.
    ReviewConfig.objects.update(agreement_below=0.5)
    snapshot = AgreementSnapshot.objects.create(
        project=review_world.project, computed_at=timezone.now(), alpha=0.3, n_items=1, report={}
    )
    ItemAgreementScore.objects.create(snapshot=snapshot, item=right.item, score=0.2, n_annotations=2)
    assert reviews_sweep(project=review_world.project) == 1
    low = Review.objects.get(annotation=right)
    assert low.reason == Review.Reason.LOW_AGREEMENT
    assert low.agreement == 0.2
    assert reviews_sweep(project=review_world.project) == 0  # once


def _three_reviews(world: World) -> list[Review]:
    ItemFactory.create_batch(2, project=world.project)
    for _ in range(3):
        _submit(world, {"boxes": [CAR]})
    first, second, third = Review.objects.order_by("pk")
    assert world.client("reviewer").post(_url(world, f"reviews/{first.pk}/open/")).status_code == 200
    assert _act(world, "reviewer", first, "accept").status_code == 200
    assert _act(world, "reviewer", second, "fix", payload={"boxes": [CAR, PERSON]}).status_code == 200
    assert (
        _act(world, "reviewer", third, "reject", comments=[{"box": 0, "text": "not a car"}]).status_code
        == 200
    )
    task_id = third.annotation.task.public_id
    response = world.client("annotator").post(
        f"/api/v1/tasks/{task_id}/rework/", {"payload": {"boxes": [{**CAR, "label": "bike"}]}}, format="json"
    )
    assert response.status_code == 200
    assert _act(world, "reviewer2", third, "accept").status_code == 200
    return [first, second, third]


def test_review_scorecard_per_annotator_with_intervals(review_world: World) -> None:
    _three_reviews(review_world)
    body = review_world.client("manager").get(_url(review_world, "review-scorecard/")).json()
    (row,) = body["results"]
    assert row["username"] == "annotator"
    assert row["reviews"] == 3
    fpa = row["first_pass_acceptance"]
    assert fpa["value"] == pytest.approx(1 / 3, abs=1e-4)
    assert 0 < fpa["low"] < fpa["value"] < fpa["high"] < 1
    assert row["rejection_rate"]["value"] == pytest.approx(1 / 3, abs=1e-4)
    # One box added by the fix, one relabelled in rework: 2 objects over 3 reviews.
    assert row["objects_fixed_per_review"]["value"] == pytest.approx(2 / 3, abs=1e-4)
    assert row["rework_rounds_per_review"]["value"] == pytest.approx(1 / 3, abs=1e-4)
    # Only the review opened in the workspace is timed (the others were acted on straight away).
    assert row["time_in_review_seconds"]["n"] == 1
    assert row["time_in_review_seconds"]["median"] >= 0
    assert row["time_in_queue_seconds"]["n"] == 3
    assert row["benchmark_accuracy"]["n"] == 0
    assert sum(week["reviews"] for week in row["trend"]) == 3
    response = review_world.client("manager").get(_url(review_world, "review-scorecard/"), {"format": "csv"})
    assert response.status_code == 200
    header = response.content.decode().splitlines()[0].split(",")
    assert {"username", "first_pass_acceptance_value", "first_pass_acceptance_low", "reviews"} <= set(header)


def test_first_pass_acceptance_alert(review_world: World) -> None:
    _three_reviews(review_world)
    client = review_world.client("manager")
    response = client.post(
        _url(review_world, "alert-rules/"),
        {
            "kind": "first_pass_acceptance_below",
            "params": {"threshold": 0.9, "statistic": "point", "min_reviews": 3},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert client.post(_url(review_world, "alerts/check/")).status_code == 200
    alerts = client.get(_url(review_world, "alerts/")).json()
    rows = alerts["results"] if isinstance(alerts, dict) else alerts
    (alert,) = [a for a in rows if a["kind"] == "first_pass_acceptance_below"]
    assert alert["subject"] == f"annotator:{review_world.users['annotator'].pk}"
    assert alert["message"].startswith("annotator: first-pass review acceptance 33% over 3 reviews")
    response = client.post(
        _url(review_world, "alert-rules/"),
        {"kind": "first_pass_acceptance_below", "params": {"threshold": 1.5}},
        format="json",
    )
    assert response.status_code == 400
    assert any("threshold" in key for key in response.json()["errors"])


def _gold(world: World, n: int = 2) -> None:
    """Gold items for review benchmarks (annotators get no benchmark tasks here)."""
    from annotation_qc.benchmarks.models import GoldAnnotation

    world.project.calibration_benchmarks = 0
    world.project.benchmark_rate = 0.0
    world.project.save()

    for _ in range(n):
        item = ItemFactory(project=world.project, is_gold=True, open_slots=0)
        GoldAnnotation.objects.create(project=world.project, item=item, payload={"boxes": [CAR, PERSON]})


def test_review_benchmarks_look_like_any_review_and_score_the_reviewer(review_world: World) -> None:
    import json

    _gold(review_world)
    ReviewConfig.objects.update(benchmark_rate=1.0)
    ItemFactory.create_batch(1, project=review_world.project)
    _submit(review_world, {"boxes": [CAR]})
    _submit(review_world, {"boxes": [PERSON]})
    benchmarks = list(Review.objects.exclude(benchmark_kind="").order_by("pk"))
    regular = list(Review.objects.filter(benchmark_kind="").order_by("pk"))
    assert len(regular) == 2, regular
    assert len(benchmarks) == 2, [(r.pk, r.reason, r.item_id, r.annotation_id) for r in Review.objects.all()]
    assert {b.benchmark_kind for b in benchmarks} <= {
        "shift",
        "oversize",
        "drop",
        "duplicate",
        "relabel",
        "spurious",
    }
    assert benchmarks[0].benchmark_kind != benchmarks[1].benchmark_kind  # kinds balanced

    client = review_world.client("reviewer")
    queue = client.get(_url(review_world, "review-queue/")).json()
    assert queue["count"] == 4
    assert len({tuple(sorted(row)) for row in queue["results"]}) == 1  # one shape
    bench_detail = client.get(_url(review_world, f"reviews/{benchmarks[0].pk}/")).json()
    regular_detail = client.get(_url(review_world, f"reviews/{regular[0].pk}/")).json()
    assert sorted(bench_detail) == sorted(regular_detail)
    assert sorted(bench_detail["item"]) == sorted(regular_detail["item"])
    assert bench_detail["payload"] == benchmarks[0].benchmark_payload
    text = json.dumps([queue, bench_detail]).lower()
    for tell in ("benchmark", "gold", "seeded", benchmarks[0].benchmark_kind):
        assert tell not in text.replace("review", ""), tell

    rejected = _act(review_world, "reviewer", benchmarks[0], "reject", comments=[{"text": "wrong box"}])
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rework"  # answers like any rejection
    assert _act(review_world, "reviewer2", benchmarks[1], "accept").status_code == 200
    assert _act(review_world, "reviewer", regular[0], "accept").status_code == 200
    benchmarks[0].refresh_from_db()
    assert benchmarks[0].benchmark_caught is True
    # Nobody gets a rework task from a benchmark, and annotators' review figures leave them out.
    assert review_world.client("annotator").get(_url(review_world, "my-rework/")).json()["count"] == 0
    (annotator_row,) = (
        review_world.client("manager").get(_url(review_world, "review-scorecard/")).json()["results"]
    )
    assert annotator_row["reviews"] == 1

    rows = {
        r["username"]: r
        for r in review_world.client("manager")
        .get(_url(review_world, "reviewer-scorecard/"))
        .json()["results"]
    }
    assert rows["reviewer"]["benchmarks"]["n"] == 1
    assert rows["reviewer"]["benchmarks"]["caught"] == 1
    assert rows["reviewer"]["reviews"] == 1  # the regular one
    assert rows["reviewer2"]["benchmarks"] == {
        "n": 1,
        "caught": 0,
        "accuracy": 0.0,
        "low": 0.0,
        "high": rows["reviewer2"]["benchmarks"]["high"],
    }
    assert rows["reviewer2"]["status"] == "calibrating"
    assert list(rows["reviewer2"]["by_error_kind"]) == [benchmarks[1].benchmark_kind]


def test_a_reviewer_missing_seeded_errors_is_flagged(review_world: World) -> None:
    from annotation_qc.review.services.reviews import review_benchmark_create

    _gold(review_world, n=1)
    _submit(review_world, {"boxes": [CAR]})
    like = Review.objects.get()
    for _ in range(8):
        bench = review_benchmark_create(project=review_world.project, like=like, now=timezone.now())
        assert bench is not None
        assert _act(review_world, "reviewer2", bench, "accept").status_code == 200
    rows = {
        r["username"]: r
        for r in review_world.client("manager")
        .get(_url(review_world, "reviewer-scorecard/"))
        .json()["results"]
    }
    assert rows["reviewer2"]["status"] == "flagged"
    assert rows["reviewer2"]["benchmarks"]["high"] < review_world.project.flag_threshold
