"""Benchmark of the agreement report (pure domain, no database).

Boxes: synthetic double-labeled items with about 10 objects each; two annotators per item drawn
from a pool of 50, each with jittered boxes (sd 3% of the box size), about 5% missed objects,
3% extra boxes and 5% relabels; 5 labels; objects placed at random so some overlap.
Classification: items labeled by two annotators (5% by three) from a pool of 200 with
accuracies between 0.6 and 0.98; 10 labels.

Prints the time of each stage. Usage:

    .venv/bin/python bench/agreement.py [--box-items 100000] [--classification-items 1000000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotation_qc.domain.agreement import (
    BoxAnnotationTable,
    box_report,
    classification_report,
    consensus_labels,
)

BOX_LABELS = ["car", "person", "bicycle", "dog", "sign"]
CLASS_LABELS = [f"class_{k}" for k in range(10)]


def synthetic_box_items(n_items: int, seed: int = 0) -> list[list[tuple[int, np.ndarray, np.ndarray]]]:
    rng = np.random.default_rng(seed)
    n_objects = rng.poisson(10, n_items)
    total = int(n_objects.sum())
    size = rng.uniform(20, 160, (total, 2))
    corner = rng.uniform(0, 1, (total, 2)) * (np.array([1000.0, 800.0]) - size)
    truth = np.hstack([corner, size])
    label = rng.integers(0, len(BOX_LABELS), total)
    item_of_object = np.repeat(np.arange(n_items), n_objects)
    first = rng.integers(0, 50, n_items)
    second = (first + rng.integers(1, 50, n_items)) % 50
    annotations = []
    for annotators in (first, second):
        keep = rng.uniform(size=total) > 0.05
        jitter = rng.normal(0.0, 0.03, (total, 4)) * np.hstack([size, size])
        boxes = truth + jitter
        boxes[:, 2:] = np.maximum(boxes[:, 2:], 2.0)
        labels = np.where(rng.uniform(size=total) < 0.05, rng.integers(0, len(BOX_LABELS), total), label)
        n_extra = rng.binomial(n_objects, 0.03)
        extra_item = np.repeat(np.arange(n_items), n_extra)
        extra_size = rng.uniform(20, 160, (len(extra_item), 2))
        extra = np.hstack(
            [rng.uniform(0, 1, (len(extra_item), 2)) * (np.array([1000.0, 800.0]) - extra_size), extra_size]
        )
        items = np.concatenate([item_of_object[keep], extra_item])
        all_boxes = np.concatenate([boxes[keep], extra])
        all_labels = np.concatenate([labels[keep], rng.integers(0, len(BOX_LABELS), len(extra_item))])
        order = np.argsort(items, kind="stable")
        items, all_boxes, all_labels = items[order], all_boxes[order], all_labels[order]
        cuts = np.searchsorted(items, np.arange(1, n_items))
        annotations.append((annotators, np.split(all_boxes, cuts), np.split(all_labels, cuts)))
    return [
        [(int(annotations[side][0][i]), annotations[side][1][i], annotations[side][2][i]) for side in (0, 1)]
        for i in range(n_items)
    ]


def synthetic_classification(n_items: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n_annotators, n_labels = 200, len(CLASS_LABELS)
    accuracy = rng.uniform(0.6, 0.98, n_annotators)
    truth = rng.integers(0, n_labels, n_items)
    per_item = np.where(rng.uniform(size=n_items) < 0.05, 3, 2)
    item = np.repeat(np.arange(n_items), per_item)
    offset = np.arange(len(item)) - np.repeat(np.cumsum(per_item) - per_item, per_item)
    base = np.repeat(rng.integers(0, n_annotators, n_items), per_item)
    annotator = (base + offset * 7) % n_annotators  # distinct annotators within an item
    correct = rng.uniform(size=len(item)) < accuracy[annotator]
    wrong = (truth[item] + rng.integers(1, n_labels, len(item))) % n_labels
    label = np.where(correct, truth[item], wrong)
    return item * 3 + 11, annotator + 1000, label  # ids, not positions


def timed(name: str, action):  # type: ignore[no-untyped-def]
    """Run ``action``; print wall-clock and CPU seconds (CPU time is what contention hides)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    print(
        f"  {name:<46} {time.perf_counter() - wall:7.2f} s wall {time.process_time() - cpu:7.2f} s cpu",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--box-items", type=int, default=100_000)
    parser.add_argument("--classification-items", type=int, default=1_000_000)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")

    if args.box_items:
        print(f"boxes: {args.box_items:,} double-labeled items")
        items = timed("generate synthetic items (not counted)", lambda: synthetic_box_items(args.box_items))
        n_boxes = sum(len(b) for annotations in items for _, b, _ in annotations)
        print(f"  {n_boxes:,} boxes, {n_boxes / args.box_items / 2:.1f} per annotation")
        start, cpu = time.perf_counter(), time.process_time()
        table = timed("per-item lists -> BoxAnnotationTable", lambda: BoxAnnotationTable.from_items(items))
        report = timed(
            "box_report (matching, units, alpha, bootstrap)",
            lambda: box_report(table, label_names=BOX_LABELS, n_resamples=args.resamples),
        )
        print(f"  total {time.perf_counter() - start:.2f} s wall {time.process_time() - cpu:.2f} s cpu")
        timed("to_dict", report.to_dict)
        interval = report.interval
        print(
            f"  alpha {report.alpha.value:.4f}  95% [{interval.low:.4f}, {interval.high:.4f}]"
            if interval
            and report.alpha.value is not None
            and interval.low is not None
            and interval.high is not None
            else f"  alpha {report.alpha}"
        )
        print(f"  F1@0.5 {report.f1[0] if report.f1 else None}  mean IoU {report.mean_iou}")
        print(f"  conflicts {report.conflict_counts}")

    if args.classification_items:
        print(f"classification: {args.classification_items:,} items")
        item, annotator, label = timed(
            "generate synthetic items (not counted)",
            lambda: synthetic_classification(args.classification_items),
        )
        print(f"  {len(item):,} annotations")
        start, cpu = time.perf_counter(), time.process_time()
        report = timed(
            "classification_report",
            lambda: classification_report(
                item, annotator, label, label_names=CLASS_LABELS, n_resamples=args.resamples
            ),
        )
        print(f"  total {time.perf_counter() - start:.2f} s wall {time.process_time() - cpu:.2f} s cpu")
        timed("to_dict", report.to_dict)
        timed("consensus_labels (majority)", lambda: consensus_labels(item, annotator, label, n_labels=10))
        interval = report.interval
        if interval is not None and report.alpha.value is not None:
            print(f"  alpha {report.alpha.value:.4f}  95% [{interval.low:.4f}, {interval.high:.4f}]")
        print(f"  {len(report.pairwise):,} annotator pairs")


if __name__ == "__main__":
    main()
