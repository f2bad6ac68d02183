"""Reading a project's repeated annotations into the arrays the agreement domain takes."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, QuerySet
from django.db.models.fields.json import KeyTextTransform

from annotation_qc.agreement.models import Consensus
from annotation_qc.benchmarks.models import AnnotatorQuality
from annotation_qc.domain.agreement import BoxAnnotationTable, ClassificationAnnotations, skill_weight
from annotation_qc.labeling.models import Annotation
from annotation_qc.projects.models import Project


def annotator_weights(project: Project) -> dict[int, float]:
    """Log-odds vote weights from each annotator's benchmark record (annotators without one: none)."""
    n_labels = max(2, len(project.labels))
    return {
        annotator_id: skill_weight(fixed, total, n_labels=n_labels)
        for annotator_id, fixed, total in AnnotatorQuality.objects.filter(
            project=project, benchmarks__gt=0
        ).values_list("annotator_id", "fixed", "benchmarks")
    }


def _repeated(project: Project) -> QuerySet[Annotation]:
    """Regular annotations on items annotated at least twice, by item and annotator."""
    repeated = (
        Annotation.objects.filter(project=project, is_benchmark=False)
        .values("item_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=2)
        .values("item_id")
    )
    return Annotation.objects.filter(project=project, is_benchmark=False, item_id__in=repeated).order_by(
        "item_id", "annotator_id"
    )


def repeated_annotations(project: Project) -> list[tuple[int, int, dict[str, Any]]]:
    """(item id, annotator id, payload) of regular annotations on items annotated at least twice."""
    return list(_repeated(project).values_list("item_id", "annotator_id", "payload"))


def classification_input(project: Project) -> ClassificationAnnotations:
    """The repeated classification answers as arrays; the label is read out of each payload by the
    database (no JSON decoding here), item, annotator and label streamed straight into arrays."""
    codes = {label: code for code, label in enumerate(project.labels)}
    rows = _repeated(project).values_list("item_id", "annotator_id", KeyTextTransform("label", "payload"))
    table = np.array(list(rows), dtype=object).reshape(-1, 3)
    labels = table[:, 2]
    unknown = set(labels.tolist()) - codes.keys()
    if unknown:
        raise ValueError(f"labels outside the project's label set: {sorted(map(str, unknown))[:5]}")
    lookup = np.vectorize(codes.__getitem__, otypes=[np.int64])
    return ClassificationAnnotations(
        item=table[:, 0].astype(np.int64),
        annotator=table[:, 1].astype(np.int64),
        label=lookup(labels) if len(labels) else np.zeros(0, dtype=np.int64),
    )


def box_input(
    project: Project, rows: list[tuple[int, int, dict[str, Any]]]
) -> tuple[BoxAnnotationTable, list[int]]:
    """The box table (items by position) and the item id at each position."""
    codes = {label: code for code, label in enumerate(project.labels)}
    item_ids, positions = np.unique(np.array([r[0] for r in rows], dtype=np.int64), return_inverse=True)
    boxes = [b for _, _, payload in rows for b in payload["boxes"]]
    table = BoxAnnotationTable.from_arrays(
        positions.tolist(),
        [r[1] for r in rows],
        [len(r[2]["boxes"]) for r in rows],
        np.array([[b["x"], b["y"], b["w"], b["h"]] for b in boxes], dtype=np.float64).reshape(-1, 4),
        np.array([codes[b["label"]] for b in boxes], dtype=np.int64),
        n_items=len(item_ids),
    )
    return table, item_ids.tolist()


def repeated_boxes(project: Project) -> tuple[BoxAnnotationTable, list[int]]:
    """:func:`box_input` of the repeated annotations, read as flat box rows on PostgreSQL (the
    database unpacks the payloads: no JSON decoding in Python, arrays built with numpy)."""
    if connection.vendor != "postgresql":
        return box_input(project, repeated_annotations(project))
    table = Annotation._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")  # compiling this one scan costs more than it saves
        cursor.execute(
            f"""
            WITH repeated AS (
                SELECT item_id FROM {table} WHERE project_id = %s AND NOT is_benchmark
                GROUP BY item_id HAVING COUNT(*) >= 2
            )
            SELECT a.item_id, a.annotator_id, b.x, b.y, b.w, b.h, b.label
            FROM {table} AS a JOIN repeated USING (item_id)
            LEFT JOIN LATERAL ROWS FROM (
                jsonb_to_recordset(a.payload -> 'boxes')
                    AS (x float8, y float8, w float8, h float8, label text)
            ) WITH ORDINALITY AS b (x, y, w, h, label, n) ON true
            WHERE a.project_id = %s AND NOT a.is_benchmark
            ORDER BY a.item_id, a.annotator_id, b.n
            """,
            [project.pk, project.pk],
        )
        rows = cursor.fetchall()
    return _box_table(project, rows)


def _box_table(project: Project, rows: list[tuple[Any, ...]]) -> tuple[BoxAnnotationTable, list[int]]:
    """Box rows (item, annotator, x, y, w, h, label; one row with no box for an empty answer),
    ordered by item and annotator, as the domain's table."""
    if not rows:
        return BoxAnnotationTable.from_arrays([], [], [], np.zeros((0, 4)), [], n_items=0), []
    item_col, annotator_col, x, y, w, h, label = zip(*rows, strict=True)
    items = np.array(item_col, dtype=np.int64)
    annotators = np.array(annotator_col, dtype=np.int64)
    coords = np.column_stack([np.array(c, dtype=np.float64) for c in (x, y, w, h)])  # None -> NaN
    codes = {name: code for code, name in enumerate(project.labels)}
    label_codes = np.array([codes.get(name, -1) for name in label], dtype=np.int64)
    has_box = np.array([name is not None for name in label], dtype=bool)
    if (label_codes[has_box] < 0).any():
        unknown = sorted({name for name in label if name is not None and name not in codes})
        raise ValueError(f"labels outside the project's label set: {unknown[:5]}")
    starts = np.ones(len(items), dtype=bool)
    starts[1:] = (items[1:] != items[:-1]) | (annotators[1:] != annotators[:-1])
    annotation = np.cumsum(starts) - 1
    counts = np.bincount(annotation, weights=has_box.astype(np.float64)).astype(np.int64)
    item_ids, positions = np.unique(items[starts], return_inverse=True)
    table = BoxAnnotationTable.from_arrays(
        positions, annotators[starts], counts, coords[has_box], label_codes[has_box], n_items=len(item_ids)
    )
    return table, item_ids.tolist()


def consensus_payloads(project: Project) -> dict[int, dict[str, Any]]:
    return dict(Consensus.objects.filter(project=project).values_list("item_id", "payload"))
