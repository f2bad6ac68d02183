"""The annotator loop (next-task, then submit) through the full API stack, on a large project.

    .venv/bin/python bench/dispatch.py --database sqlite --items 10000
    .venv/bin/python bench/dispatch.py --database postgres --items 1000000

Prints p50/p95/p99 latency in ms for next-task and for submit.
"""

from __future__ import annotations

import argparse
import json
import time

from _setup import django_setup, fresh_database, percentiles, vacuum_analyze


def seed(items: int, annotators: int) -> tuple[int, list[str]]:
    import numpy as np
    from django.db import connection

    from annotation_qc.accounts.models import User
    from annotation_qc.accounts.services import api_token_create
    from annotation_qc.core.tokens import public_token
    from annotation_qc.labeling.models import Item
    from annotation_qc.projects.models import Membership, Project

    project = Project.objects.create(name="bench", kind="bbox", labels=["car", "person"], benchmark_rate=0.0)
    tokens = []
    for i in range(annotators):
        user = User.objects.create(username=f"bench{i}")
        Membership.objects.create(project=project, user=user, role="annotator")
        tokens.append(api_token_create(user=user, name="bench")[1])
    rng = np.random.default_rng(0)
    priorities = rng.random(items)
    if connection.vendor == "postgresql":
        from django.utils import timezone

        columns = (
            "project_id, external_id, image, image_url, width, height, metadata, priority, priority_b, "
            "required_annotations, open_slots, is_gold, created_at, public_id, image_token"
        )
        now = timezone.now()
        with connection.cursor() as cursor, cursor.copy(f"COPY labeling_item ({columns}) FROM STDIN") as copy:
            for i in range(items):
                copy.write_row(
                    (
                        project.pk,
                        f"img-{i}",
                        "",
                        f"https://img.example/{i}.png",
                        640,
                        480,
                        "{}",
                        float(priorities[i]),
                        float(priorities[i]),
                        1,
                        1,
                        False,
                        now,
                        public_token(),
                        public_token(),
                    )
                )
    batch = 2_000
    for start in range(0, items if connection.vendor != "postgresql" else 0, batch):
        Item.objects.bulk_create(
            Item(
                project=project,
                external_id=f"img-{i}",
                image_url=f"https://img.example/{i}.png",
                width=640,
                height=480,
                priority=float(priorities[i]),
                priority_b=float(priorities[i]),
                required_annotations=1,
                open_slots=1,
            )
            for i in range(start, min(items, start + batch))
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            vacuum_analyze(cursor, "labeling_item")
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return project.pk, tokens


def run(project_id: int, tokens: list[str], loops: int) -> dict[str, dict[str, float]]:
    from rest_framework.test import APIClient

    box = {"x": 10, "y": 20, "w": 100, "h": 80, "label": "car"}
    timings: dict[str, list[float]] = {"next_task": [], "submit": []}
    clients = []
    for token in tokens:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        clients.append(client)
    for i in range(loops):
        client = clients[i % len(clients)]
        start = time.perf_counter()
        response = client.post(f"/api/v1/projects/{project_id}/next-task/")
        middle = time.perf_counter()
        assert response.status_code == 200, response.status_code
        task_id = response.json()["id"]
        submitted = client.post(
            f"/api/v1/tasks/{task_id}/submit/", {"payload": {"boxes": [box]}}, format="json"
        )
        end = time.perf_counter()
        assert submitted.status_code == 201, submitted.content
        if i >= 20:  # warm-up excluded
            timings["next_task"].append((middle - start) * 1000)
            timings["submit"].append((end - middle) * 1000)
    return {name: percentiles(values) for name, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--loops", type=int, default=500)
    parser.add_argument("--annotators", type=int, default=10)
    args = parser.parse_args()
    django_setup(fresh_database(args.database, f"aqc_bench_dispatch_{args.database}"))
    started = time.perf_counter()
    project_id, tokens = seed(args.items, args.annotators)
    seeded = time.perf_counter() - started
    result = run(project_id, tokens, args.loops)
    print(
        json.dumps(
            {
                "database": args.database,
                "items": args.items,
                "loops": args.loops,
                "seed_seconds": round(seeded, 1),
                "latency_ms": result,
            }
        )
    )


if __name__ == "__main__":
    main()
