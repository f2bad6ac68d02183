"""Next-task and submit against the floor, over real HTTP through gunicorn on PostgreSQL.

    .venv/bin/python bench/floor.py --items 10000 --rounds 10 --calls 50
    .venv/bin/python bench/floor.py --items 1000000 --rounds 10 --calls 50

Creates a fresh PostgreSQL database, seeds a classification project (``--items`` items, one
annotation each, no benchmarks) and one annotator with an API token, and starts gunicorn
(``-c config/gunicorn.py``: production settings, frozen start-up heap, ``--workers`` workers) with
the floor endpoint (``bench/floor_site``: token look-up + one ``SELECT ... FOR UPDATE SKIP LOCKED``
+ one INSERT in a transaction) beside the real API, a Celery worker (one process) that prepares each
next task off the request as in production (``--no-celery``: none, so every next-task prepares
inline), and Redis (``--redis`` or ``AQC_BENCH_REDIS``, default DB 3, flushed first and last) as the shared
cache and broker; ``--database`` (or ``AQC_BENCH_DATABASE``) names the PostgreSQL database. Then, in
``--rounds`` interleaved rounds (floor first in even rounds, the annotator loop first in odd ones),
one client makes ``--calls`` floor calls and ``--calls`` loops of next-task + submit, one request at
a time, a new connection each (as gunicorn's sync workers close them). Prints p50/p95/p99 per
endpoint and the ratios of next-task and submit to the floor. Traffic goes to 127.0.0.1 only; the
server and the worker are always stopped and the database dropped.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import subprocess
import sys
import time
from typing import Any

from _setup import (
    POSTGRES_ADMIN_URL,
    ROOT,
    django_setup,
    fresh_database,
    percentiles,
    scratch_dir,
    vacuum_analyze,
)
from load import BIN, HOST, flush_redis, free_port, start_celery, stop, wait_until_ready, wait_until_up

DATABASE = "aqc_bench_floor"
REDIS = "redis://127.0.0.1:6379/3"


def seed(items: int) -> tuple[int, str]:
    from django.db import connection
    from django.utils import timezone

    from annotation_qc.accounts.models import User
    from annotation_qc.accounts.services import api_token_create
    from annotation_qc.core.tokens import public_token
    from annotation_qc.projects.models import Membership, Project

    project = Project.objects.create(
        name="floor", kind="classification", labels=["cat", "dog"], benchmark_rate=0.0, overlap_fraction=0.0
    )
    now = timezone.now()
    columns = (
        "project_id, external_id, image, image_url, width, height, metadata, priority, priority_b, "
        "required_annotations, open_slots, is_gold, created_at, public_id, image_token"
    )
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY labeling_item ({columns}) FROM STDIN") as copy:
            for i in range(items):
                priority = float((i * 7919) % items)
                copy.write_row(
                    (
                        project.pk,
                        f"i{i}",
                        "",
                        f"https://img.example/{i}.png",
                        64,
                        64,
                        "{}",
                        priority,
                        priority,
                        1,
                        1,
                        False,
                        now,
                        public_token(),
                        public_token(),
                    )
                )
        cursor.execute(
            "CREATE TABLE bench_floor (id bigserial PRIMARY KEY, item_id bigint, user_id bigint, "
            "at timestamptz)"
        )
        vacuum_analyze(cursor, "labeling_item")
    user = User.objects.create(username="floor")
    Membership.objects.create(project=project, user=user, role="annotator")
    return project.pk, api_token_create(user=user, name="floor")[1]


def floor_env(database_url: str, redis_url: str, port: int, workers: int) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "REDIS_", "DATABASE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="floor_site.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        LOG_LEVEL="WARNING",
        WEB_CONCURRENCY=str(workers),
        GUNICORN_BIND=f"{HOST}:{port}",
        GUNICORN_ACCESS_LOG="",
        # One annotator makes every call, faster than a person: the rate limit is still checked on
        # each call (its cost is measured), at a rate this client never reaches.
        AQC_ANNOTATOR_RATE="100000/min",
        CELERY_TASK_ALWAYS_EAGER="0",
    )
    return env


def start_gunicorn(env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [
        str(BIN / "gunicorn"),
        "-c",
        "config/gunicorn.py",
        "--pythonpath",
        str(ROOT / "bench"),
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def call(port: int, token: str, method: str, path: str, body: Any = None) -> tuple[int, Any, float]:
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    payload = None
    if body is not None:
        payload = json.dumps(body)
        headers["Content-Type"] = "application/json"
    start = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    elapsed = (time.perf_counter() - start) * 1000
    return response.status, (json.loads(raw) if raw else None), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--redis",
        default=os.environ.get("AQC_BENCH_REDIS", REDIS),
        help=f"Redis URL of the cache and broker, flushed first (env AQC_BENCH_REDIS; default {REDIS})",
    )
    parser.add_argument(
        "--database",
        default=os.environ.get("AQC_BENCH_DATABASE", DATABASE),
        help=f"PostgreSQL database to create and drop (env AQC_BENCH_DATABASE; default {DATABASE})",
    )
    parser.add_argument(
        "--no-celery",
        dest="celery",
        action="store_false",
        help="no Celery worker: every next-task prepares inline (the fallback path)",
    )
    args = parser.parse_args()
    if not (0 < args.rounds <= 100 and 0 < args.calls <= 1000 and args.rounds * args.calls <= args.items):
        parser.error("bounded run: rounds <= 100, calls <= 1000, rounds * calls <= items")
    flush_redis(args.redis)  # the shared cache and the rate limits' counters of an earlier run
    database_url = fresh_database("postgres", args.database)
    django_setup(database_url)
    started = time.perf_counter()
    project_id, token = seed(args.items)
    seeded = time.perf_counter() - started
    port = free_port()
    env = floor_env(database_url, args.redis, port, args.workers)
    server = start_gunicorn(env)
    # A Celery worker prepares each annotator's next task off the request, as in production (without
    # one, every next-task prepares inline: the fallback for a lagging queue, more statements).
    worker_log = scratch_dir("aqc-bench-floor-") / "celery.log"  # removed at exit
    worker_env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings.production"}
    worker = start_celery(worker_env, 1, worker_log) if args.celery else None
    timings: dict[str, list[float]] = {"floor": [], "next_task": [], "submit": []}
    errors: list[str] = []
    try:
        wait_until_up(port, server)
        if worker is not None:
            wait_until_ready(worker, worker_log)
        # Warm-up: each worker loads its code paths and fills the shared cache.
        for _ in range(10):
            call(port, token, "POST", f"/bench/floor/{project_id}/")
            status, task, _ = call(port, token, "POST", f"/api/v1/projects/{project_id}/next-task/")
            if status == 200:
                call(
                    port, token, "POST", f"/api/v1/tasks/{task['id']}/submit/", {"payload": {"label": "cat"}}
                )

        def floor_calls() -> None:
            for _ in range(args.calls):
                status, body, ms = call(port, token, "POST", f"/bench/floor/{project_id}/")
                timings["floor"].append(ms)
                if status != 200:
                    errors.append(f"floor {status}: {str(body)[:200]}")

        def loops() -> None:
            for _ in range(args.calls):
                status, task, ms = call(port, token, "POST", f"/api/v1/projects/{project_id}/next-task/")
                timings["next_task"].append(ms)
                if status != 200:
                    errors.append(f"next-task {status}: {str(task)[:200]}")
                    continue
                status, body, ms = call(
                    port, token, "POST", f"/api/v1/tasks/{task['id']}/submit/", {"payload": {"label": "cat"}}
                )
                timings["submit"].append(ms)
                if status != 201:
                    errors.append(f"submit {status}: {str(body)[:200]}")

        for index in range(args.rounds):
            for step in (floor_calls, loops) if index % 2 == 0 else (loops, floor_calls):
                step()
    finally:
        stop(server)
        if worker is not None:
            stop(worker)
        import psycopg
        from django.db import connections

        connections.close_all()
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        flush_redis(args.redis)  # the run's cache entries and queue leftovers go with its database
    latency = {name: percentiles(values) for name, values in timings.items() if values}
    floor_p50 = latency["floor"]["p50"]
    with open("/proc/loadavg") as handle:
        load = handle.read().split()[:3]
    report = {
        "items": args.items,
        "gunicorn_workers": args.workers,
        "celery_worker": args.celery,
        "rounds": args.rounds,
        "calls_per_round": args.calls,
        "seed_seconds": round(seeded, 1),
        "load_average_after": load,
        "errors": len(errors),
        "error_samples": errors[:5],
        "latency_ms": latency,
        "ratio_p50_to_floor": {
            name: round(latency[name]["p50"] / floor_p50, 2)
            for name in ("next_task", "submit")
            if name in latency
        },
        "p99_over_p50": {name: round(v["p99"] / v["p50"], 2) for name, v in latency.items()},
    }
    print(json.dumps(report, indent=2))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
