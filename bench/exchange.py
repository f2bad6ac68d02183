"""Import and export end to end through the services and the database, as the Celery jobs run them.

    .venv/bin/python bench/exchange.py --database postgres --images 50000
    .venv/bin/python bench/exchange.py --database sqlite --images 50000

1. Import: a COCO file of ``--images`` images (by URL, sizes stated) with 5 boxes each, as predictions
   (creates the items and one prediction per item): store the upload, then run the job.
2. Seed one submitted annotation per item from 10 annotators (bulk SQL, not timed).
3. Export: COCO and JSON Lines snapshots with every annotator's raw answer: build the job's content,
   sha256 and manifest; then each again under tracemalloc for the job's own peak memory.

Prints seconds per step, rows per second, the export sizes and peak memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
import tracemalloc
from typing import Any

from _setup import django_setup, fresh_database, scratch_dir

BOXES_PER_IMAGE = 5
LABELS = ["car", "person", "bike"]


def coco(images: int, rng: Any) -> dict[str, Any]:
    xy = rng.uniform(0, 500, size=(images * BOXES_PER_IMAGE, 2)).round(1)
    wh = rng.uniform(5, 120, size=(images * BOXES_PER_IMAGE, 2)).round(1)
    categories = rng.integers(1, len(LABELS) + 1, size=images * BOXES_PER_IMAGE)
    scores = rng.uniform(0.05, 1.0, size=images * BOXES_PER_IMAGE).round(3)
    return {
        "images": [
            {
                "id": i + 1,
                "file_name": f"img-{i:07d}.jpg",
                "coco_url": f"https://img.example/{i}.jpg",
                "width": 640,
                "height": 640,
            }
            for i in range(images)
        ],
        "categories": [{"id": n + 1, "name": name} for n, name in enumerate(LABELS)],
        "annotations": [
            {
                "id": n + 1,
                "image_id": n // BOXES_PER_IMAGE + 1,
                "category_id": int(categories[n]),
                "bbox": [float(xy[n, 0]), float(xy[n, 1]), float(wh[n, 0]), float(wh[n, 1])],
                "area": float(wh[n, 0] * wh[n, 1]),
                "iscrowd": 0,
                "score": float(scores[n]),
            }
            for n in range(images * BOXES_PER_IMAGE)
        ],
    }


def seed_annotations(project: Any, annotators: list[Any]) -> int:
    from django.db import connection
    from django.utils import timezone

    from annotation_qc.labeling.models import Annotation, Item, Prediction, Task

    now = timezone.now()
    item_ids = list(Item.objects.filter(project=project).order_by("pk").values_list("pk", flat=True))
    payloads = dict(Prediction.objects.filter(item__project=project).values_list("item_id", "payload"))
    for start in range(0, len(item_ids), 5000):
        chunk = item_ids[start : start + 5000]
        tasks = Task.objects.bulk_create(
            Task(
                project=project,
                item_id=item_id,
                annotator=annotators[n % len(annotators)],
                status=Task.Status.SUBMITTED,
                served_at=now,
                lease_expires_at=now,
                finished_at=now,
            )
            for n, item_id in enumerate(chunk, start=start)
        )
        Annotation.objects.bulk_create(
            Annotation(
                task=task,
                project=project,
                item_id=task.item_id,
                annotator=task.annotator,
                payload=payloads[task.item_id],
                server_time_ms=4000,
                submitted_at=now,
            )
            for task in tasks
        )
    Item.objects.filter(project=project).update(open_slots=0)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return len(item_ids)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--images", type=int, default=50_000)
    args = parser.parse_args()
    django_setup(fresh_database(args.database, f"aqc_bench_exchange_{args.database}"))

    import numpy as np
    from django.conf import settings

    settings.MEDIA_ROOT = str(scratch_dir("aqc-bench-media-"))
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "IMPORT_MAX_ITEMS": 10_000_000}
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    from annotation_qc.accounts.models import User
    from annotation_qc.exchange.models import DataImport, ExportSnapshot
    from annotation_qc.exchange.services.exports import export_build, export_start
    from annotation_qc.exchange.services.imports import import_run
    from annotation_qc.exchange.services.uploads import import_start
    from annotation_qc.projects.models import Membership, Project

    settings.CELERY_TASK_ALWAYS_EAGER = False  # the bench runs each job itself, to time it
    from annotation_qc.core import queue

    queue.enqueue_on_commit = lambda *a, **k: None  # type: ignore[assignment]

    project = Project.objects.create(name="bench", kind="bbox", labels=LABELS, max_boxes=100)
    manager = User.objects.create(username="manager")
    Membership.objects.create(project=project, user=manager, role="manager")
    annotators = [User.objects.create(username=f"annotator{n}") for n in range(10)]
    document = coco(args.images, np.random.default_rng(0))
    timings: dict[str, float] = {}

    started = time.perf_counter()
    data_import = import_start(
        project=project,
        user_id=manager.pk,
        fmt="coco",
        target="predictions",
        model_version="bench-1",
        data=document,
    )
    timings["import_store_upload"] = time.perf_counter() - started
    started = time.perf_counter()
    report = import_run(import_id=data_import.pk)
    timings["import_job"] = time.perf_counter() - started
    assert DataImport.objects.get(pk=data_import.pk).status == "imported", report
    assert report["created"] == args.images, report
    assert report["predictions"] == args.images, report

    seed_annotations(project, annotators)
    sizes = {}
    for fmt in ("coco", "jsonl"):
        export = export_start(
            project=project, user_id=manager.pk, fmt=fmt, include_raw=True, include_gold=False
        )
        started = time.perf_counter()
        built = export_build(export_id=export.pk)
        timings[f"export_{fmt}_job"] = time.perf_counter() - started
        assert built.status == ExportSnapshot.Status.READY
        assert built.manifest["counts"]["items"] == args.images
        sizes[fmt] = built.size_bytes
    # The export jobs' own memory (Python allocations), measured on a second build of each under tracemalloc
    # (slower, so not timed): the process peak above is the import's and the seeding's.
    export_peak_mb = {}
    for fmt in ("coco", "jsonl"):
        export = export_start(
            project=project, user_id=manager.pk, fmt=fmt, include_raw=True, include_gold=False
        )
        tracemalloc.start()
        export_build(export_id=export.pk)
        export_peak_mb[fmt] = round(tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    boxes = args.images * BOXES_PER_IMAGE
    print(
        json.dumps(
            {
                "database": args.database,
                "images": args.images,
                "boxes": boxes,
                "seconds": {k: round(v, 2) for k, v in timings.items()},
                "import_boxes_per_second": round(boxes / timings["import_job"]),
                "export_bytes": sizes,
                "export_job_peak_traced_mb": export_peak_mb,
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
