"""How data health moves items in the label queue: added to the strategy's scores when the order is composed.

An item's adjustment is its coverage boost (``boost`` x the shortfall of the gaps it fills) plus its outlier
placement (queued first: +:data:`OUTLIER_SHIFT`, last: -:data:`OUTLIER_SHIFT`). The adjustments are stored per
item and added every time a queue order is written (a prioritisation run's scores, or a change of the
adjustments themselves), so a new run does not drop them.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Added to (first) or taken from (last) an outlier's priority: more than any strategy's score spread.
OUTLIER_SHIFT = 1_000_000.0


def placement_shift(placement: str) -> float:
    """The priority shift of an outlier under the ``outliers.placement`` setting (0: none or review)."""
    return {"first": OUTLIER_SHIFT, "last": -OUTLIER_SHIFT}.get(placement, 0.0)


def compose_priority(scores: ArrayLike, adjustments: ArrayLike) -> NDArray[np.float64]:
    """The queue priority of items: the strategy's scores plus the data-health adjustments.

    ``adjustments`` may hold NaN (no adjustment). Items a strategy could not score (at or below -1e17)
    stay at the back whatever their adjustment.
    """
    base = np.asarray(scores, dtype=np.float64)
    extra = np.nan_to_num(np.asarray(adjustments, dtype=np.float64), nan=0.0)
    if base.shape != extra.shape:
        raise ValueError(f"scores {base.shape} and adjustments {extra.shape} differ in shape")
    return np.where(base <= -1e17, base, base + extra)
