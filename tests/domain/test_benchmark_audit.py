"""The benchmark audit on synthetic features: quiet when benchmarks look like work, loud on a tell."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from annotation_qc.domain.benchmark_audit import benchmark_audit, feature_aucs

NAMES = ["body_bytes", "n_boxes", "position", "key_order"]


def alike(n=400, rate=0.1, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.random(n) < rate
    x = np.column_stack(
        [rng.normal(900, 40, n), rng.poisson(4, n), rng.integers(0, 300, n), rng.integers(0, 2, n)]
    )
    return x.astype(float), y


def test_alike_tasks_give_auc_near_one_half():
    x, y = alike()
    result = benchmark_audit(x, y, NAMES, bootstrap=100)
    assert result.auc is not None
    assert result.auc <= 0.6
    assert result.low <= result.auc <= result.high
    assert result.n_benchmarks == int(y.sum())
    assert all(f.auc <= 0.65 for f in result.features)


def test_a_planted_tell_is_found_and_named():
    x, y = alike(seed=1)
    x[:, 3] = np.where(y, 1.0, 0.0)  # key order differs on benchmarks only
    result = benchmark_audit(x, y, NAMES, bootstrap=100)
    assert result.auc >= 0.95
    assert result.low >= 0.9
    assert result.features[0].name == "key_order"
    assert result.features[0].higher_on_benchmarks


def test_a_weak_tell_in_a_missing_valued_feature_still_shows():
    x, y = alike(n=800, seed=2)
    x[:, 1] = np.where(y, np.nan, x[:, 1])  # a field missing on benchmarks only
    result = benchmark_audit(x, y, NAMES, bootstrap=50)
    assert result.auc >= 0.9


def test_feature_aucs_match_sklearn():
    x, y = alike(n=200, seed=3)
    got = feature_aucs(x, y)
    for column in range(x.shape[1]):
        assert got[column] == pytest.approx(roc_auc_score(y, x[:, column]))


def test_too_few_of_a_class_says_why():
    x, y = alike(n=30, rate=0.0)
    y[:3] = True
    result = benchmark_audit(x, y, NAMES)
    assert result.auc is None
    assert "at least 5 benchmarks" in result.reason
    with pytest.raises(ValueError, match="one column per name"):
        benchmark_audit(x, y, NAMES[:2])
