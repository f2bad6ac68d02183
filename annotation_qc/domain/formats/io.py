"""One entry point to read any import format and to render any export format, and an export's counts."""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from annotation_qc.domain.formats.coco import parse_coco
from annotation_qc.domain.formats.common import repeats
from annotation_qc.domain.formats.jsonl import parse_jsonl
from annotation_qc.domain.formats.label_studio import parse_label_studio
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
from annotation_qc.domain.formats.streaming import ordered_labels, payload_labels, used_labels, write_export
from annotation_qc.domain.formats.tabular import decode_text, parse_csv
from annotation_qc.domain.jsonsafe import JsonLimitError, loads_bounded, unstorable

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
        return loads_bounded(text)
    except JsonLimitError as exc:
        raise FormatError(f"not usable JSON: {exc}") from exc
    except json.JSONDecodeError as exc:
        if head == "{" and exc.msg == "Extra data":
            raise FormatError(
                "several JSON objects, one a line: this is JSON Lines (choose the jsonl format)"
            ) from exc
        raise FormatError(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from exc


def parse_file(raw: bytes, fmt: ImportFormat, options: ParseOptions) -> ParseResult:
    """Read an annotation file of the given format; :class:`FormatError` when it is not that format.

    Items holding a value the database cannot store (a NUL character in an id, a URL or metadata, a
    number out of range) are rejected rows, whatever the format.
    """
    return _storable(_parse_file(raw, fmt, options))


def _storable(result: ParseResult) -> ParseResult:
    kept: list[SourceItem] = []
    rejected = list(result.rejected)
    for item in result.items:
        fields = {"external_id": item.external_id, "image": item.image, "metadata": dict(item.metadata)}
        problems = unstorable(fields, limit=1)
        if problems:
            path, messages = next(iter(problems.items()))
            rejected.append(Rejection(item.row, f"{path}: {messages[0]}"))
        else:
            kept.append(item)
    if len(kept) == len(result.items):
        return result
    return ParseResult(items=tuple(kept), rejected=tuple(rejected), notes=result.notes)


def _parse_file(raw: bytes, fmt: ImportFormat, options: ParseOptions) -> ParseResult:
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
    return ordered_labels(labels, used_labels(records))


def render_export(
    records: Sequence[ExportRecord],
    fmt: ExportFormat,
    *,
    kind: str,
    labels: Sequence[str],
    include_raw: bool,
) -> bytes:
    """The export's content in memory: the same records always give the same bytes."""
    out = io.BytesIO()
    write_export(lambda: [records], fmt, out, kind=kind, labels=labels, include_raw=include_raw)
    return out.getvalue()


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


@dataclass
class ExportTally:
    """Counts an export's records chunk by chunk (see :class:`ExportCounts`)."""

    items: int = 0
    raw_annotations: int = 0
    per_label: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    used: set[str] = field(default_factory=set)

    def add(self, records: Sequence[ExportRecord]) -> None:
        for record in records:
            self.items += 1
            self.raw_annotations += len(record.raw)
            self.by_status[record.status] += 1
            if record.payload is not None:
                self.per_label.update(payload_labels(record.payload))
        self.used |= used_labels(records)

    def counts(self, *, labels: Sequence[str], include_raw: bool) -> ExportCounts:
        return ExportCounts(
            items=self.items,
            annotations=sum(self.per_label.values()),
            raw_annotations=self.raw_annotations if include_raw else 0,
            per_label={label: self.per_label[label] for label in ordered_labels(labels, self.used)},
            by_status={status: self.by_status[status] for status in sorted(self.by_status)},
        )


def export_counts(
    records: Sequence[ExportRecord], *, labels: Sequence[str], include_raw: bool
) -> ExportCounts:
    """Items, final annotations (boxes, or labels), raw answers, objects per label and items per status."""
    tally = ExportTally()
    tally.add(records)
    return tally.counts(labels=labels, include_raw=include_raw)
