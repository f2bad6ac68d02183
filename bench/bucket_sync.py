"""Bucket source sync on moto's S3 server over HTTP: a first sync of N keys, then a resync adding M.

    .venv/bin/python bench/bucket_sync.py --database postgres --keys 100000 --added 1000
    .venv/bin/python bench/bucket_sync.py --database postgres --keys 100000 --added 1000 --folders 20

moto's server runs in its own process (``bench/_moto_bucket.py``), filled straight in its backend
(setup, not timed), so its work does not share this interpreter's lock. The sync runs as its Celery
job does (``source_sync_run``), talking HTTP to it. Sizes come from a manifest beside the images
(``--measure`` instead reads the head of every image: one ranged GET per key). ``--folders K``
spreads the keys over K folders (``frames/camNN/``), which the sync lists in parallel.

Prints the wall time and keys per second end to end of the first sync and of the resync (``--rescan``:
then of a full rescan, which lists every key and finds none new); the floor:
the same bucket listed by plain boto3 (``list_objects_v2`` pages, no app code), serially and, with
folders, one thread per folder as the sync does; and the app side alone: a sync of all the keys
into a fresh project with the listing's pages handed in ready-made (matching, measuring by the
manifest, the items, their objects and the cursors).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from _moto_bucket import key_of
from _setup import django_setup, fresh_database

HERE = Path(__file__).resolve().parent
PREFIX = "frames/"
BUCKET = "bench-frames"


def raw_listing(client: Any, prefix: str) -> int:
    count = 0
    for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=BUCKET, Prefix=prefix, PaginationConfig={"PageSize": 1000}
    ):
        count += len(page.get("Contents", []))
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--added", type=int, default=1_000)
    parser.add_argument("--folders", type=int, default=0, help="spread the keys over this many folders")
    parser.add_argument("--measure", action="store_true", help="read every image's head, no manifest")
    parser.add_argument("--app-only", action="store_true", help="only the app side (no listing timed)")
    parser.add_argument(
        "--rescan", action="store_true", help="after the resync, a full rescan (every key listed, none new)"
    )
    parser.add_argument("--name", default="", help="the benchmark database's name (default by mode)")
    args = parser.parse_args()
    name = args.name or ("aqc_bench_bucket_sync_app" if args.app_only else "aqc_bench_bucket_sync")
    django_setup(fresh_database(args.database, name))

    import boto3

    from annotation_qc.exchange.models import BucketSource, SourceSync
    from annotation_qc.exchange.services import bucket_sources
    from annotation_qc.exchange.services.bucket_listing import LIST_WORKERS, Listed
    from annotation_qc.labeling.models import Item
    from tests.factories import ProjectFactory

    child = subprocess.Popen(
        [sys.executable, str(HERE / "_moto_bucket.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None
    assert child.stdout is not None
    endpoint = child.stdout.readline().strip()

    def fill(start: int, count: int) -> None:
        t = time.perf_counter()
        child.stdin.write(f"fill {start} {count} {args.folders}\n")  # type: ignore[union-attr]
        child.stdin.flush()  # type: ignore[union-attr]
        assert child.stdout.readline().strip() == "ok"  # type: ignore[union-attr]
        print(json.dumps({"setup": f"{count} keys put in {time.perf_counter() - t:.1f} s"}), flush=True)

    project = ProjectFactory(name="bench", labels=["car"])
    source = bucket_sources.source_create(
        project=project,
        user_id=None,
        name="frames",
        bucket=BUCKET,
        prefix=PREFIX,
        endpoint_url=endpoint,
        region="us-east-1",
        access_key_id="a",
        secret_access_key="b",
        pattern="*.png",
        manifest="" if args.measure else "manifests/frames.jsonl",
    )

    def run(label: str, source_id: int, *, full: bool = False) -> dict[str, Any]:
        start = time.perf_counter()
        # Celery runs eagerly here (test settings): starting the sync runs its job, as a worker would.
        sync = bucket_sources.source_sync_start(
            source=BucketSource.objects.get(pk=source_id), user_id=None, full=full
        )
        result = bucket_sources.source_sync_run(sync_id=sync.pk)  # the finished report
        wall = time.perf_counter() - start
        assert SourceSync.objects.get(pk=sync.pk).finished_at is not None
        row = {
            "sync": label,
            "folders": args.folders,
            "listed": result["listed"],
            "created": result["created"],
            "wall_s": round(wall, 2),
            "keys_per_s": round(result["listed"] / wall),
        }
        print(json.dumps(row), flush=True)
        return row

    client = boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1"
    )

    def floor() -> None:
        start = time.perf_counter()
        count = raw_listing(client, PREFIX)
        serial = time.perf_counter() - start
        row: dict[str, Any] = {
            "floor": "plain boto3 listing",
            "keys": count,
            "serial_s": round(serial, 2),
            "serial_keys_per_s": round(count / serial),
        }
        if args.folders:
            folders = [f"{PREFIX}cam{i:02d}/" for i in range(args.folders)]
            start = time.perf_counter()
            with ThreadPoolExecutor(max_workers=LIST_WORKERS) as pool:
                count = sum(pool.map(lambda folder: raw_listing(client, folder), folders))
            parallel = time.perf_counter() - start
            row.update(parallel_s=round(parallel, 2), parallel_keys_per_s=round(count / parallel))
        print(json.dumps(row), flush=True)

    def app_side() -> None:
        """The same keys into a fresh project, without the listing: its pages are built here as the
        listing gives them (keys in order, ETag, size, LastModified), so only the app's work is timed."""
        other = BucketSource.objects.get(pk=source.pk)
        other.pk, other.project, other.cursor, other.folder_cursors = None, ProjectFactory(name="app"), "", {}
        other.save()
        head = client.head_object(Bucket=BUCKET, Key=key_of(0, args.folders))
        keys = sorted(key_of(i, args.folders) for i in range(args.keys + args.added))
        etag, size, modified = head["ETag"].strip('"'), head["ContentLength"], head["LastModified"]
        entries = [Listed(key=key, etag=etag, size=size, modified=modified) for key in keys]
        pages = [entries[i : i + 1000] for i in range(0, len(entries), 1000)]

        def listed_already(*_: Any, **__: Any) -> Any:
            yield from pages

        bucket_sources.list_in_order = listed_already  # type: ignore[assignment]
        app = run("app side only (no listing)", other.pk)
        assert app["created"] == args.keys + args.added

    if args.app_only:
        fill(0, args.keys + args.added)
    else:
        fill(0, args.keys)
        run("first", source.pk)
        floor()
        fill(args.keys, args.added)
        run("resync", source.pk)
        assert Item.objects.filter(project=project).count() == args.keys + args.added
        if args.rescan:
            rescan = run("full rescan", source.pk, full=True)
            assert rescan["created"] == 0
    app_side()
    child.stdin.write("quit\n")
    child.stdin.flush()
    try:
        child.wait(timeout=60)
    except subprocess.TimeoutExpired:
        child.kill()


if __name__ == "__main__":
    main()
