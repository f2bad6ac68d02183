"""Image statistics are compared only between rows measured by the same version of the measurement."""

import numpy as np
import pytest

from annotation_qc.domain.data_health.drift import (
    REMEASURE,
    TESTED,
    UNRECORDED,
    Versions,
    compare,
    like_with_like,
)

NAMES = ["image.log_sharpness", "f0"]


def _rows(rng: np.random.Generator, n: int, sharpness: float) -> np.ndarray:
    return np.column_stack([rng.normal(sharpness, 0.2, size=n), rng.normal(size=n)])


def test_reference_of_another_version_is_remeasure_not_drift() -> None:
    rng = np.random.default_rng(0)
    reference = _rows(rng, 600, 6.4)
    batch = _rows(rng, 400, 6.4 + np.log(0.92))  # the sharpness 8% lower, as the new decode scale gives
    assert compare(batch, reference, NAMES).drifted[0].statistic == "feature:image.log_sharpness"

    versions = Versions(columns=[True, False], batch=[2] * 400, reference=[1] * 600)
    result = compare(batch, reference, NAMES, versions=versions)
    assert result.drifted == ()
    sharpness, feature = result.tests
    assert sharpness.status == REMEASURE
    assert sharpness.n_reference == 0
    assert sharpness.extra == {"reference_other_versions": 600.0}
    assert feature.status == TESTED  # features do not depend on the measurement: still compared
    assert result.status == TESTED
    assert "600 reference item(s) were measured by another version" in result.notes[0]
    assert "re-measure" in result.notes[0]
    assert result.to_dict()["notes"] == list(result.notes)


def test_only_the_batch_version_is_compared_when_the_reference_mixes_versions() -> None:
    rng = np.random.default_rng(1)
    old = _rows(rng, 300, 9.0)  # measured differently: far off
    new = _rows(rng, 300, 6.4)
    batch = _rows(rng, 400, 6.4)
    versions = Versions(columns=[True, False], batch=[2] * 400, reference=[UNRECORDED] * 300 + [2] * 300)
    result = compare(batch, np.vstack([old, new]), NAMES, versions=versions)
    assert result.drifted == ()
    assert result.tests[0].status == TESTED
    assert result.tests[0].n_reference == 300
    assert "(unrecorded; this batch: 2)" in result.notes[0]
    assert "not tested" not in result.notes[0]
    # Without versions the old rows make it drift.
    assert compare(batch, np.vstack([old, new]), NAMES).drifted != ()


def test_all_image_statistics_measured_differently_and_no_other_column() -> None:
    rng = np.random.default_rng(2)
    result = compare(
        rng.normal(size=(50, 1)),
        rng.normal(size=(50, 1)),
        ["image.brightness"],
        versions=Versions(columns=[True], batch=[2] * 50, reference=[1] * 50),
    )
    assert result.status == REMEASURE
    assert result.drifted == ()


def test_like_with_like_blanks_only_measured_columns_of_other_versions() -> None:
    batch = np.array([[1.0, 10.0], [2.0, 20.0], [np.nan, 30.0]])
    reference = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    matched = like_with_like(
        batch, reference, Versions(columns=[True, False], batch=[2, 2, UNRECORDED], reference=[2, 1, 0])
    )
    assert matched.version == 2
    assert matched.other_rows == 2
    assert matched.other_versions == (0, 1)
    np.testing.assert_array_equal(matched.batch, batch)
    np.testing.assert_array_equal(matched.reference, [[1.0, 1.0], [np.nan, 2.0], [np.nan, 3.0]])
    np.testing.assert_array_equal(reference[1], [2.0, 2.0])  # the input is not changed
    with pytest.raises(ValueError, match="one version per reference row"):
        like_with_like(batch, reference, Versions(columns=[True, False], batch=[2, 2, 2], reference=[2]))
