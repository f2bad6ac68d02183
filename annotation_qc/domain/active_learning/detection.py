"""Informativeness of bbox items from uploaded detector predictions.

:func:`detection_uncertainty` scores an item from its predicted boxes' confidence scores. A box
score ``s`` is the detector's confidence that the box is a real object of its label; the box's
uncertainty is its binary entropy in bits, ``H(s) = -s log2 s - (1 - s) log2 (1 - s)``: 1 at
``s = 0.5``, 0 at ``s = 0`` or ``1`` (a confident rejection is as certain as a confident
detection, which is why ``1 - s`` would be the wrong score). The item's score is the mean (or the
max) over its boxes. **An item with no boxes scores** ``empty_score``, **0.0 by default**: the
detector reported nothing it was unsure about. Pass ``empty_score=1.0`` to chase images where
a detector may have missed everything.

:func:`detection_committee_disagreement` compares several uploaded model versions. For each pair
of models, the item's boxes are matched one to one with :func:`geometry.match_boxes` (IoU at
least ``min_iou``). Every object in the union of the two box sets (a matched pair counts once, an
unmatched box once) agrees with the other model by:

* its IoU, for a matched pair with the same label;
* its IoU times ``1 - label_weight``, for a matched pair with different labels;
* 0, for an unmatched box.

The pair's disagreement is ``1 - mean agreement`` (0 when neither model has a box), and the
item's score is the mean over model pairs, in ``[0, 1]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import entr

from annotation_qc.domain.active_learning.validation import FloatArray, IntArray
from annotation_qc.domain.geometry import as_boxes, boxes_from_payload, match_boxes

#: A model's prediction for one item: a bbox payload ``{"boxes": [...]}`` or ``(boxes, labels)``.
BoxPrediction = Mapping[str, Any] | tuple[ArrayLike, Sequence[str]]


def detection_uncertainty(
    scores_per_item: Sequence[ArrayLike],
    *,
    aggregate: Literal["mean", "max"] = "mean",
    empty_score: float = 0.0,
) -> FloatArray:
    """Per-item uncertainty from per-box confidence scores, ``(n,)`` (see the module docstring)."""
    lengths = np.asarray([np.size(scores) for scores in scores_per_item], dtype=np.int64)
    n = len(lengths)
    result = np.full(n, float(empty_score), dtype=np.float64)
    if lengths.sum() == 0:
        return result
    flat = np.concatenate([np.ravel(np.asarray(scores, dtype=np.float64)) for scores in scores_per_item])
    if not np.isfinite(flat).all() or flat.min() < 0.0 or flat.max() > 1.0:
        item = int(np.repeat(np.arange(n), lengths)[np.argmax(~((flat >= 0.0) & (flat <= 1.0)))])
        raise ValueError(f"box scores of item {item} must be finite and within [0, 1]")
    box_entropy = (entr(flat) + entr(1.0 - flat)) / np.log(2.0)
    item_of_box = np.repeat(np.arange(n, dtype=np.int64), lengths)
    has_boxes = lengths > 0
    if aggregate == "mean":
        sums = np.bincount(item_of_box, weights=box_entropy, minlength=n)
        result[has_boxes] = sums[has_boxes] / lengths[has_boxes]
    elif aggregate == "max":
        maxima = np.zeros(n, dtype=np.float64)
        np.maximum.at(maxima, item_of_box, box_entropy)
        result[has_boxes] = maxima[has_boxes]
    else:
        raise ValueError(f"aggregate must be 'mean' or 'max', got {aggregate!r}")
    return result


def box_scores_from_payloads(
    payloads: Sequence[Mapping[str, Any]], *, key: str = "score"
) -> list[FloatArray]:
    """The per-box confidence scores of bbox prediction payloads (each box carries ``key``)."""
    result: list[FloatArray] = []
    for item, payload in enumerate(payloads):
        boxes = payload.get("boxes", [])
        try:
            result.append(np.asarray([float(box[key]) for box in boxes], dtype=np.float64))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"every box of prediction {item} needs a numeric {key!r}") from exc
    return result


def detection_committee_disagreement(
    predictions_per_model_per_item: Sequence[Sequence[BoxPrediction]],
    *,
    min_iou: float = 0.5,
    label_weight: float = 0.5,
) -> FloatArray:
    """Mean pairwise disagreement between model versions' boxes per item, ``(n,)`` in ``[0, 1]``.

    ``predictions_per_model_per_item[model][item]`` is one model's prediction for one item. The
    loop runs over items and model pairs (one Hungarian matching each); box work is vectorised.
    """
    if len(predictions_per_model_per_item) < 2:
        raise ValueError("committee disagreement needs the predictions of at least two models")
    if not 0.0 <= label_weight <= 1.0:
        raise ValueError(f"label_weight must be within [0, 1], got {label_weight}")
    models = [
        [_as_boxes_and_labels(prediction) for prediction in items] for items in predictions_per_model_per_item
    ]
    n = len(models[0])
    if any(len(items) != n for items in models):
        raise ValueError(f"every model needs a prediction for each of the {n} items")
    pairs = list(combinations(range(len(models)), 2))
    result = np.empty(n, dtype=np.float64)
    for item in range(n):
        total = 0.0
        for first, second in pairs:
            total += _pair_disagreement(models[first][item], models[second][item], min_iou, label_weight)
        result[item] = total / len(pairs)
    return result


def _pair_disagreement(
    first: tuple[FloatArray, NDArray[np.str_]],
    second: tuple[FloatArray, NDArray[np.str_]],
    min_iou: float,
    label_weight: float,
) -> float:
    boxes_a, labels_a = first
    boxes_b, labels_b = second
    if len(boxes_a) + len(boxes_b) == 0:
        return 0.0
    matches = match_boxes(boxes_a, boxes_b, min_iou)
    union = len(boxes_a) + len(boxes_b) - len(matches)
    if not matches:
        return 1.0
    pairs = np.asarray(matches, dtype=np.float64)
    index_a: IntArray = pairs[:, 0].astype(np.int64)
    index_b: IntArray = pairs[:, 1].astype(np.int64)
    same_label = labels_a[index_a] == labels_b[index_b]
    agreement = pairs[:, 2] * np.where(same_label, 1.0, 1.0 - label_weight)
    return 1.0 - float(agreement.sum()) / union


def _as_boxes_and_labels(prediction: BoxPrediction) -> tuple[FloatArray, NDArray[np.str_]]:
    if isinstance(prediction, Mapping):
        boxes, labels = boxes_from_payload(prediction.get("boxes", []))
    else:
        raw_boxes, raw_labels = prediction
        boxes, labels = as_boxes(raw_boxes), [str(label) for label in raw_labels]
    if len(labels) != len(boxes):
        raise ValueError(f"{len(boxes)} boxes but {len(labels)} labels")
    return boxes, np.asarray(labels, dtype=np.str_)
