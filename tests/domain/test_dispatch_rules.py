import numpy as np

from annotation_qc.domain.dispatch import required_annotations, unit_hash


def test_unit_hash_is_stable_and_uniform():
    ids = [f"img-{i}" for i in range(20_000)]
    first = unit_hash(7, ids)
    np.testing.assert_array_equal(first, unit_hash(7, ids))
    assert first.min() >= 0.0
    assert first.max() < 1.0
    # Uniform: each decile holds close to 10% of the ids.
    counts = np.histogram(first, bins=10, range=(0, 1))[0]
    assert np.all(np.abs(counts / len(ids) - 0.1) < 0.01)
    assert not np.array_equal(first, unit_hash(8, ids))


def test_required_annotations_share_matches_fraction():
    ids = [f"img-{i}" for i in range(10_000)]
    required = required_annotations(1, ids, overlap=3, overlap_fraction=0.2)
    assert set(np.unique(required).tolist()) == {1, 3}
    assert abs((required == 3).mean() - 0.2) < 0.02


def test_no_overlap_when_disabled():
    ids = ["a", "b", "c"]
    assert required_annotations(1, ids, overlap=1, overlap_fraction=0.5).tolist() == [1, 1, 1]
    assert required_annotations(1, ids, overlap=2, overlap_fraction=0.0).tolist() == [1, 1, 1]
