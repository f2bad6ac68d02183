"""Writing an export a chunk of records at a time, so its size is not bounded by memory.

The bytes are those of rendering every record at once (``render_export``): JSON documents are
written as ``canonical_json`` would write them (sorted keys, no spaces), element by element, and
numbering (image, task and annotation ids) carries on from chunk to chunk. COCO parts wait in temporary
files until their place in the sorted document comes; when the records use a label the project no
longer has, COCO reads them twice more (once for the whole label set, which numbers the categories,
once to write).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from typing import IO, Any, Protocol

from annotation_qc.domain.formats.coco import (
    COCO_INFO,
    coco_annotations,
    coco_categories,
    coco_category_codes,
    coco_images,
    coco_raw_annotations,
)
from annotation_qc.domain.formats.common import canonical_json
from annotation_qc.domain.formats.jsonl import build_jsonl
from annotation_qc.domain.formats.label_studio import build_label_studio
from annotation_qc.domain.formats.records import ExportFormat, ExportRecord, FormatError
from annotation_qc.domain.formats.tabular import csv_header, csv_rows


class Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


#: A function returning the export's records, in order, as chunks; called twice for COCO.
RecordChunks = Callable[[], Iterable[Sequence[ExportRecord]]]


def payload_labels(payload: dict[str, Any]) -> list[str]:
    return [b["label"] for b in payload["boxes"]] if "boxes" in payload else [payload["label"]]


def used_labels(records: Iterable[ExportRecord]) -> set[str]:
    """Every label the records' final and raw answers use."""
    return {
        name
        for r in records
        for p in (r.payload, *(a.payload for a in r.raw))
        if p
        for name in payload_labels(p)
    }


def ordered_labels(labels: Sequence[str], used: set[str]) -> tuple[str, ...]:
    """The project's labels, then (sorted) any used label the project no longer has."""
    return (*labels, *sorted(used - set(labels)))


class _JsonArray:
    """Writes ``[e1,e2,...]`` element by element to a stream."""

    def __init__(self, out: Writable) -> None:
        self.out = out
        self.first = True

    def extend(self, elements: Iterable[Any]) -> None:
        for element in elements:
            self.out.write(canonical_json(element) if self.first else b"," + canonical_json(element))
            self.first = False


def write_export(
    chunks: RecordChunks,
    fmt: ExportFormat,
    out: Writable,
    *,
    kind: str,
    labels: Sequence[str],
    include_raw: bool,
) -> None:
    """Write the export of every record ``chunks()`` yields to ``out``."""
    if fmt == "coco":
        if kind != "bbox":
            raise FormatError("COCO detection export is for bbox projects (use csv, jsonl or label_studio)")
        _write_coco(chunks, out, labels=labels, include_raw=include_raw)
    elif fmt == "label_studio":
        _write_label_studio(chunks, out, kind=kind, include_raw=include_raw)
    elif fmt == "csv":
        out.write(csv_header(kind=kind))
        for chunk in chunks():
            out.write(csv_rows(chunk, kind=kind, include_raw=include_raw))
    elif fmt == "jsonl":
        for chunk in chunks():
            out.write(build_jsonl(chunk, include_raw=include_raw))
    else:
        raise FormatError(f"unknown export format {fmt!r}")


def _write_label_studio(chunks: RecordChunks, out: Writable, *, kind: str, include_raw: bool) -> None:
    out.write(b"[")
    tasks = _JsonArray(out)
    next_task = next_annotation = 1
    for chunk in chunks():
        written = build_label_studio(
            chunk,
            kind=kind,
            include_raw=include_raw,
            first_task_id=next_task,
            first_annotation_id=next_annotation,
        )
        tasks.extend(written)
        next_task += len(written)
        next_annotation += sum(len(task["annotations"]) for task in written)
    out.write(b"]")


def _write_coco(chunks: RecordChunks, out: Writable, *, labels: Sequence[str], include_raw: bool) -> None:
    # canonical_json sorts the keys: annotations, categories, images, info, licenses, raw_annotations.
    # The parts are written to temporary files first, numbering with the project's labels; a label the
    # project no longer has (rare) needs the whole label set first: one pass to learn it, then again.
    with (
        tempfile.TemporaryFile() as annotations_file,
        tempfile.TemporaryFile() as images_file,
        tempfile.TemporaryFile() as raw_file,
    ):
        parts = (annotations_file, images_file, raw_file)
        final_labels = tuple(labels)
        if not _write_coco_parts(chunks(), parts, final_labels, include_raw=include_raw):
            used: set[str] = set()
            for chunk in chunks():
                used |= used_labels(chunk)
            final_labels = ordered_labels(labels, used)
            for part in parts:
                part.seek(0)
                part.truncate()
            _write_coco_parts(chunks(), parts, final_labels, include_raw=include_raw)
        out.write(b'{"annotations":[')
        _copy(annotations_file, out)
        out.write(b'],"categories":' + canonical_json(coco_categories(final_labels)) + b',"images":[')
        _copy(images_file, out)
        out.write(b'],"info":' + canonical_json(COCO_INFO) + b',"licenses":[]')
        if include_raw:
            out.write(b',"raw_annotations":[')
            _copy(raw_file, out)
            out.write(b"]")
        out.write(b"}")


def _write_coco_parts(
    chunks: Iterable[Sequence[ExportRecord]],
    parts: tuple[IO[bytes], IO[bytes], IO[bytes]],
    labels: Sequence[str],
    *,
    include_raw: bool,
) -> bool:
    """Write annotations, images and raw annotations; False (unfinished) at a label not in ``labels``."""
    codes = coco_category_codes(labels)
    annotations, images, raw = (_JsonArray(part) for part in parts)
    next_image = next_annotation = next_raw = 1
    for chunk in chunks:
        if used_labels(chunk) - codes.keys():
            return False
        rows = coco_annotations(chunk, codes, first_image_id=next_image, first_id=next_annotation)
        annotations.extend(rows)
        next_annotation += len(rows)
        images.extend(coco_images(chunk, first_image_id=next_image))
        if include_raw:
            raw_rows = coco_raw_annotations(chunk, codes, first_image_id=next_image, first_id=next_raw)
            raw.extend(raw_rows)
            next_raw += len(raw_rows)
        next_image += len(chunk)
    return True


def _copy(part: IO[bytes], out: Writable) -> None:
    part.seek(0)
    shutil.copyfileobj(part, out)
