"""Coverage of labels and metadata attributes over items, labeled items and exports, and the boost.

Scopes: ``items`` (regular items; for labels, their latest predicted labels), ``labeled`` (the labels
of submitted regular annotations; for attributes, items with one) and ``exported`` (the per-label
counts of the latest ready export's manifest; for attributes, items labeled before that export).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.db.models.fields.json import KT

from annotation_qc.datahealth.models import ItemHealth
from annotation_qc.datahealth.services.config import project_config
from annotation_qc.domain.data_health import coverage as cov
from annotation_qc.exchange.models import ExportSnapshot
from annotation_qc.labeling.models import Annotation, Item, Prediction
from annotation_qc.projects.models import Project

CHUNK = 5000
MAX_ATTRIBUTES = 10


def _labels_of(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return []
    if "label" in payload:
        return [str(payload["label"])]
    return [str(b.get("label")) for b in payload.get("boxes", []) if isinstance(b, dict)]


def _latest_export(project: Project) -> ExportSnapshot | None:
    return (
        ExportSnapshot.objects.filter(project=project, status=ExportSnapshot.Status.READY)
        .order_by("-pk")
        .first()
    )


def _annotation_figures(project: Project) -> tuple[Counter[str], list[int], list[float]]:
    """Label counts, boxes per annotation and relative box sizes over regular annotations."""
    labels: Counter[str] = Counter()
    per_image: list[int] = []
    widths: list[float] = []
    heights: list[float] = []
    image_w: list[float] = []
    image_h: list[float] = []
    rows = (
        Annotation.objects.filter(project=project, is_benchmark=False)
        .values_list("payload", "item__width", "item__height")
        .iterator(chunk_size=CHUNK)
    )
    bbox = project.kind == Project.Kind.BBOX
    for payload, width, height in rows:
        labels.update(_labels_of(payload))
        if bbox and isinstance(payload, dict):
            boxes = payload.get("boxes", [])
            per_image.append(len(boxes))
            for box in boxes:
                widths.append(float(box.get("w", 0)))
                heights.append(float(box.get("h", 0)))
                image_w.append(float(width))
                image_h.append(float(height))
    sizes = cov.relative_box_sizes(widths, heights, image_w, image_h).tolist() if widths else []
    return labels, per_image, sizes


def annotation_box_figures(project: Project) -> tuple[list[int], list[float]]:
    """Boxes per labeled image and each box's sqrt(box area / image area), over regular annotations."""
    _, per_image, sizes = _annotation_figures(project)
    return per_image, sizes


def _predicted_labels(project: Project) -> Counter[str]:
    counts: Counter[str] = Counter()
    rows = (
        Prediction.objects.filter(item__project=project, item__is_gold=False)
        .values_list("payload", "proba")
        .iterator(chunk_size=CHUNK)
    )
    labels = list(project.labels)
    for payload, proba in rows:
        if proba:
            counts[labels[int(np.argmax(proba))]] += 1
        else:
            counts.update(_labels_of(payload))
    return counts


def _attribute_counts(
    project: Project, attribute: str, export: ExportSnapshot | None
) -> dict[str, dict[str, int]]:
    items = Item.objects.filter(project=project, is_gold=False).annotate(value=KT(f"metadata__{attribute}"))
    labeled = Annotation.objects.filter(item_id=OuterRef("pk"), is_benchmark=False)

    def grouped(queryset: Any) -> dict[str, int]:
        return {
            (cov.MISSING if v is None else str(v)): n
            for v, n in queryset.values("value").annotate(n=Count("pk")).order_by().values_list("value", "n")
        }

    scopes = {"items": grouped(items), "labeled": grouped(items.filter(Exists(labeled)))}
    if export is not None:
        before = labeled.filter(submitted_at__lte=export.created_at)
        scopes["exported"] = grouped(items.filter(Exists(before)))
    return scopes


def coverage_report(*, project: Project, attributes: list[str]) -> dict[str, Any]:
    config = project_config(project.pk)
    targets = config["coverage"]
    export = _latest_export(project)
    labeled, per_image, sizes = _annotation_figures(project)
    label_scopes: dict[str, dict[str, int]] = {
        "items": dict(_predicted_labels(project)),
        "labeled": dict(labeled),
    }
    if export is not None:
        label_scopes["exported"] = {
            str(k): int(v) for k, v in (export.manifest.get("counts", {}).get("labels") or {}).items()
        }
    wanted = list(dict.fromkeys([*attributes, *targets["attributes"]]))[:MAX_ATTRIBUTES]
    return {
        "export_id": export.pk if export else None,
        "labels": cov.coverage_table(label_scopes, targets["labels"]),
        "attributes": {
            name: cov.coverage_table(
                _attribute_counts(project, name, export), targets["attributes"].get(name)
            )
            for name in wanted
        },
        "boxes_per_image": cov.boxes_per_image(per_image) if project.kind == Project.Kind.BBOX else None,
        "box_sizes": cov.box_sizes(sizes) if project.kind == Project.Kind.BBOX else None,
        "boost": targets["boost"],
    }


def _gaps(report: dict[str, Any]) -> dict[str, float]:
    gaps = {f"label:{k}": v for k, v in cov.shortfalls(report["labels"]).items()}
    for name, table in report["attributes"].items():
        gaps.update({f"{name}:{k}": v for k, v in cov.shortfalls(table).items()})
    return gaps


@transaction.atomic
def coverage_boost_apply(*, project: Project) -> dict[str, Any]:
    """Add ``boost`` x shortfall to the priority of open items that fill a gap (replacing an earlier boost).

    The boost stays recorded per item (``ItemHealth.priority_boost``) so that applying again replaces it,
    and is added to every order a prioritisation run writes (so a run keeps it; see
    ``prioritization.services.scoring.score_range``). Both priority columns move by the change.
    """
    from annotation_qc.prioritization.services.priorities import shift_priorities

    report = coverage_report(project=project, attributes=[])
    gaps = _gaps(report)
    attributes = list(report["attributes"])
    rows = list(
        Item.objects.filter(project=project, is_gold=False, open_slots__gt=0)
        .order_by("pk")
        .values_list("pk", "metadata")
    )
    ids = [pk for pk, _ in rows]
    predicted: dict[int, list[str]] = {}
    labels = list(project.labels)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        for item_id, payload, proba in Prediction.objects.filter(item_id__in=chunk).values_list(
            "item_id", "payload", "proba"
        ):
            found = [labels[int(np.argmax(proba))]] if proba else _labels_of(payload)
            predicted.setdefault(item_id, []).extend(f"label:{x}" for x in found)
    values = [
        predicted.get(pk, [])
        + [f"{a}:{(meta or {}).get(a)}" for a in attributes if isinstance(meta, dict) and a in meta]
        for pk, meta in rows
    ]
    boosts = cov.priority_boost(values, gaps, boost=float(report["boost"]))
    old = dict(ItemHealth.objects.filter(item_id__in=ids).values_list("item_id", "priority_boost"))
    changed = [
        (pk, b - old.get(pk, 0.0), b)
        for pk, b in zip(ids, boosts.tolist(), strict=True)
        if b != old.get(pk, 0.0)
    ]
    shift_priorities(
        np.array([pk for pk, _, _ in changed], dtype=np.int64),
        np.array([delta for _, delta, _ in changed], dtype=np.float64),
    )
    ItemHealth.objects.bulk_create(
        [ItemHealth(item_id=pk, project=project, priority_boost=b) for pk, _, b in changed],
        batch_size=CHUNK,
        update_conflicts=True,
        unique_fields=["item"],
        update_fields=["priority_boost"],
    )
    return {"gaps": gaps, "boosted": int((boosts > 0).sum()), "changed": len(changed)}
