"""Label Studio JSON: a list of tasks ``{"data": {"image"}, "annotations": [...], "predictions": [...]}``.

Rectangle results (``rectanglelabels``, in percent of the image) become pixel boxes; a ``choices``
result becomes a classification label. The annotation read is the one marked ``ground_truth``, or
the task's only (not cancelled) annotation; for predictions, the one of the requested model
version, or the task's only one. Other result types and rotated rectangles are rejected by name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from annotation_qc.domain.formats.common import (
    describe_json,
    is_int,
    is_number,
    is_side,
    label_hint,
    out_of_bounds,
)
from annotation_qc.domain.formats.records import (
    ExportRecord,
    FormatError,
    ParseOptions,
    ParseResult,
    Rejection,
    SourceItem,
)
from annotation_qc.domain.geometry import boxes_to_payload

RECTANGLE = "rectanglelabels"
CHOICES = "choices"


class _Reject(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _external_id(task: Mapping[str, Any], image: str) -> str:
    data = task["data"]
    if isinstance(data.get("external_id"), str) and data["external_id"]:
        return str(data["external_id"])
    if is_int(task.get("id")) or (isinstance(task.get("id"), str) and task["id"]):
        return str(task["id"])
    return image.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or image


def _chosen(task: Mapping[str, Any], options: ParseOptions) -> Mapping[str, Any] | None:
    """The annotation (or prediction) of the task to read; None when it has none."""
    if options.target == "predictions":
        predictions = task.get("predictions") or []
        if not isinstance(predictions, list) or not all(isinstance(p, Mapping) for p in predictions):
            raise _Reject("predictions: must be a list of objects")
        if options.model_version is not None:
            matching: list[Mapping[str, Any]] = [
                p for p in predictions if p.get("model_version") == options.model_version
            ]
            if len(matching) == 1:
                return matching[0]
            if len(matching) > 1:
                raise _Reject(f"{len(matching)} predictions of model version '{options.model_version}'")
        if len(predictions) > 1:
            versions = sorted({str(p.get("model_version")) for p in predictions})
            raise _Reject(
                f"{len(predictions)} predictions ({', '.join(versions)}): give the model version to read"
            )
        first: Mapping[str, Any] | None = predictions[0] if predictions else None
        return first
    annotations = task.get("annotations") or []
    if not isinstance(annotations, list) or not all(isinstance(a, Mapping) for a in annotations):
        raise _Reject("annotations: must be a list of objects")
    live: list[Mapping[str, Any]] = [a for a in annotations if not a.get("was_cancelled")]
    truth = [a for a in live if a.get("ground_truth")]
    if len(truth) > 1:
        raise _Reject(f"{len(truth)} annotations are marked ground_truth; one may be")
    if truth:
        return truth[0]
    if len(live) > 1:
        raise _Reject(f"{len(live)} annotations and none marked ground_truth: mark the one to import")
    return live[0] if live else None


def _size(task: Mapping[str, Any], results: list[Mapping[str, Any]]) -> tuple[int | None, int | None]:
    data = task["data"]
    sizes = set()
    if data.get("width") is not None or data.get("height") is not None:
        if not (is_side(data.get("width")) and is_side(data.get("height"))):
            raise _Reject("data.width and data.height: must be positive integers")
        sizes.add((int(data["width"]), int(data["height"])))
    for result in results:
        if "original_width" in result or "original_height" in result:
            width, height = result.get("original_width"), result.get("original_height")
            if not (is_side(width) and is_side(height)):
                raise _Reject("original_width and original_height: must be positive integers")
            sizes.add((int(width), int(height)))
    if len(sizes) > 1:
        shown = ", ".join(f"{w}x{h}" for w, h in sorted(sizes))
        raise _Reject(f"the task states different image sizes ({shown})")
    if sizes:
        width, height = sizes.pop()
        return width, height
    return None, None


def _rectangle(result: Mapping[str, Any], labels: Sequence[str]) -> tuple[list[float], str, float]:
    value = result.get("value")
    if not isinstance(value, Mapping):
        raise _Reject("a rectanglelabels result needs a value")
    coordinates = [value.get(k) for k in ("x", "y", "width", "height")]
    if not all(is_number(c) for c in coordinates):
        raise _Reject("rectangle value: x, y, width and height must be numbers (percent of the image)")
    if value.get("rotation") not in (None, 0, 0.0):
        raise _Reject("rotated rectangles are not supported")
    names = value.get(RECTANGLE)
    if not isinstance(names, list) or len(names) != 1 or not isinstance(names[0], str):
        raise _Reject("rectangle value: rectanglelabels must hold exactly one label")
    if names[0] not in labels:
        raise _Reject(f"label '{names[0]}' is not one of the project's labels ({label_hint(labels)})")
    score = result.get("score")
    if score is not None and not (is_number(score) and 0.0 <= score <= 1.0):
        raise _Reject("score: must be a number in [0, 1]")
    return (
        [float(c) for c in coordinates if is_number(c)],
        names[0],
        np.nan if score is None else float(score),
    )


def _choice(result: Mapping[str, Any], labels: Sequence[str]) -> str:
    value = result.get("value")
    choices = value.get(CHOICES) if isinstance(value, Mapping) else None
    if not isinstance(choices, list) or len(choices) != 1 or not isinstance(choices[0], str):
        raise _Reject("a choices result must hold exactly one choice")
    if choices[0] not in labels:
        raise _Reject(f"label '{choices[0]}' is not one of the project's labels ({label_hint(labels)})")
    return choices[0]


def _task(index: int, task: object, options: ParseOptions) -> tuple[SourceItem, list[Any]]:
    """One task as an item; for bbox tasks also its rectangles (percent), converted in bulk later."""
    if not isinstance(task, Mapping) or not isinstance(task.get("data"), Mapping):
        raise _Reject("must be a task object with 'data'")
    image = task["data"].get("image")
    if not isinstance(image, str) or not image:
        raise _Reject("data.image: required, the image URL or file name")
    external_id = _external_id(task, image)
    if len(external_id) > 255:
        raise _Reject("external id: at most 255 characters")
    chosen = _chosen(task, options)
    results = chosen.get("result", []) if chosen is not None else []
    if not isinstance(results, list) or not all(isinstance(r, Mapping) for r in results):
        raise _Reject("result: must be a list of objects")
    width, height = _size(task, results)
    wanted = RECTANGLE if options.kind == "bbox" else CHOICES
    for result in results:
        if result.get("type") != wanted:
            raise _Reject(
                f"result type '{result.get('type')}' is not supported in a {options.kind} project "
                f"(only '{wanted}')"
            )
    payload: dict[str, Any] | None = None
    rectangles: list[Any] = []
    if chosen is not None and options.kind == "bbox":
        rectangles = [_rectangle(r, options.labels) for r in results]
        if rectangles and width is None:
            raise _Reject(
                "rectangles need the image size: original_width/original_height or data.width/height"
            )
        if len(rectangles) > options.max_boxes:
            raise _Reject(f"{len(rectangles)} boxes; at most {options.max_boxes}")
        payload = {"boxes": []}
    elif chosen is not None:
        if len(results) != 1:
            raise _Reject(f"a classification needs exactly one choices result, got {len(results)}")
        payload = {"label": _choice(results[0], options.labels)}
    metadata = {"source": {"format": "label_studio", "task_id": task.get("id")}}
    item = SourceItem(
        row=f"tasks[{index}]",
        external_id=external_id,
        image=image,
        width=width,
        height=height,
        payload=payload,
        metadata=metadata,
    )
    return item, rectangles


def parse_label_studio(data: object, options: ParseOptions) -> ParseResult:
    if isinstance(data, Mapping) and "data" in data:
        data = [data]
    if not isinstance(data, list):
        raise FormatError(f"expected a list of Label Studio tasks; got {describe_json(data)}")
    rejected: list[Rejection] = []
    items: list[SourceItem] = []
    rectangles: list[list[Any]] = []
    for index, task in enumerate(data):
        try:
            item, rects = _task(index, task, options)
        except _Reject as exc:
            rejected.append(Rejection(f"tasks[{index}]", exc.reason))
            continue
        items.append(item)
        rectangles.append(rects)
    seen: dict[str, str] = {}
    for item in items:
        if item.external_id in seen:
            rejected.append(
                Rejection(item.row, f"duplicate external id '{item.external_id}' ({seen[item.external_id]})")
            )
        seen.setdefault(item.external_id, item.row)
    if options.kind == "bbox":
        items = _with_pixel_boxes(items, rectangles, options, rejected)
    return ParseResult(items=tuple(items), rejected=tuple(rejected))


def _with_pixel_boxes(
    items: list[SourceItem], rectangles: list[list[Any]], options: ParseOptions, rejected: list[Rejection]
) -> list[SourceItem]:
    """Percent rectangles of every task to pixels in one array operation, then back per task."""
    counts = np.array([len(r) for r in rectangles], dtype=np.int64)
    flat = [rect for rects in rectangles for rect in rects]
    percent = np.array([r[0] for r in flat], dtype=np.float64).reshape(len(flat), 4)
    scores = np.array([r[2] for r in flat], dtype=np.float64)
    widths = np.repeat(np.array([i.width or 0 for i in items], dtype=np.float64), counts)
    heights = np.repeat(np.array([i.height or 0 for i in items], dtype=np.float64), counts)
    pixels = percent / 100.0 * np.stack([widths, heights, widths, heights], axis=1)
    outside = out_of_bounds(pixels, widths, heights) | (pixels[:, 2] <= 0) | (pixels[:, 3] <= 0)
    starts = np.concatenate([[0], np.cumsum(counts)])
    scored = ~np.isnan(scores)
    result: list[SourceItem] = []
    for position, item in enumerate(items):
        lo, hi = int(starts[position]), int(starts[position + 1])
        if outside[lo:hi].any():
            first = int(np.flatnonzero(outside[lo:hi])[0])
            rejected.append(
                Rejection(item.row, f"result[{first}]: the rectangle has no area or lies outside the image")
            )
            continue
        task_scores: tuple[float, ...] | None = None
        if scored[lo:hi].all() and hi > lo:
            task_scores = tuple(scores[lo:hi].tolist())
        elif scored[lo:hi].any() and options.target == "predictions":
            rejected.append(Rejection(item.row, "some rectangles have a score and others none"))
            continue
        if item.payload is None:
            result.append(item)
            continue
        labels = [r[1] for r in rectangles[position]]
        payload = {"boxes": boxes_to_payload(pixels[lo:hi], labels)}
        result.append(
            SourceItem(
                row=item.row,
                external_id=item.external_id,
                image=item.image,
                width=item.width,
                height=item.height,
                payload=payload,
                scores=task_scores,
                metadata=item.metadata,
            )
        )
    return result


def _results(payload: Mapping[str, Any], record: ExportRecord, kind: str) -> list[dict[str, Any]]:
    if kind != "bbox":
        return [
            {
                "id": "r0",
                "type": CHOICES,
                "from_name": "choice",
                "to_name": "image",
                "value": {CHOICES: [payload["label"]]},
            }
        ]
    boxes = payload["boxes"]
    if not boxes:
        return []
    array = np.array([[b["x"], b["y"], b["w"], b["h"]] for b in boxes], dtype=np.float64)
    scale = 100.0 / np.array([record.width, record.height, record.width, record.height], dtype=np.float64)
    percent = (array * scale).tolist()
    return [
        {
            "id": f"r{n}",
            "type": RECTANGLE,
            "from_name": "label",
            "to_name": "image",
            "original_width": record.width,
            "original_height": record.height,
            "image_rotation": 0,
            "value": {"x": x, "y": y, "width": w, "height": h, "rotation": 0, RECTANGLE: [box["label"]]},
        }
        for n, ((x, y, w, h), box) in enumerate(zip(percent, boxes, strict=True))
    ]


def build_label_studio(
    records: Sequence[ExportRecord],
    *,
    kind: str,
    include_raw: bool = False,
    first_task_id: int = 1,
    first_annotation_id: int = 1,
) -> list[dict[str, Any]]:
    """Label Studio tasks: the final label as the ``ground_truth`` annotation, raw answers as others.

    Tasks and annotations are numbered from ``first_task_id`` and ``first_annotation_id`` (a chunk of
    a longer export starts later).
    """
    tasks = []
    annotation_id = first_annotation_id - 1
    for task_id, record in enumerate(records, start=first_task_id):
        annotations: list[dict[str, Any]] = []
        if record.payload is not None:
            annotation_id += 1
            annotations.append(
                {
                    "id": annotation_id,
                    "ground_truth": True,
                    "label_status": record.status,
                    "result": _results(record.payload, record, kind),
                }
            )
        for raw in record.raw if include_raw else ():
            annotation_id += 1
            annotations.append(
                {
                    "id": annotation_id,
                    "ground_truth": False,
                    "completed_by": raw.annotator_id,
                    "result": _results(raw.payload, record, kind),
                }
            )
        tasks.append(
            {
                "id": task_id,
                "data": {
                    "image": record.image_url,
                    "external_id": record.external_id,
                    "width": record.width,
                    "height": record.height,
                },
                "annotations": annotations,
                "predictions": [],
            }
        )
    return tasks
