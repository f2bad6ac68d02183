"""Box annotations of a project in one flat table, and batched matching of pairs of annotations.

Matching two annotations of an item is two-stage: boxes with the same label are matched first
(optimal one-to-one, :func:`annotation_qc.domain.geometry.match_from_iou`), then the boxes left
over are matched across labels; those cross-label pairs are label conflicts. Before the
assignment the IoU matrix is zeroed below the threshold, so the Hungarian step only trades
pairs that qualify (``geometry.match_boxes`` maximises total IoU first and filters afterwards,
so two sub-threshold pairs can push out a qualifying one).

For speed on 100,000 items the work is batched:

* IoU comes from ``geometry.iou_matrix`` called on chunks of ~64 boxes from several items at
  once; only the entries of boxes of the same item are kept (the cross-item entries are
  wasted work, but far cheaper than one call per item);
* when every box has at most one qualifying partner, the optimal matching is exactly the set
  of qualifying pairs (they do not compete), so it is read off without an assignment; only
  items where some box has two candidates go through the Hungarian algorithm;
* the IoU sweep is exact without re-matching those simple items: a candidate pair at a higher
  threshold is a candidate at the base threshold, so they stay conflict-free.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from annotation_qc.domain.agreement._arrays import (
    BoolArray,
    FloatArray,
    IntArray,
    as_index_array,
    ragged_arange,
)
from annotation_qc.domain.geometry import as_boxes, iou_matrix, match_from_iou

#: One annotation of an item: (annotator id, boxes ``(n, 4)`` as ``[x, y, w, h]``, label codes ``(n,)``).
BoxAnnotationInput = tuple[int, ArrayLike, ArrayLike]

#: IoU thresholds of the sweep: 0.50, 0.55, ..., 0.95.
SWEEP_THRESHOLDS: tuple[float, ...] = tuple(round(0.5 + 0.05 * step, 2) for step in range(10))

#: Boxes (both sides together) per call of ``iou_matrix`` in the batched path.
_BOXES_PER_IOU_CALL = 128


@dataclass(frozen=True)
class BoxAnnotationTable:
    """All box annotations of a project, flat: one row per annotation, boxes in CSR layout.

    Rows are sorted by item, then annotator. ``item`` is the position of the item (``0..n_items-1``),
    ``annotator`` the annotator's id as given, boxes of row ``r`` are
    ``boxes[box_start[r]:box_start[r + 1]]`` with label codes ``labels[...]``.
    """

    item: IntArray
    annotator: IntArray
    box_start: IntArray
    boxes: FloatArray
    labels: IntArray
    n_items: int

    @property
    def box_count(self) -> IntArray:
        return np.diff(self.box_start)

    @property
    def box_row(self) -> IntArray:
        """Annotation row of every box."""
        return np.repeat(np.arange(len(self.item), dtype=np.int64), self.box_count)

    @classmethod
    def from_arrays(
        cls,
        item: ArrayLike,
        annotator: ArrayLike,
        box_count: ArrayLike,
        boxes: ArrayLike,
        labels: ArrayLike,
        *,
        n_items: int | None = None,
    ) -> BoxAnnotationTable:
        """From flat arrays: per annotation its item, annotator and number of boxes; then all boxes."""
        items = as_index_array(item, "item")
        annotators = as_index_array(annotator, "annotator")
        counts = as_index_array(box_count, "box_count")
        box_array = as_boxes(boxes)
        label_array = as_index_array(labels, "labels")
        if not len(items) == len(annotators) == len(counts):
            raise ValueError("item, annotator and box_count must have the same length")
        if (counts < 0).any() or int(counts.sum()) != len(box_array) or len(box_array) != len(label_array):
            raise ValueError("box_count must add up to the number of boxes and of labels")
        if not np.isfinite(box_array).all() or (box_array[:, 2:] <= 0).any():
            raise ValueError("boxes need finite coordinates and positive width and height")
        if len(label_array) and label_array.min() < 0:
            raise ValueError("label codes must be non-negative")
        n_items = (int(items.max()) + 1 if len(items) else 0) if n_items is None else n_items
        if len(items) and (items.min() < 0 or items.max() >= n_items):
            raise ValueError(f"item positions must lie in [0, {n_items})")
        order = np.lexsort((annotators, items))
        if len(order) > 1:
            duplicate = (items[order][1:] == items[order][:-1]) & (
                annotators[order][1:] == annotators[order][:-1]
            )
            if duplicate.any():
                raise ValueError("an annotator has two annotations of one item")
        starts = np.cumsum(counts) - counts
        box_order = ragged_arange(starts[order], counts[order])
        new_counts = counts[order]
        return cls(
            item=items[order],
            annotator=annotators[order],
            box_start=np.concatenate([[0], np.cumsum(new_counts)]).astype(np.int64),
            boxes=box_array[box_order],
            labels=label_array[box_order],
            n_items=n_items,
        )

    @classmethod
    def from_items(cls, items: Sequence[Sequence[BoxAnnotationInput]]) -> BoxAnnotationTable:
        """From per-item lists of ``(annotator, boxes, label codes)``; item ids are positions."""
        item_codes: list[int] = []
        annotators: list[int] = []
        counts: list[int] = []
        box_parts: list[FloatArray] = []
        label_parts: list[IntArray] = []
        for position, item_annotations in enumerate(items):
            for annotator, boxes, labels in item_annotations:
                box_array = as_boxes(boxes)
                label_array = np.asarray(labels, dtype=np.int64).reshape(-1)
                if len(label_array) != len(box_array):
                    raise ValueError(f"item {position}: {len(box_array)} boxes but {len(label_array)} labels")
                item_codes.append(position)
                annotators.append(int(annotator))
                counts.append(len(box_array))
                box_parts.append(box_array)
                label_parts.append(label_array)
        boxes = np.concatenate(box_parts) if box_parts else np.zeros((0, 4))
        labels = np.concatenate(label_parts) if label_parts else np.zeros(0, dtype=np.int64)
        return cls.from_arrays(item_codes, annotators, counts, boxes, labels, n_items=len(items))


@dataclass(frozen=True)
class PairMatches:
    """Matching of pairs of annotations (``first[p]`` against ``second[p]``, rows of the table).

    At the base threshold: ``match_pair``, ``box_a``/``box_b`` (global box indices), ``iou`` and
    ``same_label`` per matched pair of boxes. For the sweep: ``tp_by_pair[p, t]`` and
    ``tp_by_label[label, t]`` count same-label matches at ``thresholds[t]``. ``n_hungarian``
    is the number of pairs that needed the Hungarian algorithm.
    """

    first: IntArray
    second: IntArray
    match_pair: IntArray
    box_a: IntArray
    box_b: IntArray
    iou: FloatArray
    same_label: BoolArray
    thresholds: FloatArray
    tp_by_pair: IntArray
    tp_by_label: IntArray
    n_hungarian: int


def two_stage_match(iou: FloatArray, same_label: BoolArray, min_iou: float) -> list[tuple[int, int, float]]:
    """Same-label pairs first, then the left-over boxes across labels (one item, one pair)."""
    qualifies = iou >= min_iou
    matches = _match_qualifying(np.where(qualifies & same_label, iou, 0.0), min_iou)
    free_rows = np.ones(iou.shape[0], dtype=bool)
    free_cols = np.ones(iou.shape[1], dtype=bool)
    free_rows[[r for r, _, _ in matches]] = False
    free_cols[[c for _, c, _ in matches]] = False
    cross = np.where(qualifies & ~same_label & free_rows[:, None] & free_cols[None, :], iou, 0.0)
    return matches + _match_qualifying(cross, min_iou)


def _match_qualifying(weights: FloatArray, min_iou: float) -> list[tuple[int, int, float]]:
    """Optimal matching of a thresholded IoU matrix (entries below ``min_iou`` are zero).

    When no row and no column holds two qualifying entries, those entries are the optimal
    matching and the Hungarian algorithm is skipped.
    """
    allowed = weights >= min_iou
    if (allowed.sum(axis=0) <= 1).all() and (allowed.sum(axis=1) <= 1).all():
        rows, cols = np.nonzero(allowed)
        return [
            (int(r), int(c), float(weights[r, c])) for r, c in zip(rows.tolist(), cols.tolist(), strict=True)
        ]
    return match_from_iou(weights, min_iou)


def _qualifying_entries(
    table: BoxAnnotationTable,
    a_box: IntArray,
    b_box: IntArray,
    a_start: IntArray,
    b_start: IntArray,
    slot_pair_a: IntArray,
    slot_pair_b: IntArray,
    min_iou: float,
) -> tuple[IntArray, IntArray, FloatArray]:
    """``(a_slot, b_slot, iou)`` of every same-pair entry with IoU >= ``min_iou``, in pair order.

    ``iou_matrix`` runs on chunks of several pairs; entries across pairs are discarded. Only the
    qualifying entries are kept: the matching zeroes everything else anyway.
    """
    n_pairs = len(a_start) - 1
    chunk_key = (a_start[:-1] + b_start[:-1]) // _BOXES_PER_IOU_CALL
    boundaries = np.concatenate([[0], np.flatnonzero(np.diff(chunk_key)) + 1, [n_pairs]])
    parts_a: list[IntArray] = []
    parts_b: list[IntArray] = []
    parts_iou: list[FloatArray] = []
    for low, high in zip(boundaries[:-1].tolist(), boundaries[1:].tolist(), strict=True):
        sa, ea, sb, eb = int(a_start[low]), int(a_start[high]), int(b_start[low]), int(b_start[high])
        if sa == ea or sb == eb:
            continue
        block = iou_matrix(table.boxes[a_box[sa:ea]], table.boxes[b_box[sb:eb]])
        keep = (block >= min_iou) & (slot_pair_a[sa:ea, None] == slot_pair_b[None, sb:eb])
        rows, cols = np.nonzero(keep)
        parts_a.append(rows + sa)
        parts_b.append(cols + sb)
        parts_iou.append(block[rows, cols])
    if not parts_a:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    return (
        np.concatenate(parts_a).astype(np.int64),
        np.concatenate(parts_b).astype(np.int64),
        np.concatenate(parts_iou),
    )


def _conflict_free(
    candidate: BoolArray,
    entry_a: IntArray,
    entry_b: IntArray,
    slot_pair_a: IntArray,
    slot_pair_b: IntArray,
    n_pairs: int,
) -> BoolArray:
    """Pairs in which no box has two candidates (so the candidates are the optimal matching)."""
    crowded = np.zeros(n_pairs, dtype=bool)
    crowded[slot_pair_a[np.bincount(entry_a[candidate], minlength=len(slot_pair_a)) > 1]] = True
    crowded[slot_pair_b[np.bincount(entry_b[candidate], minlength=len(slot_pair_b)) > 1]] = True
    return ~crowded


def match_annotation_pairs(
    table: BoxAnnotationTable,
    first: ArrayLike,
    second: ArrayLike,
    *,
    n_labels: int,
    min_iou: float = 0.5,
    thresholds: Sequence[float] = SWEEP_THRESHOLDS,
) -> PairMatches:
    """Match annotation ``first[p]`` against ``second[p]`` for every p (see the module docstring)."""
    if not 0.0 < min_iou <= 1.0:
        raise ValueError("min_iou must be in (0, 1]")
    sweep = np.asarray(thresholds, dtype=np.float64)
    if sweep.ndim != 1 or len(sweep) == 0 or (sweep < min_iou).any() or (np.diff(sweep) <= 0).any():
        raise ValueError("thresholds must be increasing and not below min_iou")
    rows_a = as_index_array(first, "first")
    rows_b = as_index_array(second, "second")
    n_pairs, n_steps = len(rows_a), len(sweep)
    counts = table.box_count
    n_a, n_b = counts[rows_a], counts[rows_b]
    a_start = np.concatenate([[0], np.cumsum(n_a)]).astype(np.int64)  # slot offsets per pair
    b_start = np.concatenate([[0], np.cumsum(n_b)]).astype(np.int64)
    a_box = ragged_arange(table.box_start[rows_a], n_a)  # global box of every slot
    b_box = ragged_arange(table.box_start[rows_b], n_b)
    slot_pair_a = np.repeat(np.arange(n_pairs, dtype=np.int64), n_a)
    slot_pair_b = np.repeat(np.arange(n_pairs, dtype=np.int64), n_b)
    label_a, label_b = table.labels[a_box], table.labels[b_box]
    # Entries: qualifying (same pair, IoU >= min_iou) slot pairs, sorted by pair.
    entry_a, entry_b, iou = _qualifying_entries(
        table, a_box, b_box, a_start, b_start, slot_pair_a, slot_pair_b, min_iou
    )
    entry_pair = slot_pair_a[entry_a]
    same = label_a[entry_a] == label_b[entry_b]

    # Stage 1 (same label), then stage 2 (across labels) among boxes left free.
    simple1 = _conflict_free(same, entry_a, entry_b, slot_pair_a, slot_pair_b, n_pairs)
    stage1 = same & simple1[entry_pair]
    used_a = np.zeros(len(a_box), dtype=bool)
    used_b = np.zeros(len(b_box), dtype=bool)
    used_a[entry_a[stage1]] = True
    used_b[entry_b[stage1]] = True
    stage2 = ~same & ~used_a[entry_a] & ~used_b[entry_b] & simple1[entry_pair]
    simple2 = _conflict_free(stage2, entry_a, entry_b, slot_pair_a, slot_pair_b, n_pairs)
    stage2 &= simple2[entry_pair]
    chosen = np.flatnonzero(stage1 | stage2)

    # Sweep for the simple pairs: a stage-1 match counts at every threshold its IoU reaches.
    reached = np.searchsorted(sweep, iou[stage1], side="right")
    tp_by_pair = _count_reached(entry_pair[stage1], reached, n_pairs, n_steps)
    tp_by_label = _count_reached(label_a[entry_a[stage1]], reached, n_labels, n_steps)

    # The rest goes through the Hungarian algorithm, one pair at a time, on the pair's
    # IoU matrix rebuilt from its qualifying entries (the others are zero for the matching).
    extra_a: list[int] = []
    extra_b: list[int] = []
    extra_iou: list[float] = []
    hungarian = np.flatnonzero(~simple1 | ~simple2)
    entry_range = np.searchsorted(entry_pair, np.stack([hungarian, hungarian + 1]))
    for pair, e0, e1 in zip(
        hungarian.tolist(), entry_range[0].tolist(), entry_range[1].tolist(), strict=True
    ):
        a0, b0 = int(a_start[pair]), int(b_start[pair])
        pair_iou = np.zeros((int(n_a[pair]), int(n_b[pair])))
        pair_iou[entry_a[e0:e1] - a0, entry_b[e0:e1] - b0] = iou[e0:e1]
        pair_labels = label_a[a0 : a_start[pair + 1]]
        pair_same = pair_labels[:, None] == label_b[b0 : b_start[pair + 1]][None, :]
        if simple1[pair]:  # only stage 2 was crowded: keep stage 1, redo stage 2 on free boxes
            free_rows = ~used_a[a0 : a_start[pair + 1]]
            free_cols = ~used_b[b0 : b_start[pair + 1]]
            cross = np.where(~pair_same & free_rows[:, None] & free_cols[None, :], pair_iou, 0.0)
            found = _match_qualifying(cross, min_iou)
        else:
            found = two_stage_match(pair_iou, pair_same, min_iou)
            _sweep_one_pair(pair, pair_iou, pair_same, pair_labels, sweep, tp_by_pair, tp_by_label)
        extra_a += [a0 + r for r, _, _ in found]
        extra_b += [b0 + c for _, c, _ in found]
        extra_iou += [v for _, _, v in found]
    match_a = np.concatenate([entry_a[chosen], np.asarray(extra_a, dtype=np.int64)])
    match_b = np.concatenate([entry_b[chosen], np.asarray(extra_b, dtype=np.int64)])
    match_iou = np.concatenate([iou[chosen], np.asarray(extra_iou, dtype=np.float64)])
    order = np.argsort(match_a, kind="stable")  # slots run in pair order
    match_a, match_b, match_iou = match_a[order], match_b[order], match_iou[order]
    return PairMatches(
        first=rows_a,
        second=rows_b,
        match_pair=slot_pair_a[match_a],
        box_a=a_box[match_a],
        box_b=b_box[match_b],
        iou=match_iou,
        same_label=label_a[match_a] == label_b[match_b],
        thresholds=sweep,
        tp_by_pair=tp_by_pair,
        tp_by_label=tp_by_label,
        n_hungarian=len(hungarian),
    )


def _sweep_one_pair(
    pair: int,
    iou: FloatArray,
    same_label: BoolArray,
    labels_a: IntArray,
    sweep: FloatArray,
    tp_by_pair: IntArray,
    tp_by_label: IntArray,
) -> None:
    """Add one crowded pair's same-label matches at every threshold of the sweep (in place).

    Thresholds at which no box has two candidates are counted directly; the others are matched.
    """
    allowed = same_label[None, :, :] & (iou[None, :, :] >= sweep[:, None, None])
    free = (allowed.sum(axis=2) <= 1).all(axis=1) & (allowed.sum(axis=1) <= 1).all(axis=1)
    steps, rows, _ = np.nonzero(allowed & free[:, None, None])
    np.add.at(tp_by_pair[pair], steps, 1)
    np.add.at(tp_by_label, (labels_a[rows], steps), 1)
    for step in np.flatnonzero(~free).tolist():
        threshold = float(sweep[step])
        at_step = match_from_iou(np.where(allowed[step], iou, 0.0), threshold)
        tp_by_pair[pair, step] += len(at_step)
        np.add.at(tp_by_label[:, step], labels_a[[r for r, _, _ in at_step]], 1)


def _count_reached(key: IntArray, reached: IntArray, n_keys: int, n_steps: int) -> IntArray:
    """``out[k, t]`` = number of records of key k whose ``reached`` (thresholds passed) exceeds t."""
    counted = reached > 0
    exact = np.bincount(key[counted] * n_steps + (reached[counted] - 1), minlength=n_keys * n_steps).reshape(
        n_keys, n_steps
    )
    return np.cumsum(exact[:, ::-1], axis=1)[:, ::-1].astype(np.int64)
