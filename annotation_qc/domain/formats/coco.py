"""COCO object detection files: ``{"images", "categories", "annotations"}`` with ``bbox = [x, y, w, h]``.

Reading checks every row and names each bad one (``images[3]``, ``annotations[12]``); the checks
across rows (duplicate ids, unknown image or category ids, boxes outside their image, scores)
run on arrays over the whole file. Crowd regions (``iscrowd: 1``) are left out with a note.
Writing gives a file ``pycocotools.coco.COCO`` loads, with ``external_id`` and ``label_status`` on
each image and, with raw answers, a separate ``raw_annotations`` list (same shape plus
``annotator_id``) that COCO readers ignore.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from annotation_qc.domain.formats.common import (
    describe_json,
    is_http_url,
    is_int,
    is_number,
    is_side,
    label_hint,
    out_of_bounds,
    repeats,
)
from annotation_qc.domain.formats.records import (
    ExportRecord,
    FormatError,
    ParseOptions,
    ParseResult,
    Rejection,
    SourceItem,
)

URL_KEYS = ("coco_url", "url", "flickr_url")


def _image_row(index: int, image: object) -> tuple[int, str, str, int | None, int | None, str] | Rejection:
    row = f"images[{index}]"
    if not isinstance(image, Mapping):
        return Rejection(row, "must be an object with id, file_name, width and height")
    image_id, file_name = image.get("id"), image.get("file_name")
    if not is_int(image_id):
        return Rejection(row, "id: required, an integer")
    if not isinstance(file_name, str) or not file_name:
        return Rejection(row, "file_name: required, a non-empty string")
    external_id = image.get("external_id", file_name)
    if not isinstance(external_id, str) or not external_id or len(external_id) > 255:
        return Rejection(row, "external_id: must be a non-empty string of at most 255 characters")
    sizes: list[int | None] = []
    for key in ("width", "height"):
        value = image.get(key)
        if value is None:
            sizes.append(None)
        elif is_side(value):
            sizes.append(int(value))
        else:
            return Rejection(row, f"{key}: must be a positive integer (at most 100000)")
    url = next((image[k] for k in URL_KEYS if is_http_url(image.get(k))), None)
    return image_id, external_id, url or file_name, sizes[0], sizes[1], file_name


def _annotation_row(
    index: int, annotation: object
) -> tuple[int, int, int, list[float], float, bool] | Rejection:
    row = f"annotations[{index}]"
    if not isinstance(annotation, Mapping):
        return Rejection(row, "must be an object with id, image_id, category_id and bbox")
    for key in ("id", "image_id", "category_id"):
        if not is_int(annotation.get(key)):
            return Rejection(row, f"{key}: required, an integer")
    bbox = annotation.get("bbox")
    if not isinstance(bbox, list) or len(bbox) != 4 or not all(is_number(v) for v in bbox):
        return Rejection(row, "bbox: required, [x, y, width, height] as four numbers")
    score = annotation.get("score")
    if score is not None and not is_number(score):
        return Rejection(row, "score: must be a number")
    crowd = annotation.get("iscrowd", 0)
    if crowd not in (0, 1):
        return Rejection(row, "iscrowd: must be 0 or 1")
    return (
        annotation["id"],
        annotation["image_id"],
        annotation["category_id"],
        [float(v) for v in bbox],
        np.nan if score is None else float(score),
        crowd == 1,
    )


AnnotationColumns = tuple[
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.bool_],
]


def _annotation_columns(annotations: list[Any]) -> AnnotationColumns | None:
    """The annotation columns as arrays, checked by type sets; None when any row is malformed."""
    if not annotations or {type(a) for a in annotations} != {dict}:
        return None
    try:
        ids, image_ids, category_ids, bboxes = (
            [a[key] for a in annotations] for key in ("id", "image_id", "category_id", "bbox")
        )
    except KeyError:
        return None
    scores = [a.get("score") for a in annotations]
    crowd = [a.get("iscrowd", 0) for a in annotations]
    if (
        {type(v) for column in (ids, image_ids, category_ids, crowd) for v in column} != {int}
        or not set(crowd) <= {0, 1}
        or {type(b) for b in bboxes} != {list}
        or {len(b) for b in bboxes} != {4}
        or not {type(v) for b in bboxes for v in b} <= {int, float}
        or not {type(v) for v in scores} <= {type(None), int, float}
    ):
        return None
    n = len(annotations)
    return (
        np.arange(n, dtype=np.int64),
        np.array(ids, dtype=np.int64),
        np.array(image_ids, dtype=np.int64),
        np.array(category_ids, dtype=np.int64),
        np.array(bboxes, dtype=np.float64).reshape(n, 4),
        np.array([np.nan if v is None else v for v in scores], dtype=np.float64),
        np.array(crowd, dtype=np.int64) == 1,
    )


def _annotation_rows(annotations: list[Any], rejected: list[Rejection]) -> AnnotationColumns:
    """Row by row: every malformed row rejected by name, the others as arrays."""
    rows: list[int] = []
    parsed: list[tuple[int, int, int, list[float], float, bool]] = []
    for index, annotation in enumerate(annotations):
        row = _annotation_row(index, annotation)
        if isinstance(row, Rejection):
            rejected.append(row)
        else:
            rows.append(index)
            parsed.append(row)
    n = len(parsed)
    return (
        np.array(rows, dtype=np.int64),
        np.array([a[0] for a in parsed], dtype=np.int64),
        np.array([a[1] for a in parsed], dtype=np.int64),
        np.array([a[2] for a in parsed], dtype=np.int64),
        np.array([a[3] for a in parsed], dtype=np.float64).reshape(n, 4),
        np.array([a[4] for a in parsed], dtype=np.float64),
        np.array([a[5] for a in parsed], dtype=bool),
    )


def _lists(data: object) -> tuple[list[Any], list[Any], list[Any]]:
    if not isinstance(data, Mapping):
        raise FormatError(
            f"expected a COCO object with images, categories and annotations; got {describe_json(data)}"
        )
    missing = [key for key in ("images", "categories") if key not in data]
    if missing:
        raise FormatError(f"not a COCO file: missing {' and '.join(missing)} (got {describe_json(data)})")
    lists = []
    for key in ("images", "categories", "annotations"):
        value = data.get(key, [])
        if not isinstance(value, list):
            raise FormatError(f"{key}: must be a list")
        lists.append(value)
    return lists[0], lists[1], lists[2]


def _lookup(
    keys: NDArray[np.int64], wanted: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Positions of ``wanted`` in the (unique) ``keys`` and whether each was found."""
    if len(keys) == 0:
        return np.zeros(len(wanted), dtype=np.int64), np.zeros(len(wanted), dtype=bool)
    order = np.argsort(keys, kind="stable")
    positions = np.searchsorted(keys[order], wanted)
    positions = np.minimum(positions, len(keys) - 1)
    found = keys[order][positions] == wanted
    return order[positions].astype(np.int64), found


def parse_coco(data: object, options: ParseOptions) -> ParseResult:
    """Read a parsed COCO document into items (annotations as bbox payloads, scores for predictions)."""
    if options.kind != "bbox":
        raise FormatError("COCO detection files hold boxes: import them into a bbox project")
    images, categories, annotations = _lists(data)
    rejected: list[Rejection] = []
    notes: list[str] = []

    # Images
    image_rows: list[tuple[int, tuple[int, str, str, int | None, int | None, str]]] = []
    for index, image in enumerate(images):
        parsed = _image_row(index, image)
        if isinstance(parsed, Rejection):
            rejected.append(parsed)
        else:
            image_rows.append((index, parsed))
    image_index = np.array([i for i, _ in image_rows], dtype=np.int64)
    image_ids = np.array([r[0] for _, r in image_rows], dtype=np.int64)
    for field, keys in (("id", image_ids), ("external_id", [r[1] for _, r in image_rows])):
        for position, first in enumerate(repeats(keys).tolist()):
            if first >= 0:
                value = image_rows[position][1][0 if field == "id" else 1]
                rejected.append(
                    Rejection(
                        f"images[{image_index[position]}]",
                        f"duplicate {field} {value!r} (images[{image_index[first]}] has it too)",
                    )
                )
    widths = np.array([np.nan if r[3] is None else r[3] for _, r in image_rows], dtype=np.float64)
    heights = np.array([np.nan if r[4] is None else r[4] for _, r in image_rows], dtype=np.float64)

    # Categories: each maps, by name, to a project label.
    category_ids: list[int] = []
    category_codes: list[int] = []
    category_rows: list[int] = []
    for index, category in enumerate(categories):
        if not isinstance(category, Mapping) or not is_int(category.get("id")):
            rejected.append(Rejection(f"categories[{index}]", "id: required, an integer"))
            continue
        name = category.get("name")
        if not isinstance(name, str):
            rejected.append(Rejection(f"categories[{index}]", "name: required, a string"))
            continue
        category_ids.append(category["id"])
        category_codes.append(options.labels.index(name) if name in options.labels else -1)
        category_rows.append(index)
    cat_ids = np.array(category_ids, dtype=np.int64)
    cat_codes = np.array(category_codes, dtype=np.int64)
    for position, first in enumerate(repeats(cat_ids).tolist()):
        if first >= 0:
            rejected.append(
                Rejection(
                    f"categories[{category_rows[position]}]",
                    f"duplicate id {category_ids[position]} (categories[{category_rows[first]}] has it too)",
                )
            )

    # Annotations: whole columns when every row is well formed, else row by row to name the bad ones.
    columns = _annotation_columns(annotations)
    if columns is None:
        columns = _annotation_rows(annotations, rejected)
    ann_index, ann_ids, ann_image_ids, ann_cat_ids, boxes, scores, crowd = columns
    n = len(ann_index)

    image_pos, image_found = _lookup(image_ids, ann_image_ids)
    cat_pos, cat_found = _lookup(cat_ids, ann_cat_ids)
    codes = np.where(cat_found, cat_codes[cat_pos] if len(cat_codes) else -1, -1)
    ann_widths = np.where(image_found, widths[image_pos] if len(widths) else np.nan, np.nan)
    ann_heights = np.where(image_found, heights[image_pos] if len(heights) else np.nan, np.nan)
    finite = np.asarray(np.isfinite(boxes).all(axis=1), dtype=bool)
    has_score = ~np.isnan(scores)
    checks: list[tuple[NDArray[np.bool_], Any]] = [
        (repeats(ann_ids) >= 0, lambda k: f"duplicate id {ann_ids[k]}"),
        (~image_found, lambda k: f"image_id {ann_image_ids[k]} is not the id of any image"),
        (~cat_found, lambda k: f"category_id {ann_cat_ids[k]} is not the id of any category"),
        (~finite, lambda k: "bbox: values must be finite numbers"),
        (finite & ((boxes[:, 2] <= 0) | (boxes[:, 3] <= 0)), lambda k: "bbox: width and height must be > 0"),
        (
            finite & out_of_bounds(boxes, ann_widths, ann_heights),
            lambda k: (
                f"bbox {boxes[k].tolist()} lies outside its image "
                f"({ann_widths[k]:g}x{ann_heights[k]:g}, image_id {ann_image_ids[k]})"
            ),
        ),
        (
            has_score & ((scores < 0) | (scores > 1) | ~np.isfinite(scores)),
            lambda k: "score: must be a number in [0, 1]",
        ),
    ]
    if options.target == "predictions" and n and len(image_ids):
        # Scores go per image: all of an image's boxes have one, or none has.
        scored_images = np.zeros(len(image_ids), dtype=bool)
        scored_images[image_pos[image_found & has_score & ~crowd]] = True
        checks.append(
            (
                image_found & ~has_score & ~crowd & scored_images[image_pos],
                lambda k: f"score missing while other boxes of image_id {ann_image_ids[k]} have one",
            )
        )
    bad = np.zeros(n, dtype=bool)
    for mask, message in checks:
        for k in np.flatnonzero(mask & ~bad).tolist():
            rejected.append(Rejection(f"annotations[{ann_index[k]}]", message(k)))
        bad |= mask

    # Categories outside the label set: one rejection per category used, a note for the unused.
    unknown_used = cat_found & (codes < 0)
    used_counts = np.bincount(cat_pos[unknown_used], minlength=len(cat_ids))
    for position in np.flatnonzero(cat_codes < 0).tolist():
        name = categories[category_rows[position]]["name"]
        if used_counts[position]:
            rejected.append(
                Rejection(
                    f"categories[{category_rows[position]}]",
                    f"'{name}' is not one of the project's labels ({label_hint(options.labels)}); "
                    f"{used_counts[position]} annotation(s) use it",
                )
            )
        else:
            notes.append(f"category '{name}' is not a project label and no annotation uses it: ignored")
    if crowd.any():
        notes.append(f"{int(crowd.sum())} crowd region(s) (iscrowd: 1) left out: they are not single objects")

    keep = ~bad & ~crowd & (codes >= 0)
    order = np.argsort(image_pos[keep], kind="stable")
    kept_pos = image_pos[keep][order]
    kept_boxes = boxes[keep][order]
    kept_codes = codes[keep][order]
    kept_scores = scores[keep][order]
    starts = np.searchsorted(kept_pos, np.arange(len(image_ids) + 1))
    label_names = np.array(options.labels, dtype=object)
    items: list[SourceItem] = []
    for position, (index, (image_id, external_id, reference, width, height, file_name)) in enumerate(
        image_rows
    ):
        lo, hi = int(starts[position]), int(starts[position + 1])
        image_boxes = kept_boxes[lo:hi]
        if hi - lo > options.max_boxes:
            rejected.append(Rejection(f"images[{index}]", f"{hi - lo} boxes; at most {options.max_boxes}"))
            continue
        payload = {
            "boxes": [
                {"x": x, "y": y, "w": w, "h": h, "label": label}
                for (x, y, w, h), label in zip(
                    image_boxes.tolist(), label_names[kept_codes[lo:hi]].tolist(), strict=True
                )
            ]
        }
        image_scores = kept_scores[lo:hi]
        items.append(
            SourceItem(
                row=f"images[{index}]",
                external_id=external_id,
                image=reference,
                width=width,
                height=height,
                payload=payload,
                scores=tuple(image_scores.tolist()) if hi > lo and not np.isnan(image_scores).any() else None,
                metadata={"source": {"format": "coco", "image_id": image_id, "file_name": file_name}},
            )
        )
    return ParseResult(items=tuple(items), rejected=tuple(rejected), notes=tuple(notes))


def build_coco(
    records: Sequence[ExportRecord], *, labels: Sequence[str], include_raw: bool = False
) -> dict[str, Any]:
    """A COCO document of the records' final boxes (and, optionally, every annotator's raw boxes)."""
    codes = coco_category_codes(labels)
    document: dict[str, Any] = {
        "info": COCO_INFO,
        "licenses": [],
        "images": coco_images(records),
        "categories": coco_categories(labels),
        "annotations": coco_annotations(records, codes),
    }
    if include_raw:
        document["raw_annotations"] = coco_raw_annotations(records, codes)
    return document


COCO_INFO = {"description": "annotation-qc export", "version": "1"}


def coco_category_codes(labels: Sequence[str]) -> dict[str, int]:
    return {label: code + 1 for code, label in enumerate(labels)}


def coco_categories(labels: Sequence[str]) -> list[dict[str, Any]]:
    codes = coco_category_codes(labels)
    return [{"id": codes[label], "name": label, "supercategory": ""} for label in labels]


def coco_images(records: Sequence[ExportRecord], *, first_image_id: int = 1) -> list[dict[str, Any]]:
    """One image per record, numbered from ``first_image_id`` (a chunk of a longer export starts later)."""
    images = []
    for image_id, record in enumerate(records, start=first_image_id):
        image: dict[str, Any] = {
            "id": image_id,
            "file_name": record.file_name,
            "width": record.width,
            "height": record.height,
            "external_id": record.external_id,
            "label_status": record.status,
        }
        if is_http_url(record.image_url):
            image["coco_url"] = record.image_url
        elif record.image_url:
            image["url"] = record.image_url
        images.append(image)
    return images


def coco_annotations(
    records: Sequence[ExportRecord],
    codes: Mapping[str, int],
    *,
    first_image_id: int = 1,
    first_id: int = 1,
) -> list[dict[str, Any]]:
    """The records' final boxes as COCO annotations, numbered from ``first_id``."""
    payloads = [(i, r.payload) for i, r in enumerate(records, start=first_image_id) if r.payload is not None]
    return _coco_annotations(payloads, codes, first_id=first_id)


def coco_raw_annotations(
    records: Sequence[ExportRecord],
    codes: Mapping[str, int],
    *,
    first_image_id: int = 1,
    first_id: int = 1,
) -> list[dict[str, Any]]:
    """Every annotator's own boxes, with ``annotator_id``, numbered from ``first_id``."""
    raw = [(i, a.payload, a.annotator_id) for i, r in enumerate(records, start=first_image_id) for a in r.raw]
    rows = _coco_annotations([(i, p) for i, p, _ in raw], codes, first_id=first_id)
    owners = np.repeat([a for _, _, a in raw], [len(p["boxes"]) for _, p, _ in raw]).tolist()
    for row, annotator_id in zip(rows, owners, strict=True):
        row["annotator_id"] = annotator_id
    return rows


def _coco_annotations(
    payloads: list[tuple[int, dict[str, Any]]], codes: Mapping[str, int], *, first_id: int = 1
) -> list[dict[str, Any]]:
    counts = [len(p["boxes"]) for _, p in payloads]
    flat = [box for _, p in payloads for box in p["boxes"]]
    if not flat:
        return []
    boxes = np.array([[b["x"], b["y"], b["w"], b["h"]] for b in flat], dtype=np.float64)
    image_ids = np.repeat([i for i, _ in payloads], counts).tolist()
    areas = (boxes[:, 2] * boxes[:, 3]).tolist()
    return [
        {
            "id": annotation_id,
            "image_id": image_id,
            "category_id": codes[box["label"]],
            "bbox": [box["x"], box["y"], box["w"], box["h"]],
            "area": area,
            "iscrowd": 0,
        }
        for annotation_id, (image_id, box, area) in enumerate(
            zip(image_ids, flat, areas, strict=True), start=first_id
        )
    ]
