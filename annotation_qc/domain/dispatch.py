"""Pure rules used by task dispatch."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


def unit_hash(project_id: int, external_ids: Sequence[str]) -> NDArray[np.float64]:
    """A stable pseudo-random number in [0, 1) per external id (the same on every machine and run)."""
    prefix = f"{project_id}:".encode()
    digests = b"".join(hashlib.blake2b(prefix + eid.encode(), digest_size=8).digest() for eid in external_ids)
    return np.frombuffer(digests, dtype="<u8").astype(np.float64) / 2.0**64


def required_annotations(
    project_id: int, external_ids: Sequence[str], *, overlap: int, overlap_fraction: float
) -> NDArray[np.int64]:
    """How many annotations each item needs: ``overlap`` for the double-labeled share, else 1.

    The share is chosen deterministically from the external id, so re-importing the same
    items gives the same choice.
    """
    if overlap <= 1 or overlap_fraction <= 0:
        return np.ones(len(external_ids), dtype=np.int64)
    doubled = unit_hash(project_id, external_ids) < overlap_fraction
    return np.where(doubled, overlap, 1).astype(np.int64)
