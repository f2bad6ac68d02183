"""JSON Lines: one item a line, ``{"external_id", "image_url", "width", "height", "annotation"?, "scores"?}``.

``annotation`` is a payload as the API takes it (bbox ``{"boxes": [...]}``, classification
``{"label": ...}``). Exports add ``label_status``, ``file_name`` and, with raw answers,
``raw: [{"annotator_id", "annotation"}]``; reading ignores those.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from annotation_qc.domain.formats.common import canonical_json, describe_json, is_number, is_side
from annotation_qc.domain.formats.records import (
    ExportRecord,
    FormatError,
    ParseOptions,
    ParseResult,
    Rejection,
    SourceItem,
)
from annotation_qc.domain.formats.tabular import decode_text
from annotation_qc.domain.jsonsafe import loads_bounded
from annotation_qc.domain.payloads import PayloadError, validate_box_payloads, validate_payload

KNOWN_KEYS = {
    "external_id",
    "image_url",
    "image",
    "width",
    "height",
    "annotation",
    "scores",
    "label_status",
    "file_name",
    "raw",
    "metadata",
}


def _line(number: int, text: str) -> tuple[dict[str, Any], list[int | None]]:
    """A line's object and its stated sizes, with every check that needs no other line."""
    try:
        row = loads_bounded(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(row, Mapping):
        raise ValueError(f"must be a JSON object, got {describe_json(row)}")
    unknown = sorted(set(row) - KNOWN_KEYS)
    if unknown:
        raise ValueError(f"unknown key '{unknown[0]}'")
    external_id = row.get("external_id")
    if not isinstance(external_id, str) or not external_id or len(external_id) > 255:
        raise ValueError("external_id: required, 1 to 255 characters")
    image = row.get("image_url") or row.get("image")
    if not isinstance(image, str) or not image:
        raise ValueError("image_url: required, a URL or the name of an uploaded file")
    sizes: list[int | None] = []
    for key in ("width", "height"):
        value = row.get(key)
        if value is not None and not is_side(value):
            raise ValueError(f"{key}: must be a positive integer")
        sizes.append(None if value is None else int(value))
    metadata = row.get("metadata") or {}
    if not isinstance(metadata, Mapping):
        raise ValueError("metadata: must be an object")
    return dict(row), sizes


def _payload_problem(errors: Mapping[str, Sequence[str]]) -> str:
    return "; ".join(f"{'.'.join(filter(None, ('annotation', p)))}: {m[0]}" for p, m in errors.items())


def _validated_payloads(
    rows: Sequence[tuple[dict[str, Any], list[int | None]]], options: ParseOptions
) -> tuple[list[Any], dict[int, str]]:
    """Every line's annotation validated (bbox payloads all at once); problems by position."""
    raws = [row.get("annotation") for row, _ in rows]
    present = [i for i, raw in enumerate(raws) if raw is not None]
    payloads: list[Any] = [None] * len(rows)
    problems: dict[int, str] = {}
    if options.kind == "bbox":
        clean, errors = validate_box_payloads(
            [raws[i] for i in present],
            labels=options.labels,
            widths=[rows[i][1][0] or math.inf for i in present],
            heights=[rows[i][1][1] or math.inf for i in present],
            max_boxes=options.max_boxes,
        )
        for position, i in enumerate(present):
            payloads[i] = clean[position]
            if position in errors:
                problems[i] = _payload_problem(errors[position])
        return payloads, problems
    for i in present:
        try:
            payloads[i] = validate_payload(
                raws[i], kind=options.kind, labels=options.labels, width=math.inf, height=math.inf
            )
        except PayloadError as exc:
            problems[i] = _payload_problem(exc.errors)
    return payloads, problems


def _unit_number(value: object) -> bool:
    return is_number(value) and 0 <= value <= 1


def _item(
    number: int, row: Mapping[str, Any], sizes: list[int | None], payload: Any, options: ParseOptions
) -> SourceItem:
    scores = row.get("scores")
    if scores is not None:
        if not isinstance(scores, list) or not all(map(_unit_number, scores)):
            raise ValueError("scores: must be a list of numbers in [0, 1]")
        if payload is None or options.kind != "bbox" or len(scores) != len(payload["boxes"]):
            raise ValueError("scores: one per box of the annotation")
    return SourceItem(
        row=f"line {number}",
        external_id=row["external_id"],
        image=row.get("image_url") or row["image"],
        width=sizes[0],
        height=sizes[1],
        payload=payload,
        scores=tuple(map(float, scores)) if scores is not None else None,
        metadata=dict(row.get("metadata") or {}),
    )


def parse_jsonl(raw: bytes, options: ParseOptions) -> ParseResult:
    text = decode_text(raw)
    lines = text.splitlines()
    if len(lines) > 1 and lines[0].strip() in ("[", "{"):
        raise FormatError(
            "this looks like one JSON document over several lines, not JSON Lines (one object a line)"
        )
    # Each line on its own first; then the annotations of all lines at once; then, in line order,
    # what depends on them (scores per box) and on earlier lines (duplicate ids).
    outcome: list[tuple[int, tuple[dict[str, Any], list[int | None]] | str]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            outcome.append((number, _line(number, line)))
        except ValueError as exc:
            if number == 1 and line.lstrip().startswith("["):
                raise FormatError(
                    f"line 1 is a JSON list, not one item: {describe_json(_loads(line))}"
                ) from exc
            outcome.append((number, str(exc)))
    parsed = [
        (position, fields) for position, (_, fields) in enumerate(outcome) if not isinstance(fields, str)
    ]
    payloads, problems = _validated_payloads([fields for _, fields in parsed], options)
    by_position = {position: k for k, (position, _) in enumerate(parsed)}
    items: list[SourceItem] = []
    rejected: list[Rejection] = []
    seen: dict[str, str] = {}
    for position, (number, fields) in enumerate(outcome):
        if isinstance(fields, str):
            rejected.append(Rejection(f"line {number}", fields))
            continue
        k = by_position[position]
        if k in problems:
            rejected.append(Rejection(f"line {number}", problems[k]))
            continue
        try:
            item = _item(number, fields[0], fields[1], payloads[k], options)
        except ValueError as exc:
            rejected.append(Rejection(f"line {number}", str(exc)))
            continue
        if item.external_id in seen:
            rejected.append(
                Rejection(item.row, f"duplicate external_id '{item.external_id}' ({seen[item.external_id]})")
            )
            continue
        seen[item.external_id] = item.row
        items.append(item)
    return ParseResult(items=tuple(items), rejected=tuple(rejected))


def _loads(text: str) -> object:
    try:
        return loads_bounded(text)
    except ValueError:  # malformed, or beyond the limits: reported as text
        return text


def build_jsonl(records: Sequence[ExportRecord], *, include_raw: bool = False) -> bytes:
    lines = []
    for record in records:
        row: dict[str, Any] = {
            "external_id": record.external_id,
            "image_url": record.image_url,
            "file_name": record.file_name,
            "width": record.width,
            "height": record.height,
            "label_status": record.status,
            "annotation": record.payload,
        }
        if include_raw:
            row["raw"] = [{"annotator_id": r.annotator_id, "annotation": r.payload} for r in record.raw]
        lines.append(canonical_json(row))
    return b"".join(line + b"\n" for line in lines)
