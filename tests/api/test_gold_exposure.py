"""Gold reaches as many annotators as work does, as colluding annotators would count it.

A simulation through the services as they run on a request and in the worker: 8 annotators of one
project take tasks in turn (next-task, then submit, or skip one task in ten), the preparation and
scoring jobs run after each call. Colluders compare the items they were served: per item, how many
distinct annotators saw it. The adversary's tests over those counts, gold against work:

- a chi-square test of the per-item counts (at least 90 gold items and 140 work items here: 400
  tasks at a benchmark rate of 0.4) must not separate them (p > 0.05; the pure simulation in
  ``tests/domain/test_gold_exposure.py`` shows it separating gold chosen without regard to exposure);
- per served task, the attacker test's ``shared_with_others`` (how many others saw the same image)
  must not separate benchmarks from work: ROC AUC within 0.5 +- 0.1;
- how close together an item's annotators see it (dispatches from its first to its last serving,
  items seen by two or more): a gold item can only be served at benchmarks, one task in
  ``1 / rate``, so its spread is bounded by work's times ``1 / rate`` (median and 90th percentile,
  plus two dispatches); gold chosen without regard to exposure spreads over a hundred times work's.
  Work items are served to their next annotator at the very next next-task, gold under way at the
  next benchmark due to an annotator who has not seen it: gold's spread is wider (median 3-4
  dispatches against 2) and a KS test separates them at this size in 4 of 6 seeds (a named gap,
  printed, not asserted).

Figures (six seeds, the mutation check) in bench/README.md.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from typing import Any

import numpy as np
import pytest
from scipy.stats import chi2_contingency, ks_2samp
from sklearn.metrics import roc_auc_score

from annotation_qc.benchmarks.models import GoldAnnotation
from annotation_qc.benchmarks.services.exposure import work_exposure_histogram
from annotation_qc.benchmarks.services.gold import gold_import
from annotation_qc.labeling.models import Task
from annotation_qc.labeling.services.imports import items_import
from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.secrets import dispatch_secret_rotate
from annotation_qc.workflow.submit_pipeline import annotation_submit, task_skip
from tests.api.conftest import run_jobs
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

LABELS = ["cat", "dog", "bird"]
ANNOTATORS = 8
TASKS_EACH = 50
SKIP_RATE = 0.1
#: Another draw of the set-up and play: ``AQC_GOLD_EXPOSURE_SEED=3 pytest tests/api/test_gold_exposure.py``.
SEED = int(os.environ.get("AQC_GOLD_EXPOSURE_SEED", "0"))


def _project(seed: int) -> tuple[Any, list[Any]]:
    project = ProjectFactory(
        kind="classification",
        labels=LABELS,
        benchmark_rate=0.4,
        calibration_benchmarks=0,
        overlap=2,
        overlap_fraction=0.3,
    )
    manager = UserFactory(username=f"manager-{seed}")
    MembershipFactory(project=project, user=manager, role="manager")
    annotators = [UserFactory(username=f"colluder-{seed}-{i}") for i in range(ANNOTATORS)]
    for user in annotators:
        MembershipFactory(project=project, user=user, role="annotator")
    row = {"width": 64, "height": 48}
    items_import(
        project=project,
        rows=[
            {**row, "external_id": f"w{i}", "image_url": f"https://img.example/w{i}.png"} for i in range(400)
        ],
    )
    gold_import(
        project=project,
        rows=[
            {
                **row,
                "external_id": f"g{i}",
                "image_url": f"https://img.example/g{i}.png",
                "payload": {"label": "cat"},
            }
            for i in range(200)
        ],
        user=manager,
    )
    dispatch_secret_rotate(project=project, key=f"gold exposure {seed}".encode())
    return project, annotators


def _play(project: Any, annotators: list[Any], seed: int) -> list[Task]:
    """The annotators take tasks in turn; returns the served tasks in the order they were served."""
    rng = np.random.default_rng(seed)
    served: list[Task] = []
    for _ in range(TASKS_EACH):
        for user in annotators:
            with run_jobs():
                task = task_next(project=project, annotator_id=user.pk)
            if task is None:
                continue
            served.append(task)
            with run_jobs():
                if rng.random() < SKIP_RATE:
                    task_skip(task=task, reason="unclear")
                else:
                    annotation_submit(
                        task_id=task.public_id,
                        annotator_id=user.pk,
                        payload={"label": "cat"},
                        client_time_ms=3000,
                    )
    return served


def _exposure(served: list[Task]) -> tuple[dict[str, list[int]], dict[str, list[int]], list[tuple[int, int]]]:
    """Per item kind: distinct annotators per item, and the dispatch spread (last minus first serve)
    of items seen by two or more; and per served task (is benchmark, others who saw its item)."""
    annotators: dict[int, set[int]] = defaultdict(set)
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    kind: dict[int, str] = {}
    for index, task in enumerate(served):
        annotators[task.item_id].add(task.annotator_id)
        first.setdefault(task.item_id, index)
        last[task.item_id] = index
        kind[task.item_id] = task.kind
    counts: dict[str, list[int]] = defaultdict(list)
    spread: dict[str, list[int]] = defaultdict(list)
    for item, who in annotators.items():
        counts[kind[item]].append(len(who))
        if len(who) > 1:
            spread[kind[item]].append(last[item] - first[item])
    rows = [(int(t.kind == Task.Kind.BENCHMARK), len(annotators[t.item_id]) - 1) for t in served]
    return counts, spread, rows


def _chi_square_p(a: list[int], b: list[int]) -> float:
    values = sorted(set(a) | set(b))
    table = np.array([[Counter(a)[v] for v in values], [Counter(b)[v] for v in values]])
    return float(chi2_contingency(table)[1])


def test_colluders_cannot_tell_gold_by_how_many_annotators_saw_it() -> None:
    """Gold against work, per item and per served task (sizes asserted below).

    Mutation check (run by hand, 2026-12-07): ``choose_gold`` made to ignore exposure (any unseen
    candidate, target the most annotators any work item reaches) fails this test on the spread (see
    bench/README.md).
    """
    seed = SEED
    project, annotators = _project(seed)
    served = _play(project, annotators, seed)
    counts, spread, rows = _exposure(served)
    gold, work = counts[Task.Kind.BENCHMARK], counts[Task.Kind.REGULAR]
    p = _chi_square_p(gold, work)
    gold_spread, work_spread = spread[Task.Kind.BENCHMARK], spread[Task.Kind.REGULAR]
    spread_p = float(ks_2samp(gold_spread, work_spread).pvalue)
    y, shared = np.array(rows).T
    auc = float(roc_auc_score(y, shared))
    print(
        f"gold exposure seed {seed}: {len(gold)} gold items {dict(sorted(Counter(gold).items()))}, "
        f"{len(work)} work items {dict(sorted(Counter(work).items()))}; chi-square p {p:.3f}; "
        f"shared_with_others AUC {auc:.3f}; spread (dispatches from first to last annotator) of "
        f"{len(gold_spread)} gold items median {np.median(gold_spread)} "
        f"p90 {np.percentile(gold_spread, 90):.0f}, {len(work_spread)} work items median "
        f"{np.median(work_spread)} p90 {np.percentile(work_spread, 90):.0f}; "
        f"KS p {spread_p:.3f}"
    )
    assert len(gold) >= 90
    assert len(work) >= 140
    assert p > 0.05, (Counter(gold), Counter(work))
    assert abs(auc - 0.5) <= 0.1, (Counter(gold), Counter(work))
    assert len(gold_spread) >= 25
    rate = project.benchmark_rate
    for q in (50, 90):
        bound = np.percentile(work_spread, q) / rate + 2
        assert np.percentile(gold_spread, q) <= bound, (q, sorted(gold_spread), sorted(work_spread))


def test_work_exposure_counts_skippers_and_required_annotations(world: Any) -> None:
    """The target is learned from work items as colluders would count them: a skipped work item that
    went on to someone else reached two annotators; one still to be served counts what it requires."""
    project = world.project
    project.benchmark_rate = 0.0
    project.calibration_benchmarks = 0
    project.save()
    items_import(
        project=project,
        rows=[{"external_id": "twice", "image_url": "https://img.example/t.png", "width": 64, "height": 48}],
    )
    project.items.exclude(external_id="twice").delete()
    project.items.update(required_annotations=1, open_slots=1)
    other = UserFactory(username="other")
    MembershipFactory(project=project, user=other, role="annotator")
    first = task_next(project=project, annotator_id=world.users["annotator"].pk)
    assert first is not None
    with run_jobs():
        task_skip(task=first, reason="unclear")
    # Its slot is back (it will reach one more): the estimate follows as that happens.
    assert work_exposure_histogram(project=project) == {1: 1}
    second = task_next(project=project, annotator_id=other.pk)
    assert second is not None
    assert second.item_id == first.item_id
    assert work_exposure_histogram(project=project) == {2: 1}
    assert not GoldAnnotation.objects.exists()
