import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB

from annotation_qc.domain.active_learning import (
    FAMILIES,
    CommitteeUnavailable,
    FallbackReason,
    InvalidFeatures,
    train_committee,
)
from annotation_qc.domain.active_learning.members import (
    NB_VAR_SMOOTHING,
    fit_gaussian_nb,
    fit_linear_discriminant,
    fit_logistic_regression,
)


@pytest.fixture(scope="module")
def digits():
    features, labels = load_digits(return_X_y=True)
    return features, labels


def blobs(n_per_class, classes=3, seed=0, spread=1.0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0], [6.0, 6.0]])[:classes]
    labels = np.repeat(np.arange(classes), n_per_class)
    features = centres[labels] + rng.normal(scale=spread, size=(len(labels), 2))
    return features, labels


def test_committee_predicts_members_by_items_by_classes_over_diverse_families(digits):
    features, labels = digits
    committee = train_committee(features[:300], labels[:300], seed=0)
    proba = committee.predict_proba(features[1000:1100])
    assert proba.shape == (5, 100, 10)
    np.testing.assert_allclose(proba.sum(axis=2), 1.0)
    assert committee.families == tuple(FAMILIES)
    assert len(set(committee.families)) == 5
    assert committee.is_trained
    assert committee.fallback is None


def test_committee_learns_digits(digits):
    features, labels = digits
    committee = train_committee(features[::2], labels[::2], seed=0)
    accuracy = np.mean(committee.predict(features[1::2]) == labels[1::2])
    assert accuracy > 0.93


def test_same_seed_same_committee_and_another_seed_another(digits):
    features, labels = digits
    rows = features[1000:1200]
    first = train_committee(features[:200], labels[:200], seed=7).predict_proba(rows)
    again = train_committee(features[:200], labels[:200], seed=7).predict_proba(rows)
    other = train_committee(features[:200], labels[:200], seed=8).predict_proba(rows)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_members_are_trained_on_distinct_bootstrap_samples(digits):
    features, labels = digits
    committee = train_committee(features[:100], labels[:100], n_members=7, seed=0)
    samples = [member.sample for member in committee.members]
    assert all(len(sample) == 100 for sample in samples)
    assert all(len(np.unique(sample)) < 100 for sample in samples)  # drawn with replacement
    assert len({sample.tobytes() for sample in samples}) == 7
    # Seven members cycle through the five families.
    assert committee.families[5:] == committee.families[:2]


def test_a_class_missing_from_a_bootstrap_sample_keeps_the_columns_aligned():
    features, labels = blobs(15, classes=3)
    # One lone example of class "rare": a bootstrap of 46 rows misses it with probability ~0.37.
    features = np.vstack([features, [[20.0, 20.0]]])
    names = [*np.array(["a", "b", "c"])[labels].tolist(), "rare"]
    committee = train_committee(features, names, n_members=5, seed=0)
    rare = list(committee.classes).index("rare")
    missing = [i for i, member in enumerate(committee.members) if rare not in member.class_columns]
    assert missing, "premise: some member's bootstrap sample lacks the rare class"
    proba = committee.predict_proba(np.vstack([features, [[20.5, 19.5]]]))
    assert proba.shape == (5, len(features) + 1, 4)
    np.testing.assert_allclose(proba.sum(axis=2), 1.0)
    for index in missing:
        np.testing.assert_array_equal(proba[index, :, rare], 0.0)
    # The columns are aligned: on the "a" blob every member's best class is "a".
    a_column = list(committee.classes).index("a")
    assert (proba[:, 0].argmax(axis=1) == a_column).all()


def test_the_class_list_can_name_classes_nobody_labeled_yet():
    features, labels = blobs(10, classes=2)
    committee = train_committee(features, labels, classes=[1, 0, 5], seed=0)
    proba = committee.predict_proba(features)
    assert proba.shape == (5, 20, 3)
    np.testing.assert_array_equal(proba[:, :, 2], 0.0)
    assert (committee.predict(features[:10]) == 0).mean() > 0.9
    with pytest.raises(ValueError, match="label 3 is not one of the classes"):
        train_committee(features, np.where(labels == 1, 3, 0), classes=[0, 1])


def test_too_few_labels_falls_back_and_says_so():
    features, labels = blobs(3, classes=3)
    committee = train_committee(features, labels)
    assert committee.fallback is FallbackReason.TOO_FEW_LABELS
    assert committee.members == ()
    assert committee.fallback_message == "only 9 labeled items, a committee needs at least 10"
    assert committee.anchors.shape == (9, 2)
    with pytest.raises(CommitteeUnavailable, match="only 9 labeled items"):
        committee.predict_proba(features)


def test_a_single_labeled_class_falls_back():
    features, _ = blobs(20, classes=1)
    committee = train_committee(features, ["cat"] * 20)
    assert committee.fallback is FallbackReason.TOO_FEW_CLASSES
    assert "cover 1 class(es)" in committee.fallback_message


def test_no_labels_at_all_falls_back_without_anchors():
    committee = train_committee(np.zeros((0, 8)), [])
    assert committee.fallback is FallbackReason.TOO_FEW_LABELS
    assert committee.anchors.shape == (0, 8)


def test_bad_features_are_rejected(digits):
    features, labels = digits
    broken = features[:50].copy()
    broken[17, 3] = np.nan
    with pytest.raises(InvalidFeatures, match="row 17 of labeled features has NaN"):
        train_committee(broken, labels[:50])
    committee = train_committee(features[:50], labels[:50])
    with pytest.raises(InvalidFeatures, match="have 10 columns, expected 64"):
        committee.predict_proba(features[:5, :10])
    with pytest.raises(ValueError, match="one label per feature row"):
        train_committee(features[:50], labels[:49])


def test_chunked_prediction_equals_one_pass(digits):
    features, labels = digits
    committee = train_committee(features[:200], labels[:200], seed=3)
    rows = features[500:800].astype(np.float32)
    np.testing.assert_allclose(
        committee.predict_proba(rows, chunk_size=64), committee.predict_proba(rows), rtol=0, atol=1e-12
    )


# The linear and Gaussian families predict from folded parameters; they must agree with scikit-learn.


def standardised(features):
    mean, scale = features.mean(axis=0), features.std(axis=0)
    scale[scale == 0] = 1.0
    return (features - mean) / scale, mean, scale


@pytest.mark.parametrize("n_classes", [2, 10])
def test_folded_logistic_regression_matches_scikit_learn(digits, n_classes):
    features, labels = digits
    keep = labels < n_classes
    x, y = features[keep][:300], labels[keep][:300]
    folded = fit_logistic_regression(x, y, 0)
    z, mean, scale = standardised(x)
    reference = LogisticRegression(C=1.0, max_iter=300, random_state=0).fit(z, y)
    test = features[keep][300:400]
    np.testing.assert_allclose(
        folded.predict_proba(test), reference.predict_proba((test - mean) / scale), atol=1e-9
    )


@pytest.mark.parametrize("n_classes", [2, 10])
def test_folded_linear_discriminant_matches_scikit_learn(digits, n_classes):
    features, labels = digits
    keep = labels < n_classes
    x, y = features[keep][:300], labels[keep][:300]
    folded = fit_linear_discriminant(x, y, 0)
    z, mean, scale = standardised(x)
    reference = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(z, y)
    test = features[keep][300:400]
    np.testing.assert_allclose(
        folded.predict_proba(test), reference.predict_proba((test - mean) / scale), atol=1e-9
    )


def test_folded_gaussian_nb_matches_scikit_learn(digits):
    features, labels = digits
    folded = fit_gaussian_nb(features[:300], labels[:300], 0)
    reference = GaussianNB(var_smoothing=NB_VAR_SMOOTHING).fit(features[:300], labels[:300])
    test = features[300:400]
    np.testing.assert_allclose(folded.predict_proba(test), reference.predict_proba(test), atol=1e-6)
