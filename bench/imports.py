"""A JSON Lines import of items with predictions, end to end as the Celery job runs it.

    .venv/bin/python bench/imports.py --database postgres --items 1000000
    .venv/bin/python bench/imports.py --database sqlite --items 100000

Writes a JSON Lines file of ``--items`` bbox items (by URL, sizes stated) with one predicted box and
its score each, stores it as an upload (``as=predictions``, so the job creates the items and one
prediction per item), then runs the import job in this process and prints its wall time, items
per second, the time of the database write alone (items then predictions, inside the job's one
transaction: COPY on PostgreSQL) and the peak memory (RSS) of the process.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path
from typing import Any

from _setup import django_setup, fresh_database, scratch_dir


def write_file(path: Path, items: int) -> int:
    with path.open("w") as handle:
        for i in range(items):
            x, y = (i * 37) % 500, (i * 91) % 400
            row = {
                "external_id": f"img-{i:07d}",
                "image_url": f"https://img.example/{i}.jpg",
                "width": 640,
                "height": 480,
                "annotation": {"boxes": [{"x": x, "y": y, "w": 60, "h": 40, "label": "car"}]},
                "scores": [round(0.05 + (i % 90) / 100, 2)],
            }
            handle.write(json.dumps(row) + "\n")
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--items", type=int, default=1_000_000)
    args = parser.parse_args()
    django_setup(fresh_database(args.database, f"aqc_bench_imports_{args.database}"))

    from django.conf import settings
    from django.core.files import File

    settings.MEDIA_ROOT = str(scratch_dir("aqc-bench-media-"))
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "IMPORT_MAX_ITEMS": 10_000_000}
    settings.CELERY_TASK_ALWAYS_EAGER = False  # the bench runs the job itself, to time it
    from annotation_qc.accounts.models import User
    from annotation_qc.core import queue
    from annotation_qc.exchange.models import DataImport
    from annotation_qc.exchange.services import imports
    from annotation_qc.exchange.services.uploads import import_start
    from annotation_qc.projects.models import Membership, Project

    queue.enqueue_on_commit = lambda *a, **k: None  # type: ignore[assignment]
    writes: list[float] = []
    real_write = imports._write

    def timed_write(*a: Any, **k: Any) -> Any:
        started = time.perf_counter()
        try:
            return real_write(*a, **k)
        finally:
            writes.append(time.perf_counter() - started)

    imports._write = timed_write  # type: ignore[assignment]

    project = Project.objects.create(name="bench", kind="bbox", labels=["car", "person"], max_boxes=100)
    manager = User.objects.create(username="manager")
    Membership.objects.create(project=project, user=manager, role="manager")
    path = scratch_dir("aqc-bench-import-") / "items.jsonl"
    size = write_file(path, args.items)
    with path.open("rb") as handle:
        data_import = import_start(
            project=project,
            user_id=manager.pk,
            fmt="jsonl",
            target="predictions",
            model_version="bench-1",
            file=File(handle, name="items.jsonl"),
        )
    started = time.perf_counter()
    report = imports.import_run(import_id=data_import.pk)
    job_seconds = time.perf_counter() - started
    assert DataImport.objects.get(pk=data_import.pk).status == "imported", report
    assert report["created"] == args.items, report
    assert report["predictions"] == args.items, report
    print(
        json.dumps(
            {
                "database": args.database,
                "items": args.items,
                "file_mb": round(size / 2**20),
                "job_seconds": round(job_seconds, 2),
                "items_per_second": round(args.items / job_seconds),
                "write_seconds": round(sum(writes), 2),
                "write_items_per_second": round(args.items / sum(writes)),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
