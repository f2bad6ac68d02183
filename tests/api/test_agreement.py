"""Agreement reports, low-agreement review, consensus with dynamic overlap, through the API."""

from __future__ import annotations

import json

import pytest

from annotation_qc.agreement.models import Consensus
from annotation_qc.agreement.services.consensus import consensus_update
from annotation_qc.agreement.services.reports import agreement_report_compute
from annotation_qc.benchmarks.models import AnnotatorQuality, GoldAnnotation
from annotation_qc.labeling.models import Item
from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.submit_pipeline import annotation_submit
from tests.api.conftest import World
from tests.factories import ItemFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def label_all(world: World, answers: dict[str, list[str]]) -> None:
    """Each named annotator labels the project's items in order with the given labels."""
    for username, labels in answers.items():
        user = world.users.get(username) or UserFactory(username=username)
        if username not in world.users:
            MembershipFactory(project=world.project, user=user, role="annotator")
            world.users[username] = user
        for label in labels:
            task = task_next(project=world.project, annotator_id=user.pk)
            annotation_submit(
                task_id=task.pk, annotator_id=user.pk, payload={"label": label}, client_time_ms=4000
            )


@pytest.fixture
def classes(world: World) -> World:
    Item.objects.filter(project=world.project).delete()
    world.project.kind = "classification"
    world.project.save()
    ItemFactory.create_batch(12, project=world.project, required_annotations=2, open_slots=2)
    return world


def test_report_alpha_per_label_and_items_to_review(classes: World) -> None:
    a = ["car", "car", "person", "person", "bike", "bike", "car", "person", "bike", "car", "car", "person"]
    b = ["car", "car", "person", "person", "bike", "bike", "car", "person", "bike", "car", "bike", "bike"]
    label_all(classes, {"annotator": a, "second": b})
    agreement_report_compute(project_id=classes.project.pk)
    client = classes.client("manager")
    body = client.get(f"/api/v1/projects/{classes.project.pk}/agreement/").json()
    report = body["report"]
    assert report["n_items"] == 12
    assert 0.6 < report["alpha"]["value"] < 0.9
    assert report["interval"]["low"] <= report["alpha"]["value"] <= report["interval"]["high"]
    assert {entry["label"] for entry in report["per_label"]} == {"car", "person", "bike"}
    assert len(body["trend"]) == 1
    items = client.get(f"/api/v1/projects/{classes.project.pk}/agreement/items/", {"max_alpha": 0.5}).json()
    assert len(items) == 2
    assert {len(i["annotations"]) for i in items} == {2}
    assert items[0]["conflicts"][0]["kind"] == "label_mismatch"
    scorecards = client.get(f"/api/v1/projects/{classes.project.pk}/annotators/").json()
    assert all(row["agreement"] is not None for row in scorecards)


def test_all_identical_answers_are_undefined_not_nan(classes: World) -> None:
    label_all(classes, {"annotator": ["car"] * 12, "second": ["car"] * 12})
    snapshot = agreement_report_compute(project_id=classes.project.pk)
    raw = json.dumps(snapshot.report)
    assert "NaN" not in raw
    assert snapshot.report["alpha"]["value"] is None
    assert snapshot.report["alpha"]["reason"]


def test_single_annotations_are_ignored(world: World) -> None:
    world.project.kind = "classification"
    world.project.save()
    label_all(world, {"annotator": ["car", "car", "bike"]})
    snapshot = agreement_report_compute(project_id=world.project.pk)
    assert snapshot.n_items == 0
    assert snapshot.alpha is None


def test_resolve_with_an_annotators_answer_and_make_gold(classes: World) -> None:
    label_all(classes, {"annotator": ["car"] * 12, "second": ["bike"] * 12})
    agreement_report_compute(project_id=classes.project.pk)
    client = classes.client("manager")
    item = client.get(f"/api/v1/projects/{classes.project.pk}/agreement/items/").json()[0]
    chosen = next(a for a in item["annotations"] if a["annotator"] == "second")
    url = f"/api/v1/projects/{classes.project.pk}/agreement/items/{item['item']['id']}/resolve/"
    response = client.post(url, {"annotation_id": chosen["annotation_id"], "make_gold": True}, format="json")
    assert response.status_code == 200, response.json()
    consensus = Consensus.objects.get(item_id=item["item"]["id"])
    assert consensus.method == "manual"
    assert consensus.payload == {"label": "bike"}
    assert GoldAnnotation.objects.get(item_id=item["item"]["id"]).payload == {"label": "bike"}
    assert client.post(url, {"make_gold": False}, format="json").status_code == 400
    bad = client.post(url, {"payload": {"label": "tree"}}, format="json")
    assert bad.status_code == 400
    assert "payload.label" in bad.json()["errors"]


def test_consensus_weights_skill_and_dynamic_overlap(classes: World) -> None:
    classes.project.max_overlap = 3
    classes.project.consensus_target = 0.9
    classes.project.save()
    expert, novice = classes.users["annotator"], UserFactory(username="novice")
    MembershipFactory(project=classes.project, user=novice, role="annotator")
    AnnotatorQuality.objects.create(
        project=classes.project, annotator=expert, status="ok", benchmarks=40, fixed=39
    )
    AnnotatorQuality.objects.create(
        project=classes.project, annotator=novice, status="ok", benchmarks=40, fixed=16
    )
    item = Item.objects.filter(project=classes.project).order_by("pk").first()
    for user, label in ((expert, "car"), (novice, "bike")):
        task = task_next(project=classes.project, annotator_id=user.pk)
        assert task.item_id == item.pk
        annotation_submit(
            task_id=task.pk, annotator_id=user.pk, payload={"label": label}, client_time_ms=4000
        )
    consensus = consensus_update(item_id=item.pk)
    assert consensus is not None
    assert consensus.payload == {"label": "car"}  # the skilled annotator outweighs the unskilled one
    assert consensus.method == "weighted_vote"

    # Two fair annotators disagreeing: the posterior stays low, so the item goes to a third annotator.
    other = Item.objects.filter(project=classes.project).order_by("pk")[1]
    third, fourth = UserFactory(username="third"), UserFactory(username="fourth")
    for user, label in ((third, "car"), (fourth, "bike")):
        MembershipFactory(project=classes.project, user=user, role="annotator")
        AnnotatorQuality.objects.create(
            project=classes.project, annotator=user, status="ok", benchmarks=40, fixed=30
        )
        task = task_next(project=classes.project, annotator_id=user.pk)
        assert task.item_id == other.pk
        annotation_submit(
            task_id=task.pk, annotator_id=user.pk, payload={"label": label}, client_time_ms=4000
        )
    assert consensus_update(item_id=other.pk) is None
    other.refresh_from_db()
    assert other.required_annotations == 3
    assert other.open_slots == 1
    assert not Consensus.objects.filter(item=other).exists()


def test_box_report_and_fused_consensus(world: World) -> None:
    Item.objects.filter(project=world.project).delete()
    items = ItemFactory.create_batch(3, project=world.project, required_annotations=2, open_slots=2)
    car = {"x": 10, "y": 10, "w": 100, "h": 80, "label": "car"}
    person = {"x": 300, "y": 100, "w": 50, "h": 120, "label": "person"}
    answers = {
        "annotator": [[car, person], [car], [car, person]],
        "second": [[{**car, "x": 14}, person], [car, person], [{**car, "label": "bike"}, person]],
    }
    for username, payloads in answers.items():
        user = world.users.get(username) or UserFactory(username=username)
        if username not in world.users:
            MembershipFactory(project=world.project, user=user, role="annotator")
        for boxes in payloads:
            task = task_next(project=world.project, annotator_id=user.pk)
            annotation_submit(
                task_id=task.pk, annotator_id=user.pk, payload={"boxes": boxes}, client_time_ms=4000
            )
    snapshot = agreement_report_compute(project_id=world.project.pk)
    assert snapshot.report["kind"] == "bbox"
    assert snapshot.report["mean_iou"] > 0.8
    kinds = {c["kind"] for c in snapshot.report["low_agreement_items"] for c in c["conflicts"]}
    assert "label_mismatch" in kinds
    consensus = consensus_update(item_id=items[0].pk)
    fused = consensus.payload["boxes"]
    assert len(fused) == 2
    assert next(b for b in fused if b["label"] == "car")["x"] == pytest.approx(12, abs=0.01)


def test_without_benchmark_evidence_majority_settles_at_planned_overlap(classes: World) -> None:
    label_all(classes, {"annotator": ["car"] * 12, "second": ["car"] * 11 + ["bike"]})
    first = Item.objects.filter(project=classes.project).order_by("pk").first()
    consensus = consensus_update(item_id=first.pk)
    assert consensus.method == "majority"
    assert consensus.payload == {"label": "car"}
    assert consensus.posterior == 1.0
    first.refresh_from_db()
    assert first.required_annotations == 2


def test_a_contested_box_sends_the_item_to_a_third_annotator(world: World) -> None:
    Item.objects.filter(project=world.project).delete()
    world.project.max_overlap = 3
    world.project.save()
    (item,) = ItemFactory.create_batch(1, project=world.project, required_annotations=2, open_slots=2)
    car = {"x": 10, "y": 10, "w": 100, "h": 80, "label": "car"}
    person = {"x": 300, "y": 100, "w": 50, "h": 120, "label": "person"}

    def label(username: str, boxes: list[dict]) -> None:
        user = world.users.get(username) or UserFactory(username=username)
        if username not in world.users:
            MembershipFactory(project=world.project, user=user, role="annotator")
            world.users[username] = user
        task = task_next(project=world.project, annotator_id=user.pk)
        assert task is not None
        assert task.item_id == item.pk
        annotation_submit(
            task_id=task.pk, annotator_id=user.pk, payload={"boxes": boxes}, client_time_ms=4000
        )

    label("annotator", [car, person])
    label("second", [car])  # the person is one annotator's word against the other's
    assert consensus_update(item_id=item.pk) is None
    item.refresh_from_db()
    assert (item.required_annotations, item.open_slots) == (3, 1)
    label("third", [{**car, "x": 12}, person])
    consensus = consensus_update(item_id=item.pk)
    assert consensus is not None
    assert sorted(b["label"] for b in consensus.payload["boxes"]) == ["car", "person"]
    assert consensus.n_annotations == 3
    item.refresh_from_db()
    assert item.required_annotations == 3
