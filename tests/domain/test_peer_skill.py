"""Peer agreement as evidence: leave-one-out, partner-skill weighted, both-kept pairs discounted."""

import numpy as np
import pytest
from scipy.stats import spearmanr

from annotation_qc.domain.agreement.box_matching import BoxAnnotationTable
from annotation_qc.domain.peer_skill import (
    PeerRows,
    PreAnnotationModel,
    annotation_rows,
    box_pair_agreement,
    pairs_of_rows,
    peer_fit,
    peer_skill,
    peer_skill_of_annotations,
)
from tests.domain.peer_simulation import work_world


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


# --- The pre-annotation model (Dawid-Skene) ---------------------------------------------------------


def test_row_likelihood_is_linear_leave_one_out_and_weighs_the_partner():
    """Item 0: the partner (good) fixed, the subject kept. Item 1: both fixed alike. Item 2: both
    kept. Item 3: the partner is a spammer who kept, the subject fixed."""
    rows = PeerRows.build(
        item=[0, 0, 1, 1, 2, 2, 3, 3],
        annotator=[0, 1, 0, 1, 0, 1, 0, 2],
        changed=[False, True, True, True, False, False, True, False],
        cluster=[-1, 0, 1, 1, -1, -1, 3, -1],
    )
    fit = peer_fit(
        rows,
        n_annotators=3,
        bench_fixed=[5, 45, 0],
        bench_n=[10, 50, 50],
        model=PreAnnotationModel(wrong_rate=0.4, spoil_rate=0.02, wrong_change_rate=0.1),
        fit_model=False,
    )
    a, b = fit.row_a, fit.row_b
    assert np.all(a >= 0)
    assert np.all(a + b >= 0)
    assert np.allclose(np.maximum(a, a + b), 1.0)
    # Kept what a good partner fixed: strong evidence of a low rate, about (1 - p).
    assert b[0] < -0.8
    # Fixed alike with a good partner: strong evidence of a high rate, about p.
    assert b[2] > 0.8
    # Both kept: what a right pre-annotation predicts whatever the rate, so only weak evidence.
    assert abs(b[4]) < 0.3
    # Fixed where a spammer kept: still evidence for the fixer, nothing against it.
    assert b[6] > 0.5


def test_peer_fit_recovers_rates_the_model_and_ranks_spammers_last():
    rng = np.random.default_rng(4)
    rates = np.concatenate([np.zeros(6), rng.uniform(0.25, 0.97, size=54)])
    world = work_world(rates, items_each=300, shared_share=0.2, rng=rng)
    fit = peer_fit(world.rows, n_annotators=len(rates))
    assert spearmanr(rates, fit.rate).statistic > 0.9
    assert fit.rate[:6].max() < fit.rate[6:].min()
    assert abs(fit.model.wrong_rate - 0.4) < 0.05
    assert fit.model.spoil_rate < 0.06
    assert np.all(fit.items > 0)


def test_changing_every_pre_annotation_earns_nothing():
    """A vandal changes every answer (never to the fix of a wrong one): its own spoil rate absorbs it.

    Without benchmarks the two explanations (the vandal fixes everything and the partners miss, or
    the reverse) are symmetric on shared items, which is why the service always fits with them."""
    rng = np.random.default_rng(5)
    rates = np.concatenate([np.zeros(4), np.full(36, 0.85)])
    vandal = np.zeros(len(rates), bool)
    vandal[:4] = True
    world = work_world(rates, items_each=300, shared_share=0.2, rng=rng, changes_everything=vandal)
    # With benchmarks behind every rate (as the service always has them): the vandal fails its 10.
    bench_n = np.full(len(rates), 10)
    bench_fixed = np.where(vandal, 0, 9)
    fit = peer_fit(
        world.rows, n_annotators=len(rates), bench_fixed=bench_fixed, bench_n=bench_n, single_items=True
    )
    assert fit.rate[:4].max() < 0.3 < 0.7 < fit.rate[4:].min()
    assert fit.spoil[:4].min() > 0.5
    # Changing all 300 answers is worth almost nothing against a low rate; fixing is worth a lot.
    log_lr = np.log(fit.row_a + fit.row_b * 0.3) - np.log(fit.row_a + fit.row_b * 0.65)
    per_annotator = np.bincount(world.rows.annotator, weights=log_lr, minlength=len(rates))
    assert per_annotator[:4].min() > -3.0
    assert per_annotator[4:].max() < -5.0


def test_single_items_are_evidence_only_when_asked():
    rows = PeerRows.build(
        item=[0, 1, 1], annotator=[0, 0, 1], changed=[False, True, True], cluster=[-1, 5, 5]
    )
    without = peer_fit(rows, n_annotators=2)
    assert without.row_a[0] == 1.0
    assert without.row_b[0] == 0.0
    with_single = peer_fit(rows, n_annotators=2, single_items=True)
    assert with_single.row_b[0] < 0  # keeping counts (a little) against a high rate


def test_peer_rows_reject_inconsistent_clusters():
    with pytest.raises(ValueError, match="cluster"):
        PeerRows.build(item=[0], annotator=[0], changed=[False], cluster=[3])
    with pytest.raises(ValueError, match="one entry"):
        PeerRows.build(item=[0, 1], annotator=[0], changed=[False], cluster=[-1])
    rows = PeerRows.build(item=[0], annotator=[3], changed=[False], cluster=[-1])
    with pytest.raises(ValueError, match="annotator indices"):
        peer_fit(rows, n_annotators=2)


def test_annotation_rows_count_material_changes_and_cluster_agreeing_fixes():
    pre = {"boxes": [{"x": 0, "y": 0, "w": 100, "h": 100, "label": "car"}]}
    redrawn = {"boxes": [{"x": 2, "y": 1, "w": 99, "h": 101, "label": "car"}]}  # IoU > 0.9: not a change
    fix = {"boxes": [{"x": 0, "y": 0, "w": 100, "h": 100, "label": "bike"}]}
    fix_redrawn = {"boxes": [{"x": 1, "y": 1, "w": 100, "h": 100, "label": "bike"}]}
    moved = {"boxes": [{"x": 300, "y": 300, "w": 100, "h": 100, "label": "car"}]}
    table = annotation_rows(
        kind="bbox",
        labels=["car", "bike"],
        item_ids=[9, 9, 9, 9],
        annotator_ids=[1, 2, 3, 4],
        payloads=[redrawn, fix, fix_redrawn, moved],
        pre_annotations=[pre] * 4,
    )
    changed = dict(zip(table.people[table.rows.annotator].tolist(), table.rows.changed.tolist(), strict=True))
    assert changed == {1: False, 2: True, 3: True, 4: True}
    cluster = dict(zip(table.people[table.rows.annotator].tolist(), table.rows.cluster.tolist(), strict=True))
    assert cluster[1] == -1
    assert cluster[2] == cluster[3] != cluster[4]
    assert table.kept.tolist() == [False, False, False, False]
    labels = annotation_rows(
        kind="classification",
        labels=["a", "b"],
        item_ids=[1, 1],
        annotator_ids=[5, 6],
        payloads=[{"label": "a"}, {"label": "b"}],
        pre_annotations=[{"label": "a"}, {"label": "a"}],
    )
    assert labels.rows.changed.tolist() == [False, True]
