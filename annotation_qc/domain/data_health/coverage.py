"""Coverage: how labels and metadata attribute values are spread over items, labeled items and exports,
against the shares the ML team targets; and the priority boost that steers the queue to the gaps.

A value is *under-represented* when its share among labeled items is below its target. Its *shortfall*
is ``(target - share) / target`` (0 to 1). The boost of an item is ``boost`` times the largest shortfall
among its values (its predicted labels and its metadata attribute values), so items that fill a gap are
served sooner without overriding the uncertainty order elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

BOX_SIZE_EDGES = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0)
MISSING = "(missing)"


def value_counts(values: Sequence[object]) -> dict[str, int]:
    """Counts per value (None as ``(missing)``), most frequent first then by name."""
    if not values:
        return {}
    keys = np.asarray([MISSING if v is None else str(v) for v in values], dtype=str)
    names, counts = np.unique(keys, return_counts=True)
    order = np.lexsort((names, -counts))
    return {str(names[i]): int(counts[i]) for i in order}


def coverage_table(
    scopes: Mapping[str, Mapping[str, int]],
    targets: Mapping[str, float] | None = None,
    *,
    judge_scope: str = "labeled",
) -> list[dict[str, Any]]:
    """One row per value: counts and shares per scope, target, shortfall and whether it is under target."""
    targets = targets or {}
    values = sorted({v for counts in scopes.values() for v in counts} | set(targets))
    totals = {scope: sum(counts.values()) for scope, counts in scopes.items()}
    rows = []
    for value in values:
        counts = {scope: int(scopes[scope].get(value, 0)) for scope in scopes}
        shares = {scope: (counts[scope] / totals[scope] if totals[scope] else 0.0) for scope in scopes}
        target = targets.get(value)
        judged = shares.get(judge_scope, 0.0)
        shortfall = max(0.0, (target - judged) / target) if target else 0.0
        rows.append(
            {
                "value": value,
                "counts": counts,
                "shares": shares,
                "target": target,
                "shortfall": shortfall,
                "under_represented": bool(target is not None and judged < target),
            }
        )
    return rows


def shortfalls(table: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    return {row["value"]: float(row["shortfall"]) for row in table if row["shortfall"] > 0}


def boxes_per_image(counts: ArrayLike) -> dict[str, Any]:
    """Histogram of boxes per image (0, 1, ..., 9, 10+) and summary figures."""
    array = np.asarray(counts, dtype=np.int64).reshape(-1)
    if array.size == 0:
        return {"histogram": {}, "mean": None, "max": None, "images": 0}
    capped = np.minimum(array, 10)
    hist = np.bincount(capped, minlength=11)
    labels = [str(i) for i in range(10)] + ["10+"]
    return {
        "histogram": {labels[i]: int(hist[i]) for i in range(11)},
        "mean": float(array.mean()),
        "max": int(array.max()),
        "images": int(array.size),
    }


def box_sizes(relative_sizes: ArrayLike) -> dict[str, Any]:
    """Distribution of box sizes as sqrt(box area / image area): histogram and quartiles."""
    array = np.asarray(relative_sizes, dtype=np.float64).reshape(-1)
    array = array[np.isfinite(array)]
    if array.size == 0:
        return {"histogram": [], "quartiles": None, "boxes": 0}
    edges = np.asarray(BOX_SIZE_EDGES)
    hist, _ = np.histogram(np.clip(array, 0.0, 1.0), bins=edges)
    return {
        "histogram": [
            {"from": float(edges[i]), "to": float(edges[i + 1]), "count": int(hist[i])}
            for i in range(hist.size)
        ],
        "quartiles": [float(q) for q in np.quantile(array, [0.25, 0.5, 0.75])],
        "boxes": int(array.size),
    }


def relative_box_sizes(
    widths: ArrayLike, heights: ArrayLike, image_widths: ArrayLike, image_heights: ArrayLike
) -> NDArray[np.float64]:
    w, h = np.asarray(widths, dtype=np.float64), np.asarray(heights, dtype=np.float64)
    iw, ih = np.asarray(image_widths, dtype=np.float64), np.asarray(image_heights, dtype=np.float64)
    area = np.maximum(iw * ih, 1.0)
    return np.sqrt(np.maximum(w * h, 0.0) / area)  # type: ignore[no-any-return]


def priority_boost(
    item_values: Sequence[Sequence[str]], gaps: Mapping[str, float], *, boost: float
) -> NDArray[np.float64]:
    """``boost`` x the largest shortfall among each item's values (0 for items filling no gap)."""
    n = len(item_values)
    if n == 0 or boost == 0 or not gaps:
        return np.zeros(n)
    lengths = np.fromiter((len(v) for v in item_values), dtype=np.int64, count=n)
    flat = [value for values in item_values for value in values]
    if not flat:
        return np.zeros(n)
    names = np.asarray(list(gaps), dtype=str)
    sizes = np.asarray(list(gaps.values()), dtype=np.float64)
    order = np.argsort(names)
    names, sizes = names[order], sizes[order]
    keys = np.asarray(flat, dtype=str)
    position = np.clip(np.searchsorted(names, keys), 0, names.size - 1)
    found = names[position] == keys
    per_value = np.where(found, sizes[position], 0.0)
    owners = np.repeat(np.arange(n), lengths)
    best = np.zeros(n)
    np.maximum.at(best, owners, per_value)
    return boost * best
