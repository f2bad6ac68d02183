import json

import pytest

from annotation_qc.domain.scoring import BenchmarkOutcome, score_submission


def box(x, y, w, h, label):
    return {"x": x, "y": y, "w": w, "h": h, "label": label}


GOLD = {
    "boxes": [
        box(10, 10, 50, 40, "car"),
        box(200, 100, 30, 60, "person"),
        box(400, 300, 80, 80, "car"),
    ]
}


def counts(outcome):
    return outcome.matched, outcome.missed, outcome.extra, outcome.wrong_label


def test_gold_against_itself_is_fixed():
    outcome = score_submission(GOLD, GOLD)
    assert outcome.fixed is True
    assert counts(outcome) == (3, 0, 0, 0)
    assert [obj.submitted_index for obj in outcome.objects] == [0, 1, 2]
    assert all(obj.iou == pytest.approx(1.0) for obj in outcome.objects)
    assert outcome.extra_indices == ()


def test_order_of_submitted_boxes_does_not_matter():
    shuffled = {"boxes": [GOLD["boxes"][2], GOLD["boxes"][0], GOLD["boxes"][1]]}
    outcome = score_submission(GOLD, shuffled)
    assert outcome.fixed is True
    assert [obj.submitted_index for obj in outcome.objects] == [1, 2, 0]


def test_a_dropped_box_is_missed():
    outcome = score_submission(GOLD, {"boxes": GOLD["boxes"][:2]})
    assert outcome.fixed is False
    assert counts(outcome) == (2, 1, 0, 0)
    missed = outcome.objects[2]
    assert (missed.status, missed.submitted_index, missed.iou, missed.submitted_label) == (
        "missed",
        None,
        None,
        None,
    )


def test_an_added_box_is_extra():
    submitted = {"boxes": [box(600, 10, 20, 20, "person"), *GOLD["boxes"]]}
    outcome = score_submission(GOLD, submitted)
    assert outcome.fixed is False
    assert counts(outcome) == (3, 0, 1, 0)
    assert outcome.extra_indices == (0,)


def test_a_relabelled_box_is_a_wrong_label_not_a_miss_plus_an_extra():
    submitted = {"boxes": [GOLD["boxes"][0], box(200, 100, 30, 60, "car"), GOLD["boxes"][2]]}
    outcome = score_submission(GOLD, submitted)
    assert outcome.fixed is False
    assert counts(outcome) == (2, 0, 0, 1)
    wrong = outcome.objects[1]
    assert (wrong.status, wrong.gold_label, wrong.submitted_label, wrong.submitted_index) == (
        "wrong_label",
        "person",
        "car",
        1,
    )


def test_a_box_moved_below_the_match_iou_is_missed_and_extra():
    # Shifting a 50 x 40 box by 20 px along x: IoU = 30 / 70 = 0.43.
    submitted = {"boxes": [box(30, 10, 50, 40, "car"), *GOLD["boxes"][1:]]}
    outcome = score_submission(GOLD, submitted)
    assert counts(outcome) == (2, 1, 1, 0)
    assert outcome.extra_indices == (0,)
    # The same move passes a looser match rule.
    loose = score_submission(GOLD, submitted, min_iou=0.4)
    assert loose.fixed is True
    assert loose.objects[0].iou == pytest.approx(3 / 7)


def test_a_small_move_still_matches():
    # 5 px along x: IoU = 45 / 55 = 0.818 >= 0.7.
    submitted = {"boxes": [box(15, 10, 50, 40, "car"), *GOLD["boxes"][1:]]}
    outcome = score_submission(GOLD, submitted)
    assert outcome.fixed is True
    assert outcome.objects[0].iou == pytest.approx(45 / 55)


def test_matching_is_optimal_not_greedy():
    # IoU: A-P 0.835, A-Q 0.739, B-P 0.802, B-Q 0.481. Greedy takes A-P and leaves B unmatched;
    # the optimal matching pairs A-Q and B-P, both above 0.7.
    gold = {"boxes": [box(0, 0, 10, 10, "car"), box(2, 0, 10, 10, "car")]}
    submitted = {"boxes": [box(0.9, 0, 10, 10, "car"), box(-1.5, 0, 10, 10, "car")]}
    outcome = score_submission(gold, submitted)
    assert outcome.fixed is True
    assert [obj.submitted_index for obj in outcome.objects] == [1, 0]


def test_identical_boxes_with_different_labels_match_their_own_label():
    # A tie on IoU: the label breaks it, so gold against itself stays fixed.
    gold = {"boxes": [box(5, 5, 20, 20, "car"), box(5, 5, 20, 20, "truck")]}
    assert score_submission(gold, gold).fixed is True
    swapped = {"boxes": [gold["boxes"][1], gold["boxes"][0]]}
    assert score_submission(gold, swapped).fixed is True


def test_a_better_overlap_wins_over_a_matching_label():
    gold = {"boxes": [box(0, 0, 10, 10, "car")]}
    submitted = {"boxes": [box(0, 0, 10, 10, "truck"), box(1, 0, 10, 10, "car")]}
    outcome = score_submission(gold, submitted)
    assert counts(outcome) == (0, 0, 1, 1)
    assert outcome.extra_indices == (1,)


def test_empty_payloads():
    empty = {"boxes": []}
    assert score_submission(empty, empty).fixed is True
    outcome = score_submission(empty, {"boxes": [box(1, 1, 5, 5, "car")]})
    assert (outcome.fixed, outcome.extra, outcome.objects) == (False, 1, ())
    outcome = score_submission(GOLD, empty)
    assert counts(outcome) == (0, 3, 0, 0)


def test_classification():
    right = score_submission({"label": "cat"}, {"label": "cat"})
    assert right.fixed is True
    assert counts(right) == (1, 0, 0, 0)
    wrong = score_submission({"label": "cat"}, {"label": "dog"})
    assert wrong.fixed is False
    assert counts(wrong) == (0, 0, 0, 1)
    assert (wrong.objects[0].gold_label, wrong.objects[0].submitted_label) == ("cat", "dog")
    missing = score_submission({"label": "cat"}, {})
    assert counts(missing) == (0, 1, 0, 0)


def test_bad_input():
    with pytest.raises(ValueError, match="both be bbox"):
        score_submission(GOLD, {"label": "car"})
    with pytest.raises(ValueError, match="min_iou"):
        score_submission(GOLD, GOLD, min_iou=0)
    with pytest.raises(ValueError, match="neither"):
        score_submission({}, {})


def test_outcome_round_trips_through_json():
    submitted = {"boxes": [box(600, 10, 20, 20, "person"), box(200, 100, 30, 60, "car")]}
    outcome = score_submission(GOLD, submitted)
    data = json.loads(json.dumps(outcome.to_dict()))
    assert data["objects"][1] == {
        "gold_index": 1,
        "submitted_index": 1,
        "iou": 1.0,
        "status": "wrong_label",
        "gold_label": "person",
        "submitted_label": "car",
    }
    assert data["extra_indices"] == [0]
    assert BenchmarkOutcome.from_dict(data) == outcome
