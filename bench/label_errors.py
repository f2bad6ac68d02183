"""Benchmark of label-error detection (pure domain, no database).

Classification: scikit-learn's digits, wine and breast_cancer with 10% of the labels flipped,
(a) uniformly to another class and (b) class-conditionally (each class flips to one fixed other
class, the noise rate per class drawn between 0 and 20%, 10% on average). Out-of-fold
probabilities from 5-fold cross-validation of the prioritisation committee, then confident
learning (prune by noise rate). Precision, recall and F1 of the flipped labels found.

Boxes: synthetic images (640 x 480, 1-8 objects, 5 classes, sizes 30-150 px). The "model" sees
each true object with a jittered box (sd 3% of its size) and a confidence drawn from Beta(8, 2),
misses 3% of them (a faint box, confidence Beta(1, 6)), calls 5% of them with the wrong class at
confidence Beta(4, 4), and adds 0.3 false positives per image at confidence Beta(1, 6). Planted in
the given labels, about 5% of the objects each: shifted (by 30-50% of the box size along both
axes: IoU 0.14-0.33), missing (the object's box removed), relabelled (another class), plus
spurious boxes (5% as many, on empty ground). Precision and recall per kind of the findings at
or above the default thresholds (overlooked 0.5, badly located 0.4, wrong class 0.6, spurious 0.8),
a finding counting only when its kind is the planted kind.

Usage (seeds fixed):

    .venv/bin/python bench/label_errors.py [--images 2000] [--seeds 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_wine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotation_qc.domain.geometry import iou_matrix
from annotation_qc.domain.label_errors import (
    BoxIssue,
    BoxScoringConfig,
    find_label_issues,
    out_of_fold_proba,
    score_image,
)

DATASETS = {"digits": load_digits, "wine": load_wine, "breast_cancer": load_breast_cancer}


def flip_uniform(labels: np.ndarray, k: int, rate: float, rng: np.random.Generator) -> np.ndarray:
    flip = rng.random(len(labels)) < rate
    noisy = labels.copy()
    noisy[flip] = (labels[flip] + rng.integers(1, k, int(flip.sum()))) % k
    return noisy


def flip_class_conditional(labels: np.ndarray, k: int, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Each class flips to one fixed other class at its own rate (mean ``rate``)."""
    target = (np.arange(k) + rng.integers(1, k, k)) % k
    class_rate = rng.uniform(0.0, 2 * rate, k)
    flip = rng.random(len(labels)) < class_rate[labels]
    noisy = labels.copy()
    noisy[flip] = target[labels[flip]]
    return noisy


def prf(found: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    tp = float((found & truth).sum())
    precision = tp / found.sum() if found.sum() else 0.0
    recall = tp / truth.sum() if truth.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def classification(seeds: int) -> None:
    print("| dataset | noise | items | flipped (mean) | precision | recall | F1 | seconds per run |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, loader in DATASETS.items():
        features, labels = loader(return_X_y=True)
        k = int(labels.max()) + 1
        for noise, flip in (("uniform 10%", flip_uniform), ("class-conditional 10%", flip_class_conditional)):
            scores, flipped, seconds = [], [], []
            for seed in range(seeds):
                rng = np.random.default_rng(seed)
                noisy = flip(labels, k, 0.10, rng)
                start = time.perf_counter()
                proba = out_of_fold_proba(features, noisy, n_classes=k, seed=seed)
                result = find_label_issues(noisy, proba)
                seconds.append(time.perf_counter() - start)
                truth = noisy != labels
                scores.append(prf(result.is_issue, truth))
                flipped.append(int(truth.sum()))
            p, r, f = np.mean(scores, axis=0)
            print(
                f"| {name} | {noise} | {len(labels)} | {np.mean(flipped):.0f} | {p:.3f} | {r:.3f} | {f:.3f} "
                f"| {np.mean(seconds):.2f} |"
            )


def synthetic_image(rng: np.random.Generator, k: int = 5):
    width, height = 640.0, 480.0
    n = int(rng.integers(1, 9))
    size = rng.uniform(30, 150, (n, 2))
    xy = rng.uniform(0, 1, (n, 2)) * (np.array([width, height]) - size)
    truth = np.hstack([xy, size])
    truth_labels = rng.integers(0, k, n)
    # The model.
    detected_boxes, detected_labels, detected_scores = [], [], []
    for box, label in zip(truth, truth_labels, strict=True):
        jitter = rng.normal(0, 0.03, 4) * np.array([box[2], box[3], box[2], box[3]])
        roll = rng.random()
        if roll < 0.03:
            score, predicted = rng.beta(1, 6), label
        elif roll < 0.08:
            score, predicted = rng.beta(4, 4), (label + rng.integers(1, k)) % k
        else:
            score, predicted = rng.beta(8, 2), label
        detected_boxes.append(box + jitter)
        detected_labels.append(predicted)
        detected_scores.append(score)
    for _ in range(rng.poisson(0.3)):
        s = rng.uniform(30, 150, 2)
        detected_boxes.append(np.concatenate([rng.uniform(0, 1, 2) * (np.array([width, height]) - s), s]))
        detected_labels.append(int(rng.integers(0, k)))
        detected_scores.append(rng.beta(1, 6))
    # The given labels with planted errors.
    given, given_labels, kinds = [], [], []
    planted_missing = []
    for index, (box, label) in enumerate(zip(truth, truth_labels, strict=True)):
        roll = rng.random()
        if roll < 0.05:
            planted_missing.append(index)
            continue
        if roll < 0.10:
            shift = rng.uniform(0.30, 0.50) * box[2:] * rng.choice([-1, 1], 2)
            given.append(box + np.concatenate([shift, [0, 0]]))
            given_labels.append(label)
            kinds.append(BoxIssue.BADLY_LOCATED)
        elif roll < 0.15:
            given.append(box.copy())
            given_labels.append((label + rng.integers(1, k)) % k)
            kinds.append(BoxIssue.WRONG_CLASS)
        else:
            given.append(box.copy())
            given_labels.append(label)
            kinds.append(None)
    if rng.random() < 0.05 * n:
        for _ in range(20):  # on empty ground
            s = rng.uniform(30, 150, 2)
            candidate = np.concatenate([rng.uniform(0, 1, 2) * (np.array([width, height]) - s), s])
            if iou_matrix(candidate[None], np.asarray(detected_boxes)).max() == 0:
                given.append(candidate)
                given_labels.append(int(rng.integers(0, k)))
                kinds.append(BoxIssue.SPURIOUS)
                break
    return (
        np.asarray(given).reshape(-1, 4),
        np.asarray(given_labels, dtype=np.int64),
        kinds,
        np.asarray(detected_boxes).reshape(-1, 4),
        np.asarray(detected_labels, dtype=np.int64),
        np.asarray(detected_scores),
        truth,
        planted_missing,
    )


def boxes(n_images: int, seeds: int) -> None:
    config = BoxScoringConfig()
    kinds = list(BoxIssue)
    totals = {kind: np.zeros(3) for kind in kinds}  # tp, found, planted
    start = time.perf_counter()
    images = 0
    for seed in range(seeds):
        rng = np.random.default_rng(100 + seed)
        for _ in range(n_images):
            given, given_labels, planted, predicted, predicted_labels, scores, truth, missing = (
                synthetic_image(rng)
            )
            result = score_image(given, given_labels, predicted, predicted_labels, scores, config=config)
            images += 1
            flagged = result.flagged(config)
            for kind in kinds:
                if kind is BoxIssue.OVERLOOKED:
                    planted_count = len(missing)
                    found = [f for f in flagged if f.kind is kind]
                    # An overlooked finding is right when its prediction is a missing object's.
                    hits = 0
                    if missing and found:
                        boxes_found = predicted[[f.predicted_index for f in found]]
                        hits = int((iou_matrix(boxes_found, truth[missing]) >= 0.5).any(axis=1).sum())
                    totals[kind] += (hits, len(found), planted_count)
                    continue
                planted_count = sum(1 for p in planted if p is kind)
                found = [f for f in flagged if f.kind is kind]
                hits = sum(1 for f in found if f.given_index is not None and planted[f.given_index] is kind)
                totals[kind] += (hits, len(found), planted_count)
    elapsed = time.perf_counter() - start
    print(f"\n{images} images, {elapsed:.2f} s ({1000 * elapsed / images:.2f} ms per image)\n")
    print("| kind | planted | flagged | precision | recall |")
    print("|---|---:|---:|---:|---:|")
    for kind in kinds:
        tp, found, planted_count = totals[kind]
        print(
            f"| {kind.value} | {planted_count:.0f} | {found:.0f} | {tp / max(found, 1):.3f} "
            f"| {tp / max(planted_count, 1):.3f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    classification(args.seeds)
    boxes(args.images, args.seeds)


if __name__ == "__main__":
    main()
