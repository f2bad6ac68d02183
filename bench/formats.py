"""Reading and writing the exchange formats at dataset scale (pure domain, no database).

    .venv/bin/python bench/formats.py
    .venv/bin/python bench/formats.py --images 20000 --boxes-per-image 10

Builds a COCO document of random boxes (every row valid), then times: JSON decoding plus
``parse_coco`` (all row checks, the array checks across rows, grouping into payloads), rendering
the same boxes as COCO, Label Studio, CSV and JSON Lines, and reading the Label Studio and CSV
renderings back. Prints seconds and rows per second for each.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotation_qc.domain.formats import (
    ExportFormat,
    ExportRecord,
    ParseOptions,
    parse_csv,
    parse_file,
    parse_label_studio,
    render_export,
)

LABELS = ("car", "person", "bike", "truck", "bus")
T = TypeVar("T")


def coco(images: int, per_image: int, rng: np.random.Generator) -> dict[str, object]:
    n = images * per_image
    xy = rng.uniform(0, 500, size=(n, 2)).round(2)
    wh = rng.uniform(5, 100, size=(n, 2)).round(2)
    categories = rng.integers(1, len(LABELS) + 1, size=n)
    return {
        "images": [
            {
                "id": i,
                "file_name": f"{i:07d}.jpg",
                "width": 640,
                "height": 640,
                "coco_url": f"https://i.example/{i}",
            }
            for i in range(1, images + 1)
        ],
        "categories": [{"id": c, "name": name} for c, name in enumerate(LABELS, start=1)],
        "annotations": [
            {
                "id": k + 1,
                "image_id": k // per_image + 1,
                "category_id": int(c),
                "bbox": [x, y, w, h],
                "iscrowd": 0,
            }
            for k, ((x, y), (w, h), c) in enumerate(
                zip(xy.tolist(), wh.tolist(), categories.tolist(), strict=True)
            )
        ],
    }


def timed(label: str, rows: int, call: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - start
    print(f"{label:<34} {seconds:8.2f} s  {rows / seconds:12,.0f} rows/s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--boxes-per-image", type=int, default=10)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    document = coco(args.images, args.boxes_per_image, rng)
    raw = json.dumps(document).encode()
    n = args.images * args.boxes_per_image
    options = ParseOptions(kind="bbox", labels=LABELS)
    print(f"{args.images:,} images, {n:,} boxes, COCO file {len(raw) / 1e6:.1f} MB")
    parsed = timed("COCO read (JSON + checks)", n, lambda: parse_file(raw, "coco", options))
    assert parsed.ok, parsed.rejected[:3]
    records = [
        ExportRecord(i.external_id, i.image, i.external_id, 640, 640, "single", i.payload)
        for i in parsed.items
    ]
    outputs: dict[str, bytes] = {}
    formats: tuple[ExportFormat, ...] = ("coco", "label_studio", "csv", "jsonl")
    for fmt in formats:
        outputs[fmt] = timed(
            f"{fmt} write",
            n,
            partial(render_export, records, fmt, kind="bbox", labels=LABELS, include_raw=False),
        )
    tasks = json.loads(outputs["label_studio"])
    back = timed("label_studio read (parsed JSON)", n, lambda: parse_label_studio(tasks, options))
    assert back.ok
    assert timed("csv read", n, lambda: parse_csv(outputs["csv"], options)).ok


if __name__ == "__main__":
    main()
