"""The life of a priority run: start, prepare (train), score chunks, activate (or fail).

A run writes its scores beside the live queue and swaps them in with one UPDATE in one
transaction at the end, so a crashed or killed run leaves the previous order in place, and
re-running a chunk (Celery redelivers it after a worker dies: acks late) rewrites the same rows.
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from annotation_qc.core import jobs
from annotation_qc.core.exceptions import ServiceError
from annotation_qc.labeling.models import Item
from annotation_qc.prioritization.models import PriorityRun, PriorityScore
from annotation_qc.prioritization.services import scoring
from annotation_qc.prioritization.services.data import item_id_ranges
from annotation_qc.projects.models import Project
from annotation_qc.projects.settings_rules import KNOWN_STRATEGIES


def prioritize_start(
    *, project: Project, strategy: str | None, trigger: str, user_id: int | None, diversity_k: int = 0
) -> PriorityRun:
    """Create a run (and its job) and enqueue it once the transaction commits."""
    from annotation_qc.core.queue import BROKER_DOWN, enqueue_on_commit
    from annotation_qc.prioritization.tasks import prioritize_run

    strategy = strategy or project.strategy
    if strategy not in KNOWN_STRATEGIES:
        raise ServiceError(
            "Unknown strategy.", errors={"strategy": [f"must be one of {', '.join(KNOWN_STRATEGIES)}"]}
        )
    with transaction.atomic():
        job = jobs.job_create(
            kind="prioritize",
            project_id=project.pk,
            created_by_id=user_id,
            params={"strategy": strategy, "trigger": trigger, "diversity_k": diversity_k},
        )
        run = PriorityRun.objects.create(
            project=project, job=job, strategy=strategy, trigger=trigger, diversity_k=diversity_k
        )
        # A run that never reached the queue fails at once, so it does not hold the project "busy"
        # (the beat trigger starts a new one once the broker is back).
        enqueue_on_commit(
            prioritize_run, run.pk, on_unavailable=lambda: prioritize_fail(run_id=run.pk, message=BROKER_DOWN)
        )
    return run


def prioritize_prepare(*, run_id: int) -> list[tuple[int, int]]:
    """Train what the strategy needs, record the model version; return the chunk id ranges."""
    run = PriorityRun.objects.select_related("project").get(pk=run_id)
    project = run.project
    ranges = item_id_ranges(project=project)
    plan = scoring.plan(project=project, strategy=run.strategy)
    run.status = PriorityRun.Status.RUNNING
    run.used_strategy = plan.used_strategy
    run.prediction_versions = list(plan.versions)
    run.model_version = plan.model_version
    run.labels_used = plan.labels_used
    run.fallback_reason = plan.fallback_reason
    run.committee = pickle.dumps(plan.committee) if plan.committee is not None else None
    run.save(
        update_fields=[
            "status",
            "used_strategy",
            "prediction_versions",
            "model_version",
            "labels_used",
            "fallback_reason",
            "committee",
        ]
    )
    PriorityScore.objects.filter(run=run).delete()  # a rerun starts clean
    jobs.job_start(job_id=run.job_id, total=sum(1 for _ in ranges))
    return ranges


def prioritize_score_chunk(*, run_id: int, lo: int, hi: int) -> int:
    """Score the open items with ids in [lo, hi) and write their scores (idempotent)."""
    run = PriorityRun.objects.select_related("project").get(pk=run_id)
    committee = pickle.loads(run.committee) if run.committee else None
    item_ids, scores = scoring.score_range(project=run.project, run=run, committee=committee, lo=lo, hi=hi)
    with transaction.atomic():
        # A chunk redelivered after its worker died between commit and ack rewrites its rows but
        # must not count twice in the job's progress.
        rewritten = PriorityScore.objects.filter(run=run, item_id__gte=lo, item_id__lt=hi).delete()[0]
        _write_scores(run.pk, item_ids, scores)
        if not rewritten:
            jobs.job_advance(job_id=run.job_id, by=1)
    return len(item_ids)


#: One row of PostgreSQL's binary COPY format for (run_id bigint, item_id bigint, score float8).
_COPY_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("run_len", ">i4"),
        ("run", ">i8"),
        ("item_len", ">i4"),
        ("item", ">i8"),
        ("score_len", ">i4"),
        ("score", ">f8"),
    ]
)
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)


def binary_copy_rows(run_id: int, item_ids: np.ndarray[Any, Any], scores: np.ndarray[Any, Any]) -> bytes:
    """The scores as one PostgreSQL binary COPY stream, built with numpy (no per-row Python)."""
    rows = np.empty(len(item_ids), dtype=_COPY_ROW)
    rows["fields"] = 3
    rows["run_len"] = rows["item_len"] = rows["score_len"] = 8
    rows["run"] = run_id
    rows["item"] = item_ids
    rows["score"] = scores
    return _COPY_HEADER + rows.tobytes() + _COPY_TRAILER


def _write_scores(run_id: int, item_ids: np.ndarray[Any, Any], scores: np.ndarray[Any, Any]) -> None:
    table = PriorityScore._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(
                f"COPY {table} (run_id, item_id, score) FROM STDIN WITH (FORMAT binary)"
            ) as copy:
                copy.write(binary_copy_rows(run_id, item_ids, scores))
        else:
            rows = zip(
                [run_id] * len(item_ids), item_ids.tolist(), scores.astype(float).tolist(), strict=True
            )
            cursor.executemany(
                f"INSERT INTO {table} (run_id, item_id, score) VALUES (%s, %s, %s)", list(rows)
            )


def prioritize_activate(*, run_id: int) -> None:
    """Swap the run's scores into the live queue, in one transaction."""
    run = PriorityRun.objects.select_related("project").get(pk=run_id)
    if run.status != PriorityRun.Status.RUNNING:
        return  # failed (or already activated by a redelivered callback): leave the queue alone
    if run.diversity_k:
        scoring.boost_diverse_batch(run=run)
    item, score = Item._meta.db_table, PriorityScore._meta.db_table
    with transaction.atomic():
        PriorityRun.objects.filter(project=run.project, status=PriorityRun.Status.ACTIVE).update(
            status=PriorityRun.Status.SUPERSEDED
        )
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The scores were just bulk-loaded: fresh statistics make the planner hash-join the
                # million-row swap instead of probing the item index once per row.
                cursor.execute(f"ANALYZE {score}")
                cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute(
                f"UPDATE {item} SET priority = s.score FROM {score} AS s "
                f"WHERE s.run_id = %s AND s.item_id = {item}.id",
                [run.pk],
            )
            updated = cursor.rowcount
        run.status = PriorityRun.Status.ACTIVE
        run.activated_at = timezone.now()
        run.save(update_fields=["status", "activated_at"])
        result = {"items_scored": updated, "model_version": run.model_version, "labels_used": run.labels_used}
        if run.fallback_reason:
            result["fallback_reason"] = run.fallback_reason
        jobs.job_finish(job_id=run.job_id, result=result, message=run.fallback_reason)
    PriorityScore.objects.filter(run__project=run.project).exclude(run=run).delete()


def prioritize_fail(*, run_id: int, message: str) -> None:
    run = PriorityRun.objects.get(pk=run_id)
    PriorityRun.objects.filter(pk=run_id).update(status=PriorityRun.Status.FAILED)
    PriorityScore.objects.filter(run_id=run_id).delete()
    jobs.job_fail(job_id=run.job_id, message=message)
