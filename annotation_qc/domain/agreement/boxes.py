"""Box agreement: objects clustered across annotators, units for alpha, conflicts, P/R/F1.

A *unit* is one object of an item: a cluster of matched boxes, at most one per annotator. Every
annotator of the item codes every unit of the item, with the box's label or with "no object"
(code ``n_labels``) where the annotator drew no box for it. Units of all items are pooled into one
alpha (an average of per-image alphas would be undefined on every image with one class).

With two annotators a cluster is a matched pair or a lone box. With three or more, the
annotators' boxes are added one annotator at a time, each matched (same label first) to the
running mean box of the clusters so far.

Conflicts come from the pairwise matchings of each item, per pair of annotators:

* ``label_mismatch``: a pair matched across labels;
* ``low_overlap``: a matched pair whose IoU is below ``low_overlap_iou`` (0.75 by default);
* ``missing_box`` / ``extra_box``: a box one annotator drew and the other did not. If the box's
  cluster holds at least half of the item's annotator weight (equal weights unless given), the
  object is taken as real and the annotator without it is *missing* a box; otherwise the one
  who drew it has an *extra* box. With two equally weighted annotators a lone box is a tie and
  is reported as missing from the other annotator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from annotation_qc.domain.agreement._arrays import FloatArray, IntArray, pairs_within_groups, ragged_arange
from annotation_qc.domain.agreement.box_matching import BoxAnnotationTable, PairMatches, two_stage_match
from annotation_qc.domain.agreement.coincidences import Codings, make_codings
from annotation_qc.domain.geometry import iou_matrix

CONFLICT_KINDS: tuple[str, ...] = ("missing_box", "extra_box", "label_mismatch", "low_overlap")
MISSING_BOX, EXTRA_BOX, LABEL_MISMATCH, LOW_OVERLAP = range(4)


@dataclass(frozen=True)
class BoxClusters:
    """Objects of the compared items: ``member_*`` rows sorted by cluster, one box per annotation."""

    cluster_item: IntArray
    member_cluster: IntArray
    member_row: IntArray
    member_box: IntArray

    @property
    def n_clusters(self) -> int:
        return len(self.cluster_item)


@dataclass(frozen=True)
class Conflicts:
    """Disagreements per item and pair of annotators (``annotator`` is the one concerned).

    ``annotator``/``peer`` are annotation rows for boxes (coder indices for classification);
    ``box``/``peer_box`` are global box indices or -1; ``iou`` is NaN where no pair was matched;
    ``label``/``peer_label`` are label codes or -1.
    """

    item: IntArray
    kind: IntArray
    annotator: IntArray
    peer: IntArray
    box: IntArray
    peer_box: IntArray
    label: IntArray
    peer_label: IntArray
    iou: FloatArray

    def __len__(self) -> int:
        return len(self.item)

    def sorted_by_item(self) -> Conflicts:
        order = np.lexsort((self.kind, self.item))
        return Conflicts(*(getattr(self, name)[order] for name in _CONFLICT_FIELDS))


_CONFLICT_FIELDS = ("item", "kind", "annotator", "peer", "box", "peer_box", "label", "peer_label", "iou")


def compared_rows(table: BoxAnnotationTable) -> IntArray:
    """Annotation rows of items with at least two annotations (single annotations are ignored)."""
    per_item = np.bincount(table.item, minlength=table.n_items)
    return np.flatnonzero(per_item[table.item] >= 2).astype(np.int64)


def annotation_pairs(table: BoxAnnotationTable) -> tuple[IntArray, IntArray]:
    """Every unordered pair of annotations of one item (rows, the first has the smaller annotator)."""
    rows = compared_rows(table)
    first, second = pairs_within_groups(table.item[rows])
    return rows[first], rows[second]


def cluster_boxes(table: BoxAnnotationTable, matches: PairMatches, *, min_iou: float = 0.5) -> BoxClusters:
    """Cluster the boxes of every compared item into objects (see the module docstring)."""
    per_item = np.bincount(table.item, minlength=table.n_items)
    n_boxes = len(table.boxes)
    anchor = np.arange(n_boxes, dtype=np.int64)  # each box names the first box of its cluster
    pair_item = table.item[matches.first]
    two_way = per_item[pair_item[matches.match_pair]] == 2
    anchor[matches.box_b[two_way]] = matches.box_a[two_way]
    row_start = np.searchsorted(table.item, np.arange(table.n_items))
    for item in np.flatnonzero(per_item >= 3).tolist():
        _cluster_many(table, int(row_start[item]), int(per_item[item]), anchor, min_iou)
    in_compared = (per_item >= 2)[table.item[table.box_row]]
    boxes = np.flatnonzero(in_compared).astype(np.int64)
    anchors, cluster = np.unique(anchor[boxes], return_inverse=True)
    order = np.lexsort((boxes, cluster))
    return BoxClusters(
        cluster_item=table.item[table.box_row[anchors]],
        member_cluster=cluster[order].astype(np.int64),
        member_row=table.box_row[boxes[order]],
        member_box=boxes[order],
    )


def _cluster_many(
    table: BoxAnnotationTable, first_row: int, n_rows: int, anchor: IntArray, min_iou: float
) -> None:
    """Greedy clustering of an item with three or more annotations, one annotation at a time."""
    anchors: list[int] = []
    sums = np.zeros((0, 4))
    counts = np.zeros(0)
    rep_labels = np.zeros(0, dtype=np.int64)
    for row in range(first_row, first_row + n_rows):
        start, stop = int(table.box_start[row]), int(table.box_start[row + 1])
        boxes, labels = table.boxes[start:stop], table.labels[start:stop]
        matched = np.zeros(stop - start, dtype=bool)
        if anchors and stop > start:
            iou = iou_matrix(sums / counts[:, None], boxes)
            for cluster, column, _ in two_stage_match(iou, rep_labels[:, None] == labels[None, :], min_iou):
                anchor[start + column] = anchors[cluster]
                sums[cluster] += boxes[column]
                counts[cluster] += 1
                matched[column] = True
        fresh = np.flatnonzero(~matched)
        anchors += (start + fresh).tolist()
        sums = np.concatenate([sums, boxes[fresh]])
        counts = np.concatenate([counts, np.ones(len(fresh))])
        rep_labels = np.concatenate([rep_labels, labels[fresh]])


def box_codings(
    table: BoxAnnotationTable, clusters: BoxClusters, *, n_labels: int, coder_of_row: IntArray, n_coders: int
) -> Codings:
    """One unit per cluster; each annotator of the item codes it with a label or "no object"."""
    per_item = np.bincount(table.item, minlength=table.n_items)
    row_start = np.searchsorted(table.item, np.arange(table.n_items))
    coders_per_unit = per_item[clusters.cluster_item]
    unit_rows = ragged_arange(row_start[clusters.cluster_item], coders_per_unit)
    unit = np.repeat(np.arange(clusters.n_clusters, dtype=np.int64), coders_per_unit)
    unit_offset = np.cumsum(coders_per_unit) - coders_per_unit
    value = np.full(len(unit_rows), n_labels, dtype=np.int64)
    member_item = clusters.cluster_item[clusters.member_cluster]
    position = unit_offset[clusters.member_cluster] + clusters.member_row - row_start[member_item]
    value[position] = table.labels[clusters.member_box]
    return make_codings(
        unit,
        coder_of_row[unit_rows],
        value,
        n_values=n_labels + 1,
        unit_item=clusters.cluster_item,
        n_coders=n_coders,
        n_items=table.n_items,
    )


def cluster_support(table: BoxAnnotationTable, clusters: BoxClusters, row_weight: FloatArray) -> FloatArray:
    """Share of the item's annotator weight behind each cluster (0..1)."""
    item_weight = np.bincount(table.item, weights=row_weight, minlength=table.n_items)
    behind = np.bincount(
        clusters.member_cluster, weights=row_weight[clusters.member_row], minlength=clusters.n_clusters
    )
    denominator = item_weight[clusters.cluster_item]
    with np.errstate(divide="ignore", invalid="ignore"):
        share: FloatArray = np.where(
            denominator > 0, behind / np.where(denominator > 0, denominator, 1.0), 0.0
        )
    return share


def box_conflicts(
    table: BoxAnnotationTable,
    matches: PairMatches,
    clusters: BoxClusters,
    support: FloatArray,
    *,
    low_overlap_iou: float = 0.75,
) -> Conflicts:
    """Conflicts per item and pair of annotators (see the module docstring), sorted by item."""
    first, second = matches.first, matches.second
    cluster_of_box = np.full(len(table.boxes), -1, dtype=np.int64)
    cluster_of_box[clusters.member_box] = clusters.member_cluster
    # Columns: kind, annotator row, peer row, box, peer box, index of the matched pair (or -1).
    parts: list[tuple[IntArray, IntArray, IntArray, IntArray, IntArray, IntArray]] = []
    for code, selected in (
        (LABEL_MISMATCH, ~matches.same_label),
        (LOW_OVERLAP, matches.iou < low_overlap_iou),
    ):
        index = np.flatnonzero(selected).astype(np.int64)
        pair = matches.match_pair[index]
        parts.append(
            (
                np.full(len(index), code),
                first[pair],
                second[pair],
                matches.box_a[index],
                matches.box_b[index],
                index,
            )
        )
    # Boxes of one side with no partner on the other side.
    n_boxes = max(len(table.boxes), 1)
    for own, other, matched in ((first, second, matches.box_a), (second, first, matches.box_b)):
        counts = table.box_count[own]
        box = ragged_arange(table.box_start[own], counts)
        pair = np.repeat(np.arange(len(own), dtype=np.int64), counts)
        alone = ~np.isin(pair * n_boxes + box, matches.match_pair * n_boxes + matched)
        box, pair = box[alone], pair[alone]
        real = support[cluster_of_box[box]] >= 0.5
        no_box = np.full(len(box), -1, dtype=np.int64)
        parts.append(
            (
                np.where(real, MISSING_BOX, EXTRA_BOX),
                np.where(real, other[pair], own[pair]),
                np.where(real, own[pair], other[pair]),
                np.where(real, no_box, box),
                np.where(real, box, no_box),
                no_box,
            )
        )
    kind, annotator, peer, box, peer_box, match_index = (
        np.concatenate([part[column] for part in parts]).astype(np.int64) for column in range(6)
    )
    iou = np.full(len(kind), np.nan)
    iou[match_index >= 0] = matches.iou[match_index[match_index >= 0]]
    labels = np.concatenate([table.labels, [-1]])  # index -1 reads the sentinel
    conflicts = Conflicts(
        item=table.item[annotator],
        kind=kind,
        annotator=annotator,
        peer=peer,
        box=box,
        peer_box=peer_box,
        label=labels[box],
        peer_label=labels[peer_box],
        iou=iou,
    )
    return conflicts.sorted_by_item()


def conflict_records(
    conflicts: Conflicts,
    *,
    annotator_ids: Sequence[Any],
    boxes: FloatArray | None = None,
    label_names: Sequence[str] | None = None,
    item_ids: Sequence[Any] | None = None,
) -> list[dict[str, Any]]:
    """JSON-ready conflict dicts.

    ``annotator_ids`` translate ``conflicts.annotator``/``peer`` (annotation rows for boxes,
    coder indices for classification); ``boxes`` resolves box indices to coordinates.
    """

    def label(code: int) -> str | int | None:
        if code < 0:
            return None
        return label_names[code] if label_names is not None else code

    def box(index: int) -> list[float] | None:
        if index < 0 or boxes is None:
            return None
        return [round(float(v), 2) for v in boxes[index].tolist()]

    def plain(value: Any) -> Any:
        return value.item() if isinstance(value, np.generic) else value

    records = []
    for i in range(len(conflicts)):
        item = int(conflicts.item[i])
        iou = float(conflicts.iou[i])
        records.append(
            {
                "item": plain(item_ids[item]) if item_ids is not None else item,
                "kind": CONFLICT_KINDS[int(conflicts.kind[i])],
                "annotator": plain(annotator_ids[int(conflicts.annotator[i])]),
                "peer": plain(annotator_ids[int(conflicts.peer[i])]),
                "box": box(int(conflicts.box[i])),
                "label": label(int(conflicts.label[i])),
                "peer_box": box(int(conflicts.peer_box[i])),
                "peer_label": label(int(conflicts.peer_label[i])),
                "iou": None if np.isnan(iou) else round(iou, 4),
            }
        )
    return records
