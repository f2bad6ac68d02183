"""CSV: ``external_id,image_url,width,height[,label]`` for classification; bbox files add ``x,y,w,h``
and hold one row per box (a row with an empty label and empty coordinates: an image without boxes).

Files written here also carry ``source`` (consensus, single, gold or raw) and ``annotator_id``
(raw rows); reading skips raw rows, so an export reads back as its final labels.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from annotation_qc.domain.formats.common import MAX_SIDE, label_hint, out_of_bounds
from annotation_qc.domain.formats.records import (
    ExportRecord,
    FormatError,
    ParseOptions,
    ParseResult,
    Rejection,
    SourceItem,
)

BOX_COLUMNS = ("x", "y", "w", "h")
KNOWN_COLUMNS = {
    "external_id",
    "image_url",
    "image",
    "width",
    "height",
    "label",
    "source",
    "annotator_id",
    "score",
    *BOX_COLUMNS,
}


def decode_text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"not UTF-8 text (byte {exc.start}): is this an image or an archive?") from exc


def _numbers(values: Sequence[str]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Floats of a text column (empty: NaN) and where the text was not a number."""
    try:
        array = np.array([v.strip() or "nan" for v in values], dtype=np.float64)
        return array, np.zeros(len(values), dtype=bool) | np.isinf(array)
    except ValueError:
        pass
    array = np.full(len(values), np.nan)
    bad = np.zeros(len(values), dtype=bool)
    for index, value in enumerate(values):
        try:
            array[index] = float(value.strip() or "nan")
        except ValueError:
            bad[index] = True
    return array, bad | np.isinf(array)


def _header(text: str, options: ParseOptions) -> tuple[list[str], list[list[str]]]:
    if text.lstrip().startswith(("{", "[")):
        raise FormatError(
            "this file looks like JSON, not CSV (choose the coco, label_studio or jsonl format)"
        )
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise FormatError("empty CSV file")
    columns = [c.strip().lower() for c in rows[0]]
    image_column = "image_url" if "image_url" in columns else "image"
    missing = [c for c in ("external_id", image_column, "width", "height") if c not in columns]
    if missing:
        raise FormatError(
            f"CSV header: missing column(s) {', '.join(missing)}; expected "
            "external_id,image_url,width,height[,label]" + (",x,y,w,h" if options.kind == "bbox" else "")
        )
    if len(set(columns)) != len(columns):
        raise FormatError("CSV header: a column appears twice")
    unknown = [c for c in columns if c not in KNOWN_COLUMNS]
    if unknown:
        raise FormatError(f"CSV header: unknown column(s) {', '.join(unknown)}")
    boxes = [c for c in BOX_COLUMNS if c in columns]
    if boxes and options.kind != "bbox":
        raise FormatError("CSV header: box columns (x, y, w, h) in a classification project")
    if boxes and len(boxes) != 4:
        raise FormatError("CSV header: box columns come as the four x, y, w, h")
    return columns, rows[1:]


def parse_csv(raw: bytes, options: ParseOptions) -> ParseResult:
    columns, body = _header(decode_text(raw), options)
    rejected: list[Rejection] = []
    width_of = len(columns)
    good = [(n + 2, r) for n, r in enumerate(body) if len(r) == width_of]
    rejected += [
        Rejection(f"row {n + 2}", f"{len(r)} fields where the header has {width_of}")
        for n, r in enumerate(body)
        if len(r) != width_of and any(v.strip() for v in r)
    ]
    if "source" in columns:
        at = columns.index("source")
        good = [(n, r) for n, r in good if r[at].strip() != "raw"]
    line = np.array([n for n, _ in good], dtype=np.int64)
    column = {name: [r[i] for _, r in good] for i, name in enumerate(columns)}
    image_column = "image_url" if "image_url" in columns else "image"
    external_ids = [v.strip() for v in column["external_id"]]
    sides: dict[str, NDArray[np.float64]] = {}
    bad = np.zeros(len(good), dtype=bool)

    def reject(mask: NDArray[np.bool_], reason: Any) -> None:
        nonlocal bad
        for k in np.flatnonzero(mask & ~bad).tolist():
            rejected.append(Rejection(f"row {line[k]}", reason(k) if callable(reason) else reason))
        bad |= mask

    reject(
        np.array([not e or len(e) > 255 for e in external_ids], dtype=bool),
        "external_id: 1 to 255 characters",
    )
    reject(np.array([not v.strip() for v in column[image_column]], dtype=bool), f"{image_column}: required")
    for key in ("width", "height"):
        values, not_number = _numbers(column[key])
        with np.errstate(invalid="ignore"):
            wrong = (
                not_number
                | np.isnan(values)
                | (values < 1)
                | (values > MAX_SIDE)
                | (values != np.floor(values))
            )
        reject(wrong, f"{key}: must be a positive integer")
        sides[key] = values
    labels = [v.strip() for v in column.get("label", [""] * len(good))]
    known = np.isin(np.array(labels, dtype=object), np.array(["", *options.labels], dtype=object))
    reject(
        ~known,
        lambda k: f"label '{labels[k]}' is not one of the project's labels ({label_hint(options.labels)})",
    )
    scores = _numbers(column["score"])[0] if "score" in column else np.full(len(good), np.nan)
    with np.errstate(invalid="ignore"):
        reject(~np.isnan(scores) & ((scores < 0) | (scores > 1)), "score: must be a number in [0, 1]")

    if options.kind == "bbox" and "x" in column:
        coordinates = np.stack([_numbers(column[c])[0] for c in BOX_COLUMNS], axis=1)
        unparsable = np.logical_or.reduce([_numbers(column[c])[1] for c in BOX_COLUMNS])
        reject(unparsable, "x, y, w, h: must be numbers")
        empty = np.isnan(coordinates)
        no_box = np.asarray(empty.all(axis=1), dtype=bool)
        reject(np.asarray(empty.any(axis=1), dtype=bool) & ~no_box, "x, y, w, h: give all four or none")
        reject(no_box & (np.array(labels, dtype=object) != ""), "a labeled row needs x, y, w and h")
        reject(~no_box & (np.array(labels, dtype=object) == ""), "a box needs a label")
        with np.errstate(invalid="ignore"):
            reject(~no_box & ((coordinates[:, 2] <= 0) | (coordinates[:, 3] <= 0)), "w and h must be > 0")
        reject(
            ~no_box & out_of_bounds(np.nan_to_num(coordinates), sides["width"], sides["height"]),
            lambda k: f"box lies outside the image ({sides['width'][k]:g}x{sides['height'][k]:g})",
        )
        return _grouped_boxes(
            line,
            external_ids,
            column[image_column],
            sides,
            labels,
            coordinates,
            no_box,
            scores,
            bad,
            rejected,
            options,
        )

    first: dict[str, int] = {}
    items = []
    for k, external_id in enumerate(external_ids):
        if bad[k]:
            continue
        if external_id in first:
            rejected.append(
                Rejection(
                    f"row {line[k]}",
                    f"duplicate external_id '{external_id}' (row {line[first[external_id]]})",
                )
            )
            continue
        first[external_id] = k
        payload: dict[str, Any] | None = None
        if labels[k]:
            payload = {"label": labels[k]} if options.kind == "classification" else None
        items.append(
            SourceItem(
                row=f"row {line[k]}",
                external_id=external_id,
                image=column[image_column][k].strip(),
                width=int(sides["width"][k]),
                height=int(sides["height"][k]),
                payload=payload,
            )
        )
    return ParseResult(items=tuple(items), rejected=tuple(rejected))


def _grouped_boxes(
    line: NDArray[np.int64],
    external_ids: list[str],
    images: list[str],
    sides: dict[str, NDArray[np.float64]],
    labels: list[str],
    coordinates: NDArray[np.float64],
    no_box: NDArray[np.bool_],
    scores: NDArray[np.float64],
    bad: NDArray[np.bool_],
    rejected: list[Rejection],
    options: ParseOptions,
) -> ParseResult:
    """One item per external id, its rows' boxes in file order; the image fields must agree."""
    groups: dict[str, list[int]] = {}
    for k, external_id in enumerate(external_ids):
        groups.setdefault(external_id, []).append(k)
    items = []
    for external_id, rows in groups.items():
        head = rows[0]
        if any(bad[k] for k in rows):
            continue
        differs = [
            k
            for k in rows[1:]
            if images[k].strip() != images[head].strip()
            or sides["width"][k] != sides["width"][head]
            or sides["height"][k] != sides["height"][head]
        ]
        if differs:
            rejected.append(
                Rejection(
                    f"row {line[differs[0]]}",
                    f"image, width or height differ from row {line[head]} of the same external_id",
                )
            )
            continue
        boxed = [k for k in rows if not no_box[k]]
        if len(boxed) > options.max_boxes:
            rejected.append(
                Rejection(
                    f"row {line[head]}",
                    f"{len(boxed)} boxes for '{external_id}'; at most {options.max_boxes}",
                )
            )
            continue
        box_scores = scores[boxed]
        items.append(
            SourceItem(
                row=f"row {line[head]}",
                external_id=external_id,
                image=images[head].strip(),
                width=int(sides["width"][head]),
                height=int(sides["height"][head]),
                payload={
                    "boxes": [
                        {"x": x, "y": y, "w": w, "h": h, "label": labels[k]}
                        for k, (x, y, w, h) in zip(boxed, coordinates[boxed].tolist(), strict=True)
                    ]
                },
                scores=tuple(box_scores.tolist()) if boxed and not np.isnan(box_scores).any() else None,
            )
        )
    return ParseResult(items=tuple(items), rejected=tuple(rejected))


def _number(value: float) -> str:
    return repr(int(value)) if float(value).is_integer() else repr(float(value))


def build_csv(records: Sequence[ExportRecord], *, kind: str, include_raw: bool = False) -> bytes:
    """Final labels (and, optionally, raw rows) as CSV; boxes one row per box."""
    return csv_header(kind=kind) + csv_rows(records, kind=kind, include_raw=include_raw)


def csv_header(*, kind: str) -> bytes:
    header = ["external_id", "image_url", "width", "height", "source", "annotator_id", "label"]
    if kind == "bbox":
        header += list(BOX_COLUMNS)
    return (",".join(header) + "\n").encode()


def csv_rows(records: Sequence[ExportRecord], *, kind: str, include_raw: bool = False) -> bytes:
    """The records' CSV rows, without the header."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for record in records:
        head = [record.external_id, record.image_url, record.width, record.height]
        answers: list[tuple[str, str, dict[str, Any]]] = []
        if record.payload is not None:
            answers.append((record.status, "", record.payload))
        if include_raw:
            answers += [("raw", str(raw.annotator_id), raw.payload) for raw in record.raw]
        for source, annotator, payload in answers:
            if kind != "bbox":
                writer.writerow([*head, source, annotator, payload["label"]])
            elif not payload["boxes"]:
                writer.writerow([*head, source, annotator, "", "", "", "", ""])
            else:
                writer.writerows(
                    [*head, source, annotator, b["label"], *(_number(b[c]) for c in BOX_COLUMNS)]
                    for b in payload["boxes"]
                )
    return buffer.getvalue().encode()
