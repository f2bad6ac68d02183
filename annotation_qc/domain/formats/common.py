"""Small helpers shared by the format readers and writers: type checks, duplicates, canonical JSON."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, TypeGuard

import numpy as np
from numpy.typing import NDArray

from annotation_qc.domain.payloads import BOUNDS_TOLERANCE

HTTP_PREFIXES = ("http://", "https://")
#: Largest image side accepted from a file (the items API has the same bound).
MAX_SIDE = 100_000


def is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_side(value: object) -> TypeGuard[int]:
    """A usable image width or height: an integer (or integral float) in [1, MAX_SIDE]."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return is_int(value) and 1 <= value <= MAX_SIDE


def is_http_url(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and value.startswith(HTTP_PREFIXES) and len(value) <= 2000


def repeats(keys: Sequence[Any] | NDArray[Any]) -> NDArray[np.int64]:
    """For each key, the index of its first occurrence when it is a repeat, else -1."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    array = np.asarray(keys)
    _, first, inverse = np.unique(array, return_index=True, return_inverse=True)
    firsts = first[inverse.reshape(-1)].astype(np.int64)
    result: NDArray[np.int64] = np.where(firsts != np.arange(n), firsts, -1)
    return result


def out_of_bounds(
    boxes: NDArray[np.float64], widths: NDArray[np.float64], heights: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """Boxes lying outside their image by more than the payload tolerance (unknown sizes are NaN: never)."""
    slack_x = np.maximum(2.0, BOUNDS_TOLERANCE * widths)
    slack_y = np.maximum(2.0, BOUNDS_TOLERANCE * heights)
    x, y, w, h = boxes.T
    with np.errstate(invalid="ignore"):
        outside = (x < -slack_x) | (x + w > widths + slack_x) | (y < -slack_y) | (y + h > heights + slack_y)
    result: NDArray[np.bool_] = outside & ~np.isnan(widths)
    return result


def canonical_json(value: Any) -> bytes:
    """JSON with sorted keys, no spaces, UTF-8, no NaN: the same value always gives the same bytes."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def describe_json(value: object) -> str:
    """What a parsed JSON document looks like, for messages about a file of the wrong format."""
    if isinstance(value, dict):
        keys = set(value)
        if {"images", "annotations"} <= keys or {"images", "categories"} <= keys:
            return "a COCO object (images, categories, annotations)"
        if "data" in keys:
            return "a single Label Studio task (an object with 'data')"
        shown = ", ".join(sorted(str(k) for k in keys)[:5])
        return f"a JSON object with keys {shown}" if shown else "an empty JSON object"
    if isinstance(value, list):
        if value and all(isinstance(v, dict) and "data" in v for v in value[:20]):
            return "a list of Label Studio tasks"
        if value and all(isinstance(v, dict) and "external_id" in v for v in value[:20]):
            return "a JSON list of item rows (JSONL rows belong one per line)"
        return "a JSON list"
    return f"a JSON {type(value).__name__}"


def label_hint(labels: Sequence[str]) -> str:
    shown = ", ".join(labels[:20])
    return shown + (f", ... ({len(labels)} labels)" if len(labels) > 20 else "")
