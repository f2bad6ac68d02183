"""End-to-end prioritisation of a large project: read features, train the committee, score, write.

    .venv/bin/python bench/prioritize.py --database postgres --items 1000000
    .venv/bin/python bench/prioritize.py --database sqlite --items 100000

Seeds a classification project with ``--items`` items of 64 float32 features (10 classes in
Gaussian clusters) and ``--labeled`` single-annotated items, then runs the real job
(prepare -> chunks -> activate, as the Celery tasks call them; the chunks in ``--workers`` processes
at once, like that many Celery workers) and prints the wall time of each phase and the peak memory
(largest RSS of the main process and of any worker process).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import time

import numpy as np
from _setup import django_setup, fresh_database, vacuum_analyze


def seed(items: int, labeled: int, dim: int) -> int:
    from django.db import connection
    from django.utils import timezone

    from annotation_qc.accounts.models import User
    from annotation_qc.core.tokens import public_token
    from annotation_qc.labeling.models import Annotation, Item, Task
    from annotation_qc.projects.models import Project

    rng = np.random.default_rng(0)
    project = Project.objects.create(
        name="bench",
        kind="classification",
        labels=[str(i) for i in range(10)],
        feature_dim=dim,
        benchmark_rate=0,
    )
    centres = rng.normal(0, 3, size=(10, dim))
    classes = rng.integers(0, 10, size=items)
    batch = 50_000

    def features_of(start: int, stop: int) -> np.ndarray:
        """Generated batch by batch, so seeding does not hold a million rows of floats."""
        noise = np.random.default_rng(start).normal(0, 2.5, size=(stop - start, dim))
        return (centres[classes[start:stop]] + noise).astype("<f4")

    table = Item._meta.db_table
    columns = (
        "project_id, external_id, image, image_url, width, height, metadata, features, priority, "
        "priority_b, required_annotations, open_slots, is_gold, created_at, public_id, image_token"
    )
    now = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for start in range(0, items, batch):
                features = features_of(start, min(items, start + batch))
                for i in range(start, min(items, start + batch)):
                    copy.write_row(
                        (
                            project.pk,
                            f"i{i}",
                            "",
                            f"https://img.example/{i}.png",
                            64,
                            64,
                            "{}",
                            features[i - start].tobytes(),
                            0.0,
                            0.0,
                            1,
                            1,
                            False,
                            now,
                            public_token(),
                            public_token(),
                        )
                    )
    else:
        for start in range(0, items, batch):
            features = features_of(start, min(items, start + batch))
            Item.objects.bulk_create(
                Item(
                    project=project,
                    external_id=f"i{i}",
                    image_url="https://img.example/x.png",
                    width=64,
                    height=64,
                    features=features[i - start].tobytes(),
                )
                for i in range(start, min(items, start + batch))
            )
    annotator = User.objects.create(username="bench-annotator")
    ids = list(Item.objects.filter(project=project).order_by("pk").values_list("pk", flat=True)[:labeled])
    tasks = Task.objects.bulk_create(
        Task(
            project=project,
            item_id=i,
            annotator=annotator,
            status="submitted",
            served_at=now,
            lease_expires_at=now,
        )
        for i in ids
    )
    first = ids[0]
    Annotation.objects.bulk_create(
        Annotation(
            task=t,
            project=project,
            item_id=t.item_id,
            annotator=annotator,
            payload={"label": str(int(classes[t.item_id - first]))},
            server_time_ms=1000,
            submitted_at=now,
        )
        for t in tasks
    )
    Item.objects.filter(pk__in=ids).update(open_slots=0)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            vacuum_analyze(cursor, table)
    return project.pk


def _chunk(args: tuple[int, int, int, int]) -> int:
    """One chunk in a worker process (its own database connection), as a Celery worker runs it."""
    from annotation_qc.prioritization.services import runs

    run_id, lo, hi, attempt = args
    return runs.prioritize_score_chunk(run_id=run_id, lo=lo, hi=hi, attempt=attempt)


def _peak_mb() -> float:
    """The largest resident set of this process and of any finished worker process."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def run(project_id: int, strategy: str, workers: int) -> dict[str, object]:
    """The job's own steps, as its Celery tasks call them (prepare, every chunk, activate), timed;
    with ``workers`` > 1 the chunks run in that many processes at once, like Celery workers."""
    from annotation_qc.core.jobs import job_create
    from annotation_qc.prioritization.models import PriorityRun
    from annotation_qc.prioritization.services import runs
    from annotation_qc.projects.models import Project

    project = Project.objects.get(pk=project_id)
    job = job_create(
        kind="prioritize", project_id=project.pk, created_by_id=None, params={"strategy": strategy}
    )
    run = PriorityRun.objects.create(project=project, job=job, strategy=strategy)
    t0 = time.perf_counter()
    prepared = runs.prioritize_prepare(run_id=run.pk)
    assert prepared is not None, "the run was not prepared"
    attempt, ranges = prepared
    t1 = time.perf_counter()
    if workers > 1:
        from django.db import connections

        connections.close_all()  # each forked worker opens its own
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, maxtasksperchild=4) as pool:
            pool.map(_chunk, [(run.pk, lo, hi, attempt) for lo, hi in ranges], chunksize=1)
    else:
        for lo, hi in ranges:
            runs.prioritize_score_chunk(run_id=run.pk, lo=lo, hi=hi, attempt=attempt)
    t2 = time.perf_counter()
    runs.prioritize_activate(run_id=run.pk, attempt=attempt)
    t3 = time.perf_counter()
    run.refresh_from_db()
    job.refresh_from_db()
    assert job.status == "succeeded", (job.status, job.message)
    return {
        "timings_s": {
            "prepare_and_train": round(t1 - t0, 2),
            "read_score_write": round(t2 - t1, 2),
            "activate": round(t3 - t2, 2),
            "total": round(t3 - t0, 2),
        },
        "chunks": len(ranges),
        "model_version": run.model_version,
        "labels_used": run.labels_used,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--labeled", type=int, default=2_000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--strategy", default="margin")
    parser.add_argument("--workers", type=int, default=2, help="processes scoring chunks at once")
    args = parser.parse_args()
    django_setup(fresh_database(args.database, f"aqc_bench_prioritize_{args.database}"))
    t0 = time.perf_counter()
    project_id = seed(args.items, args.labeled, args.dim)
    seeded = time.perf_counter() - t0
    seed_peak_mb = _peak_mb()
    result = run(project_id, args.strategy, args.workers)
    print(
        json.dumps(
            {
                "database": args.database,
                "items": args.items,
                "features": args.dim,
                "labeled": args.labeled,
                "strategy": args.strategy,
                "seed_s": round(seeded, 1),
                **result,
                "workers": args.workers,
                "peak_rss_mb_after_seeding": round(seed_peak_mb),
                "peak_rss_mb": round(_peak_mb()),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
