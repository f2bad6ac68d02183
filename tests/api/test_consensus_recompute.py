"""Recomputing every due consensus at once gives what updating each item alone gives."""

from __future__ import annotations

import random
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from annotation_qc.agreement.models import Consensus
from annotation_qc.agreement.services.consensus import consensus_recompute, consensus_update
from annotation_qc.benchmarks.models import AnnotatorQuality
from annotation_qc.labeling.models import Annotation, Item, Task
from annotation_qc.projects.models import Project
from annotation_qc.review.models import Review
from tests.factories import ItemFactory, MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

LABELS = ["cat", "dog", "fox", "owl"]


def _project(seed: int) -> Project:
    """A classification project with skilled, unskilled and unknown annotators, items planned for 2 or
    3 answers (some still waiting), a manual resolution, rejected answers and a reviewer's fix."""
    rng = random.Random(seed)
    project = ProjectFactory(
        kind=Project.Kind.CLASSIFICATION, labels=LABELS, consensus_target=0.9, max_overlap=4
    )
    people = []
    for n in range(7):
        user = UserFactory(username=f"p{seed}-{n}")
        MembershipFactory(project=project, user=user, role="annotator")
        people.append(user)
        if n < 5:  # two annotators without any benchmark record
            total = rng.randint(1, 40)
            AnnotatorQuality.objects.create(
                project=project, annotator=user, benchmarks=total, fixed=rng.randint(0, total)
            )
    now = timezone.now()
    for n in range(90):
        required = rng.choice([2, 2, 3])
        item = ItemFactory(project=project, required_annotations=required, open_slots=0)
        truth = rng.randrange(len(LABELS))
        answered = required if n % 9 else required - 1  # every ninth item still waits for an answer
        for user in rng.sample(people, answered):
            label = truth if rng.random() < 0.7 else rng.randrange(len(LABELS))
            task = Task.objects.create(
                project=project,
                item=item,
                annotator=user,
                status=Task.Status.SUBMITTED,
                served_at=now,
                lease_expires_at=now,
            )
            annotation = Annotation.objects.create(
                task=task,
                project=project,
                item=item,
                annotator=user,
                payload={"label": LABELS[label]},
                server_time_ms=1000,
                submitted_at=now,
            )
            if rng.random() < 0.08:
                Review.objects.create(
                    project=project,
                    item=item,
                    annotation=annotation,
                    annotator=user,
                    status=Review.Status.REWORK,
                    reason=Review.Reason.SAMPLED,
                    entered_at=now,
                    pending_since=now,
                )
        if n % 17 == 0:
            Consensus.objects.create(
                project=project,
                item=item,
                payload={"label": "owl"},
                posterior=None,
                method=Consensus.Method.MANUAL,
                n_annotations=answered,
                computed_at=now,
            )
    return project


def _state(project: Project) -> dict[str, Any]:
    consensus = {
        item: (payload, None if posterior is None else round(posterior, 9), method, n)
        for item, payload, posterior, method, n in Consensus.objects.filter(project=project).values_list(
            "item_id", "payload", "posterior", "method", "n_annotations"
        )
    }
    items = dict(Item.objects.filter(project=project).values_list("pk", "required_annotations"))
    slots = dict(Item.objects.filter(project=project).values_list("pk", "open_slots"))
    return {"consensus": consensus, "required": items, "slots": slots}


class _Undo(Exception):
    pass


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_recomputing_at_once_equals_updating_each_item(seed: int) -> None:
    project = _project(seed)
    due = [
        pk
        for pk, required in Item.objects.filter(project=project).values_list("pk", "required_annotations")
        if Annotation.objects.filter(item_id=pk, is_benchmark=False).count() >= required
    ]
    one_by_one: dict[str, Any] = {}
    try:
        with transaction.atomic():
            for pk in due:
                consensus_update(item_id=pk)
            one_by_one = _state(project)
            raise _Undo
    except _Undo:
        pass
    report = consensus_recompute(project=project)
    at_once = _state(project)
    assert at_once == one_by_one
    methods = {m for *_, m, _ in at_once["consensus"].values()}
    # The project exercises every branch: skill-weighted votes, plain majorities, kept manual ones,
    # and items sent to one more annotator.
    assert {Consensus.Method.WEIGHTED_VOTE, Consensus.Method.MANUAL} <= methods
    assert report.one_more > 0
    assert report.manual > 0
    assert report.settled > 0


def test_a_recompute_uses_the_skills_of_now() -> None:
    """Two annotators disagree; the one who turns out skilled wins the recomputed consensus."""
    project = ProjectFactory(kind=Project.Kind.CLASSIFICATION, labels=LABELS, max_overlap=2)
    first, second = UserFactory(username="first"), UserFactory(username="second")
    item = ItemFactory(project=project, required_annotations=2, open_slots=0)
    now = timezone.now()
    for user, label in ((first, "cat"), (second, "dog")):
        MembershipFactory(project=project, user=user, role="annotator")
        task = Task.objects.create(
            project=project,
            item=item,
            annotator=user,
            status=Task.Status.SUBMITTED,
            served_at=now,
            lease_expires_at=now,
        )
        Annotation.objects.create(
            task=task,
            project=project,
            item=item,
            annotator=user,
            payload={"label": label},
            server_time_ms=1000,
            submitted_at=now,
        )
    consensus_update(item_id=item.pk)
    assert Consensus.objects.get(item=item).payload == {"label": "cat"}  # a tie: the first label
    AnnotatorQuality.objects.create(project=project, annotator=second, benchmarks=30, fixed=29)
    AnnotatorQuality.objects.create(project=project, annotator=first, benchmarks=30, fixed=9)
    consensus_recompute(project=project)
    consensus = Consensus.objects.get(item=item)
    assert consensus.payload == {"label": "dog"}
    assert consensus.method == Consensus.Method.WEIGHTED_VOTE


def test_the_command() -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    project = _project(4)
    out = StringIO()
    call_command("consensus_recompute", project=project.pk, stdout=out)
    assert "settled" in out.getvalue()
    assert "manual resolution(s) kept" in out.getvalue()
    with pytest.raises(CommandError, match="no project"):
        call_command("consensus_recompute", project=project.pk + 1000)
