"""Load test: concurrent annotators against a real gunicorn server on PostgreSQL, over HTTP on loopback.

    .venv/bin/python bench/load.py --annotators 50 --seconds 60 --items 50000
    .venv/bin/python bench/load.py --annotators 64 --seconds 120 --items 50000 --burst 10

Creates a fresh PostgreSQL database, seeds a bbox project (20% of the items need two annotations)
with one API token per annotator, starts ``gunicorn config.wsgi:application`` (production
settings, embedded Celery) on 127.0.0.1 and runs one thread per annotator doing next-task then
submit, without pause (or ``--think-ms`` before each task), until the time is up. Afterwards it
checks the database for double assignments and over-filled items, stops gunicorn and drops the
database. With ``--burst N`` each annotator sends N next-task calls at once (a double-clicking UI, a
retrying client) before submitting: they must all get the same task or a 429 with ``Retry-After`` (the
per-user rate limit), never a 5xx; a client told 429 waits as told. Prints requests,
errors, throughput and p50/p95/p99 latency per endpoint; exits non-zero on any error or violation.
Traffic goes to 127.0.0.1 only, every loop is bounded in count and time, and the server is always
stopped.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from _setup import POSTGRES_ADMIN_URL, ROOT, django_setup, fresh_database, percentiles

HOST = "127.0.0.1"
BOX = {"x": 10, "y": 20, "w": 100, "h": 80, "label": "car"}
#: Hard cap on loops per annotator, whatever the duration.
MAX_LOOPS = 100_000
REQUEST_TIMEOUT_S = 30
DATABASE = "aqc_bench_load"


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
        cursor.execute("VACUUM ANALYZE labeling_item")
    return project.pk, tokens


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_gunicorn(database_url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "REDIS_", "DATABASE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
        DATABASE_URL=database_url,
        LOG_LEVEL="WARNING",
    )
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "config.wsgi:application",
        "--workers",
        str(workers),
        "--bind",
        f"{HOST}:{port}",
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env)


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


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


@dataclass
class Annotator:
    token: str
    timings: dict[str, list[float]] = field(default_factory=lambda: {"next_task": [], "submit": []})
    errors: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    retry_after_missing: int = 0
    items: list[int] = field(default_factory=list)
    submitted: int = 0
    ran_dry: bool = False

    def request(self, port: int, method: str, path: str, body: Any = None) -> tuple[int, Any, float]:
        headers = {"Authorization": f"Token {self.token}", "Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body)
            headers["Content-Type"] = "application/json"
        start = time.perf_counter()
        connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        elapsed_ms = (time.perf_counter() - start) * 1000
        self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
        if response.status == 429:
            retry_after = response.getheader("Retry-After")
            if retry_after is None:
                self.retry_after_missing += 1
            else:
                time.sleep(min(float(retry_after), 5.0))  # a polite client waits as told (capped here)
        return response.status, (json.loads(raw) if raw else None), elapsed_ms

    def burst(self, port: int, project_id: int, calls: int) -> tuple[int, Any]:
        """``calls`` next-task requests at once; the first 200 body (all 200s must name one task)."""
        results: list[tuple[int, Any, float]] = []
        lock = threading.Lock()

        def one() -> None:
            try:
                outcome = self.request(port, "POST", f"/api/v1/projects/{project_id}/next-task/")
            except (OSError, http.client.HTTPException, ValueError) as exc:
                outcome = (0, f"{exc.__class__.__name__}: {exc}", 0.0)
            with lock:
                results.append(outcome)

        threads = [threading.Thread(target=one, daemon=True) for _ in range(calls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=2 * REQUEST_TIMEOUT_S)
        self.timings["next_task"].extend(ms for _, _, ms in results)
        ok = [body for status, body, _ in results if status == 200]
        for status, body, _ in results:
            if status not in (200, 204, 429):
                self.errors.append(f"next-task {status}: {str(body)[:200]}")
        if len({body["id"] for body in ok}) > 1:
            self.errors.append(f"one burst got {len({body['id'] for body in ok})} different tasks")
        if ok:
            return 200, ok[0]
        return (204, None) if any(status == 204 for status, _, _ in results) else (429, None)

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
                    if status == 429:
                        continue
                else:
                    status, body, ms = self.request(port, "POST", f"/api/v1/projects/{project_id}/next-task/")
                    self.timings["next_task"].append(ms)
                if status == 204:
                    self.ran_dry = True
                    return
                if status != 200:
                    self.errors.append(f"next-task {status}: {str(body)[:200]}")
                    continue
                self.items.append(body["item"]["id"])
                status, body, ms = self.request(
                    port, "POST", f"/api/v1/tasks/{body['id']}/submit/", {"payload": {"boxes": [BOX]}}
                )
                self.timings["submit"].append(ms)
                if status == 429:
                    continue
                if status != 201:
                    self.errors.append(f"submit {status}: {str(body)[:200]}")
                    continue
                self.submitted += 1
            except (OSError, http.client.HTTPException, ValueError) as exc:
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


def drop_database(name: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument(
        "--think-ms", type=float, default=0.0, help="pause of each annotator before each next-task"
    )
    parser.add_argument("--burst", type=int, default=1, help="next-task calls sent at once per loop")
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--database", default=DATABASE, help="the scratch database (created and dropped)")
    args = parser.parse_args()
    if not 0 < args.seconds <= 600 or not 0 < args.annotators <= 500 or not 0 <= args.think_ms <= 60_000:
        parser.error("bounded run: 0 < seconds <= 600, 0 < annotators <= 500, 0 <= think-ms <= 60000")
    if not 1 <= args.burst <= 20:
        parser.error("bounded run: 1 <= burst <= 20")

    if not args.database.startswith("aqc_") or not args.database.replace("_", "").isalnum():
        parser.error("--database: a scratch name starting with aqc_ (it is dropped afterwards)")
    database_url = fresh_database("postgres", args.database)
    django_setup(database_url)
    started = time.perf_counter()
    project_id, tokens = seed(args.items, args.annotators)
    seed_seconds = time.perf_counter() - started

    port = free_port()
    server = start_gunicorn(database_url, port, args.workers)
    annotators = [Annotator(token) for token in tokens]
    try:
        wait_until_up(port, server)
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
        run_started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + 2 * REQUEST_TIMEOUT_S)
        run_seconds = time.perf_counter() - run_started
    finally:
        stop(server)

    checks = integrity(project_id)
    if not args.keep_database:
        drop_database(args.database)
    timings = {name: [ms for a in annotators for ms in a.timings[name]] for name in ("next_task", "submit")}
    errors = [error for a in annotators for error in a.errors]
    repeated_client_side = sum(len(a.items) - len(set(a.items)) for a in annotators)
    requests = sum(len(values) for values in timings.values())
    report = {
        "annotators": args.annotators,
        "gunicorn_workers": args.workers,
        "think_ms": args.think_ms,
        "burst": args.burst,
        "items": args.items,
        "seed_seconds": round(seed_seconds, 1),
        "run_seconds": round(run_seconds, 1),
        "requests": requests,
        "requests_per_second": round(requests / run_seconds, 1),
        "loops_completed": sum(a.submitted for a in annotators),
        "errors": len(errors),
        "statuses": {
            str(code): sum(a.statuses.get(code, 0) for a in annotators)
            for code in sorted({code for a in annotators for code in a.statuses})
        },
        "server_errors_5xx": sum(n for a in annotators for code, n in a.statuses.items() if code >= 500),
        "429_without_retry_after": sum(a.retry_after_missing for a in annotators),
        "error_samples": errors[:5],
        "ran_out_of_items": any(a.ran_dry for a in annotators),
        "double_assignments": checks["annotator_item_pairs_twice"] + repeated_client_side,
        "items_over_required": checks["items_over_required"],
        "slot_count_mismatches": checks["slot_count_mismatches"],
        "annotations_stored": checks["annotations"],
        "latency_ms": {name: percentiles(values) for name, values in timings.items() if values},
    }
    print(json.dumps(report, indent=2))
    failed = (
        report["errors"]
        or report["server_errors_5xx"]
        or report["429_without_retry_after"]
        or report["double_assignments"]
        or report["items_over_required"]
        or report["slot_count_mismatches"]
        or report["annotations_stored"] != report["loops_completed"]
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
