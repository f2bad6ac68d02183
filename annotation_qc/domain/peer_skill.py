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
    ragged_arange,
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


@dataclass(frozen=True)
class AnnotationRows:
    """Regular annotations turned into :class:`PeerRows`, with the order and ids to map back.

    ``order``: position in the caller's lists of each row; ``people``: annotator id of each index;
    ``kept``: unchanged to 0.01 px (the old "both kept" notion); ``rows.changed``: materially
    changed (the answer does not match the pre-annotation at ``min_iou``, or another label).
    """

    rows: PeerRows
    order: IntArray
    people: IntArray
    kept: BoolArray


def annotation_rows(
    *,
    kind: str,
    labels: Sequence[str],
    item_ids: Sequence[int],
    annotator_ids: Sequence[int],
    payloads: Sequence[Any],
    pre_annotations: Sequence[Any],
    min_iou: float = 0.7,
) -> AnnotationRows:
    """:class:`PeerRows` of a project's regular annotations (one entry per annotation in every argument).

    An answer *changed* the pre-annotation when their boxes do not all match one to one (same label,
    IoU >= ``min_iou``, the benchmark scoring's bar), or the class label differs; redrawing a right
    box a little is not a change. Two changed answers of an item agree when their boxes all match
    the same way (or their labels are equal); agreeing changes form one cluster.
    """
    if not len(item_ids) == len(annotator_ids) == len(payloads) == len(pre_annotations):
        raise ValueError("one entry per annotation in every argument")
    items_raw = np.asarray(item_ids, dtype=np.int64).reshape(-1)
    people_raw = np.asarray(annotator_ids, dtype=np.int64).reshape(-1)
    order = np.lexsort((people_raw, items_raw))
    _, item = np.unique(items_raw[order], return_inverse=True)
    people, coder = np.unique(people_raw[order], return_inverse=True)
    item, coder = item.astype(np.int64), coder.astype(np.int64)
    answers = [payloads[i] or {} for i in order.tolist()]
    pres = [pre_annotations[i] or {} for i in order.tolist()]
    kept = np.array([_unchanged(kind, p, a) for p, a in zip(pres, answers, strict=True)], dtype=np.bool_)
    first, second = pairs_of_rows(item)
    n = len(item)
    codes = {label: index for index, label in enumerate(labels)}
    if kind == "bbox":
        # Rows 0..n-1 are the answers, n..2n-1 the pre-annotations they were served with.
        parsed = [boxes_from_payload(p.get("boxes") or []) for p in [*answers, *pres]]
        counts = [len(lab) for _, lab in parsed]
        boxes = np.concatenate([b for b, _ in parsed]) if sum(counts) else np.zeros((0, 4))
        label_codes = [codes.get(label, len(codes)) for _, lab in parsed for label in lab]
        # The pre-annotation rows stand as pseudo-annotators after the real ones.
        all_items, all_coders = np.concatenate([item, item]), np.concatenate([coder, coder + len(people)])
        table = BoxAnnotationTable.from_arrays(all_items, all_coders, counts, boxes, label_codes)
        at = np.empty(2 * n, dtype=np.int64)  # our row -> the table's (sorted) row
        at[np.lexsort((all_coders, all_items))] = np.arange(2 * n, dtype=np.int64)
        own = np.arange(n, dtype=np.int64)
        n_labels = len(codes) + 1
        same_as_pre = box_pair_agreement(table, at[own], at[own + n], n_labels=n_labels, min_iou=min_iou)
        agree = box_pair_agreement(table, at[first], at[second], n_labels=n_labels, min_iou=min_iou)
        changed = same_as_pre < 1.0 - 1e-9
        agree_b = agree >= 1.0 - 1e-9
    else:
        values = np.array([codes.get(str(p.get("label")), len(codes)) for p in answers], dtype=np.int64)
        pre_values = np.array([codes.get(str(p.get("label")), len(codes)) for p in pres], dtype=np.int64)
        changed = values != pre_values
        agree_b = label_pair_agreement(values, first, second) > 0.5
    cluster = answer_clusters(item=item, changed=changed, first=first, second=second, agree=agree_b)
    rows = PeerRows.build(item=item, annotator=coder, changed=changed, cluster=cluster)
    return AnnotationRows(rows=rows, order=order.astype(np.int64), people=people.astype(np.int64), kept=kept)


def peer_skill_of_annotations(
    *,
    kind: str,
    labels: Sequence[str],
    item_ids: Sequence[int],
    annotator_ids: Sequence[int],
    payloads: Sequence[Any],
    pre_annotations: Sequence[Any],
    min_iou: float = 0.7,
) -> dict[int, dict[str, Any]]:
    """Peer agreement as evidence, keyed by annotator id: the Dawid-Skene fix rate of
    :func:`peer_fit` over items answered by two or more (``score``), with ``evidence`` (how many
    W items it rests on, expected), ``items`` (shared items) and ``kept_share`` (answers left
    exactly as served)."""
    if len(item_ids) == 0:
        return {}
    table = annotation_rows(
        kind=kind,
        labels=labels,
        item_ids=item_ids,
        annotator_ids=annotator_ids,
        payloads=payloads,
        pre_annotations=pre_annotations,
        min_iou=min_iou,
    )
    rows, n = table.rows, len(table.people)
    fit = peer_fit(rows, n_annotators=n)
    row_w = np.abs(fit.row_b) / np.maximum(np.maximum(fit.row_a, fit.row_a + fit.row_b), 1e-12)
    weight = np.bincount(rows.annotator, weights=row_w, minlength=n)
    kept_share = np.bincount(rows.annotator, weights=table.kept.astype(np.float64), minlength=n) / np.maximum(
        np.bincount(rows.annotator, minlength=n), 1
    )
    return {
        int(person): {
            "score": None if fit.items[index] == 0 else round(float(fit.rate[index]), 4),
            "evidence": round(float(weight[index]), 2),
            "items": int(fit.items[index]),
            "kept_share": None if fit.items[index] == 0 else round(float(kept_share[index]), 4),
        }
        for index, person in enumerate(table.people.tolist())
    }


# ---------------------------------------------------------------------------------------------
# The pre-annotation model: a Dawid-Skene estimate whose evidence is a likelihood in the fix rate
# ---------------------------------------------------------------------------------------------
#
# Every regular item comes with a pre-annotation that is either right (R) or wrong (W, with prior
# probability ``wrong_rate``). An annotator of fix rate ``p`` (the same rate a benchmark measures:
# a benchmark is a work item whose pre-annotation is known to be wrong) answers:
#
# - on W: the fix with probability ``p``; otherwise it keeps the pre-annotation (probability
#   ``(1 - p)(1 - wrong_change_rate)``) or changes it to something else that is wrong
#   (``(1 - p) * wrong_change_rate``);
# - on R: keeps it (``1 - spoil_rate``) or changes it to something wrong (``spoil_rate``).
#
# Observed per annotation: whether it kept the pre-annotation, and which changed answers of the
# same item agree with each other (the "clusters"). An item's likelihood sums over R, "W and
# nobody fixed it" and "W and cluster c is the fix". Given the other annotators of the item (and
# their estimated rates), one annotator's answer has probability ``a + b * p``: linear in its own
# rate, exactly as a benchmark outcome is (``p`` for a fix, ``1 - p`` for a miss). That is the
# evidence :mod:`annotation_qc.domain.flagging` folds into its tests. It is leave-one-out (the
# others' answers judge the annotator), weighted by the partners' skill (a partner of rate 0.9 who
# changed the item makes W nearly certain; a spammer's keep says almost nothing) and discounts a
# pair who both kept the pre-annotation by itself (both kept is what R predicts whatever ``p`` is,
# so such an item moves the likelihood only as far as the partners' rates make W plausible).

DEFAULT_WRONG_RATE = 0.3
DEFAULT_SPOIL_RATE = 0.03
DEFAULT_WRONG_CHANGE_RATE = 0.1
#: Partners' rates are kept inside this range when they judge others (no certainty from a rate of 0 or 1).
RATE_CLIP = (0.02, 0.98)
#: Pseudo-counts of the population mean added to every annotator's rate in the EM (Beta prior weight).
RATE_PRIOR_WEIGHT = 2.0
#: Pseudo-items at the project's rates behind every annotator's own spoil and wrong-change rates.
SPOIL_PRIOR_WEIGHT = 20.0
EM_ITERATIONS = 40


@dataclass(frozen=True)
class PreAnnotationModel:
    """Project-level rates of the pre-annotation model (fitted by :func:`peer_fit`)."""

    wrong_rate: float = DEFAULT_WRONG_RATE
    spoil_rate: float = DEFAULT_SPOIL_RATE
    wrong_change_rate: float = DEFAULT_WRONG_CHANGE_RATE

    def to_dict(self) -> dict[str, float]:
        return {
            "wrong_rate": round(self.wrong_rate, 4),
            "spoil_rate": round(self.spoil_rate, 4),
            "wrong_change_rate": round(self.wrong_change_rate, 4),
        }


@dataclass(frozen=True)
class PeerRows:
    """Annotations of shared regular items, one entry per annotation row.

    ``item`` (0..m-1), ``annotator`` (0..n-1), ``changed`` (did not keep the pre-annotation) and
    ``cluster``: changed rows of one item with the same cluster agree with each other (-1 for kept).
    """

    item: IntArray
    annotator: IntArray
    changed: BoolArray
    cluster: IntArray

    @classmethod
    def build(
        cls, *, item: ArrayLike, annotator: ArrayLike, changed: ArrayLike, cluster: ArrayLike
    ) -> PeerRows:
        rows = cls(
            item=as_index_array(item, "item"),
            annotator=as_index_array(annotator, "annotator"),
            changed=np.asarray(changed, dtype=np.bool_).reshape(-1),
            cluster=as_index_array(cluster, "cluster"),
        )
        if not len(rows.item) == len(rows.annotator) == len(rows.changed) == len(rows.cluster):
            raise ValueError("item, annotator, changed and cluster need one entry per annotation row")
        if ((rows.cluster >= 0) != rows.changed).any():
            raise ValueError("cluster must be -1 exactly for kept rows")
        return rows


def answer_clusters(
    *, item: ArrayLike, changed: ArrayLike, first: ArrayLike, second: ArrayLike, agree: ArrayLike
) -> IntArray:
    """Cluster ids per row: changed rows of one item joined by an agreeing pair share one id.

    ``first``/``second`` are pairs of rows of one item (:func:`pairs_of_rows`), ``agree`` whether the
    two answers agree (e.g. box F1 >= 0.5). Connected components, so no loop over items.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    items = as_index_array(item, "item")
    moved = np.asarray(changed, dtype=np.bool_).reshape(-1)
    a, b = as_index_array(first, "first"), as_index_array(second, "second")
    joined = np.asarray(agree, dtype=np.bool_).reshape(-1) & moved[a] & moved[b] & (items[a] == items[b])
    n = len(items)
    graph = coo_matrix((np.ones(int(joined.sum())), (a[joined], b[joined])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    return np.where(moved, label, -1).astype(np.int64)


@dataclass(frozen=True)
class _Hypotheses:
    """Per item: R, W-none, and W-c for each cluster, flattened; joined with the item's rows."""

    item: IntArray  # per hypothesis
    wrong: BoolArray  # per hypothesis: a W hypothesis
    fix_cluster: IntArray  # per hypothesis: the cluster that is the fix (-1: none)
    row: IntArray  # per (row, hypothesis) pair
    hyp: IntArray  # per (row, hypothesis) pair


def _hypotheses(rows: PeerRows, n_items: int) -> _Hypotheses:
    clusters, first_row = np.unique(rows.cluster, return_index=True)
    keep = clusters >= 0
    clusters, first_row = clusters[keep], first_row[keep]
    item_of_cluster = rows.item[first_row]
    items = np.arange(n_items, dtype=np.int64)
    hyp_item = np.concatenate([items, items, item_of_cluster])
    wrong = np.concatenate([np.zeros(n_items, bool), np.ones(n_items, bool), np.ones(len(clusters), bool)])
    fix = np.concatenate([np.full(2 * n_items, -1, dtype=np.int64), clusters])
    order = np.argsort(hyp_item, kind="stable")
    hyp_item, wrong, fix = hyp_item[order], wrong[order], fix[order]
    hyp_count = np.bincount(hyp_item, minlength=n_items)
    hyp_start = np.concatenate([[0], np.cumsum(hyp_count)[:-1]])
    # Each row meets every hypothesis of its item.
    per_row = hyp_count[rows.item]
    row_index = np.repeat(np.arange(len(rows.item), dtype=np.int64), per_row)
    hyp_index = ragged_arange(hyp_start[rows.item], per_row)
    return _Hypotheses(hyp_item, wrong, fix, row_index, hyp_index)


def _row_factors(
    rows: PeerRows,
    hyps: _Hypotheses,
    model: PreAnnotationModel,
    spoil: FloatArray | None = None,
    wrong_change: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Per (row, hypothesis) pair: the row's probability ``u + v * p`` under the hypothesis.

    ``spoil`` and ``wrong_change`` are each annotator's own rates (the project's when omitted).
    """
    changed = rows.changed[hyps.row]
    wrong = hyps.wrong[hyps.hyp]
    fixer = changed & (rows.cluster[hyps.row] == hyps.fix_cluster[hyps.hyp]) & wrong
    eps = model.spoil_rate if spoil is None else spoil[rows.annotator[hyps.row]]
    omega = model.wrong_change_rate if wrong_change is None else wrong_change[rows.annotator[hyps.row]]
    not_fixed = np.where(changed, omega, 1.0 - omega)  # (1 - p) times this
    u = np.where(wrong, np.where(fixer, 0.0, not_fixed), np.where(changed, eps, 1.0 - eps))
    v = np.where(wrong, np.where(fixer, 1.0, -not_fixed), 0.0)
    return u.astype(np.float64), v.astype(np.float64)


@dataclass(frozen=True)
class PeerFit:
    """What :func:`peer_fit` returns.

    ``rate``: per annotator, the Dawid-Skene estimate of its fix rate (benchmarks and peers
    together when benchmark counts were given). ``row_a``/``row_b``: per annotation row, its
    leave-one-out likelihood ``a + b * p`` given the others of the item at their fitted rates
    (scaled so the larger of ``a`` and ``a + b`` is 1; rows of an item nobody else answered get
    ``a = 1, b = 0``: no evidence). ``wrong_posterior``: per item, P(the pre-annotation was wrong).
    """

    model: PreAnnotationModel
    spoil: FloatArray
    rate: FloatArray
    row_a: FloatArray
    row_b: FloatArray
    wrong_posterior: FloatArray
    items: IntArray  # shared items per annotator


def _group_max(values: FloatArray, group: IntArray, n_groups: int) -> FloatArray:
    """Per group the largest value (``group`` sorted, every group present): ``reduceat``, no ``.at``."""
    top = np.full(n_groups, -np.inf)
    if len(values):
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        top[group[starts]] = np.maximum.reduceat(values, starts)
    return top


def _logsumexp_groups(values: FloatArray, group: IntArray, n_groups: int) -> FloatArray:
    top = _group_max(values, group, n_groups)
    top = np.where(np.isfinite(top), top, 0.0)
    total = np.bincount(group, weights=np.exp(values - top[group]), minlength=n_groups)
    return np.asarray(np.log(np.maximum(total, 1e-300)) + top, dtype=np.float64)


def _subset(rows: PeerRows, keep: BoolArray) -> PeerRows:
    _, item = np.unique(rows.item[keep], return_inverse=True)
    return PeerRows(
        item=item.astype(np.int64),
        annotator=rows.annotator[keep],
        changed=rows.changed[keep],
        cluster=rows.cluster[keep],
    )


def _em(
    rows: PeerRows,
    n_annotators: int,
    fixed_b: FloatArray,
    n_b: FloatArray,
    model: PreAnnotationModel,
    *,
    fit_model: bool,
    iterations: int,
) -> tuple[FloatArray, FloatArray, FloatArray, PreAnnotationModel]:
    """The EM of :func:`peer_fit` over rows of shared items: rates, spoil and wrong-change rates, model."""
    n_items = int(rows.item.max()) + 1 if len(rows.item) else 0
    hyps = _hypotheses(rows, n_items)
    spoil = np.full(n_annotators, model.spoil_rate)
    wrong_change = np.full(n_annotators, model.wrong_change_rate)
    u, v = _row_factors(rows, hyps, model, spoil, wrong_change)
    n_hyp = len(hyps.item)
    rate = np.clip((fixed_b + 0.5) / (n_b + 1.0), *RATE_CLIP)
    rate = np.where(n_b > 0, rate, 0.5)
    posterior_hyp = np.zeros(n_hyp)
    for _ in range(max(1, iterations) if len(rows.item) else 0):
        p_row = np.clip(rate, *RATE_CLIP)[rows.annotator[hyps.row]]
        log_f = np.log(np.maximum(u + v * p_row, 1e-300))
        prior = np.where(hyps.wrong, np.log(model.wrong_rate), np.log1p(-model.wrong_rate))
        log_h: FloatArray = prior + np.bincount(hyps.hyp, weights=log_f, minlength=n_hyp).astype(np.float64)
        norm = _logsumexp_groups(log_h, hyps.item, n_items)
        posterior_hyp = np.exp(log_h - norm[hyps.item])
        post_pair = posterior_hyp[hyps.hyp]
        wrong_pair = post_pair * hyps.wrong[hyps.hyp]
        fixer_pair = wrong_pair * (v > 0)
        who = rows.annotator[hyps.row]
        expected_w = np.bincount(who, weights=wrong_pair, minlength=n_annotators)
        expected_fix = np.bincount(who, weights=fixer_pair, minlength=n_annotators)
        total_w, total_fix = expected_w + n_b, expected_fix + fixed_b
        mean = float(total_fix.sum() / total_w.sum()) if total_w.sum() > 0 else 0.5
        rate = (total_fix + RATE_PRIOR_WEIGHT * mean) / (total_w + RATE_PRIOR_WEIGHT)
        changed_pair = rows.changed[hyps.row]
        right_pair = post_pair * ~hyps.wrong[hyps.hyp]
        if fit_model:
            non_fix = wrong_pair - fixer_pair
            item_wrong = np.bincount(hyps.item, weights=posterior_hyp * hyps.wrong, minlength=n_items)
            model = PreAnnotationModel(
                wrong_rate=float(np.clip(item_wrong.mean(), 0.01, 0.99)),
                spoil_rate=_ratio(right_pair * changed_pair, right_pair, model.spoil_rate),
                wrong_change_rate=_ratio(non_fix * changed_pair, non_fix, model.wrong_change_rate),
            )
        right = np.bincount(who, weights=right_pair, minlength=n_annotators)
        spoiled = np.bincount(who, weights=right_pair * changed_pair, minlength=n_annotators)
        spoil = np.clip(
            (spoiled + SPOIL_PRIOR_WEIGHT * model.spoil_rate) / (right + SPOIL_PRIOR_WEIGHT), 0.001, 0.999
        )
        missed = wrong_pair - fixer_pair
        missed_n = np.bincount(who, weights=missed, minlength=n_annotators)
        missed_changed = np.bincount(who, weights=missed * changed_pair, minlength=n_annotators)
        wrong_change = np.clip(
            (missed_changed + SPOIL_PRIOR_WEIGHT * model.wrong_change_rate) / (missed_n + SPOIL_PRIOR_WEIGHT),
            0.001,
            0.999,
        )
        u, v = _row_factors(rows, hyps, model, spoil, wrong_change)
    return rate, spoil, wrong_change, model


def peer_fit(
    rows: PeerRows,
    *,
    n_annotators: int,
    bench_fixed: ArrayLike | None = None,
    bench_n: ArrayLike | None = None,
    model: PreAnnotationModel | None = None,
    fit_model: bool = True,
    single_items: bool = False,
    iterations: int = EM_ITERATIONS,
) -> PeerFit:
    """Dawid-Skene EM of the pre-annotation model over shared items, optionally with benchmarks.

    E-step: per item, the posterior over its hypotheses given every annotator's current rate.
    M-step: each annotator's rate is its expected fixes over its expected W items, benchmarks
    counting as W items with a known outcome, plus :data:`RATE_PRIOR_WEIGHT` pseudo-items at the
    population mean; with ``fit_model`` also the project's wrong, spoil and wrong-change rates. Each
    annotator also gets its own spoil and wrong-change rates (how often it changes a right pre-
    annotation, and a wrong one into something else wrong; :data:`SPOIL_PRIOR_WEIGHT` pseudo-items
    at the project's rates), so one who changes everything gains nothing from changing: its full
    confusion matrix, as Dawid-Skene has it. Rates and model are fitted on shared items and
    benchmarks only: there the others' answers say whether a change was a fix, while on an item
    nobody else answered an annotator's change would vouch for itself. With ``single_items`` the
    rows of items nobody else answered are then evidence too (their likelihood through the fitted
    wrong rate and the annotator's own spoil rate, as Dawid-Skene counts singly labelled items);
    without, they carry none. Then every row's leave-one-out likelihood at the fitted rates. Only
    the iterations loop.
    """
    model = model or PreAnnotationModel()
    if len(rows.annotator) and (rows.annotator.min() < 0 or rows.annotator.max() >= n_annotators):
        raise ValueError(f"annotator indices must lie in [0, {n_annotators})")
    zeros = np.zeros(n_annotators)
    fixed_b = zeros if bench_fixed is None else np.asarray(bench_fixed, dtype=np.float64).reshape(-1)
    n_b = zeros if bench_n is None else np.asarray(bench_n, dtype=np.float64).reshape(-1)
    if len(fixed_b) != n_annotators or len(n_b) != n_annotators or (fixed_b > n_b).any():
        raise ValueError("bench_fixed and bench_n need one entry per annotator, fixed <= n")
    n_items = int(rows.item.max()) + 1 if len(rows.item) else 0
    # Only items with two or more answers are peer evidence; the EM runs on them alone.
    per_item = np.bincount(rows.item, minlength=n_items)
    shared_row = per_item[rows.item] >= 2 if len(rows.item) else np.zeros(0, bool)
    evidence_row = np.ones(len(rows.item), bool) if single_items else shared_row
    rate, spoil, wrong_change, model = _em(
        _subset(rows, shared_row),
        n_annotators,
        fixed_b,
        n_b,
        model,
        fit_model=fit_model,
        iterations=iterations,
    )
    hyps = _hypotheses(rows, n_items)
    n_hyp = len(hyps.item)
    u, v = _row_factors(rows, hyps, model, spoil, wrong_change)
    # Leave-one-out likelihood per row at the fitted rates.
    p_row = np.clip(rate, *RATE_CLIP)[rows.annotator[hyps.row]] if len(rows.item) else np.zeros(0)
    log_f = np.log(np.maximum(u + v * p_row, 1e-300))
    prior = np.where(hyps.wrong, np.log(model.wrong_rate), np.log1p(-model.wrong_rate))
    log_h: FloatArray = prior + np.bincount(hyps.hyp, weights=log_f, minlength=n_hyp).astype(np.float64)
    log_others = log_h[hyps.hyp] - log_f  # the hypothesis without this row
    row_top = _group_max(log_others, hyps.row, len(rows.item))
    weight = np.exp(log_others - row_top[hyps.row]) if len(hyps.row) else np.zeros(0)
    row_a = np.bincount(hyps.row, weights=weight * u, minlength=len(rows.item))
    row_b = np.bincount(hyps.row, weights=weight * v, minlength=len(rows.item))
    scale = np.maximum(np.maximum(row_a, row_a + row_b), 1e-300)
    row_a, row_b = row_a / scale, row_b / scale
    row_a = np.where(evidence_row, row_a, 1.0)
    row_b = np.where(evidence_row, row_b, 0.0)
    posterior_hyp = np.exp(log_h - _logsumexp_groups(log_h, hyps.item, n_items)[hyps.item])
    item_wrong = np.bincount(hyps.item, weights=posterior_hyp * hyps.wrong, minlength=n_items)
    items = np.bincount(rows.annotator[shared_row], minlength=n_annotators).astype(np.int64)
    return PeerFit(
        model=model,
        spoil=np.asarray(spoil, dtype=np.float64),
        rate=np.asarray(rate, dtype=np.float64),
        row_a=np.asarray(row_a, dtype=np.float64),
        row_b=np.asarray(row_b, dtype=np.float64),
        wrong_posterior=np.asarray(item_wrong, dtype=np.float64),
        items=items,
    )


def _ratio(numerator: FloatArray, denominator: FloatArray, default: float) -> float:
    total = float(denominator.sum())
    if total <= 1e-9:
        return default
    return float(np.clip(numerator.sum() / total, 0.001, 0.5))
