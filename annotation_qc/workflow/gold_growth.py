"""Growing the gold pool from items whose answer was confirmed, so gold rotates like work.

A project with ``gold_pool_target`` > 0 keeps that many gold items in service (not retired): when
gold is retired for over-exposure, or the pool was small to begin with, items whose answer was
confirmed are promoted, oldest first among the least seen:

- reviewed: a review accepted or fixed the annotation of an item labelled once (a review
  benchmark is gold already and never counts), or the reviewer's fix is the item's consensus;
- agreed: at least :data:`MIN_AGREEING_ANNOTATIONS` annotators and a consensus posterior of at
  least :data:`MIN_CONSENSUS_POSTERIOR` (or the project's consensus target if higher), or a
  manager resolved the item.

An item with an open review, or already seen by ``max_overlap`` annotators (it would be retired at
once), is left alone. Its annotators so far count as its exposure and never get it as a benchmark
(an annotator never gets an item twice); to anyone else it is served like any gold item. Beat runs
:func:`gold_pools_grow`; promotion is idempotent (an item with gold is never a candidate again).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q

from annotation_qc.agreement.models import Consensus
from annotation_qc.benchmarks.models import GoldAnnotation
from annotation_qc.benchmarks.services.gold import gold_promote
from annotation_qc.core.exceptions import ServiceError
from annotation_qc.labeling.models import Annotation, Item
from annotation_qc.projects.models import Project
from annotation_qc.review.models import Review

MIN_AGREEING_ANNOTATIONS = 3
MIN_CONSENSUS_POSTERIOR = 0.95
#: Items promoted per project and sweep (the rest wait for the next sweep).
GROWTH_BATCH = 100


def gold_pools_grow() -> int:
    """Beat: top up every project's gold pool to its target. Returns the items promoted."""
    return sum(gold_pool_grow(project=project) for project in Project.objects.filter(gold_pool_target__gt=0))


def gold_pool_grow(*, project: Project) -> int:
    """Promote confirmed items until ``project.gold_pool_target`` gold items are in service."""
    if project.gold_pool_target <= 0:
        return 0
    live = GoldAnnotation.objects.filter(project=project, retired_at__isnull=True).count()
    need = min(project.gold_pool_target - live, GROWTH_BATCH)
    if need <= 0:
        return 0
    promoted = 0
    for _item, annotation_id, payload in confirmed_items(project=project, limit=need * 2):
        try:
            gold_promote(
                project=project,
                annotation_id=annotation_id,
                payload=payload,
                user=None,
                source=GoldAnnotation.Source.CONFIRMED,
            )
        except ServiceError:  # e.g. a label retired since: not a usable gold answer
            continue
        promoted += 1
        if promoted >= need:
            break
    return promoted


def confirmed_items(*, project: Project, limit: int) -> list[tuple[int, int, Any]]:
    """Up to ``limit`` candidates ``(item id, annotation id, confirmed answer)``, least seen first."""
    regular = Annotation.objects.filter(item=OuterRef("pk"), is_benchmark=False)
    items = (
        Item.objects.filter(project=project, is_gold=False)
        .exclude(Exists(Review.objects.filter(item=OuterRef("pk"), status__in=Review.OPEN)))
        .annotate(seen=Count("tasks__annotator", distinct=True))
        .filter(seen__gt=0, seen__lt=max(project.max_overlap, 1))
    )
    posterior = max(MIN_CONSENSUS_POSTERIOR, project.consensus_target)
    agreed = (
        items.filter(
            Q(consensus__n_annotations__gte=MIN_AGREEING_ANNOTATIONS, consensus__posterior__gte=posterior)
            | Q(consensus__method__in=[Consensus.Method.MANUAL, Consensus.Method.REVIEW_FIX])
        )
        .annotate(first_annotation=regular.order_by("pk").values("pk")[:1])
        .order_by("seen", "consensus__computed_at", "pk")
        .values_list("seen", "pk", "first_annotation", "consensus__payload")[:limit]
    )
    reviewed_once = (
        Review.objects.filter(
            project=project,
            status__in=[Review.Status.ACCEPTED, Review.Status.FIXED],
            annotation__isnull=False,
            item__in=items.annotate(answers=Count("annotations", filter=Q(annotations__is_benchmark=False)))
            .filter(answers=1, consensus__isnull=True)
            .values("pk"),
        )
        .exclude(reason=Review.Reason.BENCHMARK)
        .order_by("entered_at", "pk")
        .values_list("item_id", "annotation_id", "annotation__payload")[:limit]
    )
    # Labelled once: seen by one annotator. Least seen first, each list keeping its own order.
    ranked = sorted(
        [
            (seen, order, item, annotation, payload)
            for order, (seen, item, annotation, payload) in enumerate(agreed)
        ]
        + [
            (1, order, item, annotation, payload)
            for order, (item, annotation, payload) in enumerate(reviewed_once)
        ],
        key=lambda row: (row[0], row[1]),
    )
    out: dict[int, tuple[int, int, Any]] = {}
    for _seen, _order, item_id, annotation_id, payload in ranked:
        if annotation_id is not None and item_id not in out:
            out[item_id] = (item_id, annotation_id, payload)
    return list(out.values())[:limit]
