"""Linting one 300-box annotation with every rule on (pure domain, no database).

    .venv/bin/python bench/lint.py
    .venv/bin/python bench/lint.py --boxes 500 --repetitions 2000

The scene: random boxes of 1-10% of each side on a 1280x720 image, plus planted problems (a
duplicate, a conflicting label, an image-sized box, a sliver, a tiny box, a box half outside,
an unknown label), learned size statistics for every label, and a time below the project's
median. Prints p50/p99 in ms for ``lint`` (wall clock, and CPU time, which a busy shared machine
inflates less) and for the shared IoU matrix on its own, with the median count of minor page
faults per call and the load average.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotation_qc.domain.geometry import as_boxes, boxes_to_payload, iou_matrix
from annotation_qc.domain.linters import label_size_stats, lint

WIDTH, HEIGHT = 1280.0, 720.0
LABELS = ["car", "person", "bicycle", "dog", "traffic light"]


def scene(boxes: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    normal = boxes - 7
    sizes = rng.uniform(0.01, 0.1, (normal, 2)) * [WIDTH, HEIGHT]
    corners = rng.uniform(0, 1, (normal, 2)) * ([WIDTH, HEIGHT] - sizes)
    array = np.column_stack([corners, sizes])
    labels = [LABELS[i] for i in rng.integers(0, len(LABELS), normal).tolist()]
    array[:2, 2:] = [[100, 80], [60, 120]]  # two boxes big enough that 1 px shifts keep IoU > 0.9
    planted = [
        (array[0] + [1, 1, 0, 0], labels[0]),  # duplicate of box 1
        (array[1] + [0, 1, 1, 0], "dog" if labels[1] != "dog" else "car"),  # conflicting label
        ([10, 10, WIDTH - 20, HEIGHT - 20], "car"),  # oversized
        ([600, 300, 0.5, 40], "person"),  # degenerate
        ([700, 300, 2, 2], "person"),  # undersized
        ([WIDTH - 5, 100, 10, 10], "dog"),  # half outside
        ([400, 400, 30, 30], "lorry"),  # unknown label
    ]
    array = np.vstack([array, as_boxes([box for box, _ in planted])])
    labels += [label for _, label in planted]
    return {"boxes": boxes_to_payload(array, labels)}


def minor_page_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boxes", type=int, default=300)
    parser.add_argument("--repetitions", type=int, default=1000)
    args = parser.parse_args()

    annotation = scene(args.boxes, seed=0)
    rng = np.random.default_rng(1)
    history = rng.lognormal(np.log(0.003), 0.8, 5000)
    stats = label_size_stats(history, [LABELS[i % len(LABELS)] for i in range(len(history))])
    kwargs: dict[str, Any] = {
        "kind": "bbox",
        "width": WIDTH,
        "height": HEIGHT,
        "labels": LABELS,
        "stats": stats,
        "time_spent_s": 4.0,
        "median_time_s": 60.0,
    }
    findings = lint(annotation, **kwargs)
    boxes = as_boxes([[b["x"], b["y"], b["w"], b["h"]] for b in annotation["boxes"]])

    samples: dict[str, list[float]] = {"lint": [], "lint (cpu time)": [], "iou_matrix alone": []}
    faults: dict[str, list[int]] = {"lint": [], "iou_matrix alone": []}
    for _ in range(args.repetitions):
        start_faults = minor_page_faults()
        start, start_cpu = time.perf_counter(), time.process_time()
        lint(annotation, **kwargs)
        samples["lint"].append((time.perf_counter() - start) * 1e3)
        samples["lint (cpu time)"].append((time.process_time() - start_cpu) * 1e3)
        faults["lint"].append(minor_page_faults() - start_faults)
        start_faults = minor_page_faults()
        start = time.perf_counter()
        iou_matrix(boxes, boxes)
        samples["iou_matrix alone"].append((time.perf_counter() - start) * 1e3)
        faults["iou_matrix alone"].append(minor_page_faults() - start_faults)

    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"{args.boxes} boxes, {len(findings)} findings, {args.repetitions} repetitions (load {load})")
    for code in sorted({f.code for f in findings}):
        print(f"  {code}: {sum(f.code == code for f in findings)}")
    for name, values in samples.items():
        p50, p99 = np.percentile(values, [50, 99])
        extra = f", {np.median(faults[name]):.0f} minor page faults" if name in faults else ""
        print(f"{name:>16}: p50 {p50:.2f} ms, p99 {p99:.2f} ms{extra}")


if __name__ == "__main__":
    main()
