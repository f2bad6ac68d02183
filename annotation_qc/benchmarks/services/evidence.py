"""Peer evidence for flags and scorecards, read from a project's regular annotations.

The statistics are :mod:`annotation_qc.domain.peer_skill` (a Dawid-Skene estimate of the
pre-annotation model) and :mod:`annotation_qc.domain.flagging` (which folds each annotation's
leave-one-out likelihood into the sequential tests). Reads only; scoring persists what they give.

- The project's model (how often its pre-annotations are wrong, how often a right one is
  spoiled, how often a wrong one is changed to something else wrong) is fitted on up to
  :data:`MODEL_ITEMS` items answered by two or more annotators among its latest regular answers,
  with every annotator's benchmark counts.
- One annotator's evidence is its latest :data:`ANNOTATOR_ROWS` regular annotations, judged with
  the others of each item at their fitted rates; an item counts from when its last answer came in.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from annotation_qc.benchmarks.models import AnnotatorQuality
from annotation_qc.domain.peer_skill import (
    AnnotationRows,
    PeerFit,
    PreAnnotationModel,
    annotation_rows,
    peer_fit,
)
from annotation_qc.labeling.models import Annotation
from annotation_qc.projects.models import Project

#: Latest shared items the project's pre-annotation model is fitted on.
MODEL_ITEMS = 500
#: The shared items are looked for among this many latest regular answers per item wanted.
RECENT_ANSWERS_PER_ITEM = 6
#: Latest regular annotations of one annotator that count as evidence for its flag.
ANNOTATOR_ROWS = 600
#: Latest regular items (shared or not) behind the scorecards' skill estimates.
SCORECARD_ITEMS = 5000


@dataclass(frozen=True)
class ProjectRows:
    """Regular annotations of some items as peer rows, with their annotators' benchmark counts."""

    table: AnnotationRows
    submitted_at: list[datetime]
    bench_fixed: Any
    bench_n: Any

    def item_time(self) -> Any:
        """Per row: epoch seconds at which its item's last answer came in."""
        rows = self.table.rows
        seconds = np.array([t.timestamp() for t in self.submitted_at], dtype=np.float64)[self.table.order]
        latest = np.full(int(rows.item.max()) + 1 if len(rows.item) else 0, -np.inf)
        np.maximum.at(latest, rows.item, seconds)
        return latest[rows.item]


def _rows_of_items(project: Project, item_ids: list[int]) -> ProjectRows | None:
    found = list(
        Annotation.objects.filter(project=project, is_benchmark=False, item_id__in=item_ids).values_list(
            "item_id", "annotator_id", "payload", "task__pre_annotation", "submitted_at"
        )
    )
    if not found:
        return None
    items, annotators, payloads, pre, submitted = zip(*found, strict=True)
    table = annotation_rows(
        kind=project.payload_kind,
        labels=list(project.labels),
        item_ids=items,
        annotator_ids=annotators,
        payloads=payloads,
        pre_annotations=pre,
        min_iou=project.benchmark_min_iou,
    )
    counts = {
        a: (f, n)
        for a, f, n in AnnotatorQuality.objects.filter(
            project=project, annotator_id__in=table.people.tolist()
        ).values_list("annotator_id", "fixed", "benchmarks")
    }
    fixed = np.array([counts.get(p, (0, 0))[0] for p in table.people.tolist()], dtype=np.float64)
    n = np.array([counts.get(p, (0, 0))[1] for p in table.people.tolist()], dtype=np.float64)
    return ProjectRows(table=table, submitted_at=list(submitted), bench_fixed=fixed, bench_n=n)


def _shared_items(project: Project, limit: int) -> list[int]:
    """Items answered twice or more among the project's latest ``RECENT_ANSWERS_PER_ITEM * limit``
    regular answers (a bounded read, whatever the project's size)."""
    recent = Counter(
        Annotation.objects.filter(project=project, is_benchmark=False)
        .order_by("-pk")
        .values_list("item_id", flat=True)[: RECENT_ANSWERS_PER_ITEM * limit]
    )
    return [item for item, n in recent.items() if n >= 2][:limit]


def project_peer_model(project: Project) -> PreAnnotationModel:
    """The project's pre-annotation model, fitted on its latest shared items (defaults before any)."""
    rows = _rows_of_items(project, _shared_items(project, MODEL_ITEMS))
    if rows is None:
        return PreAnnotationModel()
    fit = peer_fit(
        rows.table.rows,
        n_annotators=len(rows.table.people),
        bench_fixed=rows.bench_fixed,
        bench_n=rows.bench_n,
    )
    return fit.model


@dataclass(frozen=True)
class PeerEvidence:
    """One annotator's peer evidence: per annotation ``a + b * p`` and when it counts (epoch s)."""

    a: Any
    b: Any
    at: Any
    shared: int
    model: PreAnnotationModel

    @classmethod
    def empty(cls, model: PreAnnotationModel) -> PeerEvidence:
        return cls(np.zeros(0), np.zeros(0), np.zeros(0), 0, model)


def annotator_peer_evidence(*, project: Project, annotator_id: int) -> PeerEvidence:
    """The leave-one-out likelihood of each of the annotator's latest regular annotations."""
    own = list(
        Annotation.objects.filter(project=project, annotator_id=annotator_id, is_benchmark=False)
        .order_by("-submitted_at", "-pk")
        .values_list("item_id", flat=True)[:ANNOTATOR_ROWS]
    )
    model = project_peer_model(project) if own else PreAnnotationModel()
    rows = _rows_of_items(project, own) if own else None
    if rows is None:
        return PeerEvidence.empty(model)
    table = rows.table
    fit: PeerFit = peer_fit(
        table.rows,
        n_annotators=len(table.people),
        bench_fixed=rows.bench_fixed,
        bench_n=rows.bench_n,
        model=model,
        fit_model=False,
        single_items=True,
    )
    mine = table.people[table.rows.annotator] == annotator_id
    at = rows.item_time()[mine]
    per_item = np.bincount(table.rows.item)
    shared = int((per_item[table.rows.item][mine] >= 2).sum())
    return PeerEvidence(fit.row_a[mine], fit.row_b[mine], at, shared, model)


def scorecard_evidence(project: Project) -> tuple[ProjectRows, PeerFit] | None:
    """Every annotator's peer rows over the project's latest regular items, fitted together."""
    item_ids = list(
        Annotation.objects.filter(project=project, is_benchmark=False)
        .order_by("-item_id")
        .values_list("item_id", flat=True)
        .distinct()[:SCORECARD_ITEMS]
    )
    rows = _rows_of_items(project, item_ids) if item_ids else None
    if rows is None:
        return None
    fit = peer_fit(
        rows.table.rows,
        n_annotators=len(rows.table.people),
        bench_fixed=rows.bench_fixed,
        bench_n=rows.bench_n,
        model=project_peer_model(project),
        fit_model=False,
        single_items=True,
    )
    return rows, fit
