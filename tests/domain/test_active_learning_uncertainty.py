import math

import numpy as np
import pytest

from annotation_qc.domain.active_learning import (
    InvalidProbabilities,
    consensus,
    consensus_kl,
    entropy,
    least_confidence,
    margin,
    vote_entropy,
)

UNIFORM_4 = np.full((3, 4), 0.25)
ONE_HOT = np.eye(4)[[0, 2, 3]]


def test_uniform_rows_are_maximally_uncertain():
    np.testing.assert_allclose(entropy(UNIFORM_4), math.log(4))
    np.testing.assert_allclose(least_confidence(UNIFORM_4), 0.75)
    np.testing.assert_allclose(margin(UNIFORM_4), 1.0)


def test_one_hot_rows_score_zero():
    np.testing.assert_allclose(entropy(ONE_HOT), 0.0)
    np.testing.assert_allclose(least_confidence(ONE_HOT), 0.0)
    np.testing.assert_allclose(margin(ONE_HOT), 0.0)


def test_entropy_known_value_in_nats():
    # H(1/2, 1/4, 1/4) = 1.5 bits = 1.5 ln 2 nats.
    assert entropy([[0.5, 0.25, 0.25]])[0] == pytest.approx(1.5 * math.log(2))


def test_margin_is_one_minus_the_gap_between_the_two_best_classes():
    proba = [[0.9, 0.05, 0.05], [0.49, 0.01, 0.5], [0.2, 0.7, 0.1]]
    np.testing.assert_allclose(margin(proba), [0.15, 0.99, 0.5])
    assert list(np.argsort(-margin(proba))) == [1, 2, 0]


def test_margin_and_least_confidence_rank_planted_rows_differently():
    # A: two classes tie, confident otherwise; B: flatter, but with a clear (small) winner.
    tie, flat = [0.5, 0.5, 0.0], [0.4, 0.3, 0.3]
    assert margin([tie, flat]).argmax() == 0
    assert least_confidence([tie, flat]).argmax() == 1


def test_a_single_class_column_is_certain():
    np.testing.assert_allclose(margin([[1.0], [1.0]]), 0.0)
    np.testing.assert_allclose(entropy([[1.0]]), 0.0)


def test_empty_input_gives_empty_scores():
    assert margin(np.zeros((0, 3))).shape == (0,)


def test_rows_within_the_sum_tolerance_are_accepted():
    assert entropy([[0.5, 0.5005]]).shape == (1,)


@pytest.mark.parametrize(
    ("proba", "message"),
    [
        ([[0.5, 0.5], [0.5, 0.3]], "row 1 of proba sums to 0.8"),
        ([[0.5, 0.5], [1.2, -0.2]], "row 1 of proba has values outside [0, 1]"),
        ([[np.nan, 1.0]], "row 0 of proba has NaN"),
        ([0.5, 0.5], "must be 2-D"),
        ([[[0.5, 0.5]]], "must be 2-D"),
        ([[0.5, 0.5], [1.0]], "rectangular"),
        (np.zeros((2, 0)), "at least one class"),
    ],
)
def test_invalid_probabilities_are_rejected_with_a_message(proba, message):
    for score in (least_confidence, margin, entropy):
        with pytest.raises(InvalidProbabilities) as error:
            score(proba)
        assert message in str(error.value)
    assert issubclass(InvalidProbabilities, ValueError)


def committee(*members):
    return np.asarray(members, dtype=float)


def test_vote_entropy_is_zero_when_every_member_votes_alike():
    # Same winner, different confidence: no vote disagreement.
    proba = committee([[0.9, 0.1], [0.2, 0.8]], [[0.6, 0.4], [0.4, 0.6]], [[0.51, 0.49], [0.0, 1.0]])
    np.testing.assert_allclose(vote_entropy(proba), 0.0)


def test_vote_entropy_known_values():
    # Item 0: votes 0, 0, 1, 2 -> shares (1/2, 1/4, 1/4); item 1: votes 0, 1, 0, 1 -> ln 2.
    proba = committee(
        [[0.8, 0.1, 0.1], [0.7, 0.3, 0.0]],
        [[0.6, 0.2, 0.2], [0.2, 0.8, 0.0]],
        [[0.1, 0.8, 0.1], [0.9, 0.1, 0.0]],
        [[0.1, 0.2, 0.7], [0.4, 0.6, 0.0]],
    )
    np.testing.assert_allclose(vote_entropy(proba), [1.5 * math.log(2), math.log(2)])


def test_consensus_kl_is_zero_for_identical_members_and_positive_when_they_differ():
    same = committee([[0.7, 0.2, 0.1]], [[0.7, 0.2, 0.1]], [[0.7, 0.2, 0.1]])
    assert consensus_kl(same)[0] == pytest.approx(0.0, abs=1e-12)
    confidence_only = committee([[0.9, 0.1]], [[0.6, 0.4]])
    assert vote_entropy(confidence_only)[0] == 0.0
    assert consensus_kl(confidence_only)[0] > 0.0


def test_consensus_kl_known_value():
    # Members [1, 0] and [0, 1]: consensus [1/2, 1/2], each member's KL from it is ln 2.
    assert consensus_kl(committee([[1.0, 0.0]], [[0.0, 1.0]]))[0] == pytest.approx(math.log(2))
    # Hand computation: consensus [0.65, 0.35].
    p, q = np.array([0.9, 0.1]), np.array([0.4, 0.6])
    mean = (p + q) / 2
    expected = (np.sum(p * np.log(p / mean)) + np.sum(q * np.log(q / mean))) / 2
    assert consensus_kl(committee([p], [q]))[0] == pytest.approx(expected)


def test_consensus_is_the_members_mean():
    np.testing.assert_allclose(consensus(committee([[1.0, 0.0]], [[0.5, 0.5]])), [[0.75, 0.25]])


def test_committee_probabilities_are_checked_per_member_and_row():
    bad = committee([[0.5, 0.5], [0.5, 0.5]], [[0.5, 0.5], [0.9, 0.3]])
    with pytest.raises(InvalidProbabilities, match=r"member 1, row 1 of committee_proba sums to 1\.2"):
        consensus_kl(bad)
    with pytest.raises(InvalidProbabilities, match="must be 3-D"):
        vote_entropy([[0.5, 0.5]])
