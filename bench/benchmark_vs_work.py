"""Next-task serving a benchmark vs serving work: the same statements, the same time?

    .venv/bin/python bench/benchmark_vs_work.py --database sqlite --items 10000 --loops 1500
    DATABASE_URL=... .venv/bin/python bench/benchmark_vs_work.py --database postgres --items 10000

One annotator works through the full API stack (token auth, DRF, dispatch, JSON) in a project
with a benchmark rate of 0.5, so benchmarks and work interleave call by call (decided by the
keyed generator). The worker's job that prepares the next task runs between calls, outside the
timing, in a worker process of its own as Celery would run it (so neither its garbage nor its
caches are the web process's), while the annotator works: after a task is served and before it
is answered (here skipped), not right before the next timed call. Prints p50/p95/p99 per kind
of wall time and of the thread's CPU time (steadier on a loaded machine), their p50 differences
and the statement count per call.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from multiprocessing.connection import Connection

from _setup import django_setup, fresh_database, percentiles


def seed(items: int, gold: int) -> tuple[int, int, str]:
    import numpy as np

    from annotation_qc.accounts.models import User
    from annotation_qc.accounts.services import api_token_create
    from annotation_qc.benchmarks.services.gold import gold_import
    from annotation_qc.labeling.models import Item, Prediction
    from annotation_qc.projects.models import Membership, Project

    project = Project.objects.create(
        name="bench", kind="bbox", labels=["car", "person"], benchmark_rate=0.5, calibration_benchmarks=0
    )
    manager = User.objects.create(username="bench-manager")
    Membership.objects.create(project=project, user=manager, role="manager")
    user = User.objects.create(username="bench-annotator")
    Membership.objects.create(project=project, user=user, role="annotator")
    token = api_token_create(user=user, name="bench")[1]
    rng = np.random.default_rng(0)
    created = Item.objects.bulk_create(
        (
            Item(
                project=project,
                external_id=f"img-{i}",
                image_url=f"https://img.example/{i}.png",
                width=640,
                height=480,
                priority=float(rng.random()),
            )
            for i in range(items)
        ),
        batch_size=2000,
    )
    box = {"x": 10.25, "y": 20.5, "w": 100.75, "h": 80.0, "label": "car"}
    other = {"x": 300.5, "y": 200.25, "w": 80.5, "h": 150.0, "label": "person"}
    Prediction.objects.bulk_create(
        (Prediction(item=item, model_version="v1", payload={"boxes": [box, other]}) for item in created),
        batch_size=2000,
    )
    gold_box = {"x": 40, "y": 40, "w": 120, "h": 100, "label": "person"}
    rows = [
        {
            "external_id": f"gold-{i}",
            "image_url": f"https://img.example/g{i}.png",
            "width": 640,
            "height": 480,
            "payload": {"boxes": [box, gold_box]},
        }
        for i in range(gold)
    ]
    gold_import(project=project, rows=rows, user=manager)
    return project.pk, user.pk, token


def worker(database_url: str, jobs: Connection) -> None:
    """The preparation worker, in a process of its own (as Celery runs it): one job per message."""
    django_setup(database_url, migrate=False)
    from annotation_qc.workflow.dispatch_pipeline import dispatch_prepare

    while (job := jobs.recv()) is not None:
        dispatch_prepare(project_id=job[0], annotator_id=job[1])
        jobs.send(True)


def run(project_id: int, user_id: int, token: str, loops: int, jobs: Connection) -> dict[str, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from annotation_qc.labeling.models import Task

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    url = f"/api/v1/projects/{project_id}/next-task/"
    timings: dict[str, list[float]] = {"benchmark": [], "regular": []}
    cpu: dict[str, list[float]] = {"benchmark": [], "regular": []}
    statements: dict[str, set[int]] = {"benchmark": set(), "regular": set()}
    jobs.send((project_id, user_id))  # the first task's preparation
    jobs.recv()
    for i in range(loops):
        with CaptureQueriesContext(connection) as queries:
            start, start_cpu = time.perf_counter(), time.thread_time()
            response = client.post(url)
            elapsed = (time.perf_counter() - start) * 1000
            elapsed_cpu = (time.thread_time() - start_cpu) * 1000
        assert response.status_code == 200, response.status_code
        task_id = response.json()["id"]
        kind = Task.objects.filter(public_id=task_id).values_list("kind", flat=True).get()
        if i >= 30:  # warm-up excluded
            timings[kind].append(elapsed)
            cpu[kind].append(elapsed_cpu)
            statements[kind].add(len(queries))
        # The worker prepares the next task while the annotator works on this one (not timed); the
        # annotator's answer (here a skip) comes after it, as it does in real use.
        jobs.send((project_id, user_id))
        jobs.recv()
        skipped = client.post(f"/api/v1/tasks/{task_id}/skip/", {"reason": "bench"}, format="json")
        assert skipped.status_code == 200, skipped.content
    p = {kind: percentiles(values) for kind, values in timings.items()}
    c = {kind: percentiles(values) for kind, values in cpu.items()}
    return {
        "calls": {kind: len(values) for kind, values in timings.items()},
        "latency_ms": p,
        "p50_difference_ms": round(p["benchmark"]["p50"] - p["regular"]["p50"], 3),
        "cpu_ms": c,
        "cpu_p50_difference_ms": round(c["benchmark"]["p50"] - c["regular"]["p50"], 3),
        "statements": {kind: sorted(values) for kind, values in statements.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--loops", type=int, default=1500)
    args = parser.parse_args()
    database_url = fresh_database(args.database, f"aqc_bench_vs_work_{args.database}")
    django_setup(database_url)
    # The preparation job runs between calls in a worker process, as Celery would run it; the enqueue
    # on commit is dropped (test settings run Celery tasks eagerly, which would run the job inside
    # the timed request, and in the web process).
    from annotation_qc.workflow import tasks

    tasks.dispatch_prepare.apply_async = lambda *args, **kwargs: None  # type: ignore[method-assign]
    project_id, user_id, token = seed(args.items, gold=args.loops)
    from django.db import connections

    connections.close_all()
    here, there = multiprocessing.get_context("spawn").Pipe()
    process = multiprocessing.get_context("spawn").Process(target=worker, args=(database_url, there))
    process.start()
    try:
        result = run(project_id, user_id, token, args.loops, here)
    finally:
        here.send(None)
        process.join(timeout=30)
    print(json.dumps({"database": args.database, "items": args.items, "loops": args.loops, **result}))


if __name__ == "__main__":
    main()
