import json

import krippendorff
import numpy as np
import pytest

from annotation_qc.domain.agreement import (
    BoxAnnotationTable,
    UndefinedAgreement,
    box_report,
    item_box_agreement,
    krippendorff_alpha,
    match_annotation_pairs,
)
from annotation_qc.domain.agreement.box_matching import SWEEP_THRESHOLDS, two_stage_match
from annotation_qc.domain.agreement.boxes import annotation_pairs
from annotation_qc.domain.geometry import iou_matrix, match_boxes, match_from_iou

LABELS = ["car", "person", "dog"]
NO_OBJECT = len(LABELS)
SCENE = np.array([[10, 10, 50, 50], [100, 100, 40, 40], [200, 50, 30, 60], [300, 300, 80, 40]], dtype=float)
SCENE_LABELS = np.array([0, 1, 0, 2])


def kinds(conflicts):
    return sorted(c["kind"] for c in conflicts)


# ---------------------------------------------------------------------------------------------
# Planted scenes
# ---------------------------------------------------------------------------------------------


def test_identical_annotations_agree_perfectly():
    items = [[(1, SCENE + shift, SCENE_LABELS), (2, SCENE + shift, SCENE_LABELS)] for shift in (0, 5, 9)]
    report = box_report(items, label_names=LABELS, n_resamples=100, min_shared_units=1)
    assert report.alpha.value == pytest.approx(1.0)
    assert report.f1 == pytest.approx((1.0,) * len(SWEEP_THRESHOLDS))
    assert report.mean_iou == pytest.approx(1.0)
    assert report.conflict_counts == {"missing_box": 0, "extra_box": 0, "label_mismatch": 0, "low_overlap": 0}
    assert report.n_units == 12
    single = item_box_agreement(items[0], n_labels=3)
    assert single.conflicts == ()
    assert (single.units == SCENE_LABELS).all()


def test_one_missing_box_is_a_missing_box_conflict():
    agreement = item_box_agreement([(1, SCENE, SCENE_LABELS), (2, SCENE[:3], SCENE_LABELS[:3])], n_labels=3)
    (conflict,) = agreement.conflicts
    assert conflict["kind"] == "missing_box"
    assert conflict["annotator"] == 2
    assert conflict["peer"] == 1
    assert conflict["peer_box"] == SCENE[3].tolist()
    assert conflict["peer_label"] == 2
    assert conflict["box"] is None
    assert conflict["iou"] is None
    # The missing object is a unit coded "dog" by annotator 1 and "no object" by annotator 2.
    assert agreement.units.shape == (2, 4)
    assert agreement.units[:, 3].tolist() == [2, NO_OBJECT]


def test_relabel_is_a_label_mismatch():
    relabeled = SCENE_LABELS.copy()
    relabeled[1] = 2
    agreement = item_box_agreement([(1, SCENE, SCENE_LABELS), (2, SCENE, relabeled)], n_labels=3)
    (conflict,) = agreement.conflicts
    assert conflict["kind"] == "label_mismatch"
    assert (conflict["label"], conflict["peer_label"]) == (1, 2)
    assert conflict["iou"] == pytest.approx(1.0)
    assert agreement.units[:, 1].tolist() == [1, 2]


def test_shifted_box_is_a_low_overlap():
    shifted = SCENE.copy()
    shifted[0, 0] += 12.5  # 50 px wide: IoU 37.5 / 62.5 = 0.6
    agreement = item_box_agreement([(1, SCENE, SCENE_LABELS), (2, shifted, SCENE_LABELS)], n_labels=3)
    (conflict,) = agreement.conflicts
    assert conflict["kind"] == "low_overlap"
    assert conflict["iou"] == pytest.approx(0.6)
    assert agreement.f1[0.6] == pytest.approx(1.0)
    assert agreement.f1[0.65] == pytest.approx(6 / 8)  # that pair no longer counts above 0.6


def test_box_drawn_by_one_of_three_annotators_is_extra():
    extra = np.vstack([SCENE, [[500, 500, 20, 20]]])
    annotations = [(1, SCENE, SCENE_LABELS), (2, SCENE, SCENE_LABELS), (3, extra, np.append(SCENE_LABELS, 1))]
    agreement = item_box_agreement(annotations, n_labels=3)
    assert kinds(agreement.conflicts) == ["extra_box", "extra_box"]
    assert {c["annotator"] for c in agreement.conflicts} == {3}
    assert {c["peer"] for c in agreement.conflicts} == {1, 2}
    assert agreement.units.shape == (3, 5)
    assert agreement.units[:, 4].tolist() == [NO_OBJECT, NO_OBJECT, 1]


def test_weights_decide_between_missing_and_extra():
    skilled, unskilled = (
        (1, SCENE, SCENE_LABELS),
        (2, np.vstack([SCENE[:3], [[600, 600, 30, 30]]]), [0, 1, 0, 1]),
    )
    agreement = item_box_agreement([skilled, unskilled], n_labels=3, weights=[3.0, 1.0])
    by_kind = {c["kind"]: c for c in agreement.conflicts}
    assert set(by_kind) == {"missing_box", "extra_box"}
    assert by_kind["missing_box"]["annotator"] == 2  # missed the skilled annotator's dog
    assert by_kind["extra_box"]["annotator"] == 2  # drew a box nobody confirms
    assert by_kind["extra_box"]["box"] == [600.0, 600.0, 30.0, 30.0]


def test_same_label_pairs_are_matched_before_cross_label_ones():
    car = np.array([[0.0, 0.0, 100.0, 100.0]])
    other = np.array([[0.0, 0.0, 100.0, 90.0], [0.0, 20.0, 100.0, 100.0]])  # person IoU 0.9, car IoU 0.67
    assert match_boxes(car, other)[0][1] == 0  # IoU alone would pair the car with the person
    agreement = item_box_agreement([(1, car, [0]), (2, other, [1, 0])], n_labels=3)
    assert kinds(agreement.conflicts) == ["low_overlap", "missing_box"]
    assert agreement.units.tolist() == [[0, NO_OBJECT], [0, 1]]


def test_thresholded_assignment_keeps_a_qualifying_pair():
    # Hungarian on the raw matrix would prefer 0.49 + 0.49 to 0.5 + 0 and then drop both pairs;
    # geometry masks sub-threshold pairs first, and the agreement matcher agrees with it.
    iou = np.array([[0.5, 0.49], [0.49, 0.0]])
    assert match_from_iou(iou, 0.5) == [(0, 0, 0.5)]
    assert two_stage_match(iou, np.ones((2, 2), dtype=bool), 0.5) == [(0, 0, 0.5)]


def test_pooled_alpha_is_defined_where_per_image_alphas_are_not():
    # Each image holds a single class; one box is missed in each.
    items = [
        [(1, SCENE, [0, 0, 0, 0]), (2, SCENE[:3], [0, 0, 0])],
        [(1, SCENE, [1, 1, 1, 1]), (2, SCENE[1:], [1, 1, 1])],
        [(1, SCENE, [2, 2, 2, 2]), (2, SCENE, [2, 2, 2, 2])],
    ]
    per_item = [item_box_agreement(item, n_labels=3).units for item in items]
    with pytest.raises(UndefinedAgreement):
        krippendorff_alpha(per_item[2])
    pooled = krippendorff_alpha(np.hstack(per_item))
    report = box_report(items, label_names=LABELS, n_resamples=0)
    assert report.alpha.value == pytest.approx(pooled)
    assert report.alpha.value == pytest.approx(
        krippendorff.alpha(reliability_data=np.hstack(per_item), level_of_measurement="nominal")
    )


def test_items_with_one_annotation_are_ignored():
    items = [[(1, SCENE, SCENE_LABELS), (2, SCENE, SCENE_LABELS)], [(1, SCENE, [0, 0, 0, 0])], []]
    report = box_report(items, label_names=LABELS, n_resamples=0)
    assert (report.n_items, report.n_ignored_items, report.n_units) == (1, 1, 4)
    assert report.alpha.value == pytest.approx(1.0)


def test_three_annotators_form_one_unit_per_object():
    rng = np.random.default_rng(5)
    annotations = [(a, SCENE + rng.normal(0, 1.5, SCENE.shape), SCENE_LABELS) for a in (4, 5, 6)]
    agreement = item_box_agreement(annotations, n_labels=3)
    assert agreement.units.shape == (3, 4)
    assert (agreement.units == SCENE_LABELS).all()


def test_empty_annotations_agree():
    items = [
        [(1, np.zeros((0, 4)), []), (2, np.zeros((0, 4)), [])],
        [(1, SCENE, SCENE_LABELS), (2, SCENE, SCENE_LABELS)],
    ]
    report = box_report(items, label_names=LABELS, n_resamples=0, max_item_score=1.0)
    assert [(i.item, i.score) for i in report.low_agreement_items] == [(0, 1.0), (1, 1.0)]


# ---------------------------------------------------------------------------------------------
# Batched matching against a plain per-pair reference
# ---------------------------------------------------------------------------------------------


def reference_matching(a, la, b, lb, threshold):
    """Per pair: same-label Hungarian on the thresholded matrix, then across labels."""
    iou = iou_matrix(a, b)
    same = la[:, None] == lb[None, :]
    qualifies = iou >= threshold
    first = match_from_iou(np.where(qualifies & same, iou, 0.0), threshold)
    rows = np.ones(len(a), dtype=bool)
    cols = np.ones(len(b), dtype=bool)
    rows[[r for r, _, _ in first]] = False
    cols[[c for _, c, _ in first]] = False
    second = match_from_iou(np.where(qualifies & ~same & rows[:, None] & cols[None, :], iou, 0.0), threshold)
    return first, second


def cluttered_items(seed, n_items, extent=200.0):
    rng = np.random.default_rng(seed)
    items = []
    for _ in range(n_items):
        truth = np.hstack([rng.uniform(0, extent, (8, 2)), rng.uniform(30, 80, (8, 2))])
        labels = rng.integers(0, 2, 8)
        annotations = []
        for annotator in (1, 2):
            keep = rng.uniform(size=8) > 0.15
            boxes = truth[keep] + rng.normal(0, 6, (int(keep.sum()), 4))
            boxes[:, 2:] = np.maximum(boxes[:, 2:], 5)
            relabel = np.where(rng.uniform(size=int(keep.sum())) < 0.2, 1 - labels[keep], labels[keep])
            annotations.append((annotator, boxes, relabel))
        items.append(annotations)
    return items


@pytest.mark.parametrize(("seed", "extent"), [(0, 200.0), (1, 200.0), (2, 2000.0)])
def test_batched_matching_equals_the_per_pair_reference(seed, extent):
    items = cluttered_items(seed, 150, extent)
    table = BoxAnnotationTable.from_items(items)
    first, second = annotation_pairs(table)
    matches = match_annotation_pairs(table, first, second, n_labels=2)
    if extent == 200.0:
        assert matches.n_hungarian > 0  # crowded scenes exercise the Hungarian fallback
    for pair, ((_, a, la), (_, b, lb)) in enumerate(items):
        mine = matches.match_pair == pair
        offset_a, offset_b = table.box_start[first[pair]], table.box_start[second[pair]]
        got = set(
            zip(
                (matches.box_a[mine] - offset_a).tolist(),
                (matches.box_b[mine] - offset_b).tolist(),
                strict=True,
            )
        )
        same_stage, cross_stage = reference_matching(a, la, b, lb, 0.5)
        assert got == {(r, c) for r, c, _ in same_stage + cross_stage}
        for step, threshold in enumerate(SWEEP_THRESHOLDS):
            expected, _ = reference_matching(a, la, b, lb, threshold)
            assert matches.tp_by_pair[pair, step] == len(expected)


def test_sweep_counts_per_label_add_up():
    items = cluttered_items(3, 80)
    table = BoxAnnotationTable.from_items(items)
    first, second = annotation_pairs(table)
    matches = match_annotation_pairs(table, first, second, n_labels=2)
    assert (matches.tp_by_label.sum(axis=0) == matches.tp_by_pair.sum(axis=0)).all()
    assert (np.diff(matches.tp_by_pair, axis=1) <= 0).all()  # stricter thresholds, fewer matches


def test_report_on_noisy_scenes_is_json_ready_and_consistent():
    items = cluttered_items(4, 60, extent=1000.0)
    report = box_report(items, label_names=["a", "b"], n_resamples=200, min_shared_units=1)
    payload = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    per_item = [item_box_agreement(item, n_labels=2).units for item in items]
    assert payload["alpha"]["value"] == pytest.approx(krippendorff_alpha(np.hstack(per_item)))
    low, high = payload["interval"]["low"], payload["interval"]["high"]
    assert low < payload["alpha"]["value"] < high
    (pair,) = payload["pairwise"]
    assert pair["f1"][0] == pytest.approx(payload["f1"][0])
    assert pair["alpha"]["value"] == pytest.approx(payload["alpha"]["value"])
    listed = payload["low_agreement_items"]
    assert [entry["score"] for entry in listed] == sorted(entry["score"] for entry in listed)
    assert all(entry["score"] <= report.max_item_score for entry in listed)


def test_report_weights_attribute_lone_boxes():
    skilled = (1, SCENE, SCENE_LABELS)
    unskilled = (2, np.vstack([SCENE[:3], [[600, 600, 30, 30]]]), [0, 1, 0, 1])
    weighted = box_report(
        [[skilled, unskilled]], label_names=LABELS, n_resamples=0, annotator_weights={1: 3.0, 2: 0.5}
    )
    assert weighted.conflict_counts["missing_box"] == 1
    assert weighted.conflict_counts["extra_box"] == 1
    # An annotator without a record weighs as much as the average known one: a tie again.
    partial = box_report(
        [[skilled, unskilled]], label_names=LABELS, n_resamples=0, annotator_weights={1: 3.0}
    )
    assert partial.conflict_counts["missing_box"] == 2
    assert partial.conflict_counts["extra_box"] == 0
