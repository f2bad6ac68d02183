"""Sequential flagging and peer agreement, simulated fast at the domain level (no database).

    .venv/bin/python bench/flagging_simulation.py                       # 10 seeds x 100 annotators
    .venv/bin/python bench/flagging_simulation.py --seeds 10 --annotators 100 --benchmarks 60 --json

The same scoring functions as the service, on simulated outcomes: per seed, a population from
``bench/simulated_annotators.make_population`` (10% spammers who submit the pre-annotation
unchanged, 30% careless with base skill 0.25-0.65, the rest diligent 0.75-0.97, per-kind fix
probabilities) plus degraders (diligent for their first 40 tasks, then fix rate 0.3) and
borderline annotators (true rate 0.65-0.70, to measure false flags where they are likeliest).
Every annotator is served tasks through the project's benchmark rule
(``domain.benchmark_schedule.benchmark_due``: rate 0.1, calibration 5 benchmarks in the first
10 tasks) until it has done ``--benchmarks`` benchmarks; each benchmark is a gold scene with a
seeded mistake (``domain.seeding``), answered by ``respond`` and scored by
``domain.scoring.score_submission``. After every benchmark the service's status rule runs
(``domain.flagging.sequential_flag`` with the project's threshold 0.6, as
``benchmarks.services.scoring.annotator_status_refresh`` does).

Peer agreement: regular items shared by two annotators, ``--shared-share`` of each annotator's
regular tasks. The model's pre-annotation is right with probability 0.6; an annotator keeps a
right pre-annotation, and fixes a wrong one with its current fix probability (else keeps it);
a spammer always keeps it. Two answers agree when they are equal. The estimate is
``domain.peer_skill.peer_skill`` (leave-one-out, partner-skill weighted, both-kept pairs
discounted), against plain agreement with peers for comparison.

Reported per seed and pooled: spammers flagged within 8 benchmarks; annotators of true rate
<= 0.45 flagged within 30 benchmarks; annotators of true rate >= 0.65 ever flagged (false flags);
degraders flagged within 15 benchmarks of the drop; Spearman of benchmark accuracy with true
skill after all benchmarks; Spearman of the peer estimate (and of plain agreement) with true skill.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.stats import spearmanr
from simulated_annotators import SimulatedAnnotator, make_gold_scenes, make_population, respond

from annotation_qc.domain.benchmark_schedule import benchmark_due
from annotation_qc.domain.flagging import (
    DEFAULT_ALPHA,
    DEFAULT_RECENT_ALPHA,
    FlagRule,
    benchmark_evidence,
    evidence_flag_paths,
    flag_paths,
)
from annotation_qc.domain.peer_skill import PeerRows, pairs_of_rows, peer_fit, peer_skill
from annotation_qc.domain.scoring import score_submission
from annotation_qc.domain.seeding import (
    applicable_error_kinds,
    choose_error_kind,
    seed_error_detailed,
)
from annotation_qc.domain.skill import evidence_log_likelihood, population_prior, shrunk_estimates

WIDTH, HEIGHT = 640.0, 480.0
LABELS = ("circle", "square", "triangle")
DROP_AFTER_TASKS = 40
DROPPED_RATE = 0.3
MODEL_RIGHT = 0.6
WRONG_CHANGE = 0.1


@dataclass
class Simulated:
    annotator: SimulatedAnnotator
    group: str  # spammer, careless, diligent, degrader, borderline
    fixed: list[bool] = field(default_factory=list)
    task_of_benchmark: list[int] = field(default_factory=list)
    regular_tasks: int = 0
    work_tasks: list[int] = field(default_factory=list)  # ordinals of regular tasks
    first_flag: int | None = None  # benchmark number (1-based), benchmarks and peers
    first_flag_benchmarks_only: int | None = None  # the same test on benchmarks alone
    drop_benchmark: int | None = None  # benchmarks done before the drop (degraders)

    @property
    def true_skill(self) -> float:
        return self.annotator.true_skill()


def _scaled(annotator: SimulatedAnnotator, rate: float, name: str, group: str) -> SimulatedAnnotator:
    base = np.mean(list(annotator.fix_prob.values())) or 1.0
    probs = {k: float(np.clip(v * rate / base, 0.0, 1.0)) for k, v in annotator.fix_prob.items()}
    return SimulatedAnnotator(name=name, fix_prob=probs, kind_of="careless", jitter=annotator.jitter)


def population(n: int, rng: np.random.Generator) -> list[Simulated]:
    base = make_population(n, rng=rng)
    people = [Simulated(a, a.kind_of) for a in base]
    n_extra = max(2, n // 10)
    diligent = [a for a in base if a.kind_of == "diligent"]
    for i in range(n_extra):  # degraders: a diligent profile that drops after 40 tasks
        people.append(Simulated(diligent[i % len(diligent)], "degrader"))
    for i in range(n_extra):  # borderline good: true rate 0.65-0.70
        rate = float(rng.uniform(0.65, 0.70))
        people.append(
            Simulated(_scaled(diligent[i % len(diligent)], rate, f"border-{i}", "borderline"), "borderline")
        )
    return people


def run_benchmarks(
    person: Simulated,
    scenes: list[dict[str, Any]],
    rule: FlagRule,
    n_benchmarks: int,
    rng: np.random.Generator,
) -> None:
    dropped = _scaled(person.annotator, DROPPED_RATE, person.annotator.name, "careless")
    served: Counter[str] = Counter()
    gold_order = iter(rng.permutation(len(scenes)).tolist())
    task = 0
    while len(person.fixed) < n_benchmarks:
        due = benchmark_due(
            served=task,
            benchmarks=len(person.fixed),
            rate=0.1,
            calibration_benchmarks=5,
            calibration_window=10,
            draw=float(rng.random()),
        )
        task += 1
        if not due:
            person.regular_tasks += 1
            person.work_tasks.append(task)
            continue
        who = person.annotator
        if person.group == "degrader" and task > DROP_AFTER_TASKS:
            if person.drop_benchmark is None:
                person.drop_benchmark = len(person.fixed)
            who = dropped
        gold = scenes[next(gold_order)]
        kinds = applicable_error_kinds(gold, project_kind="bbox", labels=LABELS, width=WIDTH, height=HEIGHT)
        kind = choose_error_kind(kinds, served, rng)
        served[kind] += 1
        seeded = seed_error_detailed(gold, kind, width=WIDTH, height=HEIGHT, labels=LABELS, rng=rng)
        answer = respond(who, seeded.payload, gold, kind, rng, image_size=(WIDTH, HEIGHT))
        person.fixed.append(score_submission(gold, answer).fixed)
        person.task_of_benchmark.append(task)
    _, _, flagged = flag_paths(person.fixed, rule)
    person.first_flag_benchmarks_only = int(np.argmax(flagged)) + 1 if flagged.any() else None


def work_rate(person: Simulated, task: np.ndarray) -> np.ndarray:
    """The annotator's fix rate on regular work at these task ordinals (a spammer fixes nothing)."""
    if person.group == "spammer":
        return np.zeros(len(task))
    if person.group == "degrader":
        return np.where(task > DROP_AFTER_TASKS, DROPPED_RATE, person.true_skill)
    return np.full(len(task), person.true_skill)


def shared_work(people: list[Simulated], shared_share: float, rng: np.random.Generator) -> dict[str, Any]:
    """Regular items answered by two annotators at about the same time, answered by the model.

    Each regular task is on a shared item with probability ``shared_share`` (the service's default
    overlap 2 on 10% of items makes about 18% of answers shared). Shared slots are sorted by task
    ordinal (annotators work side by side, so ordinal stands for time) and paired with a neighbour
    of another annotator. The pre-annotation is wrong with probability ``1 - MODEL_RIGHT``. On a
    wrong one the annotator fixes it with its current rate, else changes it to something else wrong
    with probability ``WRONG_CHANGE`` or keeps it; on a right one it spoils it with probability
    ``0.05 * (1 - rate)`` (careless annotators spoil more), else keeps it. A spammer always keeps it.
    Two fixes agree; any other two changes do not. The peer row counts from the later of the two.
    """
    owner_list, task_list, single_owner, single_task = [], [], [], []
    for index, person in enumerate(people):
        tasks = np.asarray(person.work_tasks, dtype=np.int64)
        shared = rng.random(len(tasks)) < shared_share
        owner_list.append(np.full(int(shared.sum()), index))
        task_list.append(tasks[shared])
        single_owner.append(np.full(int((~shared).sum()), index))
        single_task.append(tasks[~shared])
    owner, task = np.concatenate(owner_list), np.concatenate(task_list)
    order = np.lexsort((rng.random(len(task)), task))
    owner, task = owner[order], task[order]
    if len(owner) % 2:
        owner, task = owner[:-1], task[:-1]
    first, second = np.arange(0, len(owner), 2), np.arange(1, len(owner), 2)
    ok = owner[first] != owner[second]
    first, second = first[ok], second[ok]
    n_shared = len(first)
    rows = np.concatenate([first, second])
    lone_owner, lone_task = np.concatenate(single_owner), np.concatenate(single_task)
    n_items = n_shared + len(lone_owner)
    item = np.concatenate([np.arange(n_shared), np.arange(n_shared), np.arange(n_shared, n_items)])
    who = np.concatenate([owner[rows], lone_owner])
    when = np.concatenate([task[rows], lone_task])
    rate = np.empty(len(who))
    for index, person in enumerate(people):
        mine = who == index
        rate[mine] = work_rate(person, when[mine])
    spammer = np.array([p.group == "spammer" for p in people])[who]
    wrong = (rng.random(n_items) >= MODEL_RIGHT)[item]
    draw = rng.random(len(who))
    fix = wrong & (draw < rate)
    wrong_change = wrong & ~fix & (rng.random(len(who)) < WRONG_CHANGE)
    spoil = ~wrong & (draw < 0.05 * (1.0 - rate))
    changed = (fix | wrong_change | spoil) & ~spammer
    # Cluster ids: a fix is the item's truth (id = item); every other change is unique.
    cluster = np.where(fix & ~spammer, item, n_items + np.arange(len(who)))
    cluster = np.where(changed, cluster, -1)
    partner_time = np.concatenate([task[second], task[first], lone_task])
    return {
        "rows": PeerRows.build(item=item, annotator=who, changed=changed, cluster=cluster),
        "time": np.maximum(when, partner_time),
        "items": n_shared,
        "shared": np.arange(len(who)) < 2 * n_shared,
        "answer": np.where(changed, cluster, -1),
    }


def flag_with_peers(
    person_index: int, person: Simulated, work: dict[str, Any], fit: Any, rule: FlagRule
) -> tuple[int | None, np.ndarray, np.ndarray]:
    """First flag (in benchmarks done) of the test over benchmarks and peer rows in time order.

    The status is refreshed when a benchmark is scored (as the service does), so the flag is read
    at benchmark events; peer rows count from the time the item's second answer came in.
    """
    mine = work["rows"].annotator == person_index
    bench_a, bench_b = benchmark_evidence(person.fixed)
    a = np.concatenate([bench_a, fit.row_a[mine]])
    b = np.concatenate([bench_b, fit.row_b[mine]])
    time = np.concatenate([np.asarray(person.task_of_benchmark, dtype=np.float64), work["time"][mine] + 0.5])
    is_bench = np.concatenate([np.ones(len(bench_a), bool), np.zeros(int(mine.sum()), bool)])
    order = np.argsort(time, kind="stable")
    _, _, flagged = evidence_flag_paths(a[order], b[order], rule)
    at_benchmarks = flagged[is_bench[order]]
    first = int(np.argmax(at_benchmarks)) + 1 if at_benchmarks.any() else None
    return first, a, b


def simulate_seed(seed: int, args: argparse.Namespace) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    rule = FlagRule(threshold=args.threshold, alpha=args.alpha, recent_alpha=args.recent_alpha)
    people = population(args.annotators, rng)
    scenes = make_gold_scenes(max(args.benchmarks + 20, 200), rng, width=WIDTH, height=HEIGHT, labels=LABELS)
    for person, own in zip(people, rng.spawn(len(people)), strict=True):
        run_benchmarks(person, scenes, rule, args.benchmarks, own)
    work = shared_work(people, args.shared_share, rng)
    rows = work["rows"]
    n = len(people)
    bench_n = np.array([len(p.fixed) for p in people], dtype=np.float64)
    bench_fixed = np.array([sum(p.fixed) for p in people], dtype=np.float64)
    fit = peer_fit(
        rows, n_annotators=n, bench_fixed=bench_fixed, bench_n=bench_n, single_items=args.single_items
    )
    owners, evidence_a, evidence_b = [], [], []
    for index, person in enumerate(people):
        person.first_flag, a, b = flag_with_peers(index, person, work, fit, rule)
        if args.benchmarks_only:
            person.first_flag = person.first_flag_benchmarks_only
        owners.append(np.full(len(a), index))
        evidence_a.append(a)
        evidence_b.append(b)
    # The scorecard's estimate: posterior mean under the population prior, all evidence.
    log_lik = evidence_log_likelihood(
        np.concatenate(owners), np.concatenate(evidence_a), np.concatenate(evidence_b), n_owners=n
    )
    shrunk = shrunk_estimates(log_lik, population_prior(log_lik))
    peer_only = peer_fit(rows, n_annotators=n)  # peer agreement alone: shared items only
    stable_index = [i for i, p in enumerate(people) if p.group != "degrader"]
    stable = [people[i] for i in stable_index]
    true = np.array([p.true_skill for p in stable])
    accuracy = np.array([np.mean(p.fixed) for p in stable])
    # The previous peer column (domain.peer_skill.peer_skill) on the same answers, for comparison.
    first, second = pairs_of_rows(rows.item)  # pairs of rows of shared items
    answer = work["answer"]
    agreement = (answer[first] == answer[second]).astype(np.float64)
    old = peer_skill(
        n_annotators=n,
        annotator=rows.annotator,
        kept=~rows.changed,
        first=first,
        second=second,
        agreement=agreement,
    )
    plain_sum = np.bincount(rows.annotator[first], weights=agreement, minlength=n) + np.bincount(
        rows.annotator[second], weights=agreement, minlength=n
    )
    plain_n = np.bincount(rows.annotator[first], minlength=n) + np.bincount(
        rows.annotator[second], minlength=n
    )
    peers = {
        "peer": peer_only.rate,
        "old": old.score,
        "plain": plain_sum / np.maximum(plain_n, 1),
        "items": work["items"],
    }
    spammers = [p for p in people if p.group == "spammer"]
    weak = [p for p in people if p.group not in ("spammer", "degrader") and p.true_skill <= 0.45]
    good = [p for p in people if p.group != "degrader" and p.true_skill >= 0.65]
    degraders = [p for p in people if p.group == "degrader"]

    def within(p: Simulated, limit: int, start: int = 0) -> bool:
        return p.first_flag is not None and start < p.first_flag <= start + limit

    return {
        "seed": seed,
        "annotators": len(people),
        "spammers": len(spammers),
        "spammers_flagged_within_8": sum(within(p, 8) for p in spammers),
        "spammer_flag_benchmark_max": max((p.first_flag or 10**6) for p in spammers),
        "weak": len(weak),
        "weak_flagged_within_30": sum(within(p, 30) for p in weak),
        "weak_flagged_within_30_benchmarks_only": sum(
            p.first_flag_benchmarks_only is not None and p.first_flag_benchmarks_only <= 30 for p in weak
        ),
        "good_ever_flagged_benchmarks_only": sum(p.first_flag_benchmarks_only is not None for p in good),
        "model": fit.model.to_dict(),
        "weak_rates": [round(p.true_skill, 3) for p in weak],
        "weak_flagged_by_rate": [(round(p.true_skill, 3), p.first_flag) for p in weak],
        "good": len(good),
        "good_ever_flagged": sum(p.first_flag is not None for p in good),
        "good_flagged_rates": [round(p.true_skill, 3) for p in good if p.first_flag is not None],
        "degraders": len(degraders),
        "degraders_flagged_within_15_of_drop": sum(
            p.drop_benchmark is not None and within(p, 15, p.drop_benchmark) for p in degraders
        ),
        "degraders_flagged_before_drop": sum(
            p.first_flag is not None and p.drop_benchmark is not None and p.first_flag <= p.drop_benchmark
            for p in degraders
        ),
        "degrader_delays": [
            None if p.first_flag is None or p.drop_benchmark is None else p.first_flag - p.drop_benchmark
            for p in degraders
        ],
        "spearman_accuracy": float(spearmanr(true, accuracy).statistic),
        "spearman_shrunk": float(spearmanr(true, shrunk.mean[stable_index]).statistic),
        "spearman_peer": float(spearmanr(true, peers["peer"][stable_index]).statistic),
        "spearman_peer_previous": float(spearmanr(true, peers["old"][stable_index]).statistic),
        "spearman_plain_agreement": float(spearmanr(true, peers["plain"][stable_index]).statistic),
        "shared_items": peers["items"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--annotators", type=int, default=100, help="base population per seed (plus 20%%)")
    parser.add_argument("--benchmarks", type=int, default=60, help="benchmarks per annotator")
    parser.add_argument("--threshold", type=float, default=0.6, help="project flag_threshold")
    parser.add_argument(
        "--alpha", type=float, default=DEFAULT_ALPHA, help="overall test: boundary log(1 / alpha)"
    )
    parser.add_argument(
        "--recent-alpha",
        type=float,
        default=DEFAULT_RECENT_ALPHA,
        help="recent test (CUSUM): boundary log(1 / recent_alpha)",
    )
    parser.add_argument(
        "--shared-share", type=float, default=0.2, help="share of regular tasks double-labeled"
    )
    parser.add_argument(
        "--benchmarks-only", action="store_true", help="flag on benchmarks alone (the previous test)"
    )
    parser.add_argument(
        "--single-items",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="count regular items answered by one annotator as evidence too (Dawid-Skene)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    runs = [simulate_seed(args.first_seed + s, args) for s in range(args.seeds)]
    total = {
        key: sum(r[key] for r in runs)
        for key in (
            "annotators",
            "spammers",
            "spammers_flagged_within_8",
            "weak",
            "weak_flagged_within_30",
            "weak_flagged_within_30_benchmarks_only",
            "good",
            "good_ever_flagged_benchmarks_only",
            "good_ever_flagged",
            "degraders",
            "degraders_flagged_within_15_of_drop",
            "degraders_flagged_before_drop",
        )
    }
    summary = {
        "settings": vars(args),
        "seconds": round(time.perf_counter() - started, 1),
        "pooled": total,
        "spearman_accuracy": [round(r["spearman_accuracy"], 3) for r in runs],
        "spearman_shrunk": [round(r["spearman_shrunk"], 3) for r in runs],
        "spearman_peer": [round(r["spearman_peer"], 3) for r in runs],
        "spearman_peer_previous": [round(r["spearman_peer_previous"], 3) for r in runs],
        "spearman_plain_agreement": [round(r["spearman_plain_agreement"], 3) for r in runs],
        "weak_flagged_by_rate": sorted(
            (x for r in runs for x in r["weak_flagged_by_rate"]), key=lambda x: (x[0], x[1] or 10**6)
        ),
        "good_flagged_rates": sorted(x for r in runs for x in r["good_flagged_rates"]),
        "degrader_delays": [d for r in runs for d in r["degrader_delays"]],
        "runs": runs,
    }
    if args.json:
        print(json.dumps(summary, indent=1))
        return 0
    print(
        f"{args.seeds} seeds x {runs[0]['annotators']} annotators, {args.benchmarks} benchmarks each, "
        f"threshold {args.threshold}, alpha {args.alpha}, recent_alpha {args.recent_alpha} "
        f"({summary['seconds']} s)"
    )
    t = total
    print(f"spammers flagged within 8 benchmarks: {t['spammers_flagged_within_8']} / {t['spammers']}")
    print(
        f"true rate <= 0.45 flagged within 30 benchmarks: {t['weak_flagged_within_30']} / {t['weak']} "
        f"(benchmarks alone: {t['weak_flagged_within_30_benchmarks_only']})"
    )
    bins = [(0.0, 0.3), (0.3, 0.35), (0.35, 0.4), (0.4, 0.45)]
    for low, high in bins:
        group = [
            f for rate, f in summary["weak_flagged_by_rate"] if low < rate <= high or (low == 0 and rate == 0)
        ]
        hit = sum(f is not None and f <= 30 for f in group)
        print(f"  true rate in ({low}, {high}]: {hit} / {len(group)}")
    print(
        f"true rate >= 0.65 ever flagged (false flags): {t['good_ever_flagged']} / {t['good']} "
        f"(rates {summary['good_flagged_rates']}; benchmarks alone: {t['good_ever_flagged_benchmarks_only']})"
    )
    print(
        f"degraders flagged within 15 benchmarks of the drop: {t['degraders_flagged_within_15_of_drop']} / "
        f"{t['degraders']} (flagged before the drop: {t['degraders_flagged_before_drop']}); delays "
        f"{sorted(d for d in summary['degrader_delays'] if d is not None)}, "
        f"never {summary['degrader_delays'].count(None)}"
    )
    for key in (
        "spearman_accuracy",
        "spearman_shrunk",
        "spearman_peer",
        "spearman_peer_previous",
        "spearman_plain_agreement",
    ):
        values = summary[key]
        middle = float(np.median(values))
        print(f"{key}: min {min(values):.3f} median {middle:.3f} max {max(values):.3f} {values}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
