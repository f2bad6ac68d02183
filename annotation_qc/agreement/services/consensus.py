"""Consensus for a completed double-labeled item, dynamic overlap, and manual resolution."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from annotation_qc.agreement.models import Consensus
from annotation_qc.benchmarks.models import AnnotatorQuality
from annotation_qc.core.exceptions import NotFound
from annotation_qc.domain.agreement import (
    box_consensus,
    box_needs_another_annotation,
    classification_consensus,
    needs_another_annotation,
    skill_weight,
    smoothed_accuracy,
)
from annotation_qc.domain.geometry import boxes_to_payload
from annotation_qc.labeling.models import Annotation, Item
from annotation_qc.projects.models import Project


def consensus_due(*, item_id: int, required: int) -> bool:
    """Whether a just-submitted annotation completed a double-labeled item."""
    if required < 2:
        return False
    return Annotation.objects.filter(item_id=item_id, is_benchmark=False).count() >= required


def annotator_skills(project: Project, annotator_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per annotator with any evidence: (successes, trials) over their benchmarks (seeded errors
    fixed) and their reviewed work (accepted at the first review), pooled."""
    from annotation_qc.domain.review_quality import pooled_evidence
    from annotation_qc.review.selectors import first_pass_evidence

    benchmarks = {
        a: (fixed, total)
        for a, fixed, total in AnnotatorQuality.objects.filter(
            project=project, annotator_id__in=annotator_ids, benchmarks__gt=0
        ).values_list("annotator_id", "fixed", "benchmarks")
    }
    return pooled_evidence(benchmarks, first_pass_evidence(project=project, annotator_ids=annotator_ids))


def _review_fix(item: Item) -> dict[str, Any] | None:
    """The newest reviewer's fix of one of the item's answers: its label of record."""
    from annotation_qc.review.models import Review, ReviewRound

    return (
        ReviewRound.objects.filter(
            review__item=item,
            review__status=Review.Status.FIXED,
            review__benchmark_kind="",
            action=ReviewRound.Action.FIX,
        )
        .order_by("-acted_at", "-pk")
        .values_list("payload_after", flat=True)
        .first()
    )


def _one_more_annotation(item: Item) -> None:
    """Dynamic overlap: the item goes back to the queue for one more annotator; its consensus waits."""
    Item.objects.filter(pk=item.pk).update(
        required_annotations=F("required_annotations") + 1, open_slots=F("open_slots") + 1
    )
    Consensus.objects.filter(item=item).delete()


@transaction.atomic
def consensus_update(*, item_id: int) -> Consensus | None:
    """Fuse the item's annotations into its consensus, or send it to one more annotator.

    Items still in doubt get one more required annotation, up to the project's ``max_overlap``, and
    the consensus waits for it: classification items whose leading label's posterior (from each
    annotator's smoothed benchmark accuracy) is below the project's target, and bbox items where
    some object, or a box's label, is near an even split between the annotators. A manual
    resolution is final; a reviewer's fix of an answer is the label of record; an answer a reviewer
    rejected is left out until reworked. Skill weights pool benchmarks and first-pass review outcomes.
    """
    # Lock the item only: FOR UPDATE on the joined project row would block every concurrent insert
    # that references the project (their foreign-key checks) and can deadlock with them.
    item = Item.objects.select_for_update(of=("self",)).select_related("project").get(pk=item_id)
    project = item.project
    if Consensus.objects.filter(item=item, method=Consensus.Method.MANUAL).exists():
        return None
    answers = Annotation.objects.filter(item=item, is_benchmark=False)
    fix = _review_fix(item)
    if fix is not None:
        consensus, _ = Consensus.objects.update_or_create(
            item=item,
            defaults={
                "project": project,
                "payload": fix,
                "posterior": None,
                "method": Consensus.Method.REVIEW_FIX,
                "n_annotations": answers.count(),
                "computed_at": timezone.now(),
                "resolved_by": None,
            },
        )
        return consensus
    from annotation_qc.review.models import Review

    # An answer a reviewer rejected is out until its annotator reworks it.
    rows = list(
        answers.exclude(review__status=Review.Status.REWORK)
        .order_by("annotator_id")
        .values_list("annotator_id", "payload")
    )
    if len(rows) < 2:
        Consensus.objects.filter(item=item).delete()  # none stands on a rejected answer
        return None
    annotators = [a for a, _ in rows]
    skills = annotator_skills(project, annotators)
    n_labels = max(2, len(project.labels))
    weights = [skill_weight(*skills[a], n_labels=n_labels) if a in skills else None for a in annotators]
    codes = {label: code for code, label in enumerate(project.labels)}
    if project.kind == Project.Kind.CLASSIFICATION:
        labels = np.array([codes[p["label"]] for _, p in rows], dtype=np.int64)
        known = [smoothed_accuracy(*skills[a]) for a in annotators if a in skills]
        # Unknown annotators count at the mean known accuracy; with no evidence at all there is no
        # posterior to wait for, and the item is settled by majority at its planned overlap.
        fill = sum(known) / len(known) if known else None
        accuracies = [smoothed_accuracy(*skills[a]) if a in skills else fill for a in annotators]
        if known and needs_another_annotation(
            labels,
            accuracies,
            target_posterior=project.consensus_target,
            n_labels=n_labels,
            max_annotations=project.max_overlap,
        ):
            _one_more_annotation(item)
            return None
        posterior: float | None
        code, posterior = classification_consensus(labels, weights if skills else None, n_labels=n_labels)
        payload: dict[str, Any] = {"label": project.labels[code]}
        method = Consensus.Method.WEIGHTED_VOTE if skills else Consensus.Method.MAJORITY
    else:
        inputs = [
            (
                a,
                [[b["x"], b["y"], b["w"], b["h"]] for b in p["boxes"]],
                [codes[b["label"]] for b in p["boxes"]],
            )
            for a, p in rows
        ]
        fused = box_consensus(inputs, weights if skills else None, n_labels=n_labels)
        if box_needs_another_annotation(fused, n_annotations=len(rows), max_annotations=project.max_overlap):
            _one_more_annotation(item)
            return None
        payload = {"boxes": boxes_to_payload(fused.boxes, [project.labels[c] for c in fused.labels.tolist()])}
        posterior = float(fused.support.mean()) if len(fused.support) else None
        method = Consensus.Method.FUSED_BOXES
    consensus, _ = Consensus.objects.update_or_create(
        item=item,
        defaults={
            "project": project,
            "payload": payload,
            "posterior": posterior,
            "method": method,
            "n_annotations": len(rows),
            "computed_at": timezone.now(),
            "resolved_by": None,
        },
    )
    return consensus


@transaction.atomic
def item_resolve(
    *,
    project: Project,
    item_id: int,
    annotation_id: int | None,
    payload: Any | None,
    make_gold: bool,
    user: Any,
) -> Consensus:
    """A manager settles a low-agreement item: one annotator's answer or an edited one becomes final."""
    from annotation_qc.benchmarks.services.gold import gold_promote
    from annotation_qc.labeling.services.submit import validated_for_item

    item = Item.objects.filter(pk=item_id, project=project).first()
    if item is None:
        raise NotFound("No such item in this project.")
    chosen = None
    if annotation_id is not None:
        chosen = Annotation.objects.filter(pk=annotation_id, item=item).first()
        if chosen is None:
            raise NotFound("No such annotation on this item.")
    # An annotator's stored answer stays valid after a label in it was retired; an edited one may not use it.
    answer = validated_for_item(
        project=project,
        item=item,
        payload=chosen.payload if chosen else payload,
        allow_retired=chosen is not None,
    )
    consensus, _ = Consensus.objects.update_or_create(
        item=item,
        defaults={
            "project": project,
            "payload": answer,
            "posterior": None,
            "method": Consensus.Method.MANUAL,
            "n_annotations": Annotation.objects.filter(item=item, is_benchmark=False).count(),
            "computed_at": timezone.now(),
            "resolved_by": user,
        },
    )
    if make_gold:
        source = chosen or Annotation.objects.filter(item=item, is_benchmark=False).first()
        if source is None:
            raise NotFound("The item has no annotation to promote to gold.")
        gold_promote(project=project, annotation_id=source.pk, payload=answer, user=user)
    return consensus
