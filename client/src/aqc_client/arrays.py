"""Turning numpy arrays (or plain sequences) into the rows the import endpoints take.

numpy is optional: anything with ``tolist()`` or plain nested sequences work the same.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any


def _plain(value: Any) -> Any:
    return value.tolist() if hasattr(value, "tolist") else value


def boxes_payload(
    boxes: Any, labels: Sequence[str] | Any, *, box_format: str = "xywh", names: Sequence[str] | None = None
) -> dict[str, Any]:
    """A bbox payload from an ``(n, 4)`` array of boxes and ``n`` labels (names, or indices into ``names``).

    ``box_format`` is ``xywh`` (top-left corner, width, height) or ``xyxy`` (two corners), in pixels.
    """
    if box_format not in ("xywh", "xyxy"):
        raise ValueError(f"unknown box_format {box_format!r}: use 'xywh' or 'xyxy'")
    rows = _plain(boxes)
    label_values = _plain(labels)
    if len(rows) != len(label_values):
        raise ValueError(f"{len(rows)} boxes but {len(label_values)} labels")
    payload_boxes = []
    for index, (box, label) in enumerate(zip(rows, label_values, strict=True)):
        if len(box) != 4:
            raise ValueError(f"box {index} has {len(box)} coordinates, not 4")
        x, y, a, b = (float(v) for v in box)
        if not all(math.isfinite(v) for v in (x, y, a, b)):
            raise ValueError(f"box {index} has a coordinate that is not finite")
        w, h = (a - x, b - y) if box_format == "xyxy" else (a, b)
        name = names[int(label)] if names is not None and not isinstance(label, str) else str(label)
        payload_boxes.append({"x": x, "y": y, "w": w, "h": h, "label": name})
    return {"boxes": payload_boxes}


def box_predictions(
    external_ids: Sequence[str],
    boxes: Iterable[Any],
    labels: Iterable[Any],
    scores: Iterable[Any] | None = None,
    *,
    box_format: str = "xywh",
    names: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Prediction rows for a detector: per image an ``(n, 4)`` box array, ``n`` labels and ``n`` scores."""
    score_list = list(scores) if scores is not None else [None] * len(external_ids)
    box_list, label_list = list(boxes), list(labels)
    if not len(external_ids) == len(box_list) == len(label_list) == len(score_list):
        raise ValueError("external_ids, boxes, labels and scores must have one entry per image")
    rows = []
    for external_id, image_boxes, image_labels, image_scores in zip(
        external_ids, box_list, label_list, score_list, strict=True
    ):
        row: dict[str, Any] = {
            "external_id": str(external_id),
            "payload": boxes_payload(image_boxes, image_labels, box_format=box_format, names=names),
        }
        if image_scores is not None:
            row["scores"] = [float(s) for s in _plain(image_scores)]
        rows.append(row)
    return rows


def class_predictions(external_ids: Sequence[str], proba: Any, names: Sequence[str]) -> list[dict[str, Any]]:
    """Prediction rows for a classifier from an ``(n_items, n_classes)`` probability array.

    Columns are the classes in ``names`` order; the payload label is the most probable class.
    """
    matrix = _plain(proba)
    if len(matrix) != len(external_ids):
        raise ValueError(f"{len(external_ids)} external ids but {len(matrix)} probability rows")
    rows = []
    for external_id, row in zip(external_ids, matrix, strict=True):
        values = [float(v) for v in row]
        if len(values) != len(names):
            raise ValueError(f"{external_id}: {len(values)} probabilities for {len(names)} classes")
        best = max(range(len(values)), key=values.__getitem__)
        rows.append({"external_id": str(external_id), "payload": {"label": names[best]}, "proba": values})
    return rows
