"""Annotation and prediction files beside the images of a bucket source (sidecar files).

An image ``shots/a.png`` may have ``shots/a<suffix>`` beside it, one suffix for annotations (the item
is imported as gold with that answer) and one for a model's predictions. A sidecar is one JSON
object: the payload as the API takes it (bbox ``{"boxes": [...]}``, classification
``{"label": ...}``); a prediction may add ``scores`` (one per box, in [0, 1]) and ``proba`` (one
probability per label, in label order, summing to 1).

A source may instead name one annotation file for its prefix, in a format imports read (COCO
``.json``, JSON Lines ``.jsonl``, CSV ``.csv``; parsed by the same parsers): each answered row names
its image by its external id (COCO: the image's ``file_name`` or ``external_id``), the key relative to
the prefix, as the sync names items (:func:`answers_by_key`).
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from annotation_qc.domain.formats.common import describe_json, is_number
from annotation_qc.domain.formats.records import ImportFormat, ParseResult, SourceItem
from annotation_qc.domain.jsonsafe import loads_bounded
from annotation_qc.domain.payloads import PayloadError, ProjectKind, validate_payload

#: Largest sidecar read (bytes).
MAX_SIDECAR_BYTES = 1 << 20


@dataclass(frozen=True)
class Sidecar:
    payload: dict[str, Any]
    scores: list[float] | None = None
    proba: list[float] | None = None


def stem(key: str, suffixes: Sequence[str]) -> str:
    """What an image and its sidecars share: the key without a sidecar suffix, or without the
    image's extension."""
    for suffix in suffixes:
        if suffix and key.endswith(suffix):
            return key[: -len(suffix)]
    base, _ = posixpath.splitext(key)
    return base


def parse_sidecar(
    raw: bytes,
    *,
    kind: ProjectKind,
    labels: Sequence[str],
    width: int,
    height: int,
    max_boxes: int,
    prediction: bool,
) -> Sidecar:
    """The clean sidecar, or ValueError saying what is wrong with it."""
    if len(raw) > MAX_SIDECAR_BYTES:
        raise ValueError(f"{len(raw)} bytes; annotation files beside images take at most {MAX_SIDECAR_BYTES}")
    try:
        data = loads_bounded(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not valid UTF-8 JSON ({exc})") from exc
    if not isinstance(data, Mapping):
        raise ValueError(f"must be a JSON object, got {describe_json(data)}")
    body = dict(data)
    scores = body.pop("scores", None) if prediction else None
    proba = body.pop("proba", None) if prediction else None
    try:
        payload = validate_payload(
            body, kind=kind, labels=labels, width=width, height=height, max_boxes=max_boxes
        )
    except PayloadError as exc:
        raise ValueError(str(exc)) from exc
    if scores is not None:
        if kind != "bbox" or not isinstance(scores, list) or len(scores) != len(payload["boxes"]):
            raise ValueError("scores: one per box, for bbox projects")
        if not all(is_number(s) and 0.0 <= float(s) <= 1.0 for s in scores):
            raise ValueError("scores: numbers in [0, 1]")
        scores = [float(s) for s in scores]
    if proba is not None:
        if not isinstance(proba, list) or len(proba) != len(labels) or not all(is_number(p) for p in proba):
            raise ValueError(f"proba: {len(labels)} numbers, one per label in label order")
        values = np.asarray(proba, dtype=np.float64)
        if not np.all(np.isfinite(values)) or np.any(values < 0) or np.any(values > 1):
            raise ValueError("proba: numbers in [0, 1]")
        if abs(float(values.sum()) - 1.0) > 1e-3:
            raise ValueError(f"proba: must sum to 1 (they sum to {values.sum():.4f})")
        proba = values.tolist()
    return Sidecar(payload=payload, scores=scores, proba=proba)


#: The formats of an annotation file beside the images, by how its key ends (lowercased).
ANNOTATION_FILE_FORMATS: dict[str, ImportFormat] = {".json": "coco", ".jsonl": "jsonl", ".csv": "csv"}


def annotation_file_format(key: str) -> ImportFormat | None:
    """The import format of an annotation file named ``key``, or None when its ending is not one."""
    lower = key.lower()
    return next((fmt for end, fmt in ANNOTATION_FILE_FORMATS.items() if lower.endswith(end)), None)


def answers_by_key(result: ParseResult, prefix: str) -> dict[str, SourceItem]:
    """The answered rows of a parsed annotation file by the key of the image they name: the row's
    external id relative to ``prefix`` (one already starting with the prefix is taken as it is).
    The first row naming a key wins (the parsers reject repeated external ids)."""
    answers: dict[str, SourceItem] = {}
    for item in result.items:
        if item.payload is None:
            continue
        name = item.external_id.lstrip("/")
        key = name if not prefix or name.startswith(prefix) else posixpath.join(prefix, name)
        answers.setdefault(key, item)
    return answers
