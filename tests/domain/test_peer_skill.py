"""Peer agreement as evidence: leave-one-out, partner-skill weighted, both-kept pairs discounted."""

import numpy as np
import pytest
from scipy.stats import spearmanr

from annotation_qc.domain.agreement.box_matching import BoxAnnotationTable
from annotation_qc.domain.peer_skill import (
    box_pair_agreement,
    pairs_of_rows,
    peer_skill,
    peer_skill_of_annotations,
)


def simulate(skills, *, n_items, model_right, seed, spammers=()):
    """Two random annotators per item; a wrong pre-annotation is fixed with the annotator's skill."""
    rng = np.random.default_rng(seed)
    n = len(skills)
    a = rng.integers(0, n, n_items)
    b = (a + rng.integers(1, n, n_items)) % n
    right = rng.random(n_items) < model_right
    skill = np.array(skills)
    fix_a = ~right & (rng.random(n_items) < skill[a])
    fix_b = ~right & (rng.random(n_items) < skill[b])
    item = np.concatenate([np.arange(n_items)] * 2)
    annotator = np.concatenate([a, b])
    answer = np.concatenate([np.where(right | fix_a, 0, 1), np.where(right | fix_b, 0, 1)])
    kept = np.concatenate([~fix_a, ~fix_b])
    first, second = pairs_of_rows(item)
    agreement = (answer[first] == answer[second]).astype(float)
    return {
        "n_annotators": n,
        "annotator": annotator,
        "kept": kept,
        "first": first,
        "second": second,
        "agreement": agreement,
    }


def test_pairs_of_rows_pairs_rows_of_one_item_in_any_order():
    first, second = pairs_of_rows([5, 3, 5, 3, 5, 9])
    pairs = {tuple(sorted(p)) for p in zip(first.tolist(), second.tolist(), strict=True)}
    assert pairs == {(0, 2), (0, 4), (2, 4), (1, 3)}


def test_spammer_who_keeps_everything_ranks_last_unlike_plain_agreement():
    skills = [0.0, 0.0, 0.3, 0.7, 0.8, 0.9, 0.95, 0.6]
    inputs = simulate(skills, n_items=4000, model_right=0.7, seed=1)
    estimate = peer_skill(**inputs)
    assert estimate.score[:2].max() < estimate.score[2:].min()
    assert spearmanr(skills, estimate.score).statistic > 0.9
    # Plain agreement (no weights, no discount) hardly separates the spammers from good workers.
    rows = np.concatenate([inputs["annotator"][inputs["first"]], inputs["annotator"][inputs["second"]]])
    plain = np.bincount(rows, weights=np.concatenate([inputs["agreement"]] * 2)) / np.bincount(rows)
    plain_gap = np.median(plain[3:]) - plain[:2].max()
    peer_gap = np.median(estimate.score[3:]) - estimate.score[:2].max()
    assert plain_gap < peer_gap / 3


def test_both_kept_pairs_are_not_evidence():
    # Two annotators who only ever keep the pre-annotation: no evidence, the prior stays.
    estimate = peer_skill(
        n_annotators=2, annotator=[0, 1], kept=[True, True], first=[0], second=[1], agreement=[1.0]
    )
    assert estimate.score.tolist() == [0.5, 0.5]
    assert estimate.evidence.tolist() == [0.0, 0.0]
    assert estimate.items.tolist() == [1, 1]


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="agreement"):
        peer_skill(n_annotators=2, annotator=[0, 1], kept=[0, 0], first=[0], second=[1], agreement=[1.5])
    with pytest.raises(ValueError, match="annotator indices"):
        peer_skill(n_annotators=1, annotator=[0, 1], kept=[0, 0], first=[0], second=[1], agreement=[1.0])
    with pytest.raises(ValueError, match="kept_weight"):
        peer_skill(n_annotators=1, annotator=[], kept=[], first=[], second=[], agreement=[], kept_weight=2)


def test_box_pair_agreement_is_f1_at_iou_half():
    table = BoxAnnotationTable.from_arrays(
        [0, 0, 1, 1],
        [0, 1, 0, 1],
        [2, 1, 0, 0],
        [[0, 0, 10, 10], [50, 50, 10, 10], [1, 0, 10, 10]],
        [0, 1, 0],
    )
    assert box_pair_agreement(table, [0, 2], [1, 3], n_labels=2).tolist() == pytest.approx([2 / 3, 1.0])


def test_of_annotations_from_payloads_detects_kept_pre_annotations():
    pre = {"boxes": [{"x": 0, "y": 0, "w": 10, "h": 10, "label": "car"}]}
    fixed = {
        "boxes": [
            {"x": 0, "y": 0, "w": 10, "h": 10, "label": "car"},
            {"x": 40, "y": 40, "w": 9, "h": 9, "label": "bike"},
        ]
    }
    rows = peer_skill_of_annotations(
        kind="bbox",
        labels=["car", "bike"],
        item_ids=[7, 7, 7, 8, 8],
        annotator_ids=[10, 11, 12, 10, 11],
        payloads=[pre, fixed, fixed, fixed, fixed],
        pre_annotations=[pre, pre, pre, pre, pre],
    )
    assert set(rows) == {10, 11, 12}
    assert rows[10]["kept_share"] == 0.5
    assert rows[11]["kept_share"] == 0.0
    assert rows[10]["score"] < rows[11]["score"]
    labels = peer_skill_of_annotations(
        kind="classification",
        labels=["a", "b"],
        item_ids=[1, 1],
        annotator_ids=[3, 4],
        payloads=[{"label": "a"}, {"label": "b"}],
        pre_annotations=[{"label": "a"}, {"label": "a"}],
    )
    assert labels[3]["score"] < 0.5 < labels[4]["score"] or labels[3]["score"] == labels[4]["score"]
    assert (
        peer_skill_of_annotations(
            kind="bbox", labels=[], item_ids=[], annotator_ids=[], payloads=[], pre_annotations=[]
        )
        == {}
    )
