"""Detection-style agreement between annotators, and the agreement of one item.

Precision, recall and F1 between two annotators count same-label matches (the first stage of
the matching) at every IoU threshold of the sweep; the mean IoU is over all matched pairs at the
base threshold, whatever their labels. :func:`item_box_agreement` gives one item's units,
conflicts, mean IoU and F1 sweep through the same code path as the project report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from annotation_qc.domain.agreement._arrays import FloatArray, IntArray, ragged_arange
from annotation_qc.domain.agreement.box_matching import (
    BoxAnnotationInput,
    BoxAnnotationTable,
    PairMatches,
    match_annotation_pairs,
)
from annotation_qc.domain.agreement.boxes import (
    annotation_pairs,
    box_codings,
    box_conflicts,
    cluster_boxes,
    cluster_support,
    conflict_records,
)


@dataclass(frozen=True)
class DetectionCounts:
    """Counts behind pairwise precision/recall/F1, per pair of coders and per label.

    For coder pair ``k`` (``coder_a[k] < coder_b[k]``): ``tp[k, t]`` same-label matches at
    ``thresholds[t]``, ``boxes_a[k]``/``boxes_b[k]`` boxes drawn by each on their shared items,
    ``matched[k]`` and ``iou_sum[k]`` for the mean IoU of matched pairs (any label, base threshold).
    Per label: ``label_tp[label, t]`` and ``label_boxes[label]`` (both sides counted).
    """

    thresholds: FloatArray
    coder_a: IntArray
    coder_b: IntArray
    tp: IntArray
    boxes_a: IntArray
    boxes_b: IntArray
    matched: IntArray
    iou_sum: FloatArray
    label_tp: IntArray
    label_boxes: IntArray


def detection_counts(
    table: BoxAnnotationTable, matches: PairMatches, *, coder_of_row: IntArray, n_coders: int, n_labels: int
) -> DetectionCounts:
    coder_a, coder_b = coder_of_row[matches.first], coder_of_row[matches.second]
    keys, pair_group = np.unique(coder_a * n_coders + coder_b, return_inverse=True)
    n_groups = len(keys)
    tp = np.zeros((n_groups, len(matches.thresholds)), dtype=np.int64)
    np.add.at(tp, pair_group, matches.tp_by_pair)
    counts = table.box_count
    group_of_match = pair_group[matches.match_pair]
    both_sides = np.concatenate(
        [
            table.labels[ragged_arange(table.box_start[rows], counts[rows])]
            for rows in (matches.first, matches.second)
        ]
    )
    return DetectionCounts(
        thresholds=matches.thresholds,
        coder_a=keys // n_coders,
        coder_b=keys % n_coders,
        tp=tp,
        boxes_a=np.bincount(pair_group, weights=counts[matches.first], minlength=n_groups).astype(np.int64),
        boxes_b=np.bincount(pair_group, weights=counts[matches.second], minlength=n_groups).astype(np.int64),
        matched=np.bincount(group_of_match, minlength=n_groups).astype(np.int64),
        iou_sum=np.bincount(group_of_match, weights=matches.iou, minlength=n_groups).astype(np.float64),
        label_tp=matches.tp_by_label,
        label_boxes=np.bincount(both_sides, minlength=n_labels).astype(np.int64),
    )


@dataclass(frozen=True)
class ItemBoxAgreement:
    """Agreement of the annotations of one item.

    ``units`` is the observers x units reliability matrix of the item (rows follow
    ``annotators``; values are label codes, ``n_labels`` for "no object"); matrices of several
    items concatenated along the units axis (annotators aligned) pool into one alpha.
    """

    annotators: tuple[int, ...]
    units: IntArray
    conflicts: tuple[dict[str, Any], ...]
    mean_iou: float | None
    f1: dict[float, float | None]


def item_box_agreement(
    annotations: Sequence[BoxAnnotationInput],
    *,
    n_labels: int,
    min_iou: float = 0.5,
    low_overlap_iou: float = 0.75,
    weights: ArrayLike | None = None,
) -> ItemBoxAgreement:
    """Units, conflicts, mean IoU and F1 sweep of one item's annotations.

    ``weights`` (one per annotation, in the given order) only decide whether a lone box is
    "missing" from the others or "extra" for its author; equal by default.
    """
    table = BoxAnnotationTable.from_items([annotations])
    if len(table.labels) and table.labels.max() >= n_labels:
        raise ValueError(f"label codes must lie in [0, {n_labels})")
    annotator_ids = tuple(int(a) for a in table.annotator.tolist())
    n_rows = len(table.item)
    first, second = annotation_pairs(table)
    matches = match_annotation_pairs(table, first, second, n_labels=n_labels, min_iou=min_iou)
    clusters = cluster_boxes(table, matches, min_iou=min_iou)
    codings = box_codings(table, clusters, n_labels=n_labels, coder_of_row=np.arange(n_rows), n_coders=n_rows)
    units = np.full((n_rows, clusters.n_clusters), n_labels, dtype=np.int64)
    units[codings.coder, codings.unit] = codings.value
    row_weight = np.ones(n_rows) if weights is None else _row_weights(table, annotations, weights)
    support = cluster_support(table, clusters, row_weight)
    conflicts = box_conflicts(table, matches, clusters, support, low_overlap_iou=low_overlap_iou)
    counts = detection_counts(
        table, matches, coder_of_row=np.arange(n_rows), n_coders=n_rows, n_labels=n_labels
    )
    total_boxes = int(counts.boxes_a.sum() + counts.boxes_b.sum())
    f1 = {
        float(t): (2.0 * float(counts.tp[:, step].sum()) / total_boxes if total_boxes else None)
        for step, t in enumerate(counts.thresholds.tolist())
    }
    return ItemBoxAgreement(
        annotators=annotator_ids,
        units=units,
        conflicts=tuple(conflict_records(conflicts, annotator_ids=annotator_ids, boxes=table.boxes)),
        mean_iou=float(matches.iou.mean()) if len(matches.iou) else None,
        f1=f1,
    )


def _row_weights(
    table: BoxAnnotationTable, annotations: Sequence[BoxAnnotationInput], weights: ArrayLike
) -> FloatArray:
    given = np.asarray(weights, dtype=np.float64)
    if given.shape != (len(annotations),) or (given < 0).any() or not np.isfinite(given).all():
        raise ValueError("weights must be one non-negative number per annotation")
    by_annotator = {int(a): float(w) for (a, _, _), w in zip(annotations, given.tolist(), strict=True)}
    return np.array([by_annotator[int(a)] for a in table.annotator.tolist()])
