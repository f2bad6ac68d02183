import krippendorff
import numpy as np
import pytest

from annotation_qc.domain.agreement import (
    ItemCoincidences,
    alpha_from_coincidences,
    bootstrap_interval,
    coder_pairs,
    coincidence_matrix,
    make_codings,
)
from annotation_qc.domain.agreement.coincidences import Codings, alphas_from_coincidences, one_vs_rest_alphas


def codings_of(matrix: np.ndarray, unit_item: np.ndarray | None = None) -> Codings:
    """Long-format codings of an observers x units matrix of integer codes (NaN = missing)."""
    observers, units = np.nonzero(~np.isnan(matrix))
    values = matrix[observers, units].astype(int)
    return make_codings(units, observers, values, n_values=int(np.nanmax(matrix)) + 1, unit_item=unit_item)


def random_reliability_data(seed: int, observers: int = 5, units: int = 60, values: int = 4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, values, units)
    noisy = np.where(
        rng.uniform(size=(observers, units)) < 0.7, truth, rng.integers(0, values, (observers, units))
    )
    data = noisy.astype(float)
    data[rng.uniform(size=data.shape) < 0.3] = np.nan
    return data


def test_coincidence_matrix_reproduces_krippendorff_2011():
    # Section C of "Computing Krippendorff's Alpha-Reliability": o_11 = 7, o_12 = 4/3, o_13 = 1/3...
    n = np.nan
    paper = np.array(
        [
            [1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
            [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n],
        ]
    )
    codings = codings_of(paper - 1)
    o = coincidence_matrix(coder_pairs(codings), codings.n_values)
    assert o[0, :3] == pytest.approx([7, 4 / 3, 1 / 3])
    assert o.sum(axis=0) == pytest.approx([9, 13, 10, 5, 3])  # n_c of the paper, n = 40
    values = np.arange(1, 6)
    for level, expected in {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}.items():
        result = alpha_from_coincidences(o, level, values)
        assert result.value == pytest.approx(expected, abs=5e-4)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_coincidence_alpha_equals_the_krippendorff_package(level, seed):
    data = random_reliability_data(seed)
    codings = codings_of(data)
    o = coincidence_matrix(coder_pairs(codings), codings.n_values)
    values = np.arange(codings.n_values) + 1.0  # ratio needs positive values
    expected = krippendorff.alpha(reliability_data=data + 1.0, level_of_measurement=level)
    assert alpha_from_coincidences(o, level, values).value == pytest.approx(expected, abs=1e-12)


def test_summed_item_coincidences_equal_the_package_on_the_full_data():
    data = random_reliability_data(5, units=90)
    unit_item = np.arange(90) // 3  # three units per item
    codings = codings_of(data, unit_item)
    per_item = ItemCoincidences.from_codings(codings)
    assert per_item.matrix.shape[0] == per_item.n_items == 30
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert alpha_from_coincidences(per_item.total()).value == pytest.approx(expected, abs=1e-12)


def test_identical_single_unit_items_share_a_row():
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 3, (2, 500)).astype(float)
    codings = codings_of(labels)
    grouped = ItemCoincidences.from_codings(codings)
    assert len(grouped.items_per_group) <= 6  # unordered pairs of 3 labels
    assert grouped.n_items == 500
    ungrouped = coincidence_matrix(coder_pairs(codings), 3)
    assert grouped.total() == pytest.approx(ungrouped)


def test_undefined_coincidences_carry_a_reason():
    assert "two or more" in (alpha_from_coincidences(np.zeros((3, 3))).reason or "")
    assert "only one value" in (alpha_from_coincidences(np.diag([4.0, 0, 0])).reason or "")
    assert np.isnan(alphas_from_coincidences(np.diag([4.0, 0, 0])[None]))[0]


def test_one_vs_rest_alpha_is_the_binary_alpha_of_each_label():
    data = random_reliability_data(7)
    codings = codings_of(data)
    o = coincidence_matrix(coder_pairs(codings), codings.n_values)
    per_label = one_vs_rest_alphas(o[None])[0]
    for label in range(codings.n_values):
        binary = np.where(np.isnan(data), np.nan, (data == label).astype(float))
        expected = krippendorff.alpha(reliability_data=binary, level_of_measurement="nominal")
        assert per_label[label] == pytest.approx(expected, abs=1e-12)


def naive_item_bootstrap(data: np.ndarray, unit_item: np.ndarray, replicates: int, seed: int) -> np.ndarray:
    """Resample items with replacement and rerun the package: the slow reference."""
    rng = np.random.default_rng(seed)
    n_items = int(unit_item.max()) + 1
    result = []
    for _ in range(replicates):
        chosen = rng.integers(0, n_items, n_items)
        columns = np.concatenate([np.flatnonzero(unit_item == item) for item in chosen])
        result.append(krippendorff.alpha(reliability_data=data[:, columns], level_of_measurement="nominal"))
    return np.array(result)


def test_bootstrap_interval_agrees_with_a_naive_item_bootstrap():
    data = random_reliability_data(11, observers=3, units=120)
    unit_item = np.arange(120) // 2
    interval = bootstrap_interval(ItemCoincidences.from_codings(codings_of(data, unit_item)), seed=3)
    naive = naive_item_bootstrap(data, unit_item, replicates=400, seed=3)
    low, high = np.percentile(naive, [2.5, 97.5])
    assert interval.low is not None
    assert interval.high is not None
    assert interval.low == pytest.approx(low, abs=0.03)
    assert interval.high == pytest.approx(high, abs=0.03)
    assert interval.n_resamples == 1000
    assert interval.n_undefined == 0


def test_bootstrap_resamples_items_not_units():
    # Every item repeats one unit ten times: as items they are 40 draws, as units 400.
    rng = np.random.default_rng(8)
    truth = rng.integers(0, 3, 40)
    second = np.where(rng.uniform(size=40) < 0.7, truth, rng.integers(0, 3, 40))
    data = np.repeat(np.vstack([truth, second]).astype(float), 10, axis=1)
    as_items = ItemCoincidences.from_codings(codings_of(data, np.arange(400) // 10))
    as_units = ItemCoincidences.from_codings(codings_of(data))
    wide = bootstrap_interval(as_items, seed=1)
    narrow = bootstrap_interval(as_units, seed=1)
    assert wide.low is not None
    assert wide.high is not None
    assert narrow.low is not None
    assert narrow.high is not None
    assert (wide.high - wide.low) > 2.5 * (narrow.high - narrow.low)


def test_bootstrap_is_seeded_and_contains_the_estimate():
    data = random_reliability_data(2, units=200)
    per_item = ItemCoincidences.from_codings(codings_of(data))
    first = bootstrap_interval(per_item, seed=9, n_resamples=300)
    again = bootstrap_interval(per_item, seed=9, n_resamples=300)
    other = bootstrap_interval(per_item, seed=10, n_resamples=300)
    assert first == again
    assert first != other
    estimate = alpha_from_coincidences(per_item.total()).value
    assert first.low is not None
    assert first.high is not None
    assert estimate is not None
    assert first.low < estimate < first.high


def test_bootstrap_counts_undefined_replicates():
    # Two items: one where both say 0, one where both say 1. A resample of the same item twice
    # holds one value only, so alpha is undefined there (about half of the resamples).
    per_item = ItemCoincidences.from_dense([np.diag([2.0, 0.0]), np.diag([0.0, 2.0])])
    interval = bootstrap_interval(per_item, n_resamples=400, seed=0)
    assert 100 < interval.n_undefined < 300
    assert interval.low == pytest.approx(1.0)
    assert interval.high == pytest.approx(1.0)


def test_sparse_and_dense_resampling_agree(monkeypatch):
    from annotation_qc.domain.agreement import bootstrap

    data = random_reliability_data(12, units=150)
    per_item = ItemCoincidences.from_codings(codings_of(data, np.arange(150) // 3))
    dense = bootstrap_interval(per_item, seed=4, n_resamples=200)
    monkeypatch.setattr(bootstrap, "_DENSE_CELLS", 0)
    sparse = bootstrap_interval(per_item, seed=4, n_resamples=200)
    assert sparse.low == pytest.approx(dense.low)
    assert sparse.high == pytest.approx(dense.high)
