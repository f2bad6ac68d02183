"""One entry point to read any import format and to render any export format, and an export's counts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from annotation_qc.domain.formats.coco import build_coco, parse_coco
from annotation_qc.domain.formats.common import canonical_json, repeats
from annotation_qc.domain.formats.jsonl import build_jsonl, parse_jsonl
from annotation_qc.domain.formats.label_studio import build_label_studio, parse_label_studio
from annotation_qc.domain.formats.records import (
    ExportFormat,
    ExportRecord,
    FormatError,
    ImportFormat,
    ParseOptions,
    ParseResult,
    Rejection,
    SourceItem,
)
from annotation_qc.domain.formats.tabular import build_csv, decode_text, parse_csv

#: Media type and file extension of each export format.
EXPORT_MEDIA_TYPES: dict[str, tuple[str, str]] = {
    "coco": ("application/json", "json"),
    "label_studio": ("application/json", "json"),
    "csv": ("text/csv", "csv"),
    "jsonl": ("application/x-ndjson", "jsonl"),
}
#: The kind of annotation file each import format reads (as archives name them by extension).
DATA_FILE_KIND: dict[str, str] = {"coco": "json", "label_studio": "json", "csv": "csv", "jsonl": "jsonl"}


def _json(raw: bytes, fmt: str) -> Any:
    text = decode_text(raw)
    head = text.lstrip()[:1]
    if head not in ("{", "["):
        guess = "CSV" if "," in text.split("\n", 1)[0] else "not JSON"
        raise FormatError(
            f"a {fmt} file is JSON; this one looks {guess} (choose the csv format for CSV files)"
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if head == "{" and exc.msg == "Extra data":
            raise FormatError(
                "several JSON objects, one a line: this is JSON Lines (choose the jsonl format)"
            ) from exc
        raise FormatError(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from exc


def parse_file(raw: bytes, fmt: ImportFormat, options: ParseOptions) -> ParseResult:
    """Read an annotation file of the given format; :class:`FormatError` when it is not that format."""
    if fmt == "coco":
        return parse_coco(_json(raw, "COCO"), options)
    if fmt == "label_studio":
        data = _json(raw, "Label Studio")
        if isinstance(data, dict) and "images" in data:
            raise FormatError(
                "this is a COCO object (images, categories, annotations), not Label Studio tasks"
            )
        return parse_label_studio(data, options)
    if fmt == "csv":
        return parse_csv(raw, options)
    if fmt == "jsonl":
        return parse_jsonl(raw, options)
    raise FormatError(f"the {fmt} format has no annotation file")


def items_from_files(names: Sequence[str]) -> ParseResult:
    """Items for bare uploaded images: the external id is the file's path in the upload."""
    rejected = [
        Rejection(f"file:{names[i]}", "the upload holds this file name twice")
        for i, first in enumerate(repeats(list(names)).tolist())
        if first >= 0
    ]
    items = tuple(
        SourceItem(row=f"file:{name}", external_id=name[-255:], image=name, width=None, height=None)
        for name in names
    )
    return ParseResult(items=items, rejected=tuple(rejected))


def label_set(records: Sequence[ExportRecord], labels: Sequence[str]) -> tuple[str, ...]:
    """The project's labels, then (sorted) any label the records use that the project no longer has."""
    used = {
        n for r in records for p in (r.payload, *(a.payload for a in r.raw)) if p for n in _label_names(p)
    }
    return (*labels, *sorted(used - set(labels)))


def render_export(
    records: Sequence[ExportRecord],
    fmt: ExportFormat,
    *,
    kind: str,
    labels: Sequence[str],
    include_raw: bool,
) -> bytes:
    """The export's content: the same records always give the same bytes."""
    labels = label_set(records, labels)
    if fmt == "coco":
        if kind != "bbox":
            raise FormatError("COCO detection export is for bbox projects (use csv, jsonl or label_studio)")
        return canonical_json(build_coco(records, labels=labels, include_raw=include_raw))
    if fmt == "label_studio":
        return canonical_json(build_label_studio(records, kind=kind, include_raw=include_raw))
    if fmt == "csv":
        return build_csv(records, kind=kind, include_raw=include_raw)
    if fmt == "jsonl":
        return build_jsonl(records, include_raw=include_raw)
    raise FormatError(f"unknown export format {fmt!r}")


@dataclass(frozen=True)
class ExportCounts:
    items: int
    annotations: int
    raw_annotations: int
    per_label: dict[str, int]
    by_status: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "annotations": self.annotations,
            "raw_annotations": self.raw_annotations,
            "per_label": self.per_label,
            "by_status": self.by_status,
        }


def _label_names(payload: dict[str, Any]) -> list[str]:
    return [b["label"] for b in payload["boxes"]] if "boxes" in payload else [payload["label"]]


def export_counts(
    records: Sequence[ExportRecord], *, labels: Sequence[str], include_raw: bool
) -> ExportCounts:
    """Items, final annotations (boxes, or labels), raw answers, objects per label and items per status."""
    labels = label_set(records, labels)
    names = [name for r in records if r.payload is not None for name in _label_names(r.payload)]
    codes = {label: code for code, label in enumerate(labels)}
    per_label = np.bincount(
        np.array([codes[n] for n in names], dtype=np.int64), minlength=len(labels)
    ).tolist()
    statuses, counts = np.unique(np.array([r.status for r in records], dtype=str), return_counts=True)
    return ExportCounts(
        items=len(records),
        annotations=len(names),
        raw_annotations=sum(len(r.raw) for r in records) if include_raw else 0,
        per_label=dict(zip(labels, per_label, strict=True)),
        by_status={str(s): int(c) for s, c in zip(statuses.tolist(), counts.tolist(), strict=True)},
    )
