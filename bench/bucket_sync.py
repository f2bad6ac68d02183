"""Bucket source sync on moto's S3 server over HTTP: a first sync of N keys, then a resync adding M.

    .venv/bin/python bench/bucket_sync.py --database sqlite --keys 100000 --added 1000
    .venv/bin/python bench/bucket_sync.py --database postgres --keys 100000 --added 1000

The bucket is filled straight in moto's in-process backend (setup, not timed); the sync then runs as
its Celery job does (``source_sync_run``), talking HTTP to ``moto.server.ThreadedMotoServer`` on
127.0.0.1 in this process. Sizes come from a manifest beside the images (``--measure`` instead reads
the head of every image: one ranged GET per key). Prints the wall time of each sync, keys per second,
and how much of it was spent waiting on S3 calls (moto's listing sorts the whole bucket on every
page, so it dominates at scale) versus the app's own work (filtering, measuring, database writes).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import time
from collections import defaultdict
from typing import Any

from _setup import django_setup, fresh_database

PREFIX = "frames/"


class TimedClient:
    """A boto3 client whose calls are timed by operation."""

    def __init__(self, client: Any, spent: dict[str, float], calls: dict[str, int]) -> None:
        self._client, self._spent, self._calls = client, spent, calls

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return attribute(*args, **kwargs)
            finally:
                self._spent[name] += time.perf_counter() - start
                self._calls[name] += 1

        return timed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--added", type=int, default=1_000)
    parser.add_argument("--measure", action="store_true", help="read every image's head, no manifest")
    args = parser.parse_args()
    django_setup(fresh_database(args.database, "aqc_bench_bucket_sync"))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    import boto3
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends
    from moto.server import ThreadedMotoServer
    from PIL import Image

    from annotation_qc.exchange.models import BucketSource, SourceSync
    from annotation_qc.exchange.services import bucket_sources
    from annotation_qc.labeling.models import Item
    from tests.factories import ProjectFactory

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1"
    ).create_bucket(Bucket="bench-frames")
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 30, 30)).save(buffer, format="PNG")
    image = buffer.getvalue()

    lines: list[str] = []

    def fill(start: int, count: int) -> None:
        for i in range(start, start + count):
            backend.put_object("bench-frames", f"{PREFIX}{i:08d}.png", image)
            lines.append(json.dumps({"key": f"{i:08d}.png", "width": 64, "height": 48}))
        if not args.measure:  # the manifest, outside the prefix, lists every image with its size
            backend.put_object("bench-frames", "manifests/frames.jsonl", "\n".join(lines).encode())

    project = ProjectFactory(name="bench", labels=["car"])
    source = bucket_sources.source_create(
        project=project,
        user_id=None,
        name="frames",
        bucket="bench-frames",
        prefix=PREFIX,
        endpoint_url=endpoint,
        region="us-east-1",
        access_key_id="a",
        secret_access_key="b",
        pattern="*.png",
        manifest="" if args.measure else "manifests/frames.jsonl",
    )
    real_client = bucket_sources.bucket_client

    def run(label: str) -> dict[str, Any]:
        spent: dict[str, float] = defaultdict(float)
        calls: dict[str, int] = defaultdict(int)
        bucket_sources.bucket_client = lambda s: TimedClient(real_client(s), spent, calls)  # type: ignore[assignment]
        start = time.perf_counter()
        # Celery runs eagerly here (test settings): starting the sync runs its job, as a worker would.
        sync = bucket_sources.source_sync_start(source=BucketSource.objects.get(pk=source.pk), user_id=None)
        result = bucket_sources.source_sync_run(sync_id=sync.pk)  # the finished report
        wall = time.perf_counter() - start
        s3 = sum(spent.values())
        row = {
            "sync": label,
            "listed": result["listed"],
            "created": result["created"],
            "wall_s": round(wall, 2),
            "keys_per_s": round(result["listed"] / wall) if wall else None,
            "s3_wait_s": round(s3, 2),
            "s3_calls": dict(calls),
            "app_s": round(wall - s3, 2),
            "app_keys_per_s": round(result["listed"] / (wall - s3)) if wall > s3 else None,
        }
        print(json.dumps(row), flush=True)
        assert SourceSync.objects.get(pk=sync.pk).finished_at is not None
        return row

    t = time.perf_counter()
    fill(0, args.keys)
    print(json.dumps({"setup": f"{args.keys} keys put in {time.perf_counter() - t:.1f} s"}), flush=True)
    run("first")
    fill(args.keys, args.added)
    run("resync")
    assert Item.objects.filter(project=project).count() == args.keys + args.added
    server.stop()


if __name__ == "__main__":
    main()
