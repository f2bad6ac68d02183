"""Load test: concurrent annotators against a real gunicorn server on PostgreSQL, over HTTP on loopback.

    .venv/bin/python bench/load.py --annotators 64 --seconds 300 --items 50000
    .venv/bin/python bench/load.py --annotators 64 --seconds 300 --items 50000 --burst 10

Creates a fresh PostgreSQL database, seeds a bbox project (20% of the items need two annotations)
with one API token per annotator, flushes the Redis database ``--redis`` and starts, as production
runs: ``gunicorn -c config/gunicorn.py`` (production settings, ``--workers`` sync workers, or
``--threads`` > 1 for gthread) with Redis as the shared cache and broker, and a real Celery worker
(``--celery-concurrency`` processes) that prepares each next task and runs the after-submit jobs.
Then one thread per annotator does next-task then submit, without pause (or ``--think-ms`` before
each task), until the time is up. With ``--burst N`` each annotator sends N next-task calls at once
(a double-clicking UI, a retrying client) before submitting: they must all get the same task.

Load shedding (``annotation_qc/core/overload.py``) is on with the app's defaults unless
``--shed-backlog`` / ``--shed-queue-ms`` say otherwise (0 turns a measure off); the per-user rate
limit is the app's default unless ``--annotator-rate`` sets one (e.g. ``60/min``). A 429 or 503 must
carry ``Retry-After``, and the client waits as told (capped at 5 s) before its next call; 429 and 503
answers are counted and timed apart from the served ones.

Afterwards the database is checked for repeats (an annotator given one item twice), over-filled
items and slot counts, and the per-user rate limit against what each user got through in each
window; the servers are stopped, the database dropped and the Redis database flushed. Prints
requests, statuses, throughput, p50/p95/p99 latency per endpoint (served and shed apart) and the
machine's load average during the run; exits non-zero on any 5xx, error or violation.
Traffic goes to 127.0.0.1 only, every loop is bounded in count and time, and the servers are always
stopped.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
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

HOST = "127.0.0.1"
BOX = {"x": 10, "y": 20, "w": 100, "h": 80, "label": "car"}
#: Hard cap on loops per annotator, whatever the duration.
MAX_LOOPS = 100_000
REQUEST_TIMEOUT_S = 30
#: A polite client waits as told by Retry-After, capped here.
MAX_RETRY_WAIT_S = 5.0
DATABASE = "aqc_bench_load"
REDIS = "redis://127.0.0.1:6379/8"
BIN = Path(sys.executable).parent
SHED = (429, 503)


def seed(items: int, annotators: int) -> tuple[int, list[str]]:
    """A bbox project, ``items`` items (a fifth of them need 2 annotations), one token per annotator."""
    from django.db import connection

    from annotation_qc.accounts.models import User
    from annotation_qc.accounts.services import api_token_create
    from annotation_qc.labeling.services.imports import items_import
    from annotation_qc.projects.models import Membership, Project

    project = Project.objects.create(
        name="load",
        kind="bbox",
        labels=["car", "person"],
        benchmark_rate=0.0,
        overlap=2,
        overlap_fraction=0.2,
    )
    for start in range(0, items, 10_000):
        rows = [
            {
                "external_id": f"img-{i}",
                "image_url": f"https://img.example/{i}.png",
                "width": 640,
                "height": 480,
                "priority": float((i * 7919) % items),
            }
            for i in range(start, min(items, start + 10_000))
        ]
        items_import(project=project, rows=rows)
    tokens = []
    for i in range(annotators):
        user = User.objects.create(username=f"load{i}")
        Membership.objects.create(project=project, user=user, role="annotator")
        tokens.append(api_token_create(user=user, name="load")[1])
    with connection.cursor() as cursor:
        vacuum_analyze(cursor, "labeling_item")
    return project.pk, tokens


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def server_env(database_url: str, redis_url: str, extra: dict[str, str]) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "REDIS_", "DATABASE_", "AQC_", "GUNICORN_", "WEB_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_TASK_ALWAYS_EAGER="0",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        GUNICORN_ACCESS_LOG="",
    )
    env.update(extra)
    return env


def start_gunicorn(
    env: dict[str, str], port: int, workers: int, threads: int, log: Path
) -> subprocess.Popen[bytes]:
    command = [
        str(BIN / "gunicorn"),
        "-c",
        "config/gunicorn.py",
        "--workers",
        str(workers),
        "--bind",
        f"{HOST}:{port}",
        "--log-level",
        "warning",
    ]
    with log.open("wb") as out:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env={**env, "GUNICORN_THREADS": str(threads)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def start_celery(env: dict[str, str], concurrency: int, log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool=prefork",
        f"--concurrency={concurrency}",
        "--loglevel=INFO",  # for its "ready." line; a line per job besides
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        f"--hostname=aqc-bench-load-{os.getpid()}@%h",
    ]
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_until_up(port: int, server: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"gunicorn not healthy after {timeout_s:.0f} s")


def wait_until_ready(worker: subprocess.Popen[bytes], log: Path, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"the Celery worker exited with {worker.returncode}")
        if b" ready." in log.read_bytes():
            return
        time.sleep(0.25)
    raise RuntimeError(f"the Celery worker not ready after {timeout_s:.0f} s")


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


@dataclass
class Call:
    endpoint: str
    status: int
    ms: float
    at: float  # time.time() half-way through the call
    retry_after: str | None


@dataclass
class Annotator:
    token: str
    calls: list[Call] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    items: list[int] = field(default_factory=list)
    submitted: int = 0
    ran_dry: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def request(
        self, port: int, endpoint: str, method: str, path: str, body: Any = None, wait: bool = True
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Token {self.token}", "Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body)
            headers["Content-Type"] = "application/json"
        started_at = time.time()
        start = time.perf_counter()
        connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        elapsed = time.perf_counter() - start
        retry_after = response.getheader("Retry-After")
        with self.lock:
            self.calls.append(
                Call(endpoint, response.status, elapsed * 1000, started_at + elapsed / 2, retry_after)
            )
        if response.status >= 500 and response.status != 503:
            self.errors.append(f"{endpoint} {response.status}: {raw[:200]!r}")
        if wait and response.status in SHED and retry_after is not None:
            time.sleep(min(float(retry_after), MAX_RETRY_WAIT_S))
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw[:200]
        return response.status, parsed

    def burst(self, port: int, project_id: int, calls: int) -> tuple[int, Any]:
        """``calls`` next-task requests at once; a 200 body (all 200s must name one task)."""
        results: list[tuple[int, Any]] = []
        lock = threading.Lock()

        def one() -> None:
            try:
                outcome = self.request(
                    port, "next_task", "POST", f"/api/v1/projects/{project_id}/next-task/", wait=False
                )
            except (OSError, http.client.HTTPException) as exc:
                outcome = (0, f"{exc.__class__.__name__}: {exc}")
                with self.lock:
                    self.errors.append(f"next-task: {outcome[1]}")
            with lock:
                results.append(outcome)

        threads = [threading.Thread(target=one, daemon=True) for _ in range(calls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=2 * REQUEST_TIMEOUT_S)
        ok = [body for status, body in results if status == 200]
        if len({body["id"] for body in ok}) > 1:
            self.errors.append(f"one burst got {len({body['id'] for body in ok})} different tasks")
        if ok:
            return 200, ok[0]
        if any(status == 204 for status, _ in results):
            return 204, None
        shed = [status for status, _ in results if status in SHED]
        if shed:  # every call was refused: wait as the longest Retry-After among them says
            with self.lock:
                waits = [float(c.retry_after) for c in self.calls[-calls:] if c.retry_after is not None]
            time.sleep(min(max(waits, default=1.0), MAX_RETRY_WAIT_S))
            return shed[0], None
        return 0, None

    def loop(
        self,
        port: int,
        project_id: int,
        deadline: float,
        start: threading.Barrier,
        think_s: float,
        burst: int = 1,
    ) -> None:
        start.wait()
        for _ in range(MAX_LOOPS):
            if time.monotonic() + think_s >= deadline:
                return
            time.sleep(think_s)  # the annotator looks at the image and draws
            try:
                if burst > 1:
                    status, body = self.burst(port, project_id, burst)
                else:
                    status, body = self.request(
                        port, "next_task", "POST", f"/api/v1/projects/{project_id}/next-task/"
                    )
                if status == 204:
                    self.ran_dry = True
                    return
                if status != 200:
                    if status not in SHED:
                        self.errors.append(f"next-task {status}: {str(body)[:200]}")
                    continue
                self.items.append(body["item"]["id"])
                task_id = body["id"]
                for _ in range(100):  # the same answer again after a 429/503, as a client would
                    if time.monotonic() >= deadline + REQUEST_TIMEOUT_S:
                        break
                    status, body = self.request(
                        port,
                        "submit",
                        "POST",
                        f"/api/v1/tasks/{task_id}/submit/",
                        {"payload": {"boxes": [BOX]}},
                    )
                    if status not in SHED:
                        break
                if status != 201:
                    if status not in SHED:
                        self.errors.append(f"submit {status}: {str(body)[:200]}")
                    continue
                self.submitted += 1
            except (OSError, http.client.HTTPException) as exc:
                self.errors.append(f"{exc.__class__.__name__}: {exc}")


def integrity(project_id: int) -> dict[str, int]:
    """Violations of the dispatch guarantees, counted in the database after the run."""
    from django.db.models import Count, F, Q

    from annotation_qc.labeling.models import Annotation, Item, Task

    holding = Q(tasks__status__in=["assigned", "submitted"], tasks__kind="regular")
    items = Item.objects.filter(project_id=project_id)
    return {
        "annotations": Annotation.objects.filter(project_id=project_id).count(),
        "items_over_required": items.annotate(n=Count("annotations"))
        .filter(n__gt=F("required_annotations"))
        .count(),
        "annotator_item_pairs_twice": Task.objects.filter(project_id=project_id)
        .values("item_id", "annotator_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count(),
        "slot_count_mismatches": items.annotate(held=Count("tasks", filter=holding))
        .exclude(open_slots=F("required_annotations") - F("held"))
        .count(),
    }


def rate_limit_check(annotators: list[Annotator], rate: str) -> dict[str, Any]:
    """Most write calls one user got past the limit in one of the server's windows (aligned on the
    epoch, as ``annotation_qc/core/throttles.py`` counts; a call is placed at its mid-point)."""
    count, unit = rate.split("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit[0]]
    most = 0
    for a in annotators:
        per_window: dict[int, int] = {}
        for call in a.calls:
            if call.status not in SHED:  # a 503 was shed before the throttle; a 429 was refused by it
                window = int(call.at // seconds)
                per_window[window] = per_window.get(window, 0) + 1
        most = max(most, *per_window.values(), 0)
    return {"limit": int(count), "window_seconds": seconds, "most_through_in_a_window": most}


def drop_database(name: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flush_redis(url: str) -> int:
    """Empties the bench's Redis database; returns the broker's queue length just before."""
    import redis

    client = redis.Redis.from_url(url)
    waiting = int(client.llen("celery"))  # type: ignore[arg-type]  # redis-py types its sync client as maybe-async
    client.flushdb()
    return waiting


class LoadSampler(threading.Thread):
    """The machine's 1-minute load average every 5 s while the run lasts."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(5.0):
            self.samples.append(os.getloadavg()[0])


def summary(calls: list[Call]) -> dict[str, Any]:
    served = [c.ms for c in calls if c.status not in SHED]
    shed = [c.ms for c in calls if c.status in SHED]
    statuses: dict[str, int] = {}
    for c in calls:
        statuses[str(c.status)] = statuses.get(str(c.status), 0) + 1
    return {
        "calls": len(calls),
        "statuses": dict(sorted(statuses.items())),
        "all_ms": percentiles([c.ms for c in calls]) if calls else {},
        "served_ms": percentiles(served) if served else {},
        "shed_ms": percentiles(shed) if shed else {},
        "max_ms": round(max((c.ms for c in calls), default=0.0), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--annotators", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (> 1: gthread)")
    parser.add_argument("--celery-concurrency", type=int, default=2, help="Celery worker processes")
    parser.add_argument(
        "--think-ms", type=float, default=0.0, help="pause of each annotator before each next-task"
    )
    parser.add_argument("--burst", type=int, default=1, help="next-task calls sent at once per loop")
    parser.add_argument("--shed-backlog", type=int, help="AQC_SHED_BACKLOG (default: the app's)")
    parser.add_argument("--shed-queue-ms", type=float, help="AQC_SHED_QUEUE_MS (default: the app's)")
    parser.add_argument("--annotator-rate", help="AQC_ANNOTATOR_RATE, e.g. 60/min (default: the app's)")
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--database", default=DATABASE, help="the scratch database (created and dropped)")
    parser.add_argument(
        "--redis", default=REDIS, help="the scratch Redis database (flushed before and after)"
    )
    args = parser.parse_args()
    if not 0 < args.seconds <= 600 or not 0 < args.annotators <= 500 or not 0 <= args.think_ms <= 60_000:
        parser.error("bounded run: 0 < seconds <= 600, 0 < annotators <= 500, 0 <= think-ms <= 60000")
    if not 1 <= args.burst <= 20 or not 1 <= args.workers <= 16 or not 1 <= args.threads <= 64:
        parser.error("bounded run: 1 <= burst <= 20, 1 <= workers <= 16, 1 <= threads <= 64")
    if not args.database.startswith("aqc_") or not args.database.replace("_", "").isalnum():
        parser.error("--database: a scratch name starting with aqc_ (it is dropped afterwards)")
    if not args.redis.startswith("redis://127.0.0.1:"):
        parser.error("--redis: a local scratch database, redis://127.0.0.1:PORT/DB (it is flushed)")

    database_url = fresh_database("postgres", args.database)
    django_setup(database_url)
    flush_redis(args.redis)
    started = time.perf_counter()
    project_id, tokens = seed(args.items, args.annotators)
    seed_seconds = time.perf_counter() - started

    extra: dict[str, str] = {}
    if args.shed_backlog is not None:
        extra["AQC_SHED_BACKLOG"] = str(args.shed_backlog)
    if args.shed_queue_ms is not None:
        extra["AQC_SHED_QUEUE_MS"] = str(args.shed_queue_ms)
    if args.annotator_rate:
        extra["AQC_ANNOTATOR_RATE"] = args.annotator_rate
    env = server_env(database_url, args.redis, extra)
    logs = scratch_dir("aqc-bench-load-")
    port = free_port()
    server = start_gunicorn(env, port, args.workers, args.threads, logs / "gunicorn.log")
    celery = start_celery(env, args.celery_concurrency, logs / "celery.log")
    annotators = [Annotator(token) for token in tokens]
    sampler = LoadSampler()
    try:
        wait_until_up(port, server)
        wait_until_ready(celery, logs / "celery.log")
        barrier = threading.Barrier(len(annotators))
        deadline = time.monotonic() + args.seconds
        threads = [
            threading.Thread(
                target=a.loop,
                args=(port, project_id, deadline, barrier, args.think_ms / 1000, args.burst),
                daemon=True,
            )
            for a in annotators
        ]
        load_before = os.getloadavg()[0]
        sampler.start()
        run_started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + 2 * REQUEST_TIMEOUT_S)
        run_seconds = time.perf_counter() - run_started
        sampler.done.set()
    finally:
        stop(server)
        stop(celery)
    queued_jobs_left = flush_redis(args.redis)

    checks = integrity(project_id)
    if not args.keep_database:
        drop_database(args.database)
    calls = [c for a in annotators for c in a.calls]
    errors = [error for a in annotators for error in a.errors]
    repeated_client_side = sum(len(a.items) - len(set(a.items)) for a in annotators)
    shed_without_retry_after = sum(1 for c in calls if c.status in SHED and c.retry_after is None)
    server_errors = sum(1 for c in calls if c.status >= 500 and c.status != 503)
    served = [c for c in calls if c.status not in SHED]
    log_tail = (logs / "gunicorn.log").read_text(errors="replace")[-2000:]
    rate = args.annotator_rate or "600/min"
    report = {
        "annotators": args.annotators,
        "gunicorn": {"workers": args.workers, "threads": args.threads},
        "celery_concurrency": args.celery_concurrency,
        "think_ms": args.think_ms,
        "burst": args.burst,
        "items": args.items,
        "shedding": {k: v for k, v in extra.items() if k.startswith("AQC_SHED")} or "app defaults",
        "seed_seconds": round(seed_seconds, 1),
        "run_seconds": round(run_seconds, 1),
        "requests": len(calls),
        "requests_per_second": round(len(calls) / run_seconds, 1),
        "served_per_second": round(len(served) / run_seconds, 1),
        "loops_completed": sum(a.submitted for a in annotators),
        "loops_per_second": round(sum(a.submitted for a in annotators) / run_seconds, 1),
        "errors": len(errors),
        "error_samples": errors[:5],
        "server_errors_5xx_not_503": server_errors,
        "shed_without_retry_after": shed_without_retry_after,
        "endpoints": {
            name: summary([c for c in calls if c.endpoint == name]) for name in ("next_task", "submit")
        },
        "ran_out_of_items": any(a.ran_dry for a in annotators),
        "repeats": checks["annotator_item_pairs_twice"] + repeated_client_side,
        "items_over_required": checks["items_over_required"],
        "slot_count_mismatches": checks["slot_count_mismatches"],
        "annotations_stored": checks["annotations"],
        "rate_limit": rate_limit_check(annotators, rate),
        "celery_jobs_left_queued": queued_jobs_left,
        "load_average_1min": {
            "before": round(load_before, 2),
            "during_min": round(min(sampler.samples, default=math.nan), 2),
            "during_max": round(max(sampler.samples, default=math.nan), 2),
            "during_mean": round(sum(sampler.samples) / max(1, len(sampler.samples)), 2),
        },
        "logs": str(logs),
    }
    print(json.dumps(report, indent=2))
    failed = (
        report["errors"]
        or server_errors
        or shed_without_retry_after
        or report["repeats"]
        or report["items_over_required"]
        or report["slot_count_mismatches"]
        or report["annotations_stored"] < report["loops_completed"]
        or report["rate_limit"]["most_through_in_a_window"] > report["rate_limit"]["limit"]
    )
    if failed and "Traceback" in log_tail:
        print(log_tail, file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
