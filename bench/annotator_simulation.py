"""Seeded-error benchmarks end to end: simulated annotators through the real dispatch and submit path.

    .venv/bin/python bench/annotator_simulation.py                        # 30 x 300 tasks, SQLite
    .venv/bin/python bench/annotator_simulation.py --seed 0 --repeats 5
    .venv/bin/python bench/annotator_simulation.py --database postgres --json

On a fresh database, one bbox project per run (benchmark rate 0.1, calibration 5 benchmarks in
the first 10 tasks, flag action "alert") gets gold scenes and regular items with noisy model
predictions. The population of ``bench/simulated_annotators.py`` (spammers who submit the
pre-annotation unchanged, careless and diligent annotators with known per-kind fix
probabilities) works round-robin through ``task_next`` and ``annotation_submit``, as the API
does. A simulated annotator knows the truth of what it is shown (the gold answer and the seeded
error kind of a benchmark, the true scene of a regular item), which is the only use of the
task's kind; what it submits is :func:`simulated_annotators.respond`'s answer.

The figures are then read from the database: estimated skill is the scorecard's skill estimate
(``benchmarks.selectors.scorecards``: benchmarks and peer evidence, shrunk toward the project's
population; plain benchmark accuracy is printed beside it), compared with true skill by Spearman
correlation (goal >= 0.9); ``--overlap-fraction`` of the regular items (default 0.2) go to two
annotators, whose answers are the peer evidence; the task at which each spammer was first flagged comes from
``AnnotatorStatusChange`` and the count of its tasks served by then (goal <= 30), cross-checked
against ``AnnotatorQuality`` read after every submit.

``--seed`` fixes the population, the scenes, the predictions and the annotators' answers. The
service draws its own randomness (which task is a benchmark, which gold item, which seeded
error) from ``secrets`` and ``ORDER BY RANDOM()``, so two runs with one seed differ.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from _setup import django_setup, fresh_database

if TYPE_CHECKING:
    from simulated_annotators import SimulatedAnnotator

    from annotation_qc.projects.models import Project

SPEARMAN_GOAL = 0.9
SPAMMER_FLAG_GOAL = 30


@dataclass(frozen=True)
class BenchSettings:
    annotators: int = 30
    tasks: int = 300
    rate: float = 0.1
    calibration_benchmarks: int = 5
    calibration_window: int = 10
    flag_threshold: float = 0.5
    overlap_fraction: float = 0.2
    min_iou: float = 0.7
    gold: int = 400
    width: int = 640
    height: int = 480
    labels: tuple[str, ...] = ("circle", "square", "triangle")

    def project_settings(self) -> dict[str, Any]:
        return {
            "benchmark_rate": self.rate,
            "calibration_benchmarks": self.calibration_benchmarks,
            "calibration_window": self.calibration_window,
            "flag_threshold": self.flag_threshold,
            "flag_action": "alert",
            "benchmark_min_iou": self.min_iou,
            # Two annotators on a share of the regular items: peer evidence for flags and scorecards.
            "overlap": 2 if self.overlap_fraction > 0 else 1,
            "overlap_fraction": self.overlap_fraction,
        }


@dataclass
class AnnotatorTrace:
    """One simulated annotator in the run, as the loop saw it."""

    annotator: SimulatedAnnotator
    user_id: int
    rng: np.random.Generator
    served: int = 0
    no_task: int = 0
    first_flagged_in_loop: int | None = None


def _cpu_wait_seconds() -> float:
    """Seconds this process spent runnable but waiting for a CPU (Linux schedstat; 0 elsewhere)."""
    try:
        with open("/proc/self/schedstat") as stat:
            return int(stat.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


@dataclass
class PhaseClock:
    """Wall time, SQL time and query count per phase of the loop (``task_next``, ``submit``, ...)."""

    seconds: Counter[str] = field(default_factory=Counter)
    sql_seconds: Counter[str] = field(default_factory=Counter)
    queries: Counter[str] = field(default_factory=Counter)
    current: str = "setup"

    def run(self, phase: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        self.current = phase
        started = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            self.seconds[phase] += time.perf_counter() - started

    def sql(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        """A ``connection.execute_wrapper``: time and count every statement of the current phase."""
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.sql_seconds[self.current] += time.perf_counter() - started
            self.queries[self.current] += 1


@dataclass
class Timings:
    setup: float = 0.0
    analysis: float = 0.0
    wall: float = 0.0
    cpu: float = 0.0
    cpu_wait: float = 0.0
    submits: int = 0
    phases: PhaseClock = field(default_factory=PhaseClock)

    def as_dict(self) -> dict[str, Any]:
        per_task = max(self.submits, 1)
        clock = self.phases
        return {
            "total_wall_s": round(self.wall, 1),
            "total_cpu_s": round(self.cpu, 1),
            "waiting_for_cpu_s": round(self.cpu_wait, 1),
            "setup_s": round(self.setup, 1),
            "loop_s": round(sum(clock.seconds.values()), 1),
            "analysis_s": round(self.analysis, 2),
            "per_task": {
                phase: {
                    "ms": round(1000 * clock.seconds[phase] / per_task, 2),
                    "sql_ms": round(1000 * clock.sql_seconds[phase] / per_task, 2),
                    "queries": round(clock.queries[phase] / per_task, 1),
                }
                for phase in ("task_next", "respond", "submit", "status_read")
            },
        }


@dataclass
class RunResult:
    seed: int
    spearman: float
    spearman_accuracy: float
    spammer_flag_tasks: list[int | None]
    loop_agrees_with_status_changes: bool
    benchmarks_per_annotator: dict[str, float]
    error_kinds: dict[str, int]
    diligent_ever_flagged: list[str]
    careless_ever_flagged: list[str]
    flagged_at_end: dict[str, int]
    rejected_submissions: list[str]
    tasks_not_served: int
    unscored_benchmarks: int
    timings: dict[str, Any]
    annotators: list[dict[str, Any]] = field(default_factory=list)

    @property
    def goals_met(self) -> dict[str, bool]:
        spammers = self.spammer_flag_tasks
        return {
            "spearman": self.spearman >= SPEARMAN_GOAL,
            "spammers": all(t is not None and t <= SPAMMER_FLAG_GOAL for t in spammers),
        }


def noisy_prediction(
    truth: Mapping[str, Any], rng: np.random.Generator, settings: BenchSettings
) -> tuple[dict[str, Any], list[float]]:
    """A detector's output for a scene, with per-box scores: every box a little off (3% of its size,
    Gaussian), a box missed with probability 0.1, a wrong label with probability 0.1, and in one
    scene of five a false positive somewhere in the image."""
    from annotation_qc.domain.geometry import boxes_from_payload, boxes_to_payload

    boxes, labels = boxes_from_payload(truth["boxes"])
    image = np.array([settings.width, settings.height], dtype=np.float64)
    boxes = boxes + rng.normal(0.0, 0.03, size=boxes.shape) * np.tile(boxes[:, 2:], 2)
    wrong = rng.random(len(labels)) < 0.1
    offsets = rng.integers(1, len(settings.labels), size=len(labels))
    label_index = np.array([settings.labels.index(label) for label in labels], dtype=np.int64)
    label_index = np.where(wrong, (label_index + offsets) % len(settings.labels), label_index)
    kept = rng.random(len(boxes)) >= 0.1
    boxes, label_index = boxes[kept], label_index[kept]
    if rng.random() < 0.2:
        size = rng.uniform(30, 160, size=2)
        boxes = np.vstack([boxes, np.concatenate([rng.uniform(0, 1, size=2) * (image - size), size])])
        label_index = np.append(label_index, rng.integers(len(settings.labels)))
    boxes[:, 2:] = np.clip(boxes[:, 2:], 1.0, image)
    boxes[:, :2] = np.clip(boxes[:, :2], 0.0, image - boxes[:, 2:])
    scores = rng.uniform(0.3, 0.99, size=len(boxes)).round(3).tolist()
    predicted_labels = [settings.labels[i] for i in label_index.tolist()]
    return {"boxes": boxes_to_payload(boxes, predicted_labels)}, scores


def build_project(
    settings: BenchSettings, rng: np.random.Generator, tag: str
) -> tuple[Project, list[AnnotatorTrace], dict[int, dict[str, Any]]]:
    """The project, its annotators and items; returns the true scene of every regular item by item id.

    Gold and regular items share one naming scheme (``scene-<n>`` in random order), so nothing
    in an item's URL tells a benchmark apart.
    """
    from simulated_annotators import make_gold_scenes, make_population

    from annotation_qc.accounts.models import User
    from annotation_qc.benchmarks.services.gold import gold_import
    from annotation_qc.labeling.models import Item
    from annotation_qc.labeling.services.imports import items_import, predictions_import
    from annotation_qc.projects.services import member_add, project_create

    manager = User.objects.create(username=f"{tag}-manager")
    project = project_create(
        name=f"annotator simulation {tag}",
        kind="bbox",
        labels=list(settings.labels),
        settings=settings.project_settings(),
        creator=manager,
    )
    population = make_population(settings.annotators, rng=rng)
    traces = []
    for annotator, own_rng in zip(population, rng.spawn(len(population)), strict=True):
        user = User.objects.create(username=f"{tag}-{annotator.name}")
        member_add(project=project, user=user, role="annotator")
        traces.append(AnnotatorTrace(annotator=annotator, user_id=user.pk, rng=own_rng))

    regular_count = settings.annotators * settings.tasks  # enough even with no benchmark at all
    size = {"width": settings.width, "height": settings.height}
    gold_scenes = make_gold_scenes(settings.gold, rng, labels=settings.labels, **size)
    truths = make_gold_scenes(regular_count, rng, labels=settings.labels, **size)
    numbers = rng.permutation(settings.gold + regular_count).tolist()

    def row(number: int) -> dict[str, Any]:
        return {"external_id": f"scene-{number}", "image_url": f"https://img.example/{number}.png", **size}

    gold_import(
        project=project,
        rows=[
            {**row(n), "payload": scene}
            for n, scene in zip(numbers[: settings.gold], gold_scenes, strict=True)
        ],
        user=manager,
    )
    regular_numbers = numbers[settings.gold :]
    items_import(project=project, rows=[row(n) for n in regular_numbers])
    predictions = []
    for number, truth in zip(regular_numbers, truths, strict=True):
        payload, scores = noisy_prediction(truth, rng, settings)
        predictions.append({"external_id": f"scene-{number}", "payload": payload, "scores": scores})
    predictions_import(project=project, model_version="detector-v1", rows=predictions)
    truth_by_external_id = {f"scene-{n}": truth for n, truth in zip(regular_numbers, truths, strict=True)}
    truth_by_item = {
        pk: truth_by_external_id[eid]
        for pk, eid in Item.objects.filter(project=project, is_gold=False).values_list("pk", "external_id")
    }
    return project, traces, truth_by_item


def run_tasks(
    project: Project,
    traces: Sequence[AnnotatorTrace],
    truth_by_item: Mapping[int, dict[str, Any]],
    settings: BenchSettings,
    timings: Timings,
) -> list[str]:
    """Every annotator asks for a task and submits it, round-robin, ``settings.tasks`` times.

    Returns the messages of any submission the service rejected (the task is then skipped).
    """
    from django.db import connection
    from simulated_annotators import respond

    from annotation_qc.benchmarks.models import AnnotatorQuality, BenchmarkTask
    from annotation_qc.core.exceptions import ServiceError
    from annotation_qc.labeling.models import Task
    from annotation_qc.workflow.dispatch_pipeline import task_next
    from annotation_qc.workflow.submit_pipeline import annotation_submit, task_skip

    image_size = (float(settings.width), float(settings.height))
    status_sql = (
        f"SELECT status FROM {AnnotatorQuality._meta.db_table} WHERE project_id = %s AND annotator_id = %s"
    )
    rejected: list[str] = []
    clock = timings.phases

    def knowledge(task: Task) -> tuple[Mapping[str, Any], str | None]:
        """What the simulated annotator knows about the truth: the only use of the task's kind."""
        if task.kind == Task.Kind.BENCHMARK:
            gold, error_kind = (
                BenchmarkTask.objects.filter(task_id=task.pk).values_list("gold_payload", "error_kind").get()
            )
            return gold, error_kind
        return truth_by_item[task.item_id], None

    def read_status(annotator_id: int) -> str | None:
        with connection.cursor() as cursor:  # plain SQL: the ORM would cost more than the read
            cursor.execute(status_sql, [project.pk, annotator_id])
            row = cursor.fetchone()
        return None if row is None else str(row[0])

    with connection.execute_wrapper(clock.sql):
        for _ in range(settings.tasks):
            for trace in traces:
                task = clock.run("task_next", task_next, project=project, annotator_id=trace.user_id)
                if task is None:
                    trace.no_task += 1
                    continue
                trace.served += 1
                truth, error_kind = clock.run("respond", knowledge, task)
                payload = clock.run(
                    "respond",
                    respond,
                    trace.annotator,
                    task.pre_annotation,
                    truth,
                    error_kind,
                    trace.rng,
                    image_size=image_size,
                )
                try:
                    clock.run(
                        "submit",
                        annotation_submit,
                        task_id=task.pk,
                        annotator_id=trace.user_id,
                        payload=payload,
                        client_time_ms=int(trace.rng.integers(3_000, 40_000)),
                    )
                except ServiceError as exc:
                    rejected.append(f"{trace.annotator.name} task {task.pk}: {exc} {exc.errors}")
                    task_skip(task=task, reason="rejected by the benchmark run")
                timings.submits += 1
                status = clock.run("status_read", read_status, trace.user_id)
                if status == AnnotatorQuality.Status.FLAGGED and trace.first_flagged_in_loop is None:
                    trace.first_flagged_in_loop = trace.served
    return rejected


def first_flags_from_status_changes(project: Project) -> dict[int, int]:
    """For every annotator ever flagged: how many tasks it had been served when first flagged."""
    from django.db.models import Min

    from annotation_qc.benchmarks.models import AnnotatorStatusChange
    from annotation_qc.labeling.models import Task

    first = (
        AnnotatorStatusChange.objects.filter(project=project, status="flagged")
        .values("annotator_id")
        .annotate(at=Min("changed_at"))
    )
    return {
        row["annotator_id"]: Task.objects.filter(
            project=project, annotator_id=row["annotator_id"], served_at__lte=row["at"]
        ).count()
        for row in first
    }


def measure(
    project: Project,
    traces: Sequence[AnnotatorTrace],
    *,
    seed: int,
    rejected: list[str],
    timings: Timings,
) -> RunResult:
    """The figures, read from the database through the scorecard selector and the benchmark tables."""
    from scipy.stats import spearmanr

    from annotation_qc.benchmarks.models import BenchmarkTask
    from annotation_qc.benchmarks.selectors import scorecards

    cards = {row["user_id"]: row for row in scorecards(project=project)}
    flagged_at = first_flags_from_status_changes(project)
    true_skill = [trace.annotator.true_skill() for trace in traces]
    accuracy = [cards[trace.user_id]["benchmarks"]["accuracy"] or 0.0 for trace in traces]
    estimated = [(cards[trace.user_id]["skill"] or {}).get("estimate", 0.0) for trace in traces]
    rho = float(spearmanr(true_skill, estimated).statistic)
    rho_accuracy = float(spearmanr(true_skill, accuracy).statistic)
    benchmark_counts = [cards[trace.user_id]["benchmarks"]["n"] for trace in traces]
    kinds = Counter(
        BenchmarkTask.objects.filter(project=project).values_list("error_kind", flat=True).iterator()
    )
    unscored = BenchmarkTask.objects.filter(project=project, fixed__isnull=True).count()
    by_behaviour = {
        behaviour: [trace for trace in traces if trace.annotator.kind_of == behaviour]
        for behaviour in ("spammer", "careless", "diligent")
    }
    rows = []
    for trace, true, estimate in zip(traces, true_skill, estimated, strict=True):
        card = cards[trace.user_id]["benchmarks"]
        rows.append(
            {
                "name": trace.annotator.name,
                "kind": trace.annotator.kind_of,
                "true_skill": round(true, 3),
                "benchmarks": card["n"],
                "fixed": card["correct"],
                "estimated": round(estimate, 3),
                "low": round(card["low"], 3),
                "high": round(card["high"], 3),
                "status": cards[trace.user_id]["status"],
                "tasks_served": trace.served,
                "first_flagged_task": flagged_at.get(trace.user_id),
            }
        )
    return RunResult(
        seed=seed,
        spearman=rho,
        spearman_accuracy=rho_accuracy,
        spammer_flag_tasks=[flagged_at.get(trace.user_id) for trace in by_behaviour["spammer"]],
        loop_agrees_with_status_changes=all(
            flagged_at.get(trace.user_id) == trace.first_flagged_in_loop for trace in traces
        ),
        benchmarks_per_annotator={
            "min": float(min(benchmark_counts)),
            "mean": round(float(np.mean(benchmark_counts)), 1),
            "max": float(max(benchmark_counts)),
        },
        error_kinds=dict(sorted(kinds.items())),
        diligent_ever_flagged=[t.annotator.name for t in by_behaviour["diligent"] if t.user_id in flagged_at],
        careless_ever_flagged=[t.annotator.name for t in by_behaviour["careless"] if t.user_id in flagged_at],
        flagged_at_end={
            behaviour: sum(cards[t.user_id]["status"] == "flagged" for t in group)
            for behaviour, group in by_behaviour.items()
        },
        rejected_submissions=rejected,
        tasks_not_served=sum(trace.no_task for trace in traces),
        unscored_benchmarks=unscored,
        timings=timings.as_dict(),
        annotators=rows,
    )


def simulate_once(settings: BenchSettings, seed: int, database: str) -> RunResult:
    timings = Timings()
    run_started, cpu_started, wait_started = time.perf_counter(), time.process_time(), _cpu_wait_seconds()
    started = run_started
    rng = np.random.default_rng(seed)
    project, traces, truth_by_item = build_project(settings, rng, tag=f"{database}-s{seed}")
    timings.setup = time.perf_counter() - started
    rejected = run_tasks(project, traces, truth_by_item, settings, timings)
    started = time.perf_counter()
    result = measure(project, traces, seed=seed, rejected=rejected, timings=timings)
    timings.analysis = time.perf_counter() - started
    timings.wall = time.perf_counter() - run_started
    timings.cpu = time.process_time() - cpu_started
    timings.cpu_wait = _cpu_wait_seconds() - wait_started
    result.timings = timings.as_dict()
    return result


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def print_run(result: RunResult, *, table: bool) -> None:
    if table:
        print(
            f"{'annotator':<14}{'kind':<10}{'true':>6}{'bench':>7}{'est':>7}{'95% interval':>16}"
            f"  status      first flagged at task"
        )
        for row in sorted(result.annotators, key=lambda r: r["true_skill"], reverse=True):
            flagged = row["first_flagged_task"] if row["first_flagged_task"] is not None else "-"
            print(
                f"{row['name']:<14}{row['kind']:<10}{row['true_skill']:>6.2f}{row['benchmarks']:>7}"
                f"{row['estimated']:>7.2f}   [{row['low']:.2f}, {row['high']:.2f}]  "
                f"{row['status']:<12}{flagged}"
            )
    goals = result.goals_met
    t = result.timings
    bench = result.benchmarks_per_annotator
    print(
        f"seed {result.seed}: Spearman of the scorecard's skill estimate {result.spearman:.3f} (goal >= "
        f"{SPEARMAN_GOAL}: {_verdict(goals['spearman'])}; benchmark accuracy alone "
        f"{result.spearman_accuracy:.3f}); spammers first flagged at task {result.spammer_flag_tasks} "
        f"(goal <= {SPAMMER_FLAG_GOAL}: {_verdict(goals['spammers'])})"
    )
    print(
        f"  benchmarks per annotator (min/mean/max) {bench['min']:.0f} / {bench['mean']} / "
        f"{bench['max']:.0f}; error kinds {result.error_kinds}"
    )
    print(
        f"  ever flagged: diligent {result.diligent_ever_flagged or 'none'}, careless "
        f"{len(result.careless_ever_flagged)}; flagged at the end {result.flagged_at_end}"
    )
    problems = []
    if not result.loop_agrees_with_status_changes:
        problems.append(
            "first-flag task from AnnotatorStatusChange differs from AnnotatorQuality in the loop"
        )
    if result.rejected_submissions:
        problems.append(
            f"{len(result.rejected_submissions)} submissions rejected: {result.rejected_submissions[:3]}"
        )
    if result.tasks_not_served:
        problems.append(f"{result.tasks_not_served} task requests got no task")
    if result.unscored_benchmarks:
        problems.append(f"{result.unscored_benchmarks} benchmark tasks left unscored")
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    print(
        f"  time: {t['total_wall_s']} s wall, {t['total_cpu_s']} s CPU, {t['waiting_for_cpu_s']} s waiting "
        f"for a CPU taken by other processes; setup {t['setup_s']} s, loop {t['loop_s']} s, analysis "
        f"{t['analysis_s']} s"
    )
    print(
        "  per task: "
        + "; ".join(
            f"{phase} {cost['ms']} ms ({cost['queries']} queries, {cost['sql_ms']} ms in SQL)"
            for phase, cost in t["per_task"].items()
        )
    )


def summarise(results: Sequence[RunResult]) -> dict[str, Any]:
    rhos = [r.spearman for r in results]
    flags = [t for r in results for t in r.spammer_flag_tasks]
    known = [t for t in flags if t is not None]
    return {
        "runs": len(results),
        "spearman": {
            "min": round(min(rhos), 3),
            "median": round(statistics.median(rhos), 3),
            "max": round(max(rhos), 3),
            "runs_meeting_goal": sum(r.goals_met["spearman"] for r in results),
        },
        "spammer_flag_task": {
            "min": min(known) if known else None,
            "max": max(known) if known else None,
            "never_flagged": flags.count(None),
            "spammers": len(flags),
            "runs_meeting_goal": sum(r.goals_met["spammers"] for r in results),
        },
        "diligent_ever_flagged": sum(len(r.diligent_ever_flagged) for r in results),
        "wall_seconds": [r.timings["total_wall_s"] for r in results],
        "cpu_seconds": [r.timings["total_cpu_s"] for r in results],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--annotators", type=int, default=30)
    parser.add_argument("--tasks", type=int, default=300, help="tasks per annotator")
    parser.add_argument("--rate", type=float, default=0.1, help="project benchmark_rate")
    parser.add_argument("--flag-threshold", type=float, default=0.5, help="project flag_threshold")
    parser.add_argument("--gold", type=int, default=400, help="gold scenes in the project")
    parser.add_argument(
        "--overlap-fraction", type=float, default=0.2, help="share of regular items answered by two (0: none)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=1, help="independent runs (seed, seed + 1, ...)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of the report")
    args = parser.parse_args(argv)
    settings = BenchSettings(
        annotators=args.annotators,
        tasks=args.tasks,
        rate=args.rate,
        flag_threshold=args.flag_threshold,
        gold=args.gold,
        overlap_fraction=args.overlap_fraction,
    )
    django_setup(fresh_database(args.database, f"aqc_bench_annotator_simulation_{args.database}"))
    if not args.json:
        print(
            f"{args.database}: {settings.annotators} annotators x {settings.tasks} tasks through task_next "
            f"and annotation_submit; benchmark rate {settings.rate}, calibration "
            f"{settings.calibration_benchmarks} in the first {settings.calibration_window} tasks, flag "
            f"threshold {settings.flag_threshold}, {settings.gold} gold scenes"
        )
    results = []
    for repeat in range(args.repeats):
        result = simulate_once(settings, args.seed + repeat, args.database)
        results.append(result)
        if not args.json:
            print_run(result, table=repeat == 0)
            sys.stdout.flush()
    summary = summarise(results)
    if args.json:
        document = {
            "database": args.database,
            "settings": asdict(settings),
            "summary": summary,
            "runs": [{**asdict(r), "goals_met": r.goals_met} for r in results],
        }
        print(json.dumps(document, indent=2))
    elif args.repeats > 1:
        rho, spam = summary["spearman"], summary["spammer_flag_task"]
        print(
            f"over {summary['runs']} runs: Spearman min {rho['min']} / median {rho['median']} / max "
            f"{rho['max']} ({rho['runs_meeting_goal']} of {summary['runs']} >= {SPEARMAN_GOAL}); spammers "
            f"flagged at task {spam['min']}-{spam['max']}, never {spam['never_flagged']} of "
            f"{spam['spammers']}; diligent ever flagged {summary['diligent_ever_flagged']}; seconds per run: "
            f"wall {summary['wall_seconds']}, CPU {summary['cpu_seconds']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
