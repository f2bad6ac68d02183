"""Consensus for a completed double-labeled item, dynamic overlap, and manual resolution."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from annotation_qc.agreement.models import Consensus
from annotation_qc.benchmarks.models import AnnotatorQuality
from annotation_qc.core.exceptions import NotFound
from annotation_qc.domain.agreement import (
    box_consensus,
    box_needs_another_annotation,
    classification_consensus,
    consensus_of_items,
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
    _one_more_annotation_of([item.pk])


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


@dataclass(frozen=True)
class ConsensusRecount:
    """What :func:`consensus_recompute` did: items settled, sent to one more annotator, and left alone
    (a manual resolution is final)."""

    settled: int
    one_more: int
    manual: int


def _due_items(project: Project) -> tuple[list[int], set[int]]:
    """The project's items whose consensus is due (every planned answer in, at least two planned), and
    those of them a manager resolved."""
    due = list(
        Item.objects.filter(project=project, required_annotations__gte=2)
        .annotate(answers=Count("annotations", filter=Q(annotations__is_benchmark=False)))
        .filter(answers__gte=F("required_annotations"))
        .values_list("pk", flat=True)
    )
    manual = set(
        Consensus.objects.filter(project=project, method=Consensus.Method.MANUAL).values_list(
            "item_id", flat=True
        )
    )
    return due, manual


@transaction.atomic
def consensus_recompute(*, project: Project) -> ConsensusRecount:
    """Recompute the consensus of every item that has one due, with the annotators' skills as they are
    now (an item's consensus is otherwise computed once, when its last answer comes in, with the skills
    of that moment). The same rules as :func:`consensus_update` item by item: a manual resolution is
    kept, a reviewer's fix is the label of record, rejected answers wait for their rework, and an item
    still in doubt goes to one more annotator. Classification projects are computed all at once (one
    read of the answers, the vote in numpy, one write); bbox projects item by item.
    """
    due, manual = _due_items(project)
    open_items = [pk for pk in due if pk not in manual]
    if project.kind != Project.Kind.CLASSIFICATION:
        one_more = sum(consensus_update(item_id=pk) is None for pk in open_items)
        return ConsensusRecount(settled=len(open_items) - one_more, one_more=one_more, manual=len(manual))
    fixed = _items_with_a_fix(project, open_items)
    for pk in fixed:
        consensus_update(item_id=pk)
    voted = [pk for pk in open_items if pk not in fixed]
    settled, one_more = _classification_recompute(project, voted)
    return ConsensusRecount(settled=settled + len(fixed), one_more=one_more, manual=len(manual))


def _items_with_a_fix(project: Project, item_ids: list[int]) -> set[int]:
    from annotation_qc.review.models import Review

    fixed = Review.objects.filter(project=project, status=Review.Status.FIXED, benchmark_kind="")
    return set(fixed.values_list("item_id", flat=True)) & set(item_ids)


#: Ids per statement when rows are changed by id (SQLite takes a bounded number of parameters).
ID_BATCH = 5000


def _by_ids(ids: list[int]) -> list[list[int]]:
    return [ids[start : start + ID_BATCH] for start in range(0, len(ids), ID_BATCH)]


def _consensus_delete(item_ids: list[int]) -> None:
    """Remove the consensus of these items, except a manual resolution."""
    for batch in _by_ids(item_ids):
        Consensus.objects.filter(item__pk__any=batch).exclude(method=Consensus.Method.MANUAL).delete()


def _one_more_annotation_of(item_ids: list[int]) -> None:
    """Dynamic overlap for many items: each goes back to the queue for one more annotator, and its
    consensus (never a manual one: callers leave those out) waits."""
    for batch in _by_ids(item_ids):
        Item.objects.filter(pk__any=batch).update(
            required_annotations=F("required_annotations") + 1, open_slots=F("open_slots") + 1
        )
        Consensus.objects.filter(item__pk__any=batch).delete()


def _classification_recompute(project: Project, item_ids: list[int]) -> tuple[int, int]:
    """Vote every item at once; returns (settled, sent to one more annotator)."""
    from annotation_qc.review.models import Review

    if not item_ids:
        return 0, 0
    # Every standing answer on the project's multi-answer items (one read), then those of the items wanted.
    rows = list(
        Annotation.objects.filter(project=project, is_benchmark=False, item__required_annotations__gte=2)
        .exclude(review__status=Review.Status.REWORK)
        .values_list("item_id", "annotator_id", KeyTextTransform("label", "payload"))
    )
    codes = {label: code for code, label in enumerate(project.labels)}
    items = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    annotators = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    labels = np.fromiter((codes[r[2]] for r in rows), dtype=np.int64, count=len(rows))
    wanted = np.isin(items, np.asarray(item_ids, dtype=np.int64))
    items, annotators, labels = items[wanted], annotators[wanted], labels[wanted]
    present, per_item = np.unique(items, return_counts=True)
    enough = present[per_item >= 2]
    # Fewer than two standing answers: no consensus stands on a rejected answer.
    _consensus_delete(sorted(set(item_ids) - set(enough.tolist())))
    keep = np.isin(items, enough)
    items, annotators, labels = items[keep], annotators[keep], labels[keep]
    people = np.unique(annotators)
    skills = annotator_skills(project, people.tolist())
    by_person = np.array(
        [smoothed_accuracy(*skills[a]) if a in skills else np.nan for a in people.tolist()], dtype=np.float64
    )
    accuracy = by_person[np.searchsorted(people, annotators)] if len(people) else np.zeros(0)
    result = consensus_of_items(
        items,
        labels,
        accuracy,
        n_labels=max(2, len(project.labels)),
        target_posterior=project.consensus_target,
        max_annotations=project.max_overlap,
    )
    again = result.item[result.needs_another].tolist()
    _one_more_annotation_of(again)
    settle = ~result.needs_another
    answers = np.unique(items, return_counts=True)[1]
    settled = zip(
        result.item[settle].tolist(),
        ({"label": project.labels[c]} for c in result.label[settle].tolist()),
        result.posterior[settle].tolist(),
        (
            Consensus.Method.WEIGHTED_VOTE if w else Consensus.Method.MAJORITY
            for w in result.weighted[settle].tolist()
        ),
        answers[settle].tolist(),
        strict=True,
    )
    consensus_write(project=project, rows=list(settled), now=timezone.now())
    return int(settle.sum()), len(again)


#: A consensus to write: (item id, payload, posterior, method, number of answers).
ConsensusRow = tuple[int, dict[str, Any], float | None, str, int]


def consensus_write(*, project: Project, rows: list[ConsensusRow], now: Any) -> None:
    """Create or replace the consensus of many items at once (a manual resolution is never replaced:
    callers leave those items out). PostgreSQL: COPY into a temporary table, then one upsert from it."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        Consensus.objects.bulk_create(
            [
                Consensus(
                    project=project,
                    item_id=pk,
                    payload=payload,
                    posterior=posterior,
                    method=method,
                    n_annotations=n,
                    computed_at=now,
                    resolved_by=None,
                )
                for pk, payload, posterior, method, n in rows
            ],
            batch_size=5000,
            update_conflicts=True,
            unique_fields=["item"],
            update_fields=["payload", "posterior", "method", "n_annotations", "computed_at", "resolved_by"],
        )
        return
    table = Consensus._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS aqc_consensus_load (item_id bigint, payload jsonb, "
            "posterior double precision, method varchar(16), n_annotations smallint) ON COMMIT DROP"
        )
        cursor.execute("TRUNCATE aqc_consensus_load")
        with cursor.copy("COPY aqc_consensus_load FROM STDIN") as copy:
            for pk, payload, posterior, method, n in rows:
                copy.write_row((pk, json.dumps(payload), posterior, method, n))
        cursor.execute(
            f"INSERT INTO {table} (item_id, project_id, payload, posterior, method, n_annotations, "
            "computed_at, resolved_by_id) SELECT item_id, %s, payload, posterior, method, n_annotations, "
            "%s, NULL FROM aqc_consensus_load ON CONFLICT (item_id) DO UPDATE SET "
            "payload = EXCLUDED.payload, posterior = EXCLUDED.posterior, method = EXCLUDED.method, "
            "n_annotations = EXCLUDED.n_annotations, computed_at = EXCLUDED.computed_at, "
            "resolved_by_id = NULL",
            [project.pk, now],
        )
