"""Replaying dispatch: which tasks were benchmarks, and what was seeded, from the stored secrets.

For every task served by keyed dispatch, the decision is recomputed from the secret version
stored on the task, the annotator and the task's ordinal (with the benchmark rate and
qualification size stored with that version, so changing them mid-project keeps old tasks
replayable), and every benchmark's pre-annotation is seeded again from its gold answer, kind
and keyed stream and compared with what was served. Tasks served before keyed
dispatch (secret version 0) are listed as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from annotation_qc.benchmarks.models import BenchmarkTask
from annotation_qc.benchmarks.services.dispatch import seeded_pre_annotation
from annotation_qc.domain.seeding import SeedingError
from annotation_qc.domain.seeding_profile import SeedingProfile
from annotation_qc.labeling.models import Task
from annotation_qc.projects.models import Project
from annotation_qc.workflow.dispatch_pipeline import benchmarks_bind_served, scheduled_benchmark
from annotation_qc.workflow.secrets import dispatch_versions


@dataclass(frozen=True)
class ReplayedTask:
    annotator_id: int
    ordinal: int
    task: str
    secret_version: int
    served: str
    replayed: str | None
    error_kind: str | None
    seeded_matches: bool | None
    note: str = ""

    @property
    def consistent(self) -> bool:
        """The replay agrees with what was served (a due benchmark may have found no gold: work)."""
        if self.replayed is None:
            return True
        if self.served == Task.Kind.BENCHMARK:
            return self.replayed == Task.Kind.BENCHMARK and self.seeded_matches is not False
        return self.replayed == Task.Kind.REGULAR or self.note == "due, no gold left"

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "consistent": self.consistent}


def dispatch_replay(*, project: Project, annotator_id: int | None = None) -> list[ReplayedTask]:
    tasks = Task.objects.filter(project=project).order_by("annotator_id", "ordinal", "pk")
    if annotator_id is not None:
        tasks = tasks.filter(annotator_id=annotator_id)
    rows = list(tasks.values_list("pk", "public_id", "annotator_id", "ordinal", "secret_version", "kind"))
    for served_to in sorted(
        {row[2] for row in rows}
    ):  # bound off the request: bind what a worker has not yet
        benchmarks_bind_served(project=project, annotator_id=served_to)
    benchmarks = {
        b.task_id: b
        for b in BenchmarkTask.objects.filter(task_id__in=[r[0] for r in rows]).select_related("gold__item")
    }
    versions = dispatch_versions(project=project)
    out = []
    for pk, public_id, annotator, ordinal, version, kind in rows:
        stored = versions.get(version)
        if stored is None:
            out.append(
                ReplayedTask(
                    annotator, ordinal, public_id, version, kind, None, None, None, "before keyed dispatch"
                )
            )
            continue
        key = stored.key
        due = scheduled_benchmark(version=stored, annotator_id=annotator, ordinal=ordinal)
        replayed = Task.Kind.BENCHMARK if due else Task.Kind.REGULAR
        benchmark = benchmarks.get(pk)
        matches: bool | None = None
        note = ""
        if benchmark is not None:
            matches = _seed_again(project, benchmark, key) == benchmark.seeded_payload
        elif due:
            note = "due, no gold left"
        out.append(
            ReplayedTask(
                annotator,
                ordinal,
                public_id,
                version,
                kind,
                replayed,
                None if benchmark is None else benchmark.error_kind,
                matches,
                note,
            )
        )
    return out


def _seed_again(project: Project, benchmark: BenchmarkTask, key: bytes) -> Any:
    if benchmark.error_kind == BenchmarkTask.UNASSISTED:
        return None
    stored = benchmark.seeding.get("profile", {})
    profile = SeedingProfile(
        weights=stored.get("weights", {}),
        jitter=float(stored.get("jitter", 0.0)),
        decimals=int(stored.get("decimals", 2)),
        box_order=str(stored.get("box_order", "given")),
        label_shares={str(k): float(v) for k, v in (stored.get("label_shares") or {}).items()},
        iou_ranges={str(k): (float(v[0]), float(v[1])) for k, v in (stored.get("iou_ranges") or {}).items()},
    )
    item = benchmark.gold.item
    try:
        payload, _ = seeded_pre_annotation(
            project=project,
            gold_payload=benchmark.gold_payload,
            width=item.width,
            height=item.height,
            kind=benchmark.error_kind,
            profile=profile,
            secret=key,
            annotator_id=benchmark.annotator_id,
            ordinal=benchmark.ordinal,
            attempt=int(benchmark.seeding.get("attempt", 0)),
            min_iou=benchmark.seeding.get("min_iou"),
        )
    except SeedingError as exc:
        return {"error": str(exc)}
    return payload
