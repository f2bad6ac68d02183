import numpy as np
import pytest
from sklearn.datasets import load_digits

from annotation_qc.domain.active_learning import (
    STRATEGIES,
    FallbackReason,
    InvalidFeatures,
    InvalidProbabilities,
    MissingStrategyInput,
    UnknownStrategy,
    consensus_kl,
    entropy,
    least_confidence,
    margin,
    random_scores,
    resolve_strategy,
    score_chunk,
    score_items,
    train_committee,
    vote_entropy,
)

PROBA = np.array([[0.6, 0.3, 0.1], [0.34, 0.33, 0.33], [1.0, 0.0, 0.0]])
COMMITTEE_PROBA = np.array([PROBA, PROBA[[1, 2, 0]]])


@pytest.fixture(scope="module")
def digits():
    return load_digits(return_X_y=True)


@pytest.fixture(scope="module")
def committee(digits):
    features, labels = digits
    return train_committee(features[:200], labels[:200], seed=0)


def test_registry_holds_the_documented_strategies():
    assert set(STRATEGIES) >= {
        "least_confidence",
        "margin",
        "entropy",
        "vote_entropy",
        "consensus_kl",
        "detection_uncertainty",
        "detection_disagreement",
        "random",
        "import_order",
    }
    assert all(name == spec.name for name, spec in STRATEGIES.items())


def test_unknown_strategy_names_the_choices():
    with pytest.raises(
        UnknownStrategy, match=r"unknown strategy 'bald'; choose one of least_confidence, margin"
    ):
        score_items("bald", proba=PROBA)
    assert issubclass(UnknownStrategy, ValueError)


@pytest.mark.parametrize(
    ("name", "function"), [("least_confidence", least_confidence), ("margin", margin), ("entropy", entropy)]
)
def test_single_model_strategies_score_proba_or_the_committee_consensus(name, function):
    np.testing.assert_allclose(score_items(name, proba=PROBA), function(PROBA))
    np.testing.assert_allclose(
        score_items(name, committee_proba=COMMITTEE_PROBA), function(COMMITTEE_PROBA.mean(axis=0))
    )


def test_committee_strategies():
    np.testing.assert_allclose(
        score_items("vote_entropy", committee_proba=COMMITTEE_PROBA), vote_entropy(COMMITTEE_PROBA)
    )
    np.testing.assert_allclose(
        score_items("consensus_kl", committee_proba=COMMITTEE_PROBA), consensus_kl(COMMITTEE_PROBA)
    )


def test_missing_input_is_named():
    with pytest.raises(MissingStrategyInput, match="strategy 'vote_entropy' needs committee_proba"):
        score_items("vote_entropy", proba=PROBA)
    with pytest.raises(MissingStrategyInput, match="needs proba or committee_proba"):
        score_items("margin")
    with pytest.raises(MissingStrategyInput, match="needs positions or n_items"):
        score_items("random")


def test_bad_probabilities_reach_the_caller_as_invalid_probabilities():
    with pytest.raises(InvalidProbabilities, match=r"row 0 of proba sums to 0\.5"):
        score_items("entropy", proba=[[0.25, 0.25]])


def test_detection_strategies_dispatch():
    np.testing.assert_allclose(score_items("detection_uncertainty", box_scores=[[0.5], []]), [1.0, 0.0])
    item = {"boxes": [{"x": 0, "y": 0, "w": 10, "h": 10, "label": "car"}]}
    np.testing.assert_allclose(
        score_items("detection_disagreement", box_predictions=[[item], [{"boxes": []}]]), [1.0]
    )


def test_import_order_ranks_lower_positions_first():
    scores = score_items("import_order", positions=np.array([30, 10, 20]))
    assert list(np.argsort(-scores)) == [1, 2, 0]
    np.testing.assert_array_equal(score_items("import_order", n_items=3), [0.0, -1.0, -2.0])


def test_random_is_seeded_per_position_whatever_the_chunking():
    positions = np.arange(10_000)
    whole = score_items("random", positions=positions, seed=3)
    chunked = np.concatenate([random_scores(positions[i : i + 999], seed=3) for i in range(0, 10_000, 999)])
    np.testing.assert_array_equal(whole, chunked)
    assert not np.array_equal(whole, score_items("random", positions=positions, seed=4))
    assert whole.min() >= 0.0
    assert whole.max() < 1.0
    assert len(np.unique(whole)) == 10_000
    # Roughly uniform: each tenth of [0, 1) holds about 1,000 of the 10,000 scores.
    counts = np.histogram(whole, bins=10, range=(0.0, 1.0))[0]
    assert counts.min() > 850
    assert counts.max() < 1150


def test_score_chunk_scores_each_chunk_like_the_whole(digits, committee):
    features, _ = digits
    rows = features[1000:1300].astype(np.float32)
    whole = score_chunk(committee, rows, "consensus_kl")
    np.testing.assert_allclose(whole, consensus_kl(committee.predict_proba(rows)))
    chunked = np.concatenate(
        [score_chunk(committee, rows[i : i + 70], "consensus_kl") for i in range(0, 300, 70)]
    )
    np.testing.assert_allclose(chunked, whole, atol=1e-12)
    np.testing.assert_allclose(
        score_chunk(committee, rows, "margin"), margin(committee.consensus_proba(rows))
    )


def test_score_chunk_without_committee_for_position_strategies(digits):
    features, _ = digits
    scores = score_chunk(None, features[:5], "import_order", positions=np.arange(100, 105))
    np.testing.assert_array_equal(scores, -np.arange(100.0, 105.0))
    with pytest.raises(MissingStrategyInput, match="needs a committee"):
        score_chunk(None, features[:5], "margin")


def test_score_chunk_rejects_bad_rows_and_detection_strategies(digits, committee):
    features, _ = digits
    broken = features[:4].copy()
    broken[2, 0] = np.inf
    with pytest.raises(InvalidFeatures, match="row 2 of features has NaN or infinite values"):
        score_chunk(committee, broken, "margin")
    with pytest.raises(InvalidFeatures, match="expected 64"):
        score_chunk(committee, features[:4, :8], "margin")
    with pytest.raises(MissingStrategyInput, match="use score_items"):
        score_chunk(committee, features[:4], "detection_uncertainty")
    with pytest.raises(ValueError, match="3 positions for 4 feature rows"):
        score_chunk(committee, features[:4], "random", positions=np.arange(3))


def test_a_trained_committee_uses_the_requested_strategy(committee):
    choice = resolve_strategy(committee, "vote_entropy")
    assert (choice.used, choice.fallback, choice.message) == ("vote_entropy", None, None)


def test_few_labels_fall_back_to_distance_from_the_labeled_items(digits):
    features, labels = digits
    small = train_committee(features[:5], labels[:5])
    choice = resolve_strategy(small, "margin")
    assert choice.used == "farthest_point"
    assert choice.fallback is FallbackReason.TOO_FEW_LABELS
    assert choice.message == (
        "only 5 labeled items, a committee needs at least 10; scoring by farthest_point instead of margin"
    )
    scores = score_chunk(small, features[:20], "margin")
    np.testing.assert_allclose(scores[:5], 0.0, atol=1e-6)  # the labeled items themselves
    assert (scores[5:] > 0).all()


def test_no_labels_fall_back_to_import_order():
    empty = train_committee(np.zeros((0, 3)), [])
    choice = resolve_strategy(empty, "entropy")
    assert choice.used == "import_order"
    assert "only 0 labeled items" in choice.message
    scores = score_chunk(empty, np.ones((3, 3)), "entropy", positions=np.array([7, 8, 9]))
    np.testing.assert_array_equal(scores, [-7.0, -8.0, -9.0])
