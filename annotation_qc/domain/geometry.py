"""Box geometry: IoU matrices and optimal one-to-one matching.

Boxes are float arrays of shape ``(n, 4)`` holding ``[x, y, w, h]`` in pixels with a
top-left origin (the COCO convention).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment

FloatArray = NDArray[np.float64]


def as_boxes(boxes: ArrayLike) -> FloatArray:
    """Return ``boxes`` as a float64 ``(n, 4)`` array (an empty input gives ``(0, 4)``)."""
    array = np.asarray(boxes, dtype=np.float64)
    if array.size == 0:
        return np.zeros((0, 4), dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 4:
        raise ValueError(f"boxes must have shape (n, 4), got {array.shape}")
    return array


def boxes_from_payload(boxes: Iterable[Mapping[str, Any]]) -> tuple[FloatArray, list[str]]:
    """Split payload boxes (``{"x", "y", "w", "h", "label"}``) into an array and a label list."""
    rows = list(boxes)
    array = as_boxes([[b["x"], b["y"], b["w"], b["h"]] for b in rows])
    return array, [str(b["label"]) for b in rows]


def boxes_to_payload(boxes: ArrayLike, labels: Sequence[str]) -> list[dict[str, Any]]:
    """Inverse of :func:`boxes_from_payload`, rounding coordinates to 0.01 px."""
    array = np.round(as_boxes(boxes), 2)
    return [
        {"x": float(x), "y": float(y), "w": float(w), "h": float(h), "label": str(label)}
        for (x, y, w, h), label in zip(array.tolist(), labels, strict=True)
    ]


def areas(boxes: ArrayLike) -> FloatArray:
    array = as_boxes(boxes)
    return array[:, 2] * array[:, 3]


def iou_matrix(a: ArrayLike, b: ArrayLike) -> FloatArray:
    """Intersection over union of every box in ``a`` with every box in ``b``: shape ``(N, M)``.

    Works in place on three ``(N, M)`` buffers: for a few hundred boxes the cost is memory
    traffic, not arithmetic.
    """
    boxes_a = as_boxes(a)
    boxes_b = as_boxes(b)
    if len(boxes_a) == 0 or len(boxes_b) == 0:
        return np.zeros((len(boxes_a), len(boxes_b)), dtype=np.float64)
    ax1, ay1 = boxes_a[:, 0:1], boxes_a[:, 1:2]
    ax2, ay2 = ax1 + boxes_a[:, 2:3], ay1 + boxes_a[:, 3:4]
    bx1, by1 = boxes_b[:, 0], boxes_b[:, 1]
    bx2, by2 = bx1 + boxes_b[:, 2], by1 + boxes_b[:, 3]
    scratch = np.maximum(ax1, bx1)
    overlap = np.minimum(ax2, bx2)
    overlap -= scratch
    np.maximum(overlap, 0.0, out=overlap)  # intersection width
    np.maximum(ay1, by1, out=scratch)
    height = np.minimum(ay2, by2)
    height -= scratch
    np.maximum(height, 0.0, out=height)
    overlap *= height  # intersection area
    np.add(boxes_a[:, 2:3] * boxes_a[:, 3:4], boxes_b[:, 2] * boxes_b[:, 3], out=scratch)
    scratch -= overlap  # union
    iou: FloatArray = np.divide(overlap, scratch, out=height, where=scratch > 0)
    iou[scratch <= 0] = 0.0
    return iou


def match_from_iou(iou: FloatArray, min_iou: float = 0.5) -> list[tuple[int, int, float]]:
    """Optimal one-to-one matching on a precomputed IoU matrix (Hungarian algorithm).

    Maximises the total IoU over the pairs whose IoU is at least ``min_iou`` and returns those
    pairs, sorted by the index into the first set.
    """
    if iou.size == 0:
        return []
    # Pairs below the threshold can never be kept, so they must not steer the assignment either:
    # otherwise two pairs just under it could outweigh (and push out) one pair that qualifies.
    eligible = np.where(iou >= min_iou, iou, 0.0)
    rows, cols = linear_sum_assignment(eligible, maximize=True)
    keep = iou[rows, cols] >= min_iou
    return [
        (int(r), int(c), float(v))
        for r, c, v in zip(
            rows[keep].tolist(), cols[keep].tolist(), iou[rows, cols][keep].tolist(), strict=True
        )
    ]


def match_boxes(a: ArrayLike, b: ArrayLike, min_iou: float = 0.5) -> list[tuple[int, int, float]]:
    """Optimal one-to-one matching of boxes ``a`` to boxes ``b``: ``(index_a, index_b, iou)`` pairs."""
    return match_from_iou(iou_matrix(a, b), min_iou)
