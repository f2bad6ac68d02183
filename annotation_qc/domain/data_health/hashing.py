"""Perceptual hashes (dHash, pHash, 64 bits each) and a vectorised Hamming-distance duplicate search.

The search is exact: with a distance limit ``d`` the 64 bits are cut into ``d + 1`` bands, and two hashes
within ``d`` bits agree on at least one band (pigeonhole), so candidates are the hashes sharing a band
(found by sorting and ``searchsorted``, never a Python loop over items) and their true distance is then
checked with ``np.bitwise_count``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from annotation_qc.domain.data_health.images import as_rgb, grey_of, resize_area, resize_area_batch

HASH_BITS = 64
#: A dHash bit is set when the right neighbour is brighter by more than this (grey levels of 255): flat
#: regions then give 0 bits however the image was resized or re-encoded, instead of rounding noise.
DHASH_MARGIN = 2.0
_WEIGHTS = (np.uint64(1) << np.arange(64, dtype=np.uint64)).astype(np.uint64)


def _pack(bits: NDArray[np.bool_]) -> int:
    """64 booleans to an int (bit i = bits[i])."""
    return int(np.sum(_WEIGHTS[bits.ravel()], dtype=np.uint64))


def dhash(pixels: NDArray[np.generic]) -> int:
    """Difference hash: the grey image at 8 x 9, one bit per horizontal neighbour pair that brightens."""
    grey = grey_of(as_rgb(pixels))
    small = resize_area(grey, 8, 9)
    return _pack(small[:, 1:] > small[:, :-1] + DHASH_MARGIN)


def phash(pixels: NDArray[np.generic]) -> int:
    """Perceptual hash: the 8 x 8 lowest DCT frequencies of the 32 x 32 grey image against their median."""
    grey = grey_of(as_rgb(pixels))
    small = resize_area(grey, 32, 32)
    return int(_phash_bits(small[None])[0])


def to_signed(value: int) -> int:
    """A 64-bit hash as a signed 64-bit integer (for database columns)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def as_hash_array(values: ArrayLike) -> NDArray[np.uint64]:
    """Hashes given as Python ints (signed or unsigned 64-bit) to uint64."""
    try:  # the stored form: signed 64-bit
        signed = np.asarray(values, dtype=np.int64).reshape(-1)
    except OverflowError:  # some unsigned values of 2**63 or more
        objects = np.asarray(values, dtype=object).reshape(-1)
        return np.array([int(v) & 0xFFFFFFFFFFFFFFFF for v in objects], dtype=np.uint64)
    return signed.view(np.uint64)


def hamming(a: ArrayLike, b: ArrayLike) -> NDArray[np.int64]:
    """Element-wise Hamming distance of uint64 hashes (broadcasting)."""
    xa = np.asarray(a, dtype=np.uint64)
    xb = np.asarray(b, dtype=np.uint64)
    counts: NDArray[np.int64] = np.bitwise_count(np.bitwise_xor(xa, xb)).astype(np.int64)
    return counts


@dataclass(frozen=True)
class DuplicateMatches:
    """For each new hash: the index it duplicates (-1: none) among the existing hashes or earlier new ones.

    ``of_existing[i]`` is an index into the existing hashes, ``of_new[i]`` into the new ones (always < i);
    a match with an existing item wins over one with an earlier new item. ``distance[i]`` is the Hamming
    distance to the match (-1 when none).
    """

    of_existing: NDArray[np.int64]
    of_new: NDArray[np.int64]
    distance: NDArray[np.int64]

    @property
    def is_duplicate(self) -> NDArray[np.bool_]:
        return (self.of_existing >= 0) | (self.of_new >= 0)


#: Hashes whose bits are counted to balance the bands (a sample is enough).
BAND_SAMPLE = 20_000


def _bands(max_distance: int, values: NDArray[np.uint64]) -> list[NDArray[np.uint64]]:
    """``max_distance + 1`` groups of bit positions with about equal information each.

    Any partition works for the pigeonhole argument; real hashes have bits that are nearly always 0 or 1
    (flat regions, borders), and a band of such bits puts most hashes in one bucket. So bits are ranked by
    their entropy in ``values`` and dealt to the bands in a snake order.
    """
    count = max_distance + 1
    sample = values[:: max(1, values.size // BAND_SAMPLE)] if values.size else values
    if sample.size:
        ones = ((sample[:, None] >> np.arange(HASH_BITS, dtype=np.uint64)) & np.uint64(1)).mean(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            entropy = -np.nan_to_num(ones * np.log2(ones)) - np.nan_to_num((1 - ones) * np.log2(1 - ones))
        ranked = np.argsort(-entropy, kind="stable")
    else:
        ranked = np.arange(HASH_BITS)
    lanes = np.concatenate([np.arange(count), np.arange(count)[::-1]])
    owner = lanes[np.arange(HASH_BITS) % lanes.size]
    return [
        np.sort(ranked[owner == band]).astype(np.uint64) for band in range(count) if (owner == band).any()
    ]


def _band(values: NDArray[np.uint64], positions: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """The bits of ``values`` at ``positions``, packed into one key."""
    bits = (values[:, None] >> positions[None, :]) & np.uint64(1)
    key: NDArray[np.uint64] = (bits << np.arange(positions.size, dtype=np.uint64)).sum(
        axis=1, dtype=np.uint64
    )
    return key


def _expand(
    starts: NDArray[np.int64], ends: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """For ranges [starts[i], ends[i]): (i repeated, every position in the range)."""
    counts = np.maximum(ends - starts, 0)
    total = int(counts.sum())
    owners = np.repeat(np.arange(starts.size, dtype=np.int64), counts)
    first = np.repeat(starts, counts)
    offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    return owners, first + offsets


def _candidates(
    query: NDArray[np.uint64], pool: NDArray[np.uint64], positions: NDArray[np.uint64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Pairs (query index, pool index) whose bits at ``positions`` are equal."""
    if query.size == 0 or pool.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    pool_keys = _band(pool, positions)
    order = np.argsort(pool_keys, kind="stable")
    sorted_keys = pool_keys[order]
    query_keys = pool_keys if query is pool else _band(query, positions)
    starts = np.searchsorted(sorted_keys, query_keys, side="left").astype(np.int64)
    ends = np.searchsorted(sorted_keys, query_keys, side="right").astype(np.int64)
    owners, found = _expand(starts, ends)
    return owners, order[found].astype(np.int64)


Confirm = tuple[NDArray[np.uint64], NDArray[np.uint64], int]


def _nearest(
    query: NDArray[np.uint64],
    pool: NDArray[np.uint64],
    max_distance: int,
    *,
    earlier_only: bool,
    confirm: Confirm | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """For each query: the lowest pool index within ``max_distance`` (-1 if none), and its distance.

    With ``confirm`` (second hashes of the queries and of the pool, and a limit) a pair must also be
    within that limit on the second hash.
    """
    best = np.full(query.size, -1, dtype=np.int64)
    best_distance = np.full(query.size, -1, dtype=np.int64)
    found_q: list[NDArray[np.int64]] = []
    found_p: list[NDArray[np.int64]] = []
    for positions in _bands(max_distance, np.concatenate([query, pool])):
        q, p = _candidates(query, pool, positions)
        if earlier_only:
            keep = p < q
            q, p = q[keep], p[keep]
        close = hamming(query[q], pool[p]) <= max_distance
        if confirm is not None:
            close &= hamming(confirm[0][q], confirm[1][p]) <= confirm[2]
        found_q.append(q[close])
        found_p.append(p[close])
    if not found_q:
        return best, best_distance
    q = np.concatenate(found_q)
    p = np.concatenate(found_p)
    if q.size == 0:
        return best, best_distance
    order = np.lexsort((p, q))  # by query, then lowest pool index first
    q, p = q[order], p[order]
    first = np.ones(q.size, dtype=bool)
    first[1:] = q[1:] != q[:-1]
    best[q[first]] = p[first]
    best_distance[q[first]] = hamming(query[q[first]], pool[p[first]])
    return best, best_distance


def find_duplicates(
    new: ArrayLike,
    existing: ArrayLike = (),
    *,
    max_distance: int,
    confirm_new: ArrayLike | None = None,
    confirm_existing: ArrayLike | None = None,
    confirm_distance: int = HASH_BITS,
) -> DuplicateMatches:
    """Which new hashes are within ``max_distance`` bits of an existing hash or of an earlier new one.

    With ``confirm_new``/``confirm_existing`` (a second hash of the same images, e.g. pHash beside dHash),
    a match must also be within ``confirm_distance`` bits on it: two hashes agreeing make a near duplicate
    far less likely to be two different images that happen to share one hash's pattern.
    """
    if not 0 <= max_distance < HASH_BITS:
        raise ValueError(f"max_distance must be in [0, {HASH_BITS - 1}]")
    new_hashes = np.asarray(new, dtype=np.uint64).reshape(-1)
    old_hashes = np.asarray(existing, dtype=np.uint64).reshape(-1)
    to_old: Confirm | None = None
    to_new: Confirm | None = None
    if confirm_new is not None:
        second_new = np.asarray(confirm_new, dtype=np.uint64).reshape(-1)
        second_old = np.asarray(confirm_existing if confirm_existing is not None else (), dtype=np.uint64)
        to_old = (second_new, second_old.reshape(-1), confirm_distance)
        to_new = (second_new, second_new, confirm_distance)
    # Identical hashes (copies, blank images) are searched once: the first of each group stands for it,
    # the others are its duplicates at distance 0 (they would only swell the search's buckets).
    second = to_new[0] if to_new is not None else np.zeros_like(new_hashes)
    if new_hashes.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return DuplicateMatches(of_existing=empty, of_new=empty.copy(), distance=empty.copy())
    _, first, inverse = np.unique(
        np.stack([new_hashes, second], axis=1), axis=0, return_index=True, return_inverse=True
    )
    inverse = inverse.reshape(-1)
    rank = np.argsort(first, kind="stable")  # groups in order of first appearance
    reps = first[rank]
    group_of = np.empty_like(rank)
    group_of[rank] = np.arange(rank.size)
    group = group_of[inverse]  # each item's group, numbered by first appearance
    rep_old: Confirm | None = None if to_old is None else (second[reps], to_old[1], to_old[2])
    rep_new: Confirm | None = None if to_new is None else (second[reps], second[reps], to_new[2])
    of_old_rep, d_old_rep = _nearest(
        new_hashes[reps], old_hashes, max_distance, earlier_only=False, confirm=rep_old
    )
    rep_hashes = new_hashes[reps]
    of_new_rep, d_new_rep = _nearest(rep_hashes, rep_hashes, max_distance, earlier_only=True, confirm=rep_new)
    of_existing = of_old_rep[group]
    is_rep = reps[group] == np.arange(new_hashes.size)
    of_new = np.where(
        is_rep, np.where(of_new_rep[group] >= 0, reps[np.maximum(of_new_rep[group], 0)], -1), reps[group]
    )
    distance = np.where(is_rep, d_new_rep[group], 0)
    of_new = np.where(of_existing >= 0, -1, of_new)
    distance = np.where(of_existing >= 0, d_old_rep[group], distance)
    return DuplicateMatches(
        of_existing=of_existing.astype(np.int64),
        of_new=of_new.astype(np.int64),
        distance=distance.astype(np.int64),
    )


def exact_duplicates(new: Sequence[str], existing: Sequence[str] = ()) -> DuplicateMatches:
    """The same as :func:`find_duplicates` for exact digests (e.g. sha256 of the file)."""
    n_old = len(existing)
    combined = np.asarray([*existing, *new], dtype=str)
    of_existing = np.full(len(new), -1, dtype=np.int64)
    of_new = np.full(len(new), -1, dtype=np.int64)
    if combined.size == 0:
        return DuplicateMatches(of_existing=of_existing, of_new=of_new, distance=of_new.copy())
    _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    first_of = first[inverse][n_old:].astype(np.int64)
    position = np.arange(len(new), dtype=np.int64) + n_old
    of_existing = np.where(first_of < n_old, first_of, -1)
    of_new = np.where((first_of >= n_old) & (first_of < position), first_of - n_old, -1)
    distance = np.where((of_existing >= 0) | (of_new >= 0), 0, -1).astype(np.int64)
    return DuplicateMatches(of_existing=of_existing, of_new=of_new, distance=distance)


def _pack_rows(bits: NDArray[np.bool_]) -> NDArray[np.uint64]:
    """N x 64 booleans to N uint64 (bit i = column i)."""
    packed: NDArray[np.uint64] = (bits.astype(np.uint64) * _WEIGHTS).sum(axis=1, dtype=np.uint64)
    return packed


def dhash_batch(grey: NDArray[np.floating[Any]]) -> NDArray[np.uint64]:
    """:func:`dhash` of an N x H x W grey stack (H >= 8, W >= 9), in one pass."""
    small = resize_area_batch(grey, 8, 9)
    return _pack_rows((small[:, :, 1:] > small[:, :, :-1] + DHASH_MARGIN).reshape(-1, 64))


def _dct_rows(size: int, count: int) -> NDArray[np.float64]:
    """The first ``count`` rows of the orthonormal DCT-II matrix of ``size`` points (as ``scipy.fft.dct``)."""
    k = np.arange(count, dtype=np.float64)[:, None]
    n = np.arange(size, dtype=np.float64)[None, :]
    basis: NDArray[np.float64] = np.sqrt(2.0 / size) * np.cos(np.pi * k * (2 * n + 1) / (2 * size))
    basis[0] /= np.sqrt(2.0)
    return basis


_DCT_8_OF_32 = _dct_rows(32, 8)


def phash_batch(grey: NDArray[np.floating[Any]]) -> NDArray[np.uint64]:
    """:func:`phash` of an N x H x W grey stack (H, W >= 32), in one pass.

    Only the 8 x 8 lowest frequencies are needed, so they are computed as ``D @ X @ D.T`` with the
    first 8 rows of the DCT matrix (the same values as the full 2-d DCT's corner, far fewer operations).
    """
    small = resize_area_batch(grey, 32, 32) if grey.shape[1:] != (32, 32) else grey
    return _phash_bits(small)


def _phash_bits(small: NDArray[np.floating[Any]]) -> NDArray[np.uint64]:
    """pHash of an N x 32 x 32 grey stack: the low frequencies against their median (the DC term left out
    of the median: it only says how bright the image is). Rounding noise (a flat image's zero frequencies)
    is cut to 0 so that it sets no bits."""
    low = np.matmul(np.matmul(_DCT_8_OF_32, small), _DCT_8_OF_32.T).reshape(-1, 64)
    low = np.where(np.abs(low) < 1e-6, 0.0, low)
    median = np.median(low[:, 1:], axis=1, keepdims=True)
    return _pack_rows(low > median)
