"""The project agreement report, assembled from plain arrays.

Input, classification: long-format arrays ``(item, annotator, label)`` (ids as stored, label
codes into ``label_names``). Input, boxes: per-item lists of ``(annotator, boxes, label codes)``
or a :class:`~annotation_qc.domain.agreement.box_matching.BoxAnnotationTable`. Items with a
single annotation are ignored (counted in ``n_ignored_items``).

Output: :class:`AgreementReport`, whose ``to_dict()`` is JSON-ready with no NaN anywhere: an
undefined coefficient is ``None`` next to a ``reason``. The pooled alpha (nominal; for boxes
with "no object" as a category) comes with a bootstrap interval over items, per-label
agreement, a pairwise annotator matrix, each annotator's agreement with peers, and the
lowest-scoring items with their conflicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from annotation_qc.domain.agreement._arrays import FloatArray, IntArray, as_index_array
from annotation_qc.domain.agreement.bootstrap import (
    bootstrap_statistics,
    percentile_interval,
)
from annotation_qc.domain.agreement.box_detection import DetectionCounts, detection_counts
from annotation_qc.domain.agreement.box_matching import (
    SWEEP_THRESHOLDS,
    BoxAnnotationInput,
    BoxAnnotationTable,
    match_annotation_pairs,
)
from annotation_qc.domain.agreement.boxes import (
    CONFLICT_KINDS,
    LABEL_MISMATCH,
    Conflicts,
    annotation_pairs,
    box_codings,
    box_conflicts,
    cluster_boxes,
    cluster_support,
)
from annotation_qc.domain.agreement.coefficients import AlphaResult
from annotation_qc.domain.agreement.coincidences import (
    CoderPairs,
    Codings,
    ItemCoincidences,
    alpha_from_coincidences,
    alphas_from_coincidences,
    coder_pairs,
    coincidence_matrix,
    make_codings,
    one_vs_rest_alphas,
    specific_agreements,
)
from annotation_qc.domain.agreement.consensus import box_vote_weights
from annotation_qc.domain.agreement.pairwise import (
    coder_statistics,
    expected_disagreement,
    item_scores,
    pair_statistics,
)
from annotation_qc.domain.agreement.report_types import (
    AgreementReport,
    AnnotatorAgreement,
    ItemDetails,
    LabelAgreement,
    PairAgreement,
    ReportKind,
    plain,
)


def _number(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _result(value: float, reason: str) -> AlphaResult:
    return AlphaResult(None, reason) if np.isnan(value) else AlphaResult(float(value))


def _ratios(numerator: ArrayLike, denominator: ArrayLike) -> tuple[float | None, ...]:
    top = np.asarray(numerator, dtype=np.float64)
    bottom = np.asarray(denominator, dtype=np.float64)
    return tuple(
        None if b <= 0 else float(t / b)
        for t, b in zip(top.tolist(), np.broadcast_to(bottom, top.shape).tolist(), strict=True)
    )


# ---------------------------------------------------------------------------------------------
# Shared assembly
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Options:
    label_names: tuple[str, ...]
    min_shared_units: int
    max_item_score: float
    max_listed_items: int
    n_resamples: int
    confidence: float
    seed: int


def _assemble(
    kind: ReportKind,
    codings: Codings,
    pairs: CoderPairs,
    options: _Options,
    *,
    annotator_ids: Sequence[Any],
    item_ids: Sequence[Any],
    n_annotations: IntArray,
    conflicts: Conflicts,
    conflict_annotator_ids: Sequence[Any],
    boxes: FloatArray | None,
    detection: DetectionCounts | None,
) -> AgreementReport:
    n_labels = len(options.label_names)
    coincidence = coincidence_matrix(pairs, codings.n_values)
    alpha = alpha_from_coincidences(coincidence)
    label_alpha = one_vs_rest_alphas(coincidence[None])[0][:n_labels]
    replicates: FloatArray | None = None
    if alpha.defined and options.n_resamples > 0:
        per_item = ItemCoincidences.from_codings(codings, pairs)
        replicates = bootstrap_statistics(
            per_item,
            lambda stack: np.concatenate(
                [alphas_from_coincidences(stack)[:, None], one_vs_rest_alphas(stack)[:, :n_labels]], axis=1
            ),
            n_resamples=options.n_resamples,
            seed=options.seed,
        )
    interval = None if replicates is None else percentile_interval(replicates[:, 0], options.confidence)
    specific = specific_agreements(coincidence)
    totals = coincidence.sum(axis=0)
    label_f1: list[tuple[float | None, ...] | None] = [None] * n_labels
    if detection is not None:
        label_f1 = [
            _ratios(2.0 * detection.label_tp[label], detection.label_boxes[label])
            for label in range(n_labels)
        ]
    per_label = tuple(
        LabelAgreement(
            label=options.label_names[label],
            n_values=int(np.rint(totals[label])),
            alpha=_result(label_alpha[label], "the label never or always occurs among compared codings"),
            interval=None
            if replicates is None
            else percentile_interval(replicates[:, 1 + label], options.confidence),
            specific_agreement=_number(specific[label]),
            f1=label_f1[label],
        )
        for label in range(n_labels)
    )
    expected = expected_disagreement(coincidence)
    coders = coder_statistics(pairs, n_coders=codings.n_coders, expected=expected)
    no_peer = "no comparison with a peer" if expected is not None else (alpha.reason or "")
    annotators = tuple(
        AnnotatorAgreement(
            annotator=plain(annotator_ids[coder]),
            n_comparisons=int(coders.n_comparisons[coder]),
            observed_agreement=_number(coders.agreement[coder]),
            alpha_with_peers=_result(coders.alpha_with_peers[coder], no_peer),
        )
        for coder in range(codings.n_coders)
    )
    pairwise = _pairwise(pairs, codings, options, annotator_ids, detection)
    scores = item_scores(pairs, codings.unit_item, n_items=codings.n_items, expected=expected)
    if kind == "bbox" and expected is not None:
        compared = n_annotations >= 2
        scores[compared & np.isnan(scores)] = 1.0  # compared items where nobody drew a box
    conflict_start = np.searchsorted(conflicts.item, np.arange(codings.n_items + 1))
    details = ItemDetails(
        item_ids=item_ids,
        scores=scores,
        n_annotations=n_annotations,
        conflicts=conflicts,
        conflict_start=conflict_start,
        annotator_ids=conflict_annotator_ids,
        boxes=boxes,
        label_names=options.label_names,
    )
    kinds = np.bincount(conflicts.kind, minlength=len(CONFLICT_KINDS))
    relevant = CONFLICT_KINDS if kind == "bbox" else ("label_mismatch",)
    thresholds = f1 = mean_iou = None
    if detection is not None:
        thresholds = tuple(float(t) for t in detection.thresholds.tolist())
        f1 = _ratios(2.0 * detection.tp.sum(axis=0), detection.boxes_a.sum() + detection.boxes_b.sum())
        matched = int(detection.matched.sum())
        mean_iou = float(detection.iou_sum.sum() / matched) if matched else None
    return AgreementReport(
        kind=kind,
        labels=options.label_names,
        n_items=int((n_annotations >= 2).sum()),
        n_ignored_items=int((n_annotations == 1).sum()),
        n_units=len(np.unique(pairs.unit)),
        alpha=alpha,
        interval=interval,
        per_label=per_label,
        pairwise=pairwise,
        annotators=annotators,
        max_item_score=options.max_item_score,
        low_agreement_items=details.below(options.max_item_score, options.max_listed_items),
        conflict_counts={name: int(kinds[CONFLICT_KINDS.index(name)]) for name in relevant},
        thresholds=thresholds,
        f1=f1,
        mean_iou=mean_iou,
        details=details,
    )


def _pairwise(
    pairs: CoderPairs,
    codings: Codings,
    options: _Options,
    annotator_ids: Sequence[Any],
    detection: DetectionCounts | None,
) -> tuple[PairAgreement, ...]:
    """One entry per pair of annotators who share units (or, for boxes, items)."""
    n_coders = codings.n_coders
    stats = pair_statistics(pairs, n_coders=n_coders, n_values=codings.n_values)
    stat_keys = stats.coder_a * n_coders + stats.coder_b
    detection_keys = np.zeros(0, dtype=np.int64)
    if detection is not None:
        detection_keys = detection.coder_a * n_coders + detection.coder_b
    keys = np.union1d(stat_keys, detection_keys)
    too_few = AlphaResult(None, f"fewer than {options.min_shared_units} shared units")
    result = []
    for key in keys.tolist():
        coder_a, coder_b = divmod(key, n_coders)
        at = int(np.searchsorted(stat_keys, key))
        has_stats = at < len(stat_keys) and stat_keys[at] == key
        n_shared = int(stats.n_shared[at]) if has_stats else 0
        enough = has_stats and n_shared >= options.min_shared_units
        boxes: dict[str, Any] = {}
        d = int(np.searchsorted(detection_keys, key))
        if detection is not None and d < len(detection_keys) and detection_keys[d] == key:
            boxes = {
                "precision": _ratios(detection.tp[d], detection.boxes_a[d]),
                "recall": _ratios(detection.tp[d], detection.boxes_b[d]),
                "f1": _ratios(2.0 * detection.tp[d], detection.boxes_a[d] + detection.boxes_b[d]),
                "mean_iou": float(detection.iou_sum[d] / detection.matched[d])
                if detection.matched[d]
                else None,
            }
        result.append(
            PairAgreement(
                annotator_a=plain(annotator_ids[coder_a]),
                annotator_b=plain(annotator_ids[coder_b]),
                n_shared_units=n_shared,
                observed_agreement=float(stats.agreement[at]) if has_stats else None,
                kappa=_result(stats.kappa[at], "both used one and the same label") if enough else too_few,
                alpha=_result(stats.alpha[at], "only one value among the shared units")
                if enough
                else too_few,
                **boxes,
            )
        )
    return tuple(result)


def _options(
    label_names: Sequence[str],
    *,
    min_shared_units: int,
    max_item_score: float,
    max_listed_items: int,
    n_resamples: int,
    confidence: float,
    seed: int,
) -> _Options:
    names = tuple(str(name) for name in label_names)
    if len(names) < 1:
        raise ValueError("label_names must name at least one label")
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be in (0, 1)")
    return _Options(names, min_shared_units, max_item_score, max_listed_items, n_resamples, confidence, seed)


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------


def classification_report(
    item: ArrayLike,
    annotator: ArrayLike,
    label: ArrayLike,
    *,
    label_names: Sequence[str],
    min_shared_units: int = 10,
    max_item_score: float = 0.667,
    max_listed_items: int = 100,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> AgreementReport:
    """Report on classification annotations given as ``(item id, annotator id, label code)`` rows.

    The pairwise matrix holds Cohen's kappa (and two-coder alpha) for annotator pairs sharing at
    least ``min_shared_units`` items. ``low_agreement_items`` lists up to ``max_listed_items``
    items scoring at most ``max_item_score``.
    """
    options = _options(
        label_names,
        min_shared_units=min_shared_units,
        max_item_score=max_item_score,
        max_listed_items=max_listed_items,
        n_resamples=n_resamples,
        confidence=confidence,
        seed=seed,
    )
    items = as_index_array(item, "item")
    annotators = as_index_array(annotator, "annotator")
    labels = as_index_array(label, "label")
    if not len(items) == len(annotators) == len(labels):
        raise ValueError("item, annotator and label must have the same length")
    n_labels = len(options.label_names)
    if len(labels) and (labels.min() < 0 or labels.max() >= n_labels):
        raise ValueError(f"label codes must lie in [0, {n_labels})")
    item_ids, item_code = np.unique(items, return_inverse=True)
    annotator_ids, coder = np.unique(annotators, return_inverse=True)
    n_annotations = np.bincount(item_code, minlength=len(item_ids)).astype(np.int64)
    codings = make_codings(
        item_code, coder, labels, n_values=n_labels, n_coders=len(annotator_ids), n_items=len(item_ids)
    )
    pairs = coder_pairs(codings)
    differ = np.flatnonzero(pairs.value_a != pairs.value_b)
    # Pairs come ordered by the offset between their rows, not by item; the per-item conflict slices
    # (``ItemDetails.conflict_start``) need them grouped by item.
    differ = differ[np.argsort(codings.unit_item[pairs.unit[differ]], kind="stable")]
    none = np.full(len(differ), -1, dtype=np.int64)
    conflicts = Conflicts(
        item=codings.unit_item[pairs.unit[differ]],
        kind=np.full(len(differ), LABEL_MISMATCH, dtype=np.int64),
        annotator=pairs.coder_a[differ],
        peer=pairs.coder_b[differ],
        box=none,
        peer_box=none,
        label=pairs.value_a[differ],
        peer_label=pairs.value_b[differ],
        iou=np.full(len(differ), np.nan),
    )
    return _assemble(
        "classification",
        codings,
        pairs,
        options,
        annotator_ids=annotator_ids.tolist(),
        item_ids=item_ids.tolist(),
        n_annotations=n_annotations,
        conflicts=conflicts,
        conflict_annotator_ids=annotator_ids.tolist(),
        boxes=None,
        detection=None,
    )


def box_report(
    annotations: BoxAnnotationTable | Sequence[Sequence[BoxAnnotationInput]],
    *,
    label_names: Sequence[str],
    item_ids: Sequence[Any] | None = None,
    annotator_weights: dict[int, float] | None = None,
    min_iou: float = 0.5,
    low_overlap_iou: float = 0.75,
    thresholds: Sequence[float] = SWEEP_THRESHOLDS,
    min_shared_units: int = 10,
    max_item_score: float = 0.667,
    max_listed_items: int = 100,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> AgreementReport:
    """Report on box annotations: per-item lists of ``(annotator, boxes, label codes)``.

    Alpha is nominal over the labels plus "no object" (the code ``len(label_names)``), pooled
    over every object of every item. ``annotator_weights`` (skill weights by annotator id, as for
    :func:`~annotation_qc.domain.agreement.consensus.box_consensus`: negative ones count as 0,
    missing ones as the mean) only decide whether a lone box counts as missing from the others
    or extra for its author.
    """
    options = _options(
        label_names,
        min_shared_units=min_shared_units,
        max_item_score=max_item_score,
        max_listed_items=max_listed_items,
        n_resamples=n_resamples,
        confidence=confidence,
        seed=seed,
    )
    table = (
        annotations
        if isinstance(annotations, BoxAnnotationTable)
        else BoxAnnotationTable.from_items(annotations)
    )
    n_labels = len(options.label_names)
    if len(table.labels) and table.labels.max() >= n_labels:
        raise ValueError(f"label codes must lie in [0, {n_labels})")
    if item_ids is not None and len(item_ids) != table.n_items:
        raise ValueError("item_ids must name every item")
    annotator_ids, coder_of_row = np.unique(table.annotator, return_inverse=True)
    coder_of_row = coder_of_row.astype(np.int64)
    n_coders = len(annotator_ids)
    first, second = annotation_pairs(table)
    matches = match_annotation_pairs(
        table, first, second, n_labels=n_labels, min_iou=min_iou, thresholds=thresholds
    )
    clusters = cluster_boxes(table, matches, min_iou=min_iou)
    codings = box_codings(table, clusters, n_labels=n_labels, coder_of_row=coder_of_row, n_coders=n_coders)
    pairs = coder_pairs(codings)
    known = annotator_weights or {}
    weight_of = box_vote_weights([known.get(int(a)) for a in annotator_ids.tolist()], n_coders)
    row_weight = weight_of[coder_of_row]
    support = cluster_support(table, clusters, row_weight)
    conflicts = box_conflicts(table, matches, clusters, support, low_overlap_iou=low_overlap_iou)
    detection = detection_counts(
        table, matches, coder_of_row=coder_of_row, n_coders=n_coders, n_labels=n_labels
    )
    return _assemble(
        "bbox",
        codings,
        pairs,
        options,
        annotator_ids=annotator_ids.tolist(),
        item_ids=list(range(table.n_items)) if item_ids is None else item_ids,
        n_annotations=np.bincount(table.item, minlength=table.n_items).astype(np.int64),
        conflicts=conflicts,
        conflict_annotator_ids=table.annotator.tolist(),
        boxes=table.boxes,
        detection=detection,
    )


@dataclass(frozen=True)
class ClassificationAnnotations:
    """Long-format classification annotations: one row per (item id, annotator id, label code)."""

    item: ArrayLike
    annotator: ArrayLike
    label: ArrayLike


def project_report(
    annotations: ClassificationAnnotations | BoxAnnotationTable | Sequence[Sequence[BoxAnnotationInput]],
    *,
    label_names: Sequence[str],
    **options: Any,
) -> AgreementReport:
    """The full report for either kind of project (see :func:`classification_report` and
    :func:`box_report` for the options)."""
    if isinstance(annotations, ClassificationAnnotations):
        return classification_report(
            annotations.item, annotations.annotator, annotations.label, label_names=label_names, **options
        )
    return box_report(annotations, label_names=label_names, **options)
