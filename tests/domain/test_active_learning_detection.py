import numpy as np
import pytest

from annotation_qc.domain.active_learning import (
    box_scores_from_payloads,
    detection_committee_disagreement,
    detection_uncertainty,
)


def test_box_entropy_is_one_bit_at_one_half_and_zero_when_sure():
    scores = [[0.5], [1.0, 0.0], [0.5, 1.0], [0.5, 0.5, 0.5]]
    np.testing.assert_allclose(detection_uncertainty(scores), [1.0, 0.0, 0.5, 1.0])
    np.testing.assert_allclose(detection_uncertainty(scores, aggregate="max"), [1.0, 0.0, 1.0, 1.0])


def test_box_entropy_known_value_and_symmetry():
    # H(0.1) = -(0.1 log2 0.1 + 0.9 log2 0.9) = 0.4690 bits; a confident rejection is as sure.
    np.testing.assert_allclose(detection_uncertainty([[0.1], [0.9]]), [0.46899559, 0.46899559])


def test_items_without_boxes_get_the_empty_score():
    scores = [[], [0.5], np.array([])]
    np.testing.assert_allclose(detection_uncertainty(scores), [0.0, 1.0, 0.0])
    np.testing.assert_allclose(detection_uncertainty(scores, empty_score=1.0), [1.0, 1.0, 1.0])
    np.testing.assert_allclose(detection_uncertainty([[], []]), [0.0, 0.0])


def test_an_uncertain_item_outranks_a_confident_one():
    scores = [[0.95, 0.99, 0.97], [0.55, 0.9], [0.005]]  # mean H: 0.19, 0.73, 0.05
    assert list(np.argsort(-detection_uncertainty(scores))) == [1, 0, 2]


@pytest.mark.parametrize("bad", [[1.2], [-0.1], [np.nan]])
def test_box_scores_outside_zero_one_are_rejected(bad):
    with pytest.raises(ValueError, match="box scores of item 1 must be finite and within"):
        detection_uncertainty([[0.5], bad])


def test_box_scores_from_payloads():
    payloads = [{"boxes": [{"x": 0, "y": 0, "w": 1, "h": 1, "label": "a", "score": 0.25}]}, {"boxes": []}]
    scores = box_scores_from_payloads(payloads)
    np.testing.assert_allclose(scores[0], [0.25])
    assert scores[1].shape == (0,)
    with pytest.raises(ValueError, match="every box of prediction 0 needs a numeric 'score'"):
        box_scores_from_payloads([{"boxes": [{"x": 0, "y": 0, "w": 1, "h": 1, "label": "a"}]}])


def box(x, y, w, h, label="car"):
    return {"x": x, "y": y, "w": w, "h": h, "label": label}


def payload(*boxes):
    return {"boxes": list(boxes)}


def test_identical_predictions_do_not_disagree():
    item = payload(box(0, 0, 10, 10), box(50, 50, 20, 20, "person"))
    models = [[item, payload()], [item, payload()], [item, payload()]]
    np.testing.assert_allclose(detection_committee_disagreement(models), [0.0, 0.0])


def test_planted_disagreements():
    reference = [
        payload(box(0, 0, 10, 10)),  # 0: shifted by 2 px: IoU 80/120 = 2/3
        payload(box(0, 0, 10, 10)),  # 1: same box, other label
        payload(box(0, 0, 10, 10)),  # 2: other model sees nothing
        payload(box(0, 0, 10, 10)),  # 3: shifted below the match IoU: two unmatched boxes
        payload(box(0, 0, 10, 10), box(100, 0, 10, 10)),  # 4: one of two boxes found exactly
    ]
    other = [
        payload(box(2, 0, 10, 10)),
        payload(box(0, 0, 10, 10, "truck")),
        payload(),
        payload(box(6, 0, 10, 10)),
        payload(box(100, 0, 10, 10)),
    ]
    expected = [1 - 2 / 3, 1 - 0.5, 1.0, 1.0, 1 - 1 / 2]
    np.testing.assert_allclose(detection_committee_disagreement([reference, other]), expected)
    np.testing.assert_allclose(detection_committee_disagreement([reference, other], label_weight=1.0)[1], 1.0)


def test_three_models_average_over_pairs_and_accept_array_predictions():
    boxes = np.array([[0.0, 0.0, 10.0, 10.0]])
    models = [[(boxes, ["car"])], [(boxes, ["car"])], [(np.zeros((0, 4)), [])]]
    # Pairs: (0, 1) agree, (0, 2) and (1, 2) disagree fully.
    np.testing.assert_allclose(detection_committee_disagreement(models), [2 / 3])


def test_disagreement_input_checks():
    with pytest.raises(ValueError, match="at least two models"):
        detection_committee_disagreement([[payload()]])
    with pytest.raises(ValueError, match="each of the 2 items"):
        detection_committee_disagreement([[payload(), payload()], [payload()]])
    with pytest.raises(ValueError, match="1 boxes but 2 labels"):
        detection_committee_disagreement([[(np.zeros((1, 4)) + 1, ["a", "b"])], [payload()]])
