"""Isolation-forest outliers, coverage tables and boosts, and pseudonyms."""

import math

import numpy as np
import pytest

from annotation_qc.domain.data_health.coverage import (
    box_sizes,
    boxes_per_image,
    coverage_table,
    priority_boost,
    relative_box_sizes,
    shortfalls,
    value_counts,
)
from annotation_qc.domain.data_health.outliers import TooFewToFit, fit_outliers
from annotation_qc.domain.data_health.pseudonyms import project_key, pseudonym


def test_planted_outliers_found_with_a_score_per_item():
    rng = np.random.default_rng(0)
    reference = rng.normal(size=(2000, 8))
    batch = rng.normal(size=(1000, 8))
    planted = rng.choice(1000, 10, replace=False)
    batch[planted] += rng.choice([-6.0, 6.0], size=(10, 8))
    model = fit_outliers(reference, contamination=0.002)
    scores, flagged = model.flag(batch)
    assert scores.shape == (1000,)
    found = set(np.flatnonzero(flagged).tolist())
    assert set(planted.tolist()) <= found
    assert len(found) <= 15


def test_nan_and_constant_columns_handled():
    rng = np.random.default_rng(1)
    reference = np.column_stack([rng.normal(size=200), np.ones(200), np.full(200, math.nan)])
    reference[::7, 0] = math.nan
    model = fit_outliers(reference)
    assert model.columns.tolist() == [0]
    scores = model.scores(np.array([[math.nan, 1.0, 2.0], [50.0, 1.0, 2.0]]))
    assert np.isfinite(scores).all()
    assert scores[1] > scores[0]


def test_too_few_to_fit():
    with pytest.raises(TooFewToFit):
        fit_outliers(np.zeros((5, 2)), min_reference=10)


def test_coverage_table_and_boost():
    labeled = value_counts(["cat"] * 80 + ["dog"] * 15 + ["bird"] * 5)
    items = value_counts(["cat"] * 100 + ["dog"] * 50 + ["bird"] * 50 + [None])
    table = coverage_table(
        {"items": items, "labeled": labeled}, {"cat": 0.4, "dog": 0.3, "bird": 0.3, "fox": 0.0}
    )
    rows = {r["value"]: r for r in table}
    assert rows["bird"]["under_represented"]
    assert rows["bird"]["shortfall"] == pytest.approx(1 - 0.05 / 0.3)
    assert not rows["cat"]["under_represented"]
    assert rows["(missing)"]["counts"] == {"items": 1, "labeled": 0}
    assert rows["fox"]["shortfall"] == 0.0
    gaps = shortfalls(table)
    assert set(gaps) == {"dog", "bird"}
    boost = priority_boost([["cat"], ["bird", "site:a"], [], ["dog", "bird"]], gaps, boost=2.0)
    assert boost.tolist() == pytest.approx([0.0, 2 * gaps["bird"], 0.0, 2 * gaps["bird"]])
    assert priority_boost([["x"]], {}, boost=1.0).tolist() == [0.0]


def test_box_figures():
    assert boxes_per_image([0, 1, 1, 12])["histogram"]["10+"] == 1
    assert boxes_per_image([])["images"] == 0
    sizes = relative_box_sizes([10, 50], [10, 50], [100, 100], [100, 100])
    assert sizes.tolist() == pytest.approx([0.1, 0.5])
    assert box_sizes(sizes)["boxes"] == 2
    assert box_sizes([])["quartiles"] is None


def test_pseudonyms_are_stable_keyed_and_per_project():
    key1, key2 = project_key(b"secret", 1), project_key(b"secret", 2)
    assert pseudonym(key1, 7) == pseudonym(key1, 7)
    assert pseudonym(key1, 7) != pseudonym(key1, 8)
    assert pseudonym(key1, 7) != pseudonym(key2, 7)
    assert pseudonym(project_key(b"other", 1), 7) != pseudonym(key1, 7)
    assert pseudonym(key1, 7).startswith("annotator-")
    assert len(pseudonym(key1, 7)) == 26
