"""Validation and normalisation of annotation payloads.

bbox: ``{"boxes": [{"x": 10, "y": 20, "w": 30, "h": 40, "label": "car"}]}``;
classification: ``{"label": "cat"}``. Errors are keyed by field path (``boxes[2].w``).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
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
    return _validate_boxes(
        raw, labels=labels, width=width, height=height, max_boxes=max_boxes, retired=retired
    )


def retired_label_errors(raw: Any, retired: Collection[str]) -> dict[str, list[str]]:
    """The fields of a (possibly unfinished) payload that use a retired label, by path."""
    if not retired or not isinstance(raw, Mapping):
        return {}
    message = "the label '{}' is retired; choose another"
    label = raw.get("label")
    if isinstance(label, str) and label in retired:
        return {"label": [message.format(label)]}
    boxes = raw.get("boxes")
    if not isinstance(boxes, list):
        return {}
    return {
        f"boxes[{index}].label": [message.format(box["label"])]
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


def _validate_boxes(
    raw: Mapping[str, Any],
    *,
    labels: Sequence[str],
    width: float,
    height: float,
    max_boxes: int,
    retired: Collection[str],
) -> dict[str, Any]:
    extra = sorted(set(raw) - {"boxes"})
    if extra:
        raise PayloadError({extra[0]: ["unexpected field in a bbox payload"]})
    boxes = raw.get("boxes")
    if not isinstance(boxes, list):
        raise PayloadError({"boxes": ["required, a list of boxes"]})
    if len(boxes) > max_boxes:
        raise PayloadError({"boxes": [f"at most {max_boxes} boxes, got {len(boxes)}"]})
    errors: dict[str, list[str]] = {}
    for index, box in enumerate(boxes):
        if not isinstance(box, Mapping):
            errors[f"boxes[{index}]"] = ["must be an object with x, y, w, h and label"]
            continue
        unknown = sorted(set(box) - {*COORDINATES, "label"})
        if unknown:
            errors[f"boxes[{index}].{unknown[0]}"] = ["unexpected field"]
        for key in COORDINATES:
            value = box.get(key)
            if not _is_number(value):
                errors[f"boxes[{index}].{key}"] = ["required, a number"]
            elif not _is_finite(value):
                errors[f"boxes[{index}].{key}"] = ["must be a finite number"]
        label = box.get("label")
        if not isinstance(label, str):
            errors[f"boxes[{index}].label"] = ["required, a string"]
    if errors:
        raise PayloadError(errors)
    if not boxes:
        return {"boxes": []}

    array = np.array([[box[k] for k in COORDINATES] for box in boxes], dtype=np.float64)
    box_labels = np.array([box["label"] for box in boxes], dtype=object)
    x, y, w, h = array.T
    slack_x = max(2.0, BOUNDS_TOLERANCE * width)
    slack_y = max(2.0, BOUNDS_TOLERANCE * height)
    checks: list[tuple[np.ndarray[Any, Any], str, str]] = [
        (w <= 0, "w", "must be > 0"),
        (h <= 0, "h", "must be > 0"),
        ((x < -slack_x) | (x + w > width + slack_x), "x", f"box lies outside the image (width {width:g})"),
        ((y < -slack_y) | (y + h > height + slack_y), "y", f"box lies outside the image (height {height:g})"),
        (
            ~np.isin(box_labels, np.array(list(labels), dtype=object)),
            "label",
            "not in the project's label set",
        ),
    ]
    for mask, key, message in checks:
        for index in np.flatnonzero(mask).tolist():
            errors.setdefault(f"boxes[{index}].{key}", []).append(message)
    for path, messages in retired_label_errors(raw, retired).items():
        errors.setdefault(path, []).extend(messages)
    if errors:
        raise PayloadError(dict(sorted(errors.items(), key=lambda kv: _path_order(kv[0]))))
    return {
        "boxes": [
            {"x": float(b[0]), "y": float(b[1]), "w": float(b[2]), "h": float(b[3]), "label": str(lbl)}
            for b, lbl in zip(array.tolist(), box_labels.tolist(), strict=True)
        ]
    }


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
