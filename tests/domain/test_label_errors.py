"""Label-error detection: confident learning, out-of-fold probabilities, boxes, crowd consensus."""

import numpy as np
import pytest
from sklearn.datasets import load_digits

from annotation_qc.domain.label_errors import (
    BoxIssue,
    BoxScoringConfig,
    LabelErrorInputError,
    Ranking,
    class_columns,
    confident_joint,
    crowd_consensus,
    describe,
    describe_box,
    find_label_issues,
    out_of_fold_proba,
    per_class_thresholds,
    pool_scores,
    score_image,
)


def _confident_proba(true: np.ndarray, k: int, confidence: float, rng: np.random.Generator) -> np.ndarray:
    proba = rng.uniform(0, 1, (len(true), k)) * (1 - confidence) / k
    proba[np.arange(len(true)), true] += confidence
    return proba / proba.sum(axis=1, keepdims=True)


def test_flags_the_flipped_labels_and_not_the_clean_ones():
    rng = np.random.default_rng(0)
    true = rng.integers(0, 3, 300)
    given = true.copy()
    flipped = np.arange(0, 300, 20)  # 15 items
    given[flipped] = (true[flipped] + 1) % 3
    result = find_label_issues(given, _confident_proba(true, 3, 0.9, rng))
    assert set(np.flatnonzero(result.is_issue)) == set(flipped)
    assert result.noise_rate == pytest.approx(15 / 300, abs=0.01)
    # The ranking puts the flagged items first, every one below every clean item.
    ranked = result.ranked_issues()
    assert set(ranked) == set(flipped)
    clean = np.setdiff1d(np.arange(300), flipped)
    assert result.quality[flipped].max() < result.quality[clean].min()


def test_confident_joint_is_calibrated_to_the_label_counts():
    rng = np.random.default_rng(1)
    true = rng.integers(0, 4, 400)
    given = true.copy()
    given[:40] = (true[:40] + 1) % 4
    proba = _confident_proba(true, 4, 0.8, rng)
    thresholds = per_class_thresholds(given, proba)
    joint = confident_joint(given, proba, thresholds)
    np.testing.assert_allclose(joint.sum(axis=1), np.bincount(given, minlength=4))
    assert joint.sum() == pytest.approx(400)
    # About 40 items sit off the diagonal, in the cells (i, i - 1) of the flips.
    off = joint.sum() - np.trace(joint)
    assert 30 < off < 50
    for i in range(4):
        assert joint[(i + 1) % 4, i] > 5


def test_thresholds_are_mean_self_confidence_and_unlabelled_classes_are_never_confident():
    given = np.array([0, 0, 1, 1])
    proba = np.array([[0.9, 0.1, 0.0], [0.7, 0.3, 0.0], [0.2, 0.8, 0.0], [0.4, 0.6, 0.0]])
    np.testing.assert_allclose(per_class_thresholds(given, proba), [0.8, 0.7, 1.0])


def test_rankings():
    given = np.array([0, 1] * 10)
    proba = np.tile([[0.6, 0.4], [0.3, 0.7]], (10, 1))
    proba[0] = [0.1, 0.9]
    by_margin = find_label_issues(given, proba, ranking=Ranking.NORMALIZED_MARGIN)
    by_confidence = find_label_issues(given, proba, ranking="self_confidence")
    assert by_margin.quality[0] == pytest.approx((0.1 - 0.9 + 1) / 2)
    assert by_confidence.quality[0] == pytest.approx(0.1)
    assert by_margin.is_issue[0]
    assert by_margin.predicted[0] == 1
    assert by_margin.predicted_proba[0] == pytest.approx(0.9)


@pytest.mark.parametrize(
    ("labels", "proba", "message"),
    [
        ([0, 1, 0], np.full((3, 2), 0.5), "only 3 labelled items"),
        ([0] * 12, np.full((12, 2), 0.5), "same class"),
        ([0, 1] * 6, np.full((12, 2, 1), 0.5), "items x classes"),
        ([0, 1] * 5, np.full((12, 2), 0.5), "one label per probability row"),
        ([0, 2] * 6, np.full((12, 2), 0.5), "class columns"),
    ],
)
def test_bad_inputs_give_a_clear_reason(labels, proba, message):
    with pytest.raises(LabelErrorInputError, match=message):
        find_label_issues(labels, proba)


def test_out_of_fold_probabilities_find_flipped_digits():
    features, labels = load_digits(return_X_y=True)
    features, labels = features[:400], labels[:400]
    rng = np.random.default_rng(3)
    noisy = labels.copy()
    flipped = rng.choice(400, 40, replace=False)
    noisy[flipped] = (labels[flipped] + rng.integers(1, 10, 40)) % 10
    proba = out_of_fold_proba(features, noisy, n_classes=10, seed=0)
    assert proba.shape == (400, 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # Out of fold, the model does not echo a flipped label: it mostly predicts the true class.
    assert (proba[flipped].argmax(axis=1) == labels[flipped]).mean() > 0.8
    found = find_label_issues(noisy, proba).is_issue
    truth = np.zeros(400, dtype=bool)
    truth[flipped] = True
    precision = (found & truth).sum() / found.sum()
    recall = (found & truth).sum() / truth.sum()
    assert precision > 0.7
    assert recall >= 0.65


def test_out_of_fold_with_too_few_labels_or_one_class():
    with pytest.raises(LabelErrorInputError, match="only 4 labelled items"):
        out_of_fold_proba(np.zeros((4, 2)), [0, 1, 0, 1])
    with pytest.raises(LabelErrorInputError, match="same class"):
        out_of_fold_proba(np.zeros((20, 2)), [1] * 20)


def test_out_of_fold_with_a_rare_class_uses_plain_folds():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(30, 3))
    labels = np.array([0] * 28 + [1, 2])
    proba = out_of_fold_proba(features, labels, n_classes=4)
    assert proba.shape == (30, 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.all(proba[:, 3] == 0)


def test_class_columns():
    np.testing.assert_array_equal(class_columns(["dog", "cat"], ["cat", "dog"]), [1, 0])
    with pytest.raises(LabelErrorInputError, match="'cow'"):
        class_columns(["cow"], ["cat", "dog"])


def test_describe():
    assert describe("cat", "dog", 0.9712) == "labelled cat, model 0.97 dog"


# Boxes: one image, class 0 = "car", 1 = "person".
CAR = [100.0, 100.0, 50.0, 40.0]
PERSON = [300.0, 200.0, 20.0, 60.0]


def _findings(given, given_labels, predicted, predicted_labels, scores):
    result = score_image(given, given_labels, predicted, predicted_labels, scores)
    return result, {(f.kind, f.given_index, f.predicted_index) for f in result.flagged()}


def test_a_correct_image_has_no_findings():
    result, flagged = _findings(
        [CAR, PERSON], [0, 1], [[101, 99, 50, 41], [300, 202, 21, 58]], [0, 1], [0.9, 0.85]
    )
    assert flagged == set()
    assert result.score < 0.2


def test_overlooked_object():
    result, flagged = _findings([CAR], [0], [[101, 99, 50, 41], PERSON], [0, 1], [0.9, 0.8])
    assert flagged == {(BoxIssue.OVERLOOKED, None, 1)}
    assert result.score > 0.7


def test_badly_located_box():
    shifted = [120.0, 115.0, 50.0, 40.0]  # IoU ~0.3 with the model's car
    result, flagged = _findings([shifted], [0], [CAR], [0], [0.9])
    assert flagged == {(BoxIssue.BADLY_LOCATED, 0, 0)}
    finding = result.flagged()[0]
    assert 0.2 < (finding.iou or 0) < 0.45
    assert "badly placed" in describe_box(finding, ["car", "person"])


def test_wrong_class_box():
    result, flagged = _findings([CAR], [1], [CAR], [0], [0.92])
    assert flagged == {(BoxIssue.WRONG_CLASS, 0, 0)}
    assert describe_box(result.flagged()[0], ["car", "person"]) == "box labelled person, model 0.92 car"


def test_spurious_box():
    result, flagged = _findings([CAR, PERSON], [0, 1], [CAR], [0], [0.9])
    assert flagged == {(BoxIssue.SPURIOUS, 1, None)}
    assert result.box_kinds[1] is BoxIssue.SPURIOUS
    assert result.box_scores[0] == pytest.approx(0.1)  # the model sees the car at 0.9
    assert result.box_scores[1] == pytest.approx(1.0)


def test_a_faint_prediction_is_not_flagged_as_overlooked():
    _, flagged = _findings([CAR], [0], [CAR, PERSON], [0, 1], [0.9, 0.2])
    assert flagged == set()


def test_empty_images():
    result = score_image(np.zeros((0, 4)), [], np.zeros((0, 4)), [], [])
    assert result.score == 0.0
    assert result.findings == []
    result = score_image([CAR], [0], np.zeros((0, 4)), [], [])
    assert [f.kind for f in result.flagged(BoxScoringConfig())] == [BoxIssue.SPURIOUS]


def test_box_inputs_must_line_up():
    with pytest.raises(ValueError, match="label per given box"):
        score_image([CAR], [0, 1], [CAR], [0], [0.9])
    with pytest.raises(ValueError, match="per predicted box"):
        score_image([CAR], [0], [CAR], [0], [0.9, 0.1])


def test_pool_scores_sits_near_the_maximum():
    assert pool_scores(np.array([]), 0.1) == 0.0
    pooled = pool_scores(np.array([0.9, 0.1, 0.1, 0.1]), 0.1)
    assert 0.85 < pooled <= 0.9


# Crowd consensus.


def test_crowd_consensus_outvotes_a_bad_annotator_and_rates_it_lowest():
    rng = np.random.default_rng(0)
    true = rng.integers(0, 3, 200)
    labels = np.tile(true[:, None], (1, 3))
    labels[:, 2] = np.where(rng.random(200) < 0.6, (true + 1) % 3, true)  # annotator 2 is poor
    labels[rng.random(200) < 0.05, 0] = -1  # some missing answers
    result = crowd_consensus(labels, n_classes=3)
    assert (result.consensus == true).mean() > 0.97
    assert result.annotator_quality[2] < result.annotator_quality[0]
    assert result.annotator_quality[2] < result.annotator_quality[1]
    assert result.annotator_weight[2] < result.annotator_weight[0]
    assert np.isnan(result.label_quality[labels == -1]).all()
    assert np.all((result.consensus_quality > 0) & (result.consensus_quality <= 1))


def test_crowd_model_breaks_ties_and_single_labels_get_model_evidence():
    labels = np.array([[0, 1]] * 10 + [[0, 0]] * 30 + [[1, 1]] * 30 + [[1, -1]])
    proba = np.full((71, 2), 0.5)
    proba[:10] = [0.1, 0.9]
    proba[10:40] = [0.9, 0.1]
    proba[40:70] = [0.1, 0.9]
    proba[70] = [0.95, 0.05]
    result = crowd_consensus(labels, proba)
    assert np.all(result.consensus[:10] == 1)
    assert result.model_weight > 0
    # The lone annotator said 1 against a confident model: the consensus is less sure than where all agree.
    assert result.consensus_quality[70] < result.consensus_quality[40]


def test_crowd_bad_inputs():
    with pytest.raises(LabelErrorInputError, match="at least one annotator"):
        crowd_consensus([[0, 1], [-1, -1]])
    with pytest.raises(LabelErrorInputError, match="items x annotators"):
        crowd_consensus([0, 1])
    with pytest.raises(LabelErrorInputError, match="two classes"):
        crowd_consensus([[0, 0], [0, -1]], n_classes=1)
