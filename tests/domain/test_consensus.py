import math

import numpy as np
import pytest

from annotation_qc.domain.agreement import (
    accuracy_weight,
    box_consensus,
    box_needs_another_annotation,
    classification_consensus,
    consensus_labels,
    consensus_of_items,
    label_posterior,
    needs_another_annotation,
    skill_weight,
    smoothed_accuracy,
)


def one_coin_posterior(labels, accuracies, n_labels):
    """Bayes by hand: P(votes | true = l) = prod_j a_j if v_j = l else (1 - a_j) / (L - 1)."""
    likelihood = np.array(
        [
            math.prod(
                a if v == true else (1 - a) / (n_labels - 1) for v, a in zip(labels, accuracies, strict=True)
            )
            for true in range(n_labels)
        ]
    )
    return likelihood / likelihood.sum()


def test_smoothed_accuracy_and_weight():
    assert smoothed_accuracy(0, 0) == 0.5
    assert smoothed_accuracy(18, 20) == pytest.approx(20 / 24)
    assert accuracy_weight(0.9, n_labels=2) == pytest.approx(math.log(9))
    assert accuracy_weight(0.5, n_labels=4) == pytest.approx(math.log(3))
    assert skill_weight(18, 20, n_labels=2) == pytest.approx(math.log((20 / 24) / (4 / 24)))
    with pytest.raises(ValueError, match="correct"):
        smoothed_accuracy(5, 3)
    with pytest.raises(ValueError, match="strictly"):
        accuracy_weight(1.0, n_labels=2)


def test_posterior_is_the_one_coin_bayes_posterior():
    labels, accuracies = [0, 2, 2, 1], [0.95, 0.6, 0.7, 0.55]
    assert label_posterior(labels, accuracies, n_labels=3) == pytest.approx(
        one_coin_posterior(labels, accuracies, 3)
    )


def test_weighted_consensus_posterior_matches_bayes():
    labels, accuracies = [0, 2, 2], [0.9, 0.6, 0.65]
    weights = [accuracy_weight(a, n_labels=3) for a in accuracies]
    label, posterior = classification_consensus(labels, weights, n_labels=3)
    expected = one_coin_posterior(labels, accuracies, 3)
    assert label == int(np.argmax(expected))
    assert posterior == pytest.approx(expected.max())


def test_a_skilled_minority_beats_an_unskilled_majority():
    skilled = skill_weight(48, 50, n_labels=2)
    unskilled = skill_weight(30, 50, n_labels=2)
    label, posterior = classification_consensus([1, 0, 0], [skilled, unskilled, unskilled], n_labels=2)
    assert label == 1
    accuracies = [smoothed_accuracy(48, 50), smoothed_accuracy(30, 50), smoothed_accuracy(30, 50)]
    assert posterior == pytest.approx(one_coin_posterior([1, 0, 0], accuracies, 2)[1])
    # Without skill it is a majority vote, and the second value is the vote share.
    assert classification_consensus([1, 0, 0], n_labels=2) == (0, pytest.approx(2 / 3))
    assert classification_consensus([1, 0, 0], [None, None, None], n_labels=2) == (0, pytest.approx(2 / 3))


def test_unknown_annotators_count_as_the_average_known_one():
    known = skill_weight(45, 50, n_labels=3)
    label, _ = classification_consensus([2, 1, 1], [known, None, None], n_labels=3)
    assert label == 1  # two average annotators outvote one


def test_batch_consensus_matches_single_items():
    rng = np.random.default_rng(0)
    item = np.repeat(np.arange(200) * 5 + 3, 3)
    annotator = rng.integers(0, 6, 600) + np.tile([0, 10, 20], 200)
    label = rng.integers(0, 4, 600)
    weights = {a: skill_weight(int(rng.integers(5, 50)), 50, n_labels=4) for a in range(0, 26, 2)}
    batch = consensus_labels(item, annotator, label, n_labels=4, annotator_weights=weights)
    fill = float(np.mean(list(weights.values())))
    for i in range(200):
        rows = slice(3 * i, 3 * i + 3)
        w = [weights.get(int(a), fill) for a in annotator[rows]]
        assert (batch.label[i], batch.posterior[i]) == (
            classification_consensus(label[rows], w, n_labels=4)[0],
            pytest.approx(classification_consensus(label[rows], w, n_labels=4)[1]),
        )
    majority = consensus_labels(item, annotator, label, n_labels=4)
    assert majority.item.tolist() == sorted(set(item.tolist()))
    assert majority.label[0] == classification_consensus(label[:3], n_labels=4)[0]


def test_dynamic_overlap_decisions():
    good, poor = smoothed_accuracy(38, 40), smoothed_accuracy(12, 20)
    # Two reliable annotators agree: the posterior clears 0.95, no more annotations.
    assert not needs_another_annotation(
        [1, 1], [good, good], target_posterior=0.95, n_labels=2, max_annotations=5
    )
    # They disagree: 50/50, ask a third.
    assert needs_another_annotation(
        [1, 0], [good, good], target_posterior=0.95, n_labels=2, max_annotations=5
    )
    # Two poor annotators agreeing are not enough for 0.95.
    assert needs_another_annotation(
        [1, 1], [poor, poor], target_posterior=0.95, n_labels=2, max_annotations=5
    )
    # ... but the per-project maximum stops the overlap.
    assert not needs_another_annotation(
        [1, 1], [poor, poor], target_posterior=0.95, n_labels=2, max_annotations=2
    )
    # After a 1-1 split a third vote leaves the posterior at that annotator's accuracy (10/11).
    assert not needs_another_annotation(
        [1, 0, 1], [good, good, good], target_posterior=0.9, n_labels=2, max_annotations=5
    )
    assert needs_another_annotation(
        [1, 0, 1], [good, good, good], target_posterior=0.95, n_labels=2, max_annotations=5
    )
    # No benchmark record: the prior accuracy 0.5 carries no evidence on a binary task.
    assert needs_another_annotation([1, 1], [None, None], target_posterior=0.6, n_labels=2, max_annotations=3)
    assert needs_another_annotation([], [], target_posterior=0.9, n_labels=2, max_annotations=2)


def test_box_consensus_fuses_matched_boxes():
    a = np.array([[10.0, 10.0, 50.0, 50.0], [200.0, 200.0, 40.0, 40.0]])
    b = a + np.array([[4.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0]])
    c = a[:1] + np.array([[2.0, 2.0, 0.0, 0.0]])
    result = box_consensus([(1, a, [0, 1]), (2, b, [0, 1]), (3, c, [1])], n_labels=2)
    # Object 1: drawn by all three, label 0 twice against 1 once; object 2: two of three.
    np.testing.assert_allclose(result.boxes, [[12.0, 32 / 3, 50.0, 50.0], [200.0, 201.0, 40.0, 40.0]])
    assert result.labels.tolist() == [0, 1]
    assert result.support.tolist() == pytest.approx([1.0, 2 / 3])
    assert result.label_share.tolist() == pytest.approx([2 / 3, 1.0])
    assert result.n_dropped == 0


def test_box_consensus_keeps_what_a_weighted_majority_supports():
    a = np.array([[10.0, 10.0, 50.0, 50.0], [200.0, 200.0, 40.0, 40.0]])
    only_first = a[:1]
    # Equal weights: the second box has half the support, not a majority, and is dropped.
    equal = box_consensus([(1, a, [0, 1]), (2, only_first, [0])], n_labels=2)
    assert equal.labels.tolist() == [0]
    assert equal.n_dropped == 1
    # A skilled author carries it.
    skilled = box_consensus([(1, a, [0, 1]), (2, only_first, [1])], [3.0, 1.0], n_labels=2)
    assert len(skilled.boxes) == 2
    assert skilled.labels.tolist() == [0, 1]  # the skilled annotator's label wins object 1
    assert skilled.boxes[0].tolist() == pytest.approx(a[0].tolist())
    # Fused coordinates are weighted by skill.
    shifted = box_consensus(
        [(1, a[:1], [0]), (2, a[:1] + np.array([8.0, 0, 0, 0]), [0])], [3.0, 1.0], n_labels=2
    )
    assert shifted.boxes[0, 0] == pytest.approx(12.0)
    # Negative (worse than chance) weights count as zero.
    assert box_consensus([(1, a, [0, 1]), (2, only_first, [0])], [-1.0, 2.0], n_labels=2).n_dropped == 1


def test_box_consensus_of_a_single_annotation_is_that_annotation():
    a = np.array([[10.0, 10.0, 50.0, 50.0]])
    result = box_consensus([(1, a, [1])], n_labels=2)
    assert result.boxes.tolist() == a.tolist()
    assert result.labels.tolist() == [1]


TWO_BOXES = np.array([[10.0, 10.0, 50.0, 50.0], [200.0, 200.0, 40.0, 40.0]])


def test_two_annotators_who_agree_settle_a_bbox_item():
    fused = box_consensus([(1, TWO_BOXES, [0, 1]), (2, TWO_BOXES + 2.0, [0, 1])], n_labels=2)
    assert not box_needs_another_annotation(fused, n_annotations=2, max_annotations=4)


def test_a_box_only_one_of_two_annotators_drew_asks_for_a_third():
    fused = box_consensus([(1, TWO_BOXES, [0, 1]), (2, TWO_BOXES[:1], [0])], n_labels=2)
    assert fused.dropped_support.tolist() == [0.5]
    assert box_needs_another_annotation(fused, n_annotations=2, max_annotations=3)
    assert not box_needs_another_annotation(fused, n_annotations=3, max_annotations=3)  # at the limit


def test_a_label_split_asks_for_a_third_and_a_two_to_one_majority_settles():
    split = box_consensus([(1, TWO_BOXES, [0, 1]), (2, TWO_BOXES, [1, 1])], n_labels=2)
    assert split.label_share.tolist() == pytest.approx([0.5, 1.0])
    assert box_needs_another_annotation(split, n_annotations=2, max_annotations=4)
    settled = box_consensus(
        [(1, TWO_BOXES, [0, 1]), (2, TWO_BOXES, [1, 1]), (3, TWO_BOXES[:1], [0])], n_labels=2
    )
    # Object 1: drawn by all, label 0 two to one; object 2: drawn by two of three, label 1 both times.
    assert settled.support.tolist() == pytest.approx([1.0, 2 / 3])
    assert not box_needs_another_annotation(settled, n_annotations=3, max_annotations=4)


def test_the_tie_margin_is_checked():
    fused = box_consensus([(1, TWO_BOXES, [0, 1])], n_labels=2)
    with pytest.raises(ValueError, match="margin"):
        box_needs_another_annotation(fused, n_annotations=1, max_annotations=2, margin=0.5)


def test_the_vote_of_many_items_matches_the_vote_of_each() -> None:
    """The domain's vectorised vote against the per-item functions, on random data (no database)."""
    rng = np.random.default_rng(7)
    n_labels = 5
    item = np.repeat(np.arange(300), rng.integers(1, 6, size=300))
    label = rng.integers(0, n_labels, size=len(item))
    accuracy = np.where(rng.random(len(item)) < 0.6, rng.uniform(0.2, 0.95, len(item)), np.nan)
    result = consensus_of_items(
        item, label, accuracy, n_labels=n_labels, target_posterior=0.8, max_annotations=4
    )
    for position, pk in enumerate(result.item.tolist()):
        mask = item == pk
        accuracies = accuracy[mask]
        known = accuracies[np.isfinite(accuracies)]
        weights = [
            None if not np.isfinite(a) else float(np.log(a * (n_labels - 1) / (1 - a))) for a in accuracies
        ]
        code, posterior = classification_consensus(
            label[mask], weights if len(known) else None, n_labels=n_labels
        )
        assert (result.label[position], result.weighted[position]) == (code, len(known) > 0)
        assert result.posterior[position] == pytest.approx(posterior)
        if len(known):
            filled = [float(a) if np.isfinite(a) else float(known.mean()) for a in accuracies]
            doubt = label_posterior(label[mask], filled, n_labels=n_labels).max() < 0.8 and mask.sum() < 4
        else:
            doubt = False
        assert bool(result.needs_another[position]) == bool(doubt)
