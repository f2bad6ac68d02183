"""The Hamming duplicate search is exact (same answer as brute force) and vectorised."""

import numpy as np
import pytest

from annotation_qc.domain.data_health.hashing import as_hash_array, exact_duplicates, find_duplicates, hamming


def _brute(new: np.ndarray, old: np.ndarray, d: int):
    of_existing = np.full(new.size, -1)
    of_new = np.full(new.size, -1)
    for i in range(new.size):
        close_old = np.flatnonzero(hamming(new[i], old) <= d) if old.size else []
        if len(close_old):
            of_existing[i] = close_old[0]
            continue
        close_new = np.flatnonzero(hamming(new[i], new[:i]) <= d) if i else []
        if len(close_new):
            of_new[i] = close_new[0]
    return of_existing, of_new


@pytest.mark.parametrize("d", [0, 2, 4, 8])
def test_matches_brute_force_on_clustered_hashes(d):
    rng = np.random.default_rng(d)
    centres = rng.integers(0, 2**63, size=40, dtype=np.uint64) * np.uint64(2) + np.uint64(1)

    def jitter(values, flips):
        out = values.copy()
        for _ in range(flips):
            out ^= np.uint64(1) << rng.integers(0, 64, size=out.size).astype(np.uint64)
        return out

    old = jitter(centres[rng.integers(0, 40, 150)], 3)
    new = jitter(centres[rng.integers(0, 40, 200)], 3)
    matches = find_duplicates(new, old, max_distance=d)
    want_existing, want_new = _brute(new, old, d)
    assert matches.of_existing.tolist() == want_existing.tolist()
    assert matches.of_new.tolist() == want_new.tolist()
    found = matches.is_duplicate
    assert (matches.distance[found] <= d).all()
    assert (matches.distance[~found] == -1).all()


def test_first_of_a_group_is_kept_and_existing_wins():
    far = 2**40 | 2**41 | 2**42
    new = np.array([7, 7, 7 ^ 1, far, far], dtype=np.uint64)
    old = np.array([far ^ 2**50 ^ 2**51], dtype=np.uint64)
    matches = find_duplicates(new, old, max_distance=2)
    assert matches.of_new.tolist() == [-1, 0, 0, -1, -1]
    assert matches.of_existing.tolist() == [-1, -1, -1, 0, 0]
    assert matches.distance.tolist() == [-1, 0, 1, 2, 2]


def test_empty_inputs_and_bad_distance():
    assert find_duplicates(np.zeros(0, dtype=np.uint64), max_distance=3).is_duplicate.size == 0
    with pytest.raises(ValueError, match="max_distance"):
        find_duplicates([1], max_distance=64)


def test_exact_duplicates_by_digest():
    matches = exact_duplicates(["a", "b", "a", "c"], ["c", "x"])
    assert matches.of_existing.tolist() == [-1, -1, -1, 0]
    assert matches.of_new.tolist() == [-1, -1, 0, -1]
    assert exact_duplicates([], []).is_duplicate.size == 0


def test_hash_arrays_from_signed_and_unsigned_ints():
    assert as_hash_array([-1, 3]).tolist() == [2**64 - 1, 3]
    assert as_hash_array([2**64 - 1]).tolist() == [2**64 - 1]
    assert as_hash_array([]).size == 0


def test_a_second_hash_must_confirm_the_match():
    new = np.array([0b1111, 0b1111 << 20], dtype=np.uint64)
    old = np.array([0b0111, 0b0111 << 20], dtype=np.uint64)
    second_new = np.array([0, 0], dtype=np.uint64)
    second_old = np.array([0, 2**64 - 1], dtype=np.uint64)  # the second image differs on the other hash
    matches = find_duplicates(
        new, old, max_distance=2, confirm_new=second_new, confirm_existing=second_old, confirm_distance=10
    )
    assert matches.of_existing.tolist() == [0, -1]
    assert find_duplicates(new, old, max_distance=2).of_existing.tolist() == [0, 1]
