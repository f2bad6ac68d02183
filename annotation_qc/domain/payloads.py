"""Validation and normalisation of annotation payloads.

bbox: ``{"boxes": [{"x": 10, "y": 20, "w": 30, "h": 40, "label": "car"}]}``;
classification: ``{"label": "cat"}``. Errors are keyed by field path (``boxes[2].w``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Literal, TypeGuard

import numpy as np

ProjectKind = Literal["bbox", "classification"]
COORDINATES = ("x", "y", "w", "h")
#: How far (as a fraction of the image side, at least 2 px) a box may stick out of the image.
BOUNDS_TOLERANCE = 0.01


class PayloadError(ValueError):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{path}: {msgs[0]}" for path, msgs in errors.items()))
        self.errors = errors


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_finite(value: int | float) -> bool:
    """Finite and within float range (an integer like 10**400 overflows a float)."""
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def validate_payload(
    raw: Any,
    *,
    kind: ProjectKind,
    labels: Sequence[str],
    width: float,
    height: float,
    max_boxes: int = 500,
    retired: Collection[str] = (),
) -> dict[str, Any]:
    """Return the clean payload or raise :class:`PayloadError` naming every bad field.

    ``retired`` labels are still in the label set (old answers keep them) but a new answer may not
    use them.
    """
    if not isinstance(raw, Mapping):
        raise PayloadError({"": ["must be a JSON object"]})
    if kind == "classification":
        return _validate_classification(raw, labels, retired)
    (clean,), errors = validate_box_payloads(
        [raw], labels=labels, widths=[width], heights=[height], max_boxes=max_boxes, retired=retired
    )
    if errors:
        raise PayloadError(errors[0])
    assert clean is not None
    return clean


_RETIRED = "the label '{}' is retired; choose another"


def retired_label_errors(raw: Any, retired: Collection[str]) -> dict[str, list[str]]:
    """The fields of a (possibly unfinished) payload that use a retired label, by path."""
    if not retired or not isinstance(raw, Mapping):
        return {}
    label = raw.get("label")
    if isinstance(label, str) and label in retired:
        return {"label": [_RETIRED.format(label)]}
    boxes = raw.get("boxes")
    if not isinstance(boxes, list):
        return {}
    return {
        f"boxes[{index}].label": [_RETIRED.format(box["label"])]
        for index, box in enumerate(boxes)
        if isinstance(box, Mapping) and isinstance(box.get("label"), str) and box["label"] in retired
    }


def _validate_classification(
    raw: Mapping[str, Any], labels: Sequence[str], retired: Collection[str]
) -> dict[str, Any]:
    extra = sorted(set(raw) - {"label"})
    if extra:
        raise PayloadError({extra[0]: ["unexpected field in a classification payload"]})
    label = raw.get("label")
    if not isinstance(label, str):
        raise PayloadError({"label": ["required, a string"]})
    if label not in labels:
        raise PayloadError({"label": [f"'{label}' is not in the project's label set"]})
    errors = retired_label_errors(raw, retired)
    if errors:
        raise PayloadError(errors)
    return {"label": label}


_BOX_KEYS = frozenset((*COORDINATES, "label"))


def _box_structure(
    raw: Any, label_set: frozenset[str], max_boxes: int
) -> tuple[list[Any], dict[str, list[str]]]:
    """The boxes of one bbox payload and the errors of its shape (types, keys), before any arithmetic."""
    if not isinstance(raw, Mapping):
        return [], {"": ["must be a JSON object"]}
    extra = sorted(set(raw) - {"boxes"})
    if extra:
        return [], {extra[0]: ["unexpected field in a bbox payload"]}
    boxes = raw.get("boxes")
    if not isinstance(boxes, list):
        return [], {"boxes": ["required, a list of boxes"]}
    if len(boxes) > max_boxes:
        return [], {"boxes": [f"at most {max_boxes} boxes, got {len(boxes)}"]}
    errors: dict[str, list[str]] = {}
    for index, box in enumerate(boxes):
        if not isinstance(box, Mapping):
            errors[f"boxes[{index}]"] = ["must be an object with x, y, w, h and label"]
            continue
        if box.keys() != _BOX_KEYS:
            unknown = sorted(set(box) - _BOX_KEYS)
            if unknown:
                errors[f"boxes[{index}].{unknown[0]}"] = ["unexpected field"]
        for key in COORDINATES:
            value = box.get(key)
            if not _is_number(value):
                errors[f"boxes[{index}].{key}"] = ["required, a number"]
            elif not _is_finite(value):
                errors[f"boxes[{index}].{key}"] = ["must be a finite number"]
        if not isinstance(box.get("label"), str):
            errors[f"boxes[{index}].label"] = ["required, a string"]
    return boxes, errors


def validate_box_payloads(
    raws: Sequence[Any],
    *,
    labels: Sequence[str],
    widths: Sequence[float],
    heights: Sequence[float],
    max_boxes: int = 500,
    retired: Collection[str] = (),
) -> tuple[list[dict[str, Any] | None], dict[int, dict[str, list[str]]]]:
    """Validate many bbox payloads at once: each payload's clean form (None where rejected) and
    the errors by payload index, keyed by field path as :func:`validate_payload` names them.

    One pass reads each payload's shape (JSON objects cannot be checked without visiting them);
    the arithmetic (sizes, bounds, labels) runs once over every box of every payload.
    """
    label_set = frozenset(labels)
    errors: dict[int, dict[str, list[str]]] = {}
    owners: list[int] = []
    coordinates: list[Any] = []
    box_labels: list[Any] = []
    accepted: list[tuple[int, int]] = []  # (payload index, first box position)
    for index, raw in enumerate(raws):
        boxes, shape_errors = _box_structure(raw, label_set, max_boxes)
        if shape_errors:
            errors[index] = shape_errors
            continue
        accepted.append((index, len(owners)))
        for box in boxes:
            owners.append(index)
            coordinates.append((box["x"], box["y"], box["w"], box["h"]))
            box_labels.append(box["label"])
    array = np.array(coordinates, dtype=np.float64).reshape(-1, 4)
    owner = np.asarray(owners, dtype=np.int64)
    width = np.asarray(widths, dtype=np.float64)[owner]
    height = np.asarray(heights, dtype=np.float64)[owner]
    x, y, w, h = array.T
    with np.errstate(invalid="ignore"):  # inf sides (unknown sizes) make inf slacks: no bound
        slack_x = np.maximum(2.0, BOUNDS_TOLERANCE * width)
        slack_y = np.maximum(2.0, BOUNDS_TOLERANCE * height)
        outside_x = (x < -slack_x) | (x + w > width + slack_x)
        outside_y = (y < -slack_y) | (y + h > height + slack_y)
    unknown_label = np.fromiter(
        (label not in label_set for label in box_labels), dtype=bool, count=len(box_labels)
    )
    retired_set = frozenset(retired)
    uses_retired = np.fromiter(
        (label in retired_set for label in box_labels), dtype=bool, count=len(box_labels)
    )
    checks: tuple[tuple[Any, str, Callable[[int], str]], ...] = (
        (w <= 0, "w", lambda i: "must be > 0"),
        (h <= 0, "h", lambda i: "must be > 0"),
        (outside_x, "x", lambda i: f"box lies outside the image (width {float(widths[owners[i]]):g})"),
        (outside_y, "y", lambda i: f"box lies outside the image (height {float(heights[owners[i]]):g})"),
        (unknown_label, "label", lambda i: "not in the project's label set"),
        (uses_retired, "label", lambda i: _RETIRED.format(box_labels[i])),
    )
    first_box = dict(accepted)
    bad = np.zeros(len(owners), dtype=bool)
    for mask, _key, _message in checks:
        bad |= mask
    for i in np.flatnonzero(bad).tolist():  # only boxes that failed a check
        payload_errors = errors.setdefault(owners[i], {})
        for mask, key, message in checks:
            if mask[i]:
                payload_errors.setdefault(f"boxes[{i - first_box[owners[i]]}].{key}", []).append(message(i))
    for index in {owners[i] for i in np.flatnonzero(bad).tolist()}:
        errors[index] = dict(sorted(errors[index].items(), key=lambda kv: _path_order(kv[0])))
    clean: list[dict[str, Any] | None] = [None] * len(raws)
    values = array.tolist()
    bounds = [*(start for _, start in accepted), len(owners)]
    for (index, start), stop in zip(accepted, bounds[1:], strict=True):
        if index in errors:
            continue
        clean[index] = {
            "boxes": [
                {"x": v[0], "y": v[1], "w": v[2], "h": v[3], "label": box_labels[b]}
                for b, v in zip(range(start, stop), values[start:stop], strict=True)
            ]
        }
    return clean, errors


def _path_order(path: str) -> tuple[int, str]:
    start = path.find("[") + 1
    return int(path[start : path.index("]")]), path


def canonical_payload(payload: Any) -> Any:
    """The one form every pre-annotation is shown in, whatever produced or stored it.

    Boxes keep their order and get their keys in ``x, y, w, h, label`` order with float
    coordinates; a classification is ``{"label": ...}``. Storage (PostgreSQL's jsonb reorders
    keys) and origin (an import, a seeded benchmark) therefore leave no trace in the bytes.
    Anything else (``None``, an unexpected shape) is returned as it is.
    """
    if not isinstance(payload, Mapping):
        return payload
    boxes = payload.get("boxes")
    if isinstance(boxes, list) and all(isinstance(b, Mapping) for b in boxes):
        try:
            return {
                "boxes": [
                    {
                        "x": float(b["x"]),
                        "y": float(b["y"]),
                        "w": float(b["w"]),
                        "h": float(b["h"]),
                        "label": str(b["label"]),
                    }
                    for b in boxes
                ]
            }
        except (KeyError, TypeError, ValueError):
            return payload
    if "label" in payload and "boxes" not in payload:
        return {"label": payload["label"]}
    return payload
