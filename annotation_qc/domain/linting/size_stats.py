"""Learned box sizes per label, and how far a box's size lies from them.

Areas are **fractions of the image area** (``w * h / (image width * image height)``), so items of
different resolutions share one distribution; the statistics are over the natural log of that
fraction. Outlyingness is the modified z-score of Iglewicz and Hoaglin (1993),
``M = 0.6745 * (x - median) / MAD``, with ``|M| > 3.5`` their suggested outlier cut.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

#: 0.6745 is the 0.75 quantile of the standard normal: MAD / 0.6745 estimates the standard deviation.
MAD_TO_Z = 0.6745
#: Floor on the MAD (in log-area units) when scoring: a label whose boxes all have one size would
#: otherwise call a box 1% larger an outlier. At 0.1 and the default cut of 3.5, a box must be at
#: least ``exp(3.5 * 0.1 / 0.6745)`` = 1.68 times the median area to stand out.
MIN_MAD_LOG_AREA = 0.1


@dataclass(frozen=True)
class LabelSizeStats:
    """Median and median absolute deviation of ``log(area fraction)`` over ``count`` boxes."""

    median_log_area: float
    mad_log_area: float
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "median_log_area": self.median_log_area,
            "mad_log_area": self.mad_log_area,
            "count": self.count,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LabelSizeStats:
        return cls(
            median_log_area=float(data["median_log_area"]),
            mad_log_area=float(data["mad_log_area"]),
            count=int(data["count"]),
        )


def label_size_stats(
    areas: ArrayLike, labels: Sequence[str], *, min_count: int = 20
) -> dict[str, LabelSizeStats]:
    """Per-label size statistics from box ``areas`` (fractions of their image's area) and labels.

    Areas that are not finite and positive are ignored; labels with fewer than ``min_count``
    remaining boxes get no entry (their sizes are not checked against a distribution).
    """
    values = np.asarray(areas, dtype=np.float64).reshape(-1)
    names = np.asarray(labels, dtype=str).reshape(-1)
    if len(values) != len(names):
        raise ValueError(f"got {len(values)} areas but {len(names)} labels")
    usable = np.isfinite(values) & (values > 0)
    if not usable.any():
        return {}
    label_names, codes = np.unique(names[usable], return_inverse=True)
    log_areas = np.log(values[usable])

    counts = np.bincount(codes, minlength=len(label_names))
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    medians = _grouped_medians(log_areas, codes, starts, counts)
    mads = _grouped_medians(np.abs(log_areas - medians[codes]), codes, starts, counts)
    kept = np.flatnonzero(counts >= min_count)
    return {
        str(label_names[k]): LabelSizeStats(
            median_log_area=float(medians[k]), mad_log_area=float(mads[k]), count=int(counts[k])
        )
        for k in kept.tolist()
    }


def _grouped_medians(
    values: FloatArray, codes: NDArray[np.intp], starts: NDArray[np.intp], counts: NDArray[np.intp]
) -> FloatArray:
    """Median of ``values`` within each group (groups numbered ``0..k-1``, all non-empty)."""
    ordered = values[np.lexsort((values, codes))]
    low = ordered[starts + (counts - 1) // 2]
    high = ordered[starts + counts // 2]
    result: FloatArray = (low + high) / 2.0
    return result


def robust_z(log_areas: ArrayLike, median: ArrayLike, mad: ArrayLike) -> FloatArray:
    """Modified z-score of each ``log(area fraction)`` given the median and MAD (broadcast; the
    MAD is floored at :data:`MIN_MAD_LOG_AREA`)."""
    scale = np.maximum(np.asarray(mad, dtype=np.float64), MIN_MAD_LOG_AREA)
    deviation = np.asarray(log_areas, dtype=np.float64) - np.asarray(median, dtype=np.float64)
    z: FloatArray = MAD_TO_Z * deviation / scale
    return z
