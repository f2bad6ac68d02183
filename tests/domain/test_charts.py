import numpy as np
import pytest

from annotation_qc.domain.charts import histogram_bins, last_of_each_run, running_accuracy


def test_running_accuracy_restarts_in_each_group_with_an_interval_around_it() -> None:
    out = running_accuracy(np.array([1, 1, 1, 2, 2]), np.array([True, False, True, False, False]))
    assert out["trials"].tolist() == [1, 2, 3, 1, 2]
    assert out["successes"].tolist() == [1, 1, 2, 0, 0]
    assert out["accuracy"].tolist() == pytest.approx([1, 0.5, 2 / 3, 0, 0])
    assert (out["low"] <= out["accuracy"]).all()
    assert (out["accuracy"] <= out["high"]).all()
    # The interval narrows as benchmarks accumulate.
    assert out["high"][2] - out["low"][2] < out["high"][0] - out["low"][0]


def test_running_accuracy_of_nothing_and_bad_shapes() -> None:
    assert running_accuracy(np.array([]), np.array([]))["trials"].size == 0
    with pytest.raises(ValueError, match="same length"):
        running_accuracy(np.array([1, 2]), np.array([True]))


def test_last_of_each_run() -> None:
    assert last_of_each_run(np.array(["a", "a", "b", "a"])).tolist() == [False, True, True, True]
    assert last_of_each_run(np.array([])).tolist() == []


def test_histogram_counts_every_finite_value() -> None:
    bins = histogram_bins(np.array([0.0, 0.1, 0.5, 1.0, np.nan, np.inf]), bins=4)
    assert [b["count"] for b in bins] == [2, 0, 1, 1]
    assert bins[0]["start"] == 0.0
    assert bins[-1]["end"] == 1.0
    assert histogram_bins(np.array([]), bins=3) == []
    assert sum(b["count"] for b in histogram_bins(np.array([2.0, 2.0]), bins=3)) == 2
