"""Peer agreement as evidence of skill: each annotator against the skill-weighted others.

Plain agreement with peers ranks a spammer who submits the model's pre-annotation unchanged level
with good annotators (where the model was right, everyone agrees with it). This estimate fixes
that in three ways, in the spirit of Dawid-Skene and MACE (an annotator's competence is a latent
quantity estimated jointly with how much to trust each vote):

1. **Leave-one-out.** Annotator ``i`` is scored on each item against the *other* annotators of the
   item only: the skill-weighted share of partners agreeing with ``i`` (with two annotators per
   item this is agreement with the consensus without ``i``).
2. **Weighted by partners' skill.** A partner's vote counts in proportion to its own estimated
   competence; the estimates are iterated to a fixed point (a partner who agrees with everyone
   because it changes nothing earns no weight, which is what MACE's spamming indicator does).
3. **Discounted where both kept the pre-annotation.** Two annotators who both submitted the
   pre-annotation unchanged agree by construction; such a pair counts ``kept_weight`` of a pair
   in which at least one of them did the work. The default is 0 (no evidence at all): in the
   simulation of ``bench/flagging_simulation.py`` any weight above 0 lowered the Spearman
   correlation with true skill (0.1: by about 0.03, 0.3: by about 0.1).

A Beta-like prior (``prior_mean``, ``prior_weight`` pseudo-pairs) keeps annotators with little
shared work near the middle instead of at 0 or 1. Inputs are per annotation row (item, annotator,
kept) and per pair of rows of one item (their agreement in [0, 1]: label equality for
classification, box F1 for boxes, see :func:`box_pair_agreement`). Everything is bincounts; the
only loop is over the fixed-point iterations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from annotation_qc.domain.agreement._arrays import (
    BoolArray,
    FloatArray,
    IntArray,
    as_index_array,
    pairs_within_groups,
)
from annotation_qc.domain.agreement.box_matching import BoxAnnotationTable, match_annotation_pairs
from annotation_qc.domain.geometry import boxes_from_payload

DEFAULT_KEPT_WEIGHT = 0.0
DEFAULT_PRIOR_WEIGHT = 1.0
DEFAULT_PRIOR_MEAN = 0.5
ITERATIONS = 30
#: The least weight a partner keeps (a fully distrusted partner still says a little).
MIN_COMPETENCE = 0.02


@dataclass(frozen=True)
class PeerSkill:
    """Per annotator (index ``0..n-1``): ``score`` in [0, 1], ``evidence`` (weighted pairs behind
    it), ``items`` (shared items) and ``kept_share`` (share of its annotations left unchanged)."""

    score: FloatArray
    evidence: FloatArray
    items: IntArray
    kept_share: FloatArray

    def row(self, index: int) -> dict[str, Any]:
        items = int(self.items[index])
        return {
            "score": None if items == 0 else round(float(self.score[index]), 4),
            "evidence": round(float(self.evidence[index]), 2),
            "items": items,
            "kept_share": None if items == 0 else round(float(self.kept_share[index]), 4),
        }


def pairs_of_rows(item: ArrayLike) -> tuple[IntArray, IntArray]:
    """Every pair of annotation rows of the same item (rows in any order)."""
    items = as_index_array(item, "item")
    order = np.argsort(items, kind="stable")
    first, second = pairs_within_groups(items[order])
    return order[first], order[second]


def label_pair_agreement(values: ArrayLike, first: ArrayLike, second: ArrayLike) -> FloatArray:
    """1 where the two rows hold the same value (classification labels as codes), else 0."""
    v = np.asarray(values)
    a, b = as_index_array(first, "first"), as_index_array(second, "second")
    return np.asarray(v[a] == v[b], dtype=np.float64)


def box_pair_agreement(
    table: BoxAnnotationTable, first: ArrayLike, second: ArrayLike, *, n_labels: int, min_iou: float = 0.5
) -> FloatArray:
    """F1 of same-label box matches at ``min_iou`` between the two annotations (1 when both are empty)."""
    a, b = as_index_array(first, "first"), as_index_array(second, "second")
    if len(a) == 0:
        return np.zeros(0, dtype=np.float64)
    matches = match_annotation_pairs(table, a, b, n_labels=n_labels, min_iou=min_iou, thresholds=(min_iou,))
    tp = matches.tp_by_pair[:, 0].astype(np.float64)
    total = (table.box_count[a] + table.box_count[b]).astype(np.float64)
    return np.asarray(np.where(total > 0, 2.0 * tp / np.maximum(total, 1.0), 1.0), dtype=np.float64)


def peer_skill(
    *,
    n_annotators: int,
    annotator: ArrayLike,
    kept: ArrayLike,
    first: ArrayLike,
    second: ArrayLike,
    agreement: ArrayLike,
    kept_weight: float = DEFAULT_KEPT_WEIGHT,
    prior_mean: float = DEFAULT_PRIOR_MEAN,
    prior_weight: float = DEFAULT_PRIOR_WEIGHT,
    iterations: int = ITERATIONS,
) -> PeerSkill:
    """Skill-weighted, leave-one-out, pre-annotation-discounted peer agreement per annotator.

    ``annotator`` and ``kept`` have one entry per annotation row; ``first``, ``second`` and
    ``agreement`` one per pair of rows of the same item (see :func:`pairs_of_rows`).
    """
    if not 0.0 <= kept_weight <= 1.0:
        raise ValueError(f"kept_weight must be in [0, 1], got {kept_weight}")
    if not 0.0 <= prior_mean <= 1.0 or prior_weight < 0:
        raise ValueError("prior_mean must be in [0, 1] and prior_weight >= 0")
    coder = as_index_array(annotator, "annotator")
    kept_rows: BoolArray = np.asarray(kept, dtype=np.bool_).reshape(-1)
    a, b = as_index_array(first, "first"), as_index_array(second, "second")
    agree: FloatArray = np.asarray(agreement, dtype=np.float64).reshape(-1)
    if len(kept_rows) != len(coder):
        raise ValueError("annotator and kept need one entry per annotation row")
    if not len(a) == len(b) == len(agree):
        raise ValueError("first, second and agreement need one entry per pair")
    if len(coder) and (coder.min() < 0 or coder.max() >= n_annotators):
        raise ValueError(f"annotator indices must lie in [0, {n_annotators})")
    if len(agree) and (not np.isfinite(agree).all() or agree.min() < 0 or agree.max() > 1):
        raise ValueError("agreement must lie in [0, 1]")

    ca, cb = coder[a], coder[b]
    discount = np.where(kept_rows[a] & kept_rows[b], kept_weight, 1.0)
    # Each pair is evidence about both of its annotators: stack both directions.
    subject = np.concatenate([ca, cb])
    partner = np.concatenate([cb, ca])
    pair_discount = np.concatenate([discount, discount])
    pair_agree = np.concatenate([agree, agree])
    competence = np.full(n_annotators, 1.0)
    score = np.full(n_annotators, prior_mean)
    weight_sum: FloatArray = np.zeros(n_annotators)
    for _ in range(max(1, iterations)):
        weight = pair_discount * competence[partner]
        weight_sum = np.bincount(subject, weights=weight, minlength=n_annotators).astype(np.float64)
        agreed = np.bincount(subject, weights=weight * pair_agree, minlength=n_annotators)
        score = (agreed + prior_weight * prior_mean) / (weight_sum + prior_weight)
        competence = np.clip(score, MIN_COMPETENCE, 1.0)
    rows_per = np.bincount(coder, minlength=n_annotators)
    kept_per = np.bincount(coder, weights=kept_rows.astype(np.float64), minlength=n_annotators)
    shared_rows = np.unique(np.concatenate([a, b]))
    items = np.bincount(coder[shared_rows], minlength=n_annotators).astype(np.int64)
    return PeerSkill(
        score=np.asarray(score, dtype=np.float64),
        evidence=np.asarray(weight_sum, dtype=np.float64),
        items=items,
        kept_share=np.asarray(kept_per / np.maximum(rows_per, 1), dtype=np.float64),
    )


def _unchanged(kind: str, pre: Any, payload: Any) -> bool:
    """Whether ``payload`` is the pre-annotation as served (boxes to 0.01 px, same labels, same order)."""
    if not isinstance(pre, dict) or not isinstance(payload, dict):
        return False
    if kind != "bbox":
        return bool(pre.get("label") == payload.get("label"))
    pre_boxes, post_boxes = pre.get("boxes") or [], payload.get("boxes") or []
    if len(pre_boxes) != len(post_boxes):
        return False
    if not pre_boxes:
        return True
    (a, la), (b, lb) = boxes_from_payload(pre_boxes), boxes_from_payload(post_boxes)
    return la == lb and bool(np.allclose(a, b, atol=0.01))


def peer_skill_of_annotations(
    *,
    kind: str,
    labels: Sequence[str],
    item_ids: Sequence[int],
    annotator_ids: Sequence[int],
    payloads: Sequence[Any],
    pre_annotations: Sequence[Any],
) -> dict[int, dict[str, Any]]:
    """:func:`peer_skill` of a project's regular annotations, keyed by annotator id.

    One entry per annotation in every argument; items with a single annotation carry no peer
    evidence and are ignored. Box payloads are compared by :func:`box_pair_agreement` (F1 at IoU
    0.5, same label), classification payloads by label.
    """
    if not len(item_ids) == len(annotator_ids) == len(payloads) == len(pre_annotations):
        raise ValueError("one entry per annotation in every argument")
    if len(item_ids) == 0:
        return {}
    items_raw = np.asarray(item_ids, dtype=np.int64)
    people_raw = np.asarray(annotator_ids, dtype=np.int64)
    order = np.lexsort((people_raw, items_raw))
    _, item = np.unique(items_raw[order], return_inverse=True)
    people, coder = np.unique(people_raw[order], return_inverse=True)
    ordered_payloads = [payloads[i] for i in order.tolist()]
    kept = np.array(
        [_unchanged(kind, pre_annotations[i], payloads[i]) for i in order.tolist()], dtype=np.bool_
    )
    first, second = pairs_of_rows(item)
    codes = {label: index for index, label in enumerate(labels)}
    if kind == "bbox":
        parsed = [boxes_from_payload((p or {}).get("boxes") or []) for p in ordered_payloads]
        counts = [len(lab) for _, lab in parsed]
        boxes = np.concatenate([b for b, _ in parsed]) if sum(counts) else np.zeros((0, 4))
        label_codes = [codes.get(label, len(codes)) for _, lab in parsed for label in lab]
        table = BoxAnnotationTable.from_arrays(item, coder, counts, boxes, label_codes)
        agreement = box_pair_agreement(table, first, second, n_labels=len(codes) + 1)
    else:
        values = np.array(
            [codes.get(str((p or {}).get("label")), len(codes)) for p in ordered_payloads], dtype=np.int64
        )
        agreement = label_pair_agreement(values, first, second)
    estimate = peer_skill(
        n_annotators=len(people), annotator=coder, kept=kept, first=first, second=second, agreement=agreement
    )
    return {int(person): estimate.row(index) for index, person in enumerate(people.tolist())}
