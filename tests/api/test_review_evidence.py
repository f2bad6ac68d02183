"""Review outcomes as evidence: a reviewer's fix is the item's label of record, a rejected answer
leaves the consensus until it is reworked, and first-pass acceptance counts towards the skill that
weights consensus (shown on the scorecard apart from benchmark accuracy)."""

from __future__ import annotations

from typing import Any

import pytest

from annotation_qc.agreement.models import Consensus
from annotation_qc.agreement.services.consensus import annotator_skills
from annotation_qc.labeling.models import Item
from annotation_qc.review.models import Review, ReviewConfig
from tests.api.conftest import World
from tests.api.test_review import CAR, PERSON, _act, _submit, _url
from tests.factories import ItemFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

BIKE = {"x": 400.0, "y": 300.0, "w": 60.0, "h": 40.0, "label": "bike"}


@pytest.fixture
def ev(world: World) -> World:
    for name, role in (("reviewer", "reviewer"), ("annotator2", "annotator")):
        world.users[name] = UserFactory(username=name)
        MembershipFactory(project=world.project, user=world.users[name], role=role)
    ReviewConfig.objects.create(
        project=world.project, enabled=True, base_rate=1.0, max_rate=1.0, calibration_rate=1.0
    )
    Item.objects.filter(project=world.project).delete()
    return world


def _double_item(world: World, capture: Any, first: list[Any], second: list[Any]) -> Item:
    item = ItemFactory(project=world.project, required_annotations=2)
    with capture(execute=True):
        _submit(world, {"boxes": first})
        _submit(world, {"boxes": second}, annotator="annotator2")
    return item


def test_a_fix_is_the_items_label_of_record(ev: World, capture: Any) -> None:
    item = _double_item(ev, capture, [CAR], [CAR])
    assert Consensus.objects.get(item=item).method == Consensus.Method.FUSED_BOXES
    review = Review.objects.filter(item=item).order_by("pk").first()
    assert review is not None
    fixed = {"boxes": [CAR, PERSON]}
    with capture(execute=True):
        assert _act(ev, "reviewer", review, "fix", payload=fixed).status_code == 200
    consensus = Consensus.objects.get(item=item)
    assert consensus.method == Consensus.Method.REVIEW_FIX
    assert consensus.payload == fixed  # not a fusion of the fix with the other answer
    # Another review of the same item accepted later does not unseat the fix.
    other = Review.objects.filter(item=item).exclude(pk=review.pk).get()
    with capture(execute=True):
        assert _act(ev, "reviewer", other, "accept").status_code == 200
    assert Consensus.objects.get(item=item).payload == fixed


def test_a_rejected_answer_leaves_the_consensus_until_reworked(ev: World, capture: Any) -> None:
    ev.project.max_overlap = 2  # the split is settled by the two answers (no third annotator)
    ev.project.save()
    item = _double_item(ev, capture, [CAR], [BIKE])
    assert Consensus.objects.filter(item=item).exists()
    review = Review.objects.get(item=item, annotator=ev.users["annotator2"])
    with capture(execute=True):
        assert (
            _act(ev, "reviewer", review, "reject", comments=[{"box": 0, "text": "no bike"}]).status_code
            == 200
        )
    # One answer left: no consensus stands on the rejected one.
    assert not Consensus.objects.filter(item=item).exists()
    task_id = review.annotation.task.public_id
    with capture(execute=True):
        response = ev.client("annotator2").post(
            f"/api/v1/tasks/{task_id}/rework/", {"payload": {"boxes": [CAR]}}, format="json"
        )
    assert response.status_code == 200, response.content
    consensus = Consensus.objects.get(item=item)
    assert [b["label"] for b in consensus.payload["boxes"]] == ["car"]


def test_first_pass_acceptance_is_skill_evidence_shown_apart(ev: World, capture: Any) -> None:
    ItemFactory.create_batch(4, project=ev.project)
    for _ in range(4):
        _submit(ev, {"boxes": [CAR]})
    first, second, third, fourth = Review.objects.order_by("pk")
    for review in (first, second, third):
        assert _act(ev, "reviewer", review, "accept").status_code == 200
    assert _act(ev, "reviewer", fourth, "reject", comments=[{"text": "redo"}]).status_code == 200
    annotator = ev.users["annotator"].pk
    # No benchmark yet: the review record alone (3 of 4 accepted first time) is the skill evidence.
    assert annotator_skills(ev.project, [annotator]) == {annotator: (3, 4)}
    rows = {r["username"]: r for r in ev.client("manager").get(_url(ev, "annotators/")).json()}
    row = rows["annotator"]
    assert row["benchmarks"]["n"] == 0  # benchmark accuracy untouched
    assert row["review"]["reviews"] == 4
    assert row["review"]["first_pass_acceptance"]["value"] == 0.75
    assert (
        0
        < row["review"]["first_pass_acceptance"]["low"]
        < 0.75
        < row["review"]["first_pass_acceptance"]["high"]
    )
    assert row["review"]["rejection_rate"]["value"] == 0.25
