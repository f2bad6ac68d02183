import numpy as np
import pytest

from annotation_qc.domain.geometry import (
    as_boxes,
    boxes_from_payload,
    boxes_to_payload,
    iou_matrix,
    match_boxes,
)


def test_iou_of_identical_boxes_is_one():
    boxes = np.array([[10, 10, 20, 20], [50, 50, 5, 5]])
    np.testing.assert_allclose(np.diag(iou_matrix(boxes, boxes)), [1.0, 1.0])


def test_iou_half_overlap_known_value():
    # Two 10x10 boxes overlapping in a 5x10 strip: 50 / (100 + 100 - 50) = 1/3.
    iou = iou_matrix([[0, 0, 10, 10]], [[5, 0, 10, 10]])
    assert iou.shape == (1, 1)
    assert iou[0, 0] == pytest.approx(1 / 3)


def test_iou_disjoint_and_touching_boxes_are_zero():
    iou = iou_matrix([[0, 0, 10, 10]], [[10, 0, 10, 10], [100, 100, 1, 1]])
    np.testing.assert_array_equal(iou, [[0.0, 0.0]])


def test_iou_shapes_with_empty_inputs():
    assert iou_matrix([], [[0, 0, 1, 1]]).shape == (0, 1)
    assert iou_matrix([[0, 0, 1, 1]], []).shape == (1, 0)


def test_iou_matches_a_scalar_reference_on_random_boxes():
    rng = np.random.default_rng(0)
    a = np.column_stack([rng.uniform(0, 100, (40, 2)), rng.uniform(1, 50, (40, 2))])
    b = np.column_stack([rng.uniform(0, 100, (30, 2)), rng.uniform(1, 50, (30, 2))])
    fast = iou_matrix(a, b)

    def reference(p, q):
        ix = max(0.0, min(p[0] + p[2], q[0] + q[2]) - max(p[0], q[0]))
        iy = max(0.0, min(p[1] + p[3], q[1] + q[3]) - max(p[1], q[1]))
        inter = ix * iy
        return inter / (p[2] * p[3] + q[2] * q[3] - inter)

    slow = np.array([[reference(p, q) for q in b] for p in a])
    np.testing.assert_allclose(fast, slow)


def test_match_boxes_is_optimal_not_greedy():
    # Greedy on the best pair (a0-b0, IoU 0.8) would leave a1 unmatched; the optimum pairs a0-b1 and a1-b0.
    a = [[0, 0, 10, 10], [3, 0, 10, 10]]
    b = [[1, 0, 10, 10], [-4, 0, 10, 10]]
    pairs = match_boxes(a, b, min_iou=0.3)
    assert [(i, j) for i, j, _ in pairs] == [(0, 1), (1, 0)]


def test_match_boxes_drops_pairs_below_threshold():
    pairs = match_boxes([[0, 0, 10, 10], [50, 50, 10, 10]], [[0, 0, 10, 10], [55, 50, 10, 10]], min_iou=0.5)
    assert [(i, j) for i, j, _ in pairs] == [(0, 0)]
    assert pairs[0][2] == pytest.approx(1.0)


def test_as_boxes_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r"\(n, 4\)"):
        as_boxes([[1, 2, 3]])


def test_payload_round_trip():
    payload = [{"x": 1.5, "y": 2, "w": 3, "h": 4, "label": "car"}]
    array, labels = boxes_from_payload(payload)
    assert array.shape == (1, 4)
    assert boxes_to_payload(array, labels) == [{"x": 1.5, "y": 2.0, "w": 3.0, "h": 4.0, "label": "car"}]


def test_sub_threshold_pairs_do_not_push_out_a_qualifying_pair():
    # a0-b0 qualifies (0.6); a0-b1 and a1-b0 (0.45 each) sum to more but are both below 0.5.
    iou = np.array([[0.6, 0.45], [0.45, 0.0]])
    from annotation_qc.domain.geometry import match_from_iou

    assert [(i, j) for i, j, _ in match_from_iou(iou, 0.5)] == [(0, 0)]
