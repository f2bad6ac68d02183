"""Array aliases and small vectorised helpers shared by the agreement modules."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def as_index_array(values: ArrayLike, name: str) -> IntArray:
    """Return a 1-d int64 array, rejecting anything that is not a whole number."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if np.issubdtype(array.dtype, np.integer):
        return array.astype(np.int64, copy=False)
    if (
        np.issubdtype(array.dtype, np.floating)
        and np.isfinite(array).all()
        and (array == np.round(array)).all()
    ):
        return array.astype(np.int64)
    raise ValueError(f"{name} must hold integers")


def ragged_arange(starts: IntArray, lengths: IntArray) -> IntArray:
    """Concatenation of ``arange(start, start + length)`` for every (start, length), without a loop."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    group_offsets = np.cumsum(lengths) - lengths
    group_of_position = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    within = np.arange(total, dtype=np.int64) - group_offsets[group_of_position]
    return starts[group_of_position] + within


def pairs_within_groups(group: IntArray) -> tuple[IntArray, IntArray]:
    """All unordered pairs ``(i, j)``, ``i < j``, of positions that share a group.

    ``group`` must be sorted (rows of one group contiguous). Groups are small (a handful of
    annotators per unit), so the loop runs over the offset between the two rows, never over rows.
    """
    firsts: list[IntArray] = []
    seconds: list[IntArray] = []
    n = len(group)
    offset = 1
    while offset < n:
        same = np.flatnonzero(group[:-offset] == group[offset:])
        if same.size == 0:
            break
        firsts.append(same.astype(np.int64))
        seconds.append((same + offset).astype(np.int64))
        offset += 1
    if not firsts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(firsts), np.concatenate(seconds)
