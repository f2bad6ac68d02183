"""The agreement report as its Celery job computes it: read the double-labeled annotations from the
database, compute the report, store the snapshot and the low-agreement item scores.

    .venv/bin/python bench/agreement_service.py --database postgres --kind classification --items 200000
    .venv/bin/python bench/agreement_service.py --database postgres --kind bbox --items 50000

Every item is labeled by 2 of 10 annotators (one in ten items by 3); annotators agree about 85% of the time
(classification: the same label; bbox: 3 boxes each, jittered, one of them sometimes dropped or relabeled).
Seeding is bulk SQL and not timed. Prints seconds for the report and the figures it found.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from typing import Any

from _setup import django_setup, fresh_database

LABELS = ["car", "person", "bike", "truck"]


def answers(kind: str, n_items: int, rng: Any) -> list[tuple[int, int, dict[str, Any]]]:
    """(item index, annotator index, payload) rows."""
    import numpy as np

    counts = np.where(rng.random(n_items) < 0.1, 3, 2)
    rows = []
    for item in range(n_items):
        annotators = rng.choice(10, size=counts[item], replace=False)
        truth = rng.integers(len(LABELS), size=3)
        xy = rng.uniform(0, 500, size=(3, 2))
        for annotator in annotators.tolist():
            agree = rng.random() < 0.85
            if kind == "classification":
                label = int(truth[0]) if agree else int(rng.integers(len(LABELS)))
                rows.append((item, annotator, {"label": LABELS[label]}))
                continue
            boxes = [
                {
                    "x": float(xy[k, 0] + rng.normal(0, 2)),
                    "y": float(xy[k, 1] + rng.normal(0, 2)),
                    "w": 60.0,
                    "h": 40.0,
                    "label": LABELS[int(truth[k])],
                }
                for k in range(3)
            ]
            if not agree:
                if rng.random() < 0.5:
                    boxes.pop()
                else:
                    boxes[0]["label"] = LABELS[(LABELS.index(boxes[0]["label"]) + 1) % len(LABELS)]
            rows.append((item, annotator, {"boxes": boxes}))
    return rows


def seed(kind: str, n_items: int) -> int:
    import numpy as np
    from django.db import connection
    from django.utils import timezone

    from annotation_qc.accounts.models import User
    from annotation_qc.labeling.models import Annotation, Item, Task
    from annotation_qc.projects.models import Project

    project = Project.objects.create(name="bench", kind=kind, labels=LABELS, benchmark_rate=0.0)
    users = [User.objects.create(username=f"annotator{n}") for n in range(10)]
    items = Item.objects.bulk_create(
        (
            Item(
                project=project,
                external_id=f"img-{i}",
                image_url=f"https://img.example/{i}.png",
                width=640,
                height=640,
                required_annotations=2,
                open_slots=0,
            )
            for i in range(n_items)
        ),
        batch_size=5000,
    )
    now = timezone.now()
    rows = answers(kind, n_items, np.random.default_rng(0))
    for start in range(0, len(rows), 5000):
        chunk = rows[start : start + 5000]
        tasks = Task.objects.bulk_create(
            Task(
                project=project,
                item=items[i],
                annotator=users[a],
                status=Task.Status.SUBMITTED,
                served_at=now,
                lease_expires_at=now,
                finished_at=now,
            )
            for i, a, _ in chunk
        )
        Annotation.objects.bulk_create(
            Annotation(
                task=task,
                project=project,
                item=task.item,
                annotator=task.annotator,
                payload=payload,
                server_time_ms=4000,
                submitted_at=now,
            )
            for task, (_, _, payload) in zip(tasks, chunk, strict=True)
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return project.pk


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--kind", choices=["classification", "bbox"], default="classification")
    parser.add_argument("--items", type=int, default=100_000)
    args = parser.parse_args()
    django_setup(fresh_database(args.database, f"aqc_bench_agreement_{args.database}"))
    from annotation_qc.agreement.models import ItemAgreementScore
    from annotation_qc.agreement.services.reports import agreement_report_compute

    started = time.perf_counter()
    project_id = seed(args.kind, args.items)
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    snapshot = agreement_report_compute(project_id=project_id)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "database": args.database,
                "kind": args.kind,
                "items": args.items,
                "seed_seconds": round(seeded, 1),
                "report_seconds": round(seconds, 2),
                "alpha": snapshot.alpha,
                "interval": [snapshot.alpha_low, snapshot.alpha_high],
                "n_items": snapshot.n_items,
                "stored_item_scores": ItemAgreementScore.objects.filter(snapshot=snapshot).count(),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
