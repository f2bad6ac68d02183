"""Simulated annotators for validating seeded-error benchmarks (pure, no database).

The helpers (:class:`SimulatedAnnotator`, :func:`respond`, :func:`make_population`,
:func:`make_gold_scenes`) are meant to be reused by the end-to-end simulation that drives the
real dispatch and submit path. Run as a script, this module runs the same population through
the pure domain functions only (the dispatch rule :func:`benchmark_schedule.benchmark_due`,
:func:`seeding.seed_error`, :func:`scoring.score_submission`, :func:`skill.skill_summary`,
:func:`skill.annotator_status`)::

    .venv/bin/python -m bench.simulated_annotators --annotators 30 --tasks 300 --rate 0.1

and prints, per annotator, the true and estimated skill, then the Spearman correlation between
them and the number of tasks each spammer took to be flagged.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy.stats import spearmanr

from annotation_qc.domain.benchmark_schedule import benchmark_due
from annotation_qc.domain.geometry import boxes_from_payload, boxes_to_payload, iou_matrix
from annotation_qc.domain.scoring import score_submission
from annotation_qc.domain.seeding import (
    BOX_ERROR_KINDS,
    applicable_error_kinds,
    choose_error_kind,
    seed_error_detailed,
)
from annotation_qc.domain.skill import (
    AnnotatorStatus,
    SkillSummary,
    annotator_status,
    estimate_accuracy,
    skill_summary,
)

AnnotatorKind = Literal["diligent", "careless", "spammer"]

#: How much harder each seeded mistake is to notice than the annotator's base rate: a missing
#: box or a duplicate stacked on its original is easier to overlook than a moved box.
KIND_DIFFICULTY: Mapping[str, float] = {
    "shift": 0.0,
    "oversize": -0.05,
    "drop": -0.08,
    "duplicate": -0.10,
    "relabel": 0.0,
    "spurious": -0.03,
}
#: Relative jitter of a redrawn box (a fraction of its width / height, uniform +-).
DILIGENT_JITTER = 0.01
CARELESS_JITTER = 0.03


@dataclass(frozen=True)
class SimulatedAnnotator:
    """An annotator who fixes a seeded mistake of kind ``k`` with probability ``fix_prob[k]``."""

    name: str
    fix_prob: Mapping[str, float]
    kind_of: AnnotatorKind
    jitter: float = DILIGENT_JITTER

    def true_skill(self, kinds: Sequence[str] = BOX_ERROR_KINDS) -> float:
        """Expected benchmark accuracy when error kinds are served in equal shares."""
        return float(np.mean([self.fix_prob.get(kind, 0.0) for kind in kinds]))


def respond(
    annotator: SimulatedAnnotator,
    pre_annotation: Mapping[str, Any] | None,
    gold_or_none: Mapping[str, Any] | None,
    error_kind_or_none: str | None,
    rng: np.random.Generator,
    *,
    image_size: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """The payload this annotator submits for a task served with ``pre_annotation``.

    - A spammer submits the pre-annotation unchanged.
    - On a benchmark (``error_kind_or_none`` given), the others fix the seeded mistake with
      probability ``fix_prob[kind]`` by redrawing the gold annotation (with their jitter), and
      otherwise submit the pre-annotation unchanged.
    - On a regular task with a known truth (``gold_or_none`` given, no error kind), they
      submit the truth with probability :meth:`SimulatedAnnotator.true_skill`.
    - With no truth, they submit the pre-annotation, redrawn with their jitter.

    ``pre_annotation`` may be ``None`` (a task without pre-annotation): it counts as an empty
    bbox payload, or as the truth's payload kind when a truth is given.
    """
    pre = _as_payload(pre_annotation, gold_or_none)
    if annotator.kind_of == "spammer":
        return copy.deepcopy(pre)
    if gold_or_none is None:
        return _redraw(pre, annotator.jitter, rng, image_size)
    if error_kind_or_none is None:
        p_fix = annotator.true_skill()
    else:
        p_fix = annotator.fix_prob.get(error_kind_or_none, 0.0)
    if rng.random() < p_fix:
        return _redraw(gold_or_none, annotator.jitter, rng, image_size)
    return copy.deepcopy(pre)


def _as_payload(pre: Mapping[str, Any] | None, gold: Mapping[str, Any] | None) -> dict[str, Any]:
    if pre is not None:
        return dict(copy.deepcopy(pre))
    if gold is not None and "boxes" not in gold:
        return {"label": None}
    return {"boxes": []}


def _redraw(
    payload: Mapping[str, Any],
    jitter: float,
    rng: np.random.Generator,
    image_size: tuple[float, float] | None,
) -> dict[str, Any]:
    """The payload as a person redraws it: every box edge moves by up to ``jitter`` of its size."""
    if "boxes" not in payload:
        return dict(copy.deepcopy(payload))
    boxes, labels = boxes_from_payload(payload["boxes"])
    if len(boxes) == 0:
        return {"boxes": []}
    sizes = np.tile(boxes[:, 2:], 2)
    moved = boxes + rng.uniform(-jitter, jitter, size=boxes.shape) * sizes
    moved[:, 2:] = np.maximum(moved[:, 2:], 0.5 * boxes[:, 2:])
    if image_size is not None:
        limit = np.array(image_size, dtype=np.float64)
        moved[:, 2:] = np.minimum(moved[:, 2:], limit)
        moved[:, :2] = np.clip(moved[:, :2], 0.0, limit - moved[:, 2:])
    return {"boxes": boxes_to_payload(moved, labels)}


def make_population(
    n: int = 30,
    *,
    rng: np.random.Generator,
    kinds: Sequence[str] = BOX_ERROR_KINDS,
    spammer_share: float = 0.1,
    careless_share: float = 0.3,
) -> list[SimulatedAnnotator]:
    """``n`` annotators: at least 3 spammers, about 30% careless, the rest diligent, in random order.

    Diligent base skill is uniform in [0.75, 0.97], careless in [0.25, 0.65]; each kind adds
    :data:`KIND_DIFFICULTY` and a little personal noise. Spammers never fix anything.
    """
    n_spammers = max(3, round(spammer_share * n))
    n_careless = max(1, round(careless_share * n))
    n_diligent = n - n_spammers - n_careless
    if n_diligent < 1:
        raise ValueError(f"a population of {n} leaves no room for a diligent annotator")
    spammer: list[AnnotatorKind] = ["spammer"]
    careless: list[AnnotatorKind] = ["careless"]
    diligent: list[AnnotatorKind] = ["diligent"]
    behaviours = spammer * n_spammers + careless * n_careless + diligent * n_diligent
    order = rng.permutation(n)
    difficulty = np.array([KIND_DIFFICULTY.get(kind, 0.0) for kind in kinds])
    population = []
    for number, index in enumerate(order.tolist(), start=1):
        behaviour = behaviours[index]
        if behaviour == "spammer":
            probs = np.zeros(len(kinds))
            jitter = 0.0
        else:
            low, high = (0.75, 0.97) if behaviour == "diligent" else (0.25, 0.65)
            base = rng.uniform(low, high)
            probs = np.clip(base + difficulty + rng.normal(0.0, 0.04, size=len(kinds)), 0.0, 1.0)
            jitter = DILIGENT_JITTER if behaviour == "diligent" else CARELESS_JITTER
        population.append(
            SimulatedAnnotator(
                name=f"annotator-{number:02d}",
                fix_prob=dict(zip(kinds, probs.round(3).tolist(), strict=True)),
                kind_of=behaviour,
                jitter=jitter,
            )
        )
    return population


def make_gold_scenes(
    n: int,
    rng: np.random.Generator,
    *,
    width: float = 640,
    height: float = 480,
    labels: Sequence[str] = ("circle", "square", "triangle"),
    max_objects: int = 6,
) -> list[dict[str, Any]]:
    """``n`` gold annotations of scenes with 1 to ``max_objects`` separate shapes (30-160 px)."""
    scenes = []
    for _ in range(n):
        wanted = int(rng.integers(1, max_objects + 1))
        sizes = rng.uniform(30, 160, size=(4 * wanted, 2))
        corners = rng.uniform(0, 1, size=(4 * wanted, 2)) * (np.array([width, height]) - sizes)
        candidates = np.column_stack([corners, sizes])
        kept: list[int] = []
        for index in range(len(candidates)):
            if len(kept) == wanted:
                break
            if not kept or iou_matrix(candidates[index : index + 1], candidates[kept]).max() == 0.0:
                kept.append(index)
        chosen_labels = [str(label) for label in rng.choice(list(labels), size=len(kept))]
        scenes.append({"boxes": boxes_to_payload(candidates[kept], chosen_labels)})
    return scenes


@dataclass
class AnnotatorRun:
    """One simulated annotator's benchmarks and what the scorecard made of them."""

    annotator: SimulatedAnnotator
    fixed: list[bool] = field(default_factory=list)
    error_kinds: list[str] = field(default_factory=list)
    labels: list[str | None] = field(default_factory=list)
    task_numbers: list[float] = field(default_factory=list)
    first_flagged_task: int | None = None
    status: AnnotatorStatus = "calibrating"
    summary: SkillSummary | None = None


@dataclass(frozen=True)
class SimulationSettings:
    tasks: int = 300
    rate: float = 0.1
    calibration_tasks: int = 10
    calibration_benchmarks: int = 5
    threshold: float = 0.5
    min_benchmarks: int = 5
    width: float = 640
    height: float = 480
    labels: tuple[str, ...] = ("circle", "square", "triangle")


def simulate(
    population: Sequence[SimulatedAnnotator],
    gold_scenes: Sequence[Mapping[str, Any]],
    settings: SimulationSettings,
    rng: np.random.Generator,
) -> list[AnnotatorRun]:
    """Serve each annotator ``settings.tasks`` tasks; benchmarks are seeded, answered and scored.

    Regular tasks only count (there is nothing to score on them here). An annotator never sees
    the same gold scene twice, and error kinds are balanced per annotator.
    """
    runs = []
    for annotator, own_rng in zip(population, rng.spawn(len(population)), strict=True):
        run = AnnotatorRun(annotator=annotator)
        gold_order = iter(own_rng.permutation(len(gold_scenes)).tolist())
        served: Counter[str] = Counter()
        for task in range(settings.tasks):
            due = benchmark_due(
                served=task,
                benchmarks=len(run.fixed),
                rate=settings.rate,
                calibration_benchmarks=settings.calibration_benchmarks,
                calibration_window=settings.calibration_tasks,
                draw=float(own_rng.random()),
            )
            if not due:
                continue
            gold_index = next(gold_order, None)
            if gold_index is None:
                break  # this annotator has seen every gold scene
            gold = gold_scenes[gold_index]
            kinds = applicable_error_kinds(
                gold,
                project_kind="bbox",
                labels=settings.labels,
                width=settings.width,
                height=settings.height,
            )
            kind = choose_error_kind(kinds, served, own_rng)
            served[kind] += 1
            seeded = seed_error_detailed(
                gold, kind, width=settings.width, height=settings.height, labels=settings.labels, rng=own_rng
            )
            submitted = respond(
                annotator, seeded.payload, gold, kind, own_rng, image_size=(settings.width, settings.height)
            )
            run.fixed.append(score_submission(gold, submitted).fixed)
            run.error_kinds.append(kind)
            run.labels.append(seeded.label)
            run.task_numbers.append(float(task + 1))
            estimate = estimate_accuracy(sum(run.fixed), len(run.fixed))
            run.status = annotator_status(
                estimate, threshold=settings.threshold, min_benchmarks=settings.min_benchmarks
            )
            if run.status == "flagged" and run.first_flagged_task is None:
                run.first_flagged_task = task + 1
        run.summary = skill_summary(
            run.fixed, error_kinds=run.error_kinds, labels=run.labels, submitted_at=run.task_numbers
        )
        runs.append(run)
    return runs


@dataclass(frozen=True)
class SimulationReport:
    spearman: float
    spammer_flag_tasks: tuple[int | None, ...]
    wrongly_flagged: tuple[str, ...]
    benchmarks_per_annotator: float


def _estimated_skill(run: AnnotatorRun) -> float:
    """Observed benchmark accuracy (0 for an annotator who never met a benchmark)."""
    if run.summary is None or run.summary.overall.accuracy is None:
        return 0.0
    return run.summary.overall.accuracy


def report(runs: Sequence[AnnotatorRun]) -> SimulationReport:
    true = [run.annotator.true_skill() for run in runs]
    estimated = [_estimated_skill(run) for run in runs]
    rho = float(spearmanr(true, estimated).statistic)
    spammers = tuple(run.first_flagged_task for run in runs if run.annotator.kind_of == "spammer")
    wrongly = tuple(
        run.annotator.name
        for run in runs
        if run.annotator.kind_of == "diligent" and run.first_flagged_task is not None
    )
    return SimulationReport(
        spearman=rho,
        spammer_flag_tasks=spammers,
        wrongly_flagged=wrongly,
        benchmarks_per_annotator=float(np.mean([len(run.fixed) for run in runs])),
    )


def _print_table(runs: Sequence[AnnotatorRun]) -> None:
    print(f"{'annotator':<14}{'kind':<10}{'true':>6}{'bench':>7}{'est':>7}{'95% interval':>16}  status")
    for run in sorted(runs, key=lambda r: r.annotator.true_skill(), reverse=True):
        assert run.summary is not None
        overall = run.summary.overall
        flagged = f" (first flagged at task {run.first_flagged_task})" if run.first_flagged_task else ""
        print(
            f"{run.annotator.name:<14}{run.annotator.kind_of:<10}{run.annotator.true_skill():>6.2f}"
            f"{overall.n:>7}{overall.accuracy or 0.0:>7.2f}   [{overall.low:.2f}, {overall.high:.2f}]"
            f"  {run.status}{flagged}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--annotators", type=int, default=30)
    parser.add_argument("--tasks", type=int, default=300)
    parser.add_argument("--rate", type=float, default=0.1)
    parser.add_argument("--calibration-tasks", type=int, default=10)
    parser.add_argument("--calibration-benchmarks", type=int, default=5)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--min-benchmarks", type=int, default=5)
    parser.add_argument("--gold", type=int, default=400, help="gold scenes in the pool")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=1, help="independent runs (seed, seed + 1, ...)")
    args = parser.parse_args(argv)
    settings = SimulationSettings(
        tasks=args.tasks,
        rate=args.rate,
        calibration_tasks=args.calibration_tasks,
        calibration_benchmarks=args.calibration_benchmarks,
        threshold=args.threshold,
        min_benchmarks=args.min_benchmarks,
    )
    print(
        f"{args.annotators} annotators x {args.tasks} tasks, benchmark rate {args.rate}, calibration "
        f"{args.calibration_benchmarks} benchmarks in the first {args.calibration_tasks} tasks, "
        f"flag when the 95% Wilson upper bound < {args.threshold} after >= {args.min_benchmarks} benchmarks"
    )
    reports = []
    for repeat in range(args.repeats):
        rng = np.random.default_rng(args.seed + repeat)
        population = make_population(args.annotators, rng=rng)
        scenes = make_gold_scenes(args.gold, rng, width=settings.width, height=settings.height)
        runs = simulate(population, scenes, settings, rng)
        if repeat == 0:
            _print_table(runs)
        result = report(runs)
        reports.append(result)
        print(
            f"seed {args.seed + repeat}: Spearman {result.spearman:.3f}; benchmarks per annotator "
            f"{result.benchmarks_per_annotator:.1f}; "
            f"spammers flagged at task {list(result.spammer_flag_tasks)}; "
            f"diligent annotators flagged: {len(result.wrongly_flagged)}"
        )
    if args.repeats > 1:
        rhos = [r.spearman for r in reports]
        flags = [t for r in reports for t in r.spammer_flag_tasks]
        worst = "never" if None in flags else str(max(t for t in flags if t is not None))
        print(
            f"over {args.repeats} runs: Spearman min {min(rhos):.3f} median {statistics.median(rhos):.3f} "
            f"max {max(rhos):.3f}; latest spammer flag: task {worst}; "
            f"diligent annotators flagged: {sum(len(r.wrongly_flagged) for r in reports)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
