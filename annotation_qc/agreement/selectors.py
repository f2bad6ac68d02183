from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, F, Max, Q

from annotation_qc.agreement.models import AgreementSnapshot, Consensus, ItemAgreementScore
from annotation_qc.labeling.models import Annotation, Item
from annotation_qc.labeling.selectors import item_image_url
from annotation_qc.projects.models import Project

TREND_POINTS = 50


def latest_snapshot(project: Project) -> AgreementSnapshot | None:
    return AgreementSnapshot.objects.filter(project=project).order_by("-computed_at", "-pk").first()


def agreement_overview(*, project: Project) -> dict[str, Any]:
    snapshot = latest_snapshot(project)
    trend = list(
        AgreementSnapshot.objects.filter(project=project)
        .order_by("-computed_at")
        .values("computed_at", "alpha", "alpha_low", "alpha_high", "n_items")[:TREND_POINTS]
    )[::-1]
    if snapshot is None:
        return {"computed_at": None, "report": None, "trend": [], "note": "No agreement report computed yet."}
    return {"computed_at": snapshot.computed_at, "report": snapshot.report, "trend": trend, "note": None}


def low_agreement_items(*, project: Project, max_score: float, limit: int) -> list[dict[str, Any]]:
    """Items of the latest report scoring at most ``max_score``, lowest first, with every answer."""
    snapshot = latest_snapshot(project)
    if snapshot is None:
        return []
    scores = list(
        ItemAgreementScore.objects.filter(snapshot=snapshot, score__lte=max_score)
        .select_related("item")
        .order_by("score", "item_id")[:limit]
    )
    item_ids = [s.item_id for s in scores]
    answers: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for annotation_id, item_id, annotator_id, username, payload in (
        Annotation.objects.filter(item_id__in=item_ids, is_benchmark=False)
        .order_by("annotator__username")
        .values_list("pk", "item_id", "annotator_id", "annotator__username", "payload")
    ):
        answers[item_id].append(
            {
                "annotation_id": annotation_id,
                "annotator_id": annotator_id,
                "annotator": username,
                "payload": payload,
            }
        )
    resolved = dict(Consensus.objects.filter(item_id__in=item_ids).values_list("item_id", "method"))
    return [
        {
            "item": {
                "id": s.item_id,
                "external_id": s.item.external_id,
                "image_url": item_image_url(s.item),
                "width": s.item.width,
                "height": s.item.height,
            },
            "score": s.score,
            "n_annotations": s.n_annotations,
            "conflicts": s.conflicts,
            "annotations": answers[s.item_id],
            "resolved": resolved.get(s.item_id) == Consensus.Method.MANUAL,
        }
        for s in scores
    ]


def agreement_by_annotator(project: Project) -> dict[int, float | None]:
    """Each annotator's agreement with their peers, from the latest report."""
    snapshot = latest_snapshot(project)
    if snapshot is None:
        return {}
    return {
        int(entry["annotator"]): entry["alpha_with_peers"]["value"]
        for entry in snapshot.report.get("annotators", [])
    }


def projects_with_stale_reports() -> list[int]:
    """Projects with regular annotations newer than their latest agreement report (or with none)."""
    last = dict(AgreementSnapshot.objects.values_list("project_id").annotate(at=Max("computed_at")))
    stale = []
    for project_id in Project.objects.values_list("pk", flat=True):
        newer = Annotation.objects.filter(project_id=project_id, is_benchmark=False)
        if project_id in last:
            newer = newer.filter(submitted_at__gt=last[project_id])
        if newer.exists():
            stale.append(project_id)
    return stale


def items_awaiting_consensus(*, limit: int) -> list[int]:
    """Completed repeated items whose consensus is missing or older than their last annotation.

    Normally each completing submit enqueues the consensus; this finds the ones whose enqueue was
    lost (broker down), for the periodic sweep. Manual resolutions are final and never listed.
    """
    regular = Q(annotations__is_benchmark=False)
    return list(
        Item.objects.filter(required_annotations__gte=2)
        .annotate(n=Count("annotations", filter=regular))
        .filter(n__gte=F("required_annotations"))
        .filter(Q(consensus__isnull=True) | Q(consensus__n_annotations__lt=F("n")))
        .exclude(consensus__method=Consensus.Method.MANUAL)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
