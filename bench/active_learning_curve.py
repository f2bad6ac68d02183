"""Active-learning curve on scikit-learn's digits, and a scoring-throughput check (pure domain).

Part 1 (the learning curve). Pool-based simulation through the service's own committee and
strategies (:mod:`annotation_qc.domain.active_learning`): per seed, digits are split into a pool
(70 %) and a held-out test set (30 %); 20 random pool items start labeled; each step retrains the
committee on the labeled items, scores the unlabeled pool and labels the next batch of 10. The
target is 97 % of the full-data accuracy (the same committee trained on the whole pool); a
strategy's cost is the number of labels at which the test accuracy first reaches the target. The
table gives the mean over seeds and the ratio to random order (goal: at most 0.7).

Part 2 (throughput). A 5-member committee trained on 20,000 labeled rows scores 1,000,000 x 64
float32 rows through ``score_chunk`` in chunks of 50,000, as the prioritisation job will;
prints train and scoring times and the process's peak memory.

    .venv/bin/python -m bench.active_learning_curve              # both parts, 5 seeds
    .venv/bin/python -m bench.active_learning_curve --seeds 2 --skip-throughput
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from annotation_qc.domain.active_learning import (
    Committee,
    diverse_top_k,
    score_chunk,
    score_items,
    top_indices,
    train_committee,
)

START_LABELS = 20
BATCH = 10
TARGET_FRACTION = 0.97
GOAL_RATIO = 0.7

#: Name shown in the table -> (registry strategy, whether the batch goes through diverse_top_k).
VARIANTS: dict[str, tuple[str, bool]] = {
    "random": ("random", False),
    "least_confidence": ("least_confidence", False),
    "margin": ("margin", False),
    "entropy": ("entropy", False),
    "vote_entropy": ("vote_entropy", False),
    "consensus_kl": ("consensus_kl", False),
    "margin + diverse_top_k": ("margin", True),
}


@dataclass(frozen=True)
class Split:
    pool_x: NDArray[np.float64]
    pool_y: NDArray[np.int64]
    test_x: NDArray[np.float64]
    test_y: NDArray[np.int64]
    start: NDArray[np.int64]
    target: float
    full_accuracy: float


def make_split(seed: int) -> Split:
    features, labels = load_digits(return_X_y=True)
    pool_x, test_x, pool_y, test_y = train_test_split(
        features, labels, test_size=0.3, random_state=seed, stratify=labels
    )
    full = train_committee(pool_x, pool_y, seed=seed)
    full_accuracy = float(np.mean(full.predict(test_x) == test_y))
    start = np.random.default_rng(seed).choice(len(pool_y), size=START_LABELS, replace=False)
    return Split(pool_x, pool_y, test_x, test_y, start, TARGET_FRACTION * full_accuracy, full_accuracy)


def labels_to_target(split: Split, strategy: str, diverse: bool, seed: int) -> tuple[int, float]:
    """Labels needed for the committee's test accuracy to reach the target (pool size if never)."""
    labeled = np.zeros(len(split.pool_y), dtype=bool)
    labeled[split.start] = True
    while True:
        committee = train_committee(split.pool_x[labeled], split.pool_y[labeled], seed=seed)
        accuracy = float(np.mean(committee.predict(split.test_x) == split.test_y))
        if accuracy >= split.target or labeled.all():
            return int(labeled.sum()), accuracy
        candidates = np.flatnonzero(~labeled)
        if strategy == "random":
            scores = score_items("random", positions=candidates, seed=seed)
        else:
            scores = score_chunk(committee, split.pool_x[candidates], strategy)
        if diverse:
            batch = diverse_top_k(scores, split.pool_x[candidates], BATCH, seed=seed)
        else:
            batch = top_indices(scores, BATCH)
        labeled[candidates[batch]] = True


def learning_curve(seeds: int) -> bool:
    print(f"Digits, {START_LABELS} random start labels, batches of {BATCH}, target {TARGET_FRACTION:.0%} of")
    print("the full-pool committee's test accuracy; labels needed (first time the target is reached).\n")
    needed: dict[str, list[int]] = {name: [] for name in VARIANTS}
    started = time.perf_counter()
    for seed in range(seeds):
        split = make_split(seed)
        row = []
        for name, (strategy, diverse) in VARIANTS.items():
            count, _ = labels_to_target(split, strategy, diverse, seed)
            needed[name].append(count)
            row.append(f"{name}={count}")
        print(
            f"seed {seed}: full accuracy {split.full_accuracy:.3f}, target {split.target:.3f}, "
            f"pool {len(split.pool_y)}: " + ", ".join(row)
        )
    random_mean = statistics.mean(needed["random"])
    print(f"\n{'strategy':<24}{'mean labels':>12}{'min':>6}{'max':>6}{'vs random':>11}")
    all_met = True
    for name, counts in needed.items():
        ratio = statistics.mean(counts) / random_mean
        if name != "random":
            all_met = all_met and ratio <= GOAL_RATIO
        print(f"{name:<24}{statistics.mean(counts):>12.1f}{min(counts):>6}{max(counts):>6}{ratio:>10.2f}x")
    print(f"\n{seeds} seeds in {time.perf_counter() - started:.0f} s; goal <= {GOAL_RATIO}x random: ", end="")
    print("met by every strategy" if all_met else "NOT met by every strategy")
    return all_met


def throughput(rows: int, labeled: int, features: int, classes: int, chunk: int) -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(classes, features)).astype(np.float32)

    def sample(n: int) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        y = rng.integers(0, classes, size=n)
        x = centres[y] + rng.normal(scale=2.0, size=(n, features)).astype(np.float32)
        return x.astype(np.float32), y

    train_x, train_y = sample(labeled)
    pool = np.empty((rows, features), dtype=np.float32)
    for start in range(0, rows, chunk):
        pool[start : start + chunk] = sample(min(chunk, rows - start))[0]
    print(f"\nThroughput: {labeled:,} labeled rows, {rows:,} x {features} float32 rows, {classes} classes")
    print("(wall time is what this shared machine gave; CPU time is this process's own, one thread)")
    with Stopwatch("train 5-member committee"):
        committee = train_committee(train_x, train_y, seed=0)
    print(f"  members: {', '.join(committee.families)}")
    rss_before = peak_rss_mib()
    for strategy in ("margin", "vote_entropy", "consensus_kl"):
        with Stopwatch(f"score_chunk {strategy}, {rows:,} rows in chunks of {chunk:,}"):
            score_pool(committee, pool, strategy, chunk)
    per_member = member_cpu_times(committee, pool[:chunk])
    print(
        f"CPU per member and chunk of {chunk:,}: "
        + ", ".join(f"{family} {seconds * 1000:.0f} ms" for family, seconds in per_member)
    )
    print(
        f"peak RSS {peak_rss_mib():.0f} MiB, of which {rss_before:.0f} MiB before scoring "
        f"(the {pool.nbytes / 2**20:.0f} MiB pool and the training set included)"
    )


class Stopwatch:
    def __init__(self, label: str) -> None:
        self.label = label

    def __enter__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def __exit__(self, *exc: object) -> None:
        wall, cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu
        print(f"{self.label}: {wall:.2f} s wall, {cpu:.2f} s CPU")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def score_pool(committee: Committee, pool: NDArray[np.float32], strategy: str, chunk: int) -> None:
    scores = np.empty(len(pool), dtype=np.float64)
    for start in range(0, len(pool), chunk):
        stop = min(start + chunk, len(pool))
        positions = np.arange(start, stop)
        scores[start:stop] = score_chunk(committee, pool[start:stop], strategy, positions=positions)


def member_cpu_times(committee: Committee, rows: NDArray[np.float32]) -> list[tuple[str, float]]:
    result = []
    for member in committee.members:
        started = time.process_time()
        member.predict_proba(rows)
        result.append((member.family, time.process_time() - started))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--skip-curve", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--labeled", type=int, default=20_000)
    parser.add_argument("--chunk", type=int, default=50_000)
    args = parser.parse_args()
    if not args.skip_curve:
        learning_curve(args.seeds)
    if not args.skip_throughput:
        throughput(args.rows, args.labeled, 64, 10, args.chunk)


if __name__ == "__main__":
    main()
