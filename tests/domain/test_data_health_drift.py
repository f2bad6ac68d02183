"""Drift tests: a planted shift is found, an unshifted batch is not, small batches are not tested."""

import math

import numpy as np
import pytest

from annotation_qc.domain.data_health.drift import (
    TOO_FEW,
    benjamini_hochberg,
    cohens_d,
    compare,
    holm,
    label_mix_test,
)


def test_holm_and_bh_match_hand_computed_values():
    p = [0.01, 0.04, 0.03, 0.005]
    assert holm(p).tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert benjamini_hochberg(p).tolist() == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert holm([]).size == 0
    assert holm([0.6, 0.9]).max() <= 1.0


def test_cohens_d():
    a = np.array([1.0, 2.0, 3.0])
    assert cohens_d(a + 1, a) == pytest.approx(1.0)
    assert cohens_d(np.ones(3), np.ones(3)) == 0.0


def test_planted_shift_found_and_named_unshifted_clean():
    rng = np.random.default_rng(0)
    names = [f"f{i}" for i in range(16)]
    reference = rng.normal(size=(4000, 16))
    clean = rng.normal(size=(2000, 16))
    shifted = rng.normal(size=(2000, 16))
    shifted[:, [2, 5]] += 0.3
    assert compare(clean, reference, names).drifted == ()
    result = compare(shifted, reference, names)
    assert [t.statistic for t in result.drifted] == ["feature:f2", "feature:f5"]
    test = result.drifted[0]
    assert test.p_adjusted < 0.01
    assert test.extra["cohens_d"] == pytest.approx(0.3, abs=0.08)
    assert 0 < test.extra["anderson_darling_p"] <= 0.25


def test_batch_of_one_is_too_few_to_test():
    result = compare(np.zeros((1, 3)), np.random.default_rng(1).normal(size=(100, 3)), ["a", "b", "c"])
    assert result.status == TOO_FEW
    assert {t.status for t in result.tests} == {TOO_FEW}
    assert result.drifted == ()


def test_nan_values_are_dropped_not_fatal():
    rng = np.random.default_rng(2)
    batch = rng.normal(size=(300, 2))
    batch[::3, 0] = math.nan
    batch[:, 1] = math.nan
    result = compare(batch, rng.normal(size=(300, 2)), ["a", "b"])
    a, b = result.tests
    assert a.status == "tested"
    assert a.n_batch == 200
    assert b.status == TOO_FEW


def test_confidence_collapse_and_label_mix():
    rng = np.random.default_rng(3)
    result = compare(
        np.zeros((500, 0)),
        np.zeros((500, 0)),
        [],
        batch_confidence=rng.beta(2, 5, 500),
        reference_confidence=rng.beta(5, 2, 500),
        labels=["cat", "dog", "bird"],
        batch_label_counts=[100, 390, 10],
        reference_label_counts=[250, 240, 10],
    )
    assert [t.statistic for t in result.drifted] == ["prediction_confidence", "predicted_label_mix"]
    mix = result.tests[1]
    assert mix.effect_name == "Cramér's V"
    assert mix.effect > 0.2
    assert mix.extra["batch:dog"] == pytest.approx(0.78)


def test_identical_label_mix_is_not_drift():
    test = label_mix_test("mix", ["a", "b"], [50, 50], [500, 500], min_items=20)
    assert test.p_value == pytest.approx(1.0)
